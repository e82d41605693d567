"""What `noc` imports before it does anything, and what `noc ask` imports to answer offline.

Why: every terminal command pays its imports before it starts, and `noc ask` on the offline
engine is meant to answer in well under a second (issue 27). The expensive stacks are imported
where they are used: NAPALM (its package loads every driver it ships, about 0.5 s) by the first
device session, a shipped specialist's rules by its first step, the Claude SDK only when Claude
is used, Slack, the store and the HTTP server only by `noc run`, the secret forms' regexes on the
first text with a hint of a secret. Speed is
measured by the benches (docs/benchmarks.md); this test only keeps those imports from creeping
back onto the start-up path, which no timing would catch reliably. One subprocess, a fresh
interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.harness.paths import ROOT

_PROBE = """
import json, sys
import bot.cli.main
from agents.tools import redact_patterns
at_import = sorted(sys.modules)
regexes_at_import = redact_patterns.redaction_tables.cache_info().currsize + redact_patterns.line_patterns.cache_info().currsize
from bot.cli.main import cli
try:
    cli(["ask", "-q", "why is the branch office slow?", "--json"], prog_name="noc", standalone_mode=False)
except SystemExit as exc:
    status = exc.code
else:
    status = 0
print(json.dumps({"at_import": at_import, "after_ask": sorted(sys.modules), "status": status,
                  "regexes_at_import": regexes_at_import}))
"""

# Never needed to start a terminal command.
_NOT_AT_START = ("napalm", "netmiko", "paramiko", "jnpr.junos", "ncclient", "anthropic", "slack_bolt", "slack_sdk",
                 "sqlalchemy", "aiohttp", "requests", "jinja2", "handlers", "bot.store", "bot.server", "bot.runtime")
# Never needed to answer a question offline on the lab (NAPALM is: the lab is read through its mock driver);
# this question asks no configuration specialist, so the change templates stay unloaded too.
_NOT_FOR_AN_OFFLINE_ANSWER = ("anthropic", "slack_bolt", "slack_sdk", "sqlalchemy", "aiohttp", "handlers", "bot.store",
                              "bot.server", "bot.runtime", "agents.specialists.config_templates")


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_the_cli_starts_without_the_heavy_stacks_and_ask_answers_offline_without_claude_slack_or_the_store(tmp_path):
    env = os.environ | {"TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for name in ("NOC_CONFIG", "NOC_LAB_DIR", "ANTHROPIC_API_KEY"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == 0, done.stdout
    assert _loaded(report["at_import"], _NOT_AT_START) == []
    assert report["regexes_at_import"] == 0  # the secret forms compile on first use
    assert _loaded(report["after_ask"], _NOT_FOR_AN_OFFLINE_ANSWER) == []
    assert "napalm" in report["after_ask"]  # the question did read a lab device, through NAPALM
