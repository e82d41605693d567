"""The alert rules shipped in deploy/prometheus/ (issue 28): each fires and stays quiet when it
should, as Prometheus' own promtool evaluates them, and they read only metrics the bot exports."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.metrics import exported, scrape_running_bot
from tests.harness.paths import DATA, ROOT

RULES = ROOT / "deploy" / "prometheus" / "noc-alerts.yml"
RULE_TESTS = DATA / "prometheus" / "noc-alerts.test.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus; .ci/run installs it) not found")


@needs_promtool
def test_rules_are_valid_and_pass_their_unit_tests():
    check = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "4 rules found" in check.stdout, check.stdout + check.stderr
    run = subprocess.run([PROMTOOL, "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and "SUCCESS" in run.stdout, run.stdout + run.stderr


async def test_rules_read_metrics_a_running_bot_exports(fake_slack, tmp_path):
    names, _ = exported(await scrape_running_bot(fake_slack, tmp_path))
    used = set(re.findall(r"\bnoc_[a-z0-9_]+", RULES.read_text()))
    assert {"noc_breaker_state", "noc_agent_success_ratio", "noc_llm_budget_used_tokens", "noc_store_health"} <= used
    assert used <= names, f"rules use metrics the bot does not export: {sorted(used - names)}"
