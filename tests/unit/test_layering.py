"""The dependency direction is one way: handlers -> bot -> agents (the CLI's `noc run` is the
composition root that imports handlers)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.paths import ROOT


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_agents_know_nothing_of_bot_handlers_or_slack():
    for path in (ROOT / "agents").rglob("*.py"):
        bad = imported_packages(path) & {"bot", "handlers", "slack_bolt", "slack_sdk"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_bot_does_not_import_handlers_except_the_run_command():
    for path in (ROOT / "bot").rglob("*.py"):
        if "handlers" in imported_packages(path):
            assert path.relative_to(ROOT).as_posix() == "bot/cli/main.py", path
            tree = ast.parse(path.read_text())
            top_level = {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
            assert "handlers" not in top_level, "bot/cli/main.py may import handlers only inside `noc run`"
