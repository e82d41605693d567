"""The specialist docs/how-to/add-specialist.md shows is real: its three files, copied from the
page, load as a new specialist that answers a question, and its rules.py passes the project's
mypy --strict (tool results are typed through the tool declarations)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

from agents.catalogue import configure
from agents.router import cache
from bot.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "how-to" / "add-specialist.md"
_BLOCK = re.compile(r"^`software/([\w.]+)`:\n\n```\w*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def documented_files() -> dict[str, str]:
    files = dict(_BLOCK.findall(PAGE.read_text(encoding="utf-8")))
    assert set(files) == {"spec.yaml", "examples.txt", "rules.py"}, f"the page shows {sorted(files)}"
    return files


def write_documented(root: Path, **replace: str) -> Path:
    folder = root / "software"
    folder.mkdir(parents=True)
    for name, text in documented_files().items():
        for old, new in replace.items():
            text = text.replace(old, new)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def strict_mypy(rules: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """mypy --strict with the project's settings (pydantic plugin), from the project root so
    `agents` resolves and the project's incremental cache is reused."""
    monkeypatch.chdir(ROOT)
    out, err, status = mypy_api.run(["--strict", "--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary",
                                     "--follow-imports", "silent", str(rules)])
    return out + err, status


def test_the_documented_rules_pass_mypy_strict(tmp_path, monkeypatch):
    folder = write_documented(tmp_path)
    report, status = strict_mypy(folder / "rules.py", monkeypatch)
    assert status == 0, report


def test_reading_an_untyped_result_fails_mypy_strict(tmp_path, monkeypatch):
    """The check has teeth: the same rules reading fields off the untyped `ctx.tool` result fail."""
    folder = write_documented(tmp_path, **{"ctx.call(GET_DEVICE_HEALTH, device=device)": 'ctx.tool("get_device_health", device=device)'})
    report, status = strict_mypy(folder / "rules.py", monkeypatch)
    assert status == 1 and '"ToolResult" has no attribute "os_version"' in report, report


@pytest.fixture
def documented(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))  # the router retrains with its examples
    write_documented(tmp_path / "specialists")
    config = tmp_path / "noc.yaml"
    config.write_text(f"engine:\n  specialist_paths: [specialists]\nnetwork:\n  scenario: healthy\n"
                      f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\n")
    yield config
    configure([])


def test_the_documented_specialist_answers_a_question(documented, runner):
    question = "which OS versions run on edge-rtr-01?"
    result = runner.invoke(cli, ["--config", str(documented), "ask", question, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["primary"] == "software"
    software = next(r for r in answer["agents"] if r["agent"] == "software")
    assert software["status"] == "success" and software["engine"] == "offline"
    # The lab's edge-rtr-01 reports IOS XE 17.9.4a on an ASR1001-X (agents/lab/data/devices/edge-rtr-01/get_facts.1).
    assert any(f["agent"] == "software" and f["text"].startswith("edge-rtr-01: ASR1001-X runs ") and "17.9.4a" in f["text"]
               for f in answer["findings"]), answer["findings"]
    assert any(e["tool"] == "get_device_health" and e["device"] == "edge-rtr-01" for e in software["evidence"])
