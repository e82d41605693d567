"""The whole Claude path scripted: `noc ask --json` with the real anthropic SDK pointed at the
loopback Messages API (`tests.fakes.anthropic_api`), and a reply for every role of a happy path."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agents.llm.schemas import (
    DiagnosisReport,
    DocumentationReport,
    FindingOut,
    Gap,
    GapList,
    PlanOut,
    PlanStepOut,
    RecommendationOut,
    RouteOut,
    SecurityReport,
    SynthesisOut,
)
from bot.cli.main import cli
from tests.fakes.anthropic_api import text, tool_use
from tests.harness.paths import DATA

SECRETS = [s["value"] for s in yaml.safe_load((DATA / "lab_secrets.yaml").read_text())]
SAMPLING = {"temperature", "top_p", "top_k"}
DIAGNOSIS_TOOLS = {"list_devices", "get_interface_statistics", "check_routing_protocol", "get_device_health",
                   "analyze_traffic_patterns", "get_device_config", "search_logs", "ask_specialist"}

ROUTE = RouteOut(primary="diagnosis", specialists=["diagnosis", "documentation"], devices=["branch-rtr-01"], reasoning="bgp fault")
PLAN = PlanOut(reasoning="investigate then document", steps=[
    PlanStepOut(id="s1", agent="diagnosis", instruction="find why BGP is down at the branch", devices=["branch-rtr-01"], depends_on=[]),
    PlanStepOut(id="s2", agent="documentation", instruction="find the runbook", devices=[], depends_on=["s1"]),
])
DIAG = DiagnosisReport(
    summary="branch-rtr-01 peers with remote-as 65001 but edge-rtr-01 is AS 65000.",
    findings=[FindingOut(text="BGP remote-AS mismatch on branch-rtr-01 neighbour 172.16.100.1", severity="high", device="branch-rtr-01")],
    recommendations=[RecommendationOut(text="fix remote-as", commands=["router bgp 65101", " neighbor 172.16.100.1 remote-as 65000"],
                                       device="branch-rtr-01", priority=1)],
    confidence=0.93, root_cause="remote-AS mismatch", affected_layer="network")
DOCS = DocumentationReport(summary="Runbook: BGP session down", findings=[FindingOut(text="Runbook runbooks/bgp-session-down.md", severity="info")],
                           recommendations=[], confidence=0.8, incident_report=None, runbooks=["runbooks/bgp-session-down.md"])
SEC = SecurityReport(summary="BGP neighbour has a password", findings=[FindingOut(text="neighbor 172.16.100.1 password set", severity="info", device="branch-rtr-01")],
                     recommendations=[], confidence=0.9, risk_scores={"branch-rtr-01": 0})
SYNTH = SynthesisOut(summary="Root cause (diagnosis): branch-rtr-01 is configured with remote-as 65001; edge-rtr-01 is AS 65000.", conflicts=[])
USAGE = {"input_tokens": 1000, "output_tokens": 200, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 3000}


FAST_RETRY = {"backoff_initial_s": 0.01, "backoff_max_s": 0.02, "jitter_s": 0.0}


def config_file(tmp_path: Path, resilience: dict | None = None, **llm) -> Path:
    path = tmp_path / "noc.yml"
    res = {"retry": {**FAST_RETRY, **(resilience or {}).pop("retry", {})}, **(resilience or {})}
    path.write_text(yaml.safe_dump({"llm": {"router_margin": 100, **llm}, "resilience": res}))
    return path


def run_ask(runner, api, tmp_path, question="why can't the branch reach HQ over BGP?", scenario="bgp-peer-down",
            resilience: dict | None = None, **llm) -> dict:
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url}
    path = config_file(tmp_path, resilience, **llm)
    result = runner.invoke(cli, ["--config", str(path), "ask", question, "-s", scenario, "--json", "-q"], env=env)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def script_happy_path(api, overrides: dict | None = None):
    """Script every role; `overrides` replaces the replies of the roles it names."""
    replies = {
        "router": [text(ROUTE, usage=USAGE)],
        "planner": [text(PLAN, usage=USAGE)],
        "specialist:diagnosis": [
            tool_use(("check_routing_protocol", {"device": "branch-rtr-01", "protocol": "bgp"}),
                     ("get_device_config", {"device": "branch-rtr-01", "section": "router bgp"}), usage=USAGE),
            text(DIAG, usage=USAGE)],
        "specialist:documentation": [tool_use(("search_runbooks", {"query": "bgp remote-as mismatch"}), usage=USAGE), text(DOCS, usage=USAGE)],
        "coordinator": [text(GapList(gaps=[Gap(agent="security", instruction="does the session use an MD5 password?",
                                               reason="auth not checked")]), usage=USAGE)],
        "specialist:security": [text(SEC, usage=USAGE)],
        "synthesis": [text(SYNTH, usage=USAGE)],
    }
    replies.update(overrides or {})
    for role, queue in replies.items():
        api.script(role, *queue)
