"""Block Kit rendering: every message within Slack's limits, nothing lost, the right parts shown.

Why these tests: Slack rejects a whole message over one broken limit, so each produced block is
round-tripped through slack_sdk's own validators, and the overflow logic is checked for loss
(every finding exactly once across the main message and its thread continuations).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from agents.models import (
    AgentResponse,
    Answer,
    DataRequest,
    Evidence,
    Finding,
    Recommendation,
    Specialist,
    Usage,
    automation_level,
)
from agents.progress import Finished, StepFinished, ToolCalled
from agents.severity import Severity
from agents.tools.audit import AuditFinding
from agents.tools.results import SecurityScan, ToolError
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION,
    RenderedAnswer,
    escape,
    message_chars,
    progress_line,
    render_answer,
    render_audit,
    render_details,
    render_error,
    render_help,
    render_status,
)
from bot.slack.views.layout import MAX_CONTINUATIONS

# -- helpers ----------------------------------------------------------------------------------


def make_answer(
    *,
    findings: list[Finding] | None = None,
    recommendations: list[Recommendation] | None = None,
    responses: list[AgentResponse] | None = None,
    summary: str = "BGP session core-sw-01 <-> edge-rtr-01 is down: AS mismatch (65001 vs 65002).",
    severity: Severity = Severity.high,
    confidence: float = 0.87,
    status: str = "ok",
    notices: list[str] | None = None,
    failed_agents: list[str] | None = None,
    request_id: str = "req123abc",
) -> Answer:
    """A realistic answer built directly, without running the supervisor."""
    if findings is None:
        findings = [
            Finding(agent="diagnosis", text="BGP neighbor 10.0.0.2 is Idle on core-sw-01", severity=Severity.high, device="core-sw-01"),
            Finding(agent="diagnosis", text="Interface Gi0/1 has CRC errors", severity=Severity.low, device="core-sw-01"),
            Finding(agent="diagnosis", text="Remote AS configured as 65002, peer says 65001", severity=Severity.critical),
            Finding(agent="config", text="Running config differs from startup", severity=Severity.medium, device="edge-rtr-01"),
        ]
    if recommendations is None:
        recommendations = [
            Recommendation(
                agent="diagnosis",
                text="Correct the remote AS on core-sw-01",
                commands=["router bgp 65001", " neighbor 10.0.0.2 remote-as 65001"],
                device="core-sw-01",
                priority=1,
            ),
            Recommendation(agent="config", text="Save the running config", commands=["copy running-config startup-config"], device="edge-rtr-01"),
        ]
    return Answer(
        request_id=request_id,
        question="why is bgp down on core-sw-01?",
        status=status,  # type: ignore[arg-type]
        primary=Specialist.diagnosis,
        specialists=[Specialist.diagnosis, Specialist.config],
        devices=["core-sw-01", "edge-rtr-01"],
        severity=severity,
        confidence=confidence,
        automation=automation_level(confidence),
        summary=summary,
        findings=findings,
        recommendations=recommendations,
        notices=notices or [],
        failed_agents=failed_agents or [],
        responses=responses or [],
        usage=Usage(llm_calls=3, input_tokens=1200, output_tokens=345, cost_usd=0.01234),
        duration_s=4.2,
    )


def assert_valid_message(blocks: list[dict[str, Any]]) -> None:
    """Every limit we promise, plus slack_sdk's own validation of each block."""
    assert blocks, "a message needs at least one block"
    assert len(blocks) <= MAX_BLOCKS
    assert message_chars(blocks) <= MAX_MESSAGE_CHARS
    json.dumps(blocks)  # JSON-ready
    for block in blocks:
        assert isinstance(block, dict)
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= MAX_SECTION
            for f in block.get("fields", []):
                assert len(f["text"]) <= 2000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            for e in block["elements"]:
                assert len(e["text"]) <= 2000


def assert_valid(rendered: RenderedAnswer) -> None:
    for message in rendered.messages:
        assert_valid_message(message)
    assert len(rendered.text) <= 300
    for name, title, content in rendered.attachments:
        assert name and title and content


def all_text(blocks: list[dict[str, Any]]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(blocks)
    return "\n".join(out)


# -- render_answer ----------------------------------------------------------------------------


def test_typical_answer_has_every_part_within_limits() -> None:
    answer = make_answer()
    r = render_answer(answer)
    assert_valid(r)
    assert r.overflow == [] and r.attachments == []
    text = all_text(r.blocks)
    assert "AS mismatch" in text  # summary
    assert ":large_orange_circle:" in text and "High" in text  # severity with emoji
    assert "87%" in text and "human review" in text  # confidence + automation
    assert "*diagnosis*" in text and "*config*" in text  # findings per agent
    assert "• [CRITICAL] Remote AS configured" in text
    assert "```\nrouter bgp 65001\n neighbor 10.0.0.2 remote-as 65001\n```" in text
    assert "*1.* Correct the remote AS" in text and "*2.* Save the running config" in text
    assert "`core-sw-01`" in text  # recommendation device
    assert "1,545 tokens" in text and "$0.0123" in text and "3 LLM calls" in text
    assert "req123abc" in text
    actions = [b for b in r.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    ids = {e["action_id"]: e["value"] for e in actions[0]["elements"]}
    assert ids == {
        "noc_feedback_up": "req123abc",
        "noc_feedback_down": "req123abc",
        "noc_rerun": "req123abc",
        "noc_details": "req123abc",
        "noc_page": "req123abc",
    }
    assert r.text.startswith(":large_orange_circle: HIGH")
    assert "AS mismatch" in r.text


def test_findings_worst_first_within_agent_and_worst_group_first() -> None:
    text = all_text(render_answer(make_answer()).blocks)
    assert text.index("[CRITICAL] Remote AS") < text.index("[HIGH] BGP neighbor") < text.index("[LOW] Interface Gi0/1")
    assert text.index("*diagnosis*") < text.index("*config*")


def test_buttons_optional_and_request_id_override() -> None:
    r = render_answer(make_answer(), with_buttons=False)
    assert not [b for b in r.blocks if b["type"] == "actions"]
    r = render_answer(make_answer(), request_id="other-id")
    actions = [b for b in r.blocks if b["type"] == "actions"][0]
    assert {e["value"] for e in actions["elements"]} == {"other-id"}


@pytest.mark.parametrize(
    ("confidence", "label"), [(0.95, "safe to automate"), (0.8, "human review"), (0.5, "human decision")]
)
def test_automation_labels(confidence: float, label: str) -> None:
    text = all_text(render_answer(make_answer(confidence=confidence)).blocks)
    assert label in text and f"{round(confidence * 100)}%" in text


@pytest.mark.parametrize(
    ("severity", "emoji"),
    [
        (Severity.critical, ":red_circle:"),
        (Severity.high, ":large_orange_circle:"),
        (Severity.medium, ":large_yellow_circle:"),
        (Severity.low, ":large_blue_circle:"),
        (Severity.info, ":white_circle:"),
    ],
)
def test_severity_emoji(severity: Severity, emoji: str) -> None:
    r = render_answer(make_answer(severity=severity))
    assert emoji in all_text(r.blocks) and r.text.startswith(emoji)


def test_degraded_answer_shows_notices_and_failed_agents() -> None:
    responses = [AgentResponse(agent=Specialist.config, task="t", status="failure", error="device unreachable")]
    r = render_answer(
        make_answer(status="degraded", notices=["Claude unavailable; offline rules used"], failed_agents=["config"], responses=responses)
    )
    assert_valid(r)
    text = all_text(r.blocks)
    assert ":warning: Claude unavailable; offline rules used" in text
    assert "degraded" in text and "see notices" in text
    assert "Failed agents" in text and "device unreachable" in text


def test_huge_answer_overflows_without_losing_anything() -> None:
    agents = ["diagnosis", "config", "security", "performance"]
    sevs = list(Severity)
    findings = [
        Finding(agent=agents[i % 4], text=f"finding-{i:03d}-end interface errors rising on uplink port " + "x" * 60, severity=sevs[i % 5])
        for i in range(200)
    ]
    recs = [
        Recommendation(
            agent=agents[i % 4],
            text=f"recommendation-{i:03d}-end check the optics",
            commands=[f"show interfaces Gi0/{i} transceiver detail", f"show logging | include Gi0/{i}", "show clock"],
            device=f"dev-{i}",
            priority=1 + i % 3,
        )
        for i in range(80)
    ]
    r = render_answer(make_answer(findings=findings, recommendations=recs))
    assert_valid(r)
    assert r.overflow, "200 findings and 80 recommendations cannot fit one message"
    for message in r.overflow:
        assert "(continued)" in all_text(message[:1])
    # the main message keeps the footer and buttons and points to the thread
    main = all_text(r.blocks)
    assert "Continued in" in main and "$0.0123" in main
    assert r.blocks[-1]["type"] == "actions"
    # past three continuation messages the rest is one file (Slack's ~12,000-character total per
    # message makes a long answer many messages otherwise); nothing is lost or shown twice
    assert len(r.overflow) == MAX_CONTINUATIONS
    [(name, _, content)] = r.attachments
    assert name in main and "is attached" in main
    everything = "\n".join(all_text(m) for m in r.messages) + content
    for i in range(200):
        assert everything.count(f"finding-{i:03d}-end") == 1, i
    for i in range(80):
        assert everything.count(f"recommendation-{i:03d}-end") == 1, i
        assert everything.count(f"show interfaces Gi0/{i} transceiver detail") == 1, i


def test_long_summary_split_at_line_boundaries() -> None:
    lines = [f"line {i:03d} of a long summary about the outage" for i in range(150)]
    r = render_answer(make_answer(summary="\n".join(lines)))
    assert_valid(r)
    text = "\n".join(all_text(m) for m in r.messages)
    for line in lines:
        assert line in text  # no line was broken mid-way


def test_generated_config_of_10000_chars_becomes_an_attachment() -> None:
    config = [f" neighbor 10.0.{i // 250}.{i % 250} remote-as 65{i:03d}" for i in range(300)]
    body = "\n".join(["router bgp 65001", *config])
    assert len(body) > 10_000
    findings = [
        Finding(agent="config", text="Generated bgp neighbor configuration for core-sw-01 (ios):\n" + body, kind="generated_config", device="core-sw-01")
    ]
    recs = [Recommendation(agent="config", text="Review, then apply on core-sw-01", commands=body.split("\n"), device="core-sw-01", priority=2)]
    r = render_answer(make_answer(findings=findings, recommendations=recs))
    assert_valid(r)
    assert r.overflow == []
    assert len(r.attachments) == 1  # the finding and the commands share one file
    name, title, content = r.attachments[0]
    assert name == "config-details-req123abc.txt"
    assert body in content
    text = all_text(r.blocks)
    assert "Generated bgp neighbor configuration for core-sw-01" in text
    assert "attached as a file" in text and name in text
    assert "65299" not in text  # the config itself is in the file, not the message


def test_incident_report_is_attached_and_previewed() -> None:
    report = "\n".join(["# Incident: BGP down on core-sw-01", "", "## Timeline"] + [f"- step {i}" for i in range(40)])
    responses = [
        AgentResponse(agent=Specialist.documentation, task="write report", status="success", result={"incident_report": report})
    ]
    r = render_answer(make_answer(responses=responses))
    assert_valid(r)
    assert ("incident-report-req123abc.md", "Incident report", report) in r.attachments
    text = all_text(r.blocks)
    assert "Full incident report attached as a file" in text
    assert "# Incident: BGP down on core-sw-01" in text and "- step 6" in text
    assert "- step 30" not in text
    assert "more lines in the file" in text


def test_escaping_of_redacted_and_ampersand() -> None:
    assert escape("<redacted> a & b > c") == "&lt;redacted&gt; a &amp; b &gt; c"
    findings = [Finding(agent="security", text="snmp community <redacted> on a & b", severity=Severity.medium)]
    recs = [Recommendation(agent="security", text="Rotate <redacted>", commands=["no snmp-server community <redacted>"])]
    r = render_answer(make_answer(summary="Secrets: <redacted> & more", findings=findings, recommendations=recs))
    assert_valid(r)
    text = all_text(r.blocks)
    assert "&lt;redacted&gt;" in text and "a &amp; b" in text
    assert "<redacted>" not in text and " & " not in text
    assert "no snmp-server community &lt;redacted&gt;" in text
    assert "&lt;redacted&gt; &amp; more" in r.text


def test_every_block_of_many_answers_validates() -> None:
    for status in ("ok", "partial", "degraded", "failed"):
        r = render_answer(make_answer(status=status, notices=[f"notice {i} " + "n" * 2500 for i in range(12)], findings=[], recommendations=[]))
        assert_valid(r)
        text = "\n".join(all_text(m) for m in r.messages) + "".join(c for _, _, c in r.attachments)  # the rest as a file
        for i in range(12):
            assert f"notice {i} " in text


# -- status, error, help ----------------------------------------------------------------------


def test_render_status_keeps_the_last_lines_and_counts_the_cut() -> None:
    lines = [f"step {i} done" for i in range(40)]
    text, blocks = render_status(lines, title="Working on: why is bgp down?")
    assert_valid_message(blocks)
    body = all_text(blocks)
    assert "step 39 done" in body and "step 15 done" in body
    assert "step 14 done" not in body
    assert "… 15 earlier steps" in body
    assert "```" not in body
    assert text.startswith("Working on") and len(text) <= 300
    _, done_blocks = render_status(lines[:3], title="t", done=True)
    assert "earlier" not in all_text(done_blocks) and ":white_check_mark:" in all_text(done_blocks)


def test_render_status_long_lines_stay_within_a_section() -> None:
    lines = [f"step {i} " + "<y> " * 100 for i in range(30)]
    _, blocks = render_status(lines, title="x" * 400)
    assert_valid_message(blocks)
    body = all_text(blocks)
    assert "earlier steps" in body and "&lt;y&gt;" in body


def test_progress_lines_for_status() -> None:
    assert "core-sw-01" in (progress_line(ToolCalled(request_id="r", agent="diagnosis", tool="get_facts", device="core-sw-01")) or "")
    assert progress_line(ToolCalled(request_id="r", agent="d", tool="t"), tools=False) is None
    assert "success" in (progress_line(StepFinished(request_id="r", step="s1", agent="diagnosis", status="success", duration_s=1.0)) or "")
    assert "Finished" in (progress_line(Finished(request_id="r", status="ok", duration_s=2.0)) or "")


def test_render_error_names_the_request() -> None:
    text, blocks = render_error("abc123", "the diagnosis agent timed out")
    assert_valid_message(blocks)
    body = all_text(blocks)
    assert body.startswith(":warning: Sorry, the diagnosis agent timed out.")
    assert "Request id: `abc123`" in body
    assert "abc123" in text


def test_render_help() -> None:
    blocks = render_help([("/noc-ask <question>", "Ask the NOC agents"), ("/noc-audit [tags]", "Audit configs & report")])
    assert_valid_message(blocks)
    body = all_text(blocks)
    assert "`/noc-ask &lt;question&gt;`" in body and "configs &amp; report" in body
    many = render_help([(f"/cmd{i}", "d" * 500) for i in range(200)])
    assert_valid_message(many)
    assert "more command" in all_text(many)


# -- details ----------------------------------------------------------------------------------


def test_render_details_lists_evidence_and_requests() -> None:
    responses = [
        AgentResponse(
            agent=Specialist.diagnosis,
            task="why is bgp down",
            status="success",
            confidence=0.9,
            engine="claude",
            duration_s=1.5,
            evidence=[
                Evidence(tool="check_routing_protocol", device="core-sw-01", ok=True, summary="1 neighbor Idle"),
                Evidence(tool="get_device_health", device="edge-rtr-01", ok=False, summary="unreachable"),
            ],
            requests=[
                DataRequest(from_agent="diagnosis", to_agent="config", instruction="show bgp config", chain=["diagnosis", "config"], outcome="answered")
            ],
        )
    ]
    r = render_details(make_answer(responses=responses))
    assert_valid(r)
    text = all_text(r.blocks)
    assert "*diagnosis*" in text and "engine claude" in text and "confidence 90%" in text and "1.50s" in text
    assert "`check_routing_protocol` core-sw-01 — 1 neighbor Idle" in text
    assert ":x: `get_device_health` edge-rtr-01 — unreachable" in text
    assert "diagnosis → config: *answered*" in text
    assert r.attachments == []


def test_render_details_long_evidence_becomes_a_file() -> None:
    evidence = [Evidence(tool="get_interfaces", device=f"dev-{i}", ok=True, summary="s" * 150 + f" ev-{i:03d}") for i in range(100)]
    responses = [AgentResponse(agent=Specialist.performance, task="t", status="success", evidence=evidence)]
    r = render_details(make_answer(responses=responses))
    assert_valid(r)
    assert len(r.attachments) == 1
    name, _, content = r.attachments[0]
    assert name == "performance-details-req123abc.txt"
    for i in range(100):
        assert f"ev-{i:03d}" in content
    assert "in the attached file" in all_text(r.blocks)


# -- audit ------------------------------------------------------------------------------------


def _audit_finding(rule: str, sev: Severity, evidence: int = 2) -> AuditFinding:
    return AuditFinding(
        rule_id=rule,
        title=f"title of {rule}",
        severity=sev,
        reference="CIS 1.1",
        tags=["mgmt"],
        evidence=[f"line {i} of {rule} <redacted>" for i in range(evidence)],
        remediation=["conf t", f" no {rule}", "end"],
    )


def test_render_audit_orders_devices_and_findings_worst_first() -> None:
    low_dev = SecurityScan(tool="scan_security_vulnerabilities", device="access-sw-01", os="ios", risk_score=10, counts={"low": 1}, findings=[_audit_finding("R-LOW-A", Severity.low)])
    high_dev = SecurityScan(
        tool="scan_security_vulnerabilities",
        device="core-sw-01",
        os="ios",
        risk_score=72,
        counts={"critical": 1, "medium": 1, "low": 1},
        findings=[
            _audit_finding("R-LOW", Severity.low),
            _audit_finding("R-CRIT", Severity.critical),
            _audit_finding("R-MED", Severity.medium),
        ],
    )
    broken = SecurityScan(tool="scan_security_vulnerabilities", device="edge-rtr-01", ok=False, error=ToolError(kind="unreachable", message="timed out"))
    r = render_audit([low_dev, high_dev, broken], ["mgmt"])
    assert_valid(r)
    text = all_text(r.blocks)
    assert text.index("*core-sw-01*") < text.index("*access-sw-01*")
    assert text.index("R-CRIT") < text.index("R-MED") < text.index("R-LOW*")
    assert "`line 0 of R-CRIT &lt;redacted&gt;`" in text  # evidence in code spans, escaped
    assert "```\nconf t\n no R-CRIT\nend\n```" in text  # remediation in a code block
    assert "NOT AUDITED" in text and "timed out" in text
    assert "risk *72/100*" in text
    assert "2/3" in r.text and r.attachments == []


def test_render_audit_many_findings_overflow_and_attach_full_evidence() -> None:
    scans = [
        SecurityScan(
            tool="scan_security_vulnerabilities",
            device=f"dev-{d}",
            os="eos",
            risk_score=d,
            findings=[_audit_finding(f"D{d}-R{i:02d}", list(Severity)[i % 5], evidence=9) for i in range(30)],
        )
        for d in range(6)
    ]
    r = render_audit(scans, [])
    assert_valid(r)
    assert r.overflow
    # what does not fit three continuation messages is attached with the full audit
    rest = [c for n, _, c in r.attachments if n == "noc-audit-all-rest.txt"]
    everything = "\n".join(all_text(m) for m in r.messages) + "".join(rest)
    for d in range(6):
        for i in range(30):
            assert everything.count(f"*D{d}-R{i:02d}*") == 1
    assert len(r.attachments) == 1 + len(rest)
    name, _, content = r.attachments[0]
    assert name == "noc-audit-all.txt" and "line 8 of D5-R29 <redacted>" in content
