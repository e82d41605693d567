"""A sixth specialist is a folder: written into a temporary directory, named by the settings, and
nothing else in the code is edited.

It is routed to by the learned router (trained with its examples), planned, run offline (its own
rules.py, or the generic analyst when it has none), run through Claude (the testing kit's scripted
model behind the real anthropic SDK; its report fields in the output schema, its name in the
router's and ask_specialist's enums), and rendered in Slack and in the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.catalogue import configure
from agents.models import Request, Specialist
from agents.router import cache
from bot.cli.main import cli
from bot.config.settings import load_settings
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.slack_api import BOT_ID, app_mention_event, fake_slack  # noqa: F401
from tests.harness.slack_bot import OPERATOR, SECRET, Bot, answer_message, texts

DEVICE = "edge-rtr-01"
QUESTION = f"are the TLS certificates on {DEVICE} about to expire?"

SPEC = """\
title: Certificate review
scope: TLS certificates, PKI trustpoints and HTTPS/SSH key material on the management plane.
tools: [list_devices, get_device_config, search_logs]
max_tool_steps: 3
system_prompt: |
  You are the certificate specialist of a network operations centre. Read the PKI trustpoints
  and the HTTPS server settings in the configuration and the log for certificate events.
routing:
  tie_rank: 35
  keywords:
    - ['\\bcert(?:ificate)?s?\\b|\\bpki\\b|\\btrustpoints?\\b', 6]
    - ['\\btls\\b|\\bssl\\b|\\bx\\.?509\\b', 5]
    - ['\\bexpir', 3]
model: {tier: fast, allowed_tiers: [fast]}
pool: {size: 1}
report:
  expiring: {type: list of strings, description: certificates that expire within 30 days}
"""

RULES = '''\
"""Offline rules of the certificate specialist: what the running config says about PKI."""

from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, finding


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    findings = []
    for device in ctx.devices:
        cfg = await ctx.tool("get_device_config", device=device)
        if not cfg.ok:
            continue
        trustpoints = [ln for ln in cfg.running.splitlines() if ln.startswith("crypto pki trustpoint")]
        https = "ip http secure-server" in cfg.running
        text = f"{device}: {len(trustpoints)} PKI trustpoint(s); HTTPS server {'on' if https else 'off'}"
        findings.append(finding(ctx, text, Severity.low if https and not trustpoints else Severity.info, device, "pki_inventory"))
    return AnalystOutput(summary=f"Certificate inventory of {len(findings)} device(s).", findings=findings, confidence=0.7)
'''

EXAMPLES = """\
are the TLS certificates on the edge routers about to expire?
when does the certificate on core-sw-01 expire
list every PKI trustpoint in the network
which devices still use a self-signed certificate for https
is the x509 cert on the firewall still valid
check cert expiry dates across the WAN edge
show me the trustpoints configured on branch-rtr-01
+security are our management certificates weak or expired?
which ssl certificates expire this month
do we have any expired certs on the switches
what CA signed the https certificate on edge-rtr-02
is the certificate chain complete on the data centre switches
renew the TLS certificate on core-sw-02 before it expires
how many days until the pki certificate on dist-sw-01 expires
any certificate expiry warnings in the logs?
audit pki trustpoints and enrolment on all routers
is the ssl cert on the vpn headend valid
which certificates were issued by the old internal CA
find certs with sha1 signatures
does edge-rtr-01 have a valid tls certificate for restconf
certificate status of every device please
which trustpoints have auto-enroll turned off
has any device logged a certificate validation failure
is the x.509 certificate on the management interface trusted
expiring certificates report for the NOC
"""


def write_specialist(root: Path, *, with_rules: bool) -> Path:
    folder = root / "certificates"
    folder.mkdir(parents=True)
    (folder / "spec.yaml").write_text(SPEC)
    (folder / "examples.txt").write_text(EXAMPLES)
    if with_rules:
        (folder / "rules.py").write_text(RULES)
    return folder


@pytest.fixture
def sixth(tmp_path, monkeypatch):
    """Settings naming a folder of extra specialists; the catalogue goes back to the built-ins after."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))

    def make(*, with_rules: bool = True, extra: str = "") -> Path:
        write_specialist(tmp_path / "specialists", with_rules=with_rules)
        config = tmp_path / "noc.yaml"
        config.write_text(f"engine:\n  specialist_paths: [specialists]\nnetwork:\n  scenario: healthy\n"
                          f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\n{extra}")
        return config

    yield make
    configure([])


@pytest.mark.slow  # the router learns the new specialist: a model trained on the whole data (once per session), so -m slow
def test_routed_planned_and_answered_offline_in_the_terminal(sixth, runner):
    config = sixth()
    result = runner.invoke(cli, ["--config", str(config), "ask", QUESTION, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["primary"] == "certificates"
    assert [s["agent"] for s in answer["plan"]["steps"]][0] == "certificates"
    certs = next(r for r in answer["agents"] if r["agent"] == "certificates")
    assert certs["status"] == "success" and certs["engine"] == "offline"
    assert any(f["agent"] == "certificates" and f["text"].startswith(f"{DEVICE}: ") and "PKI trustpoint" in f["text"]
               for f in answer["findings"])
    assert any(e["tool"] == "get_device_config" and e["device"] == DEVICE for e in certs["evidence"])

    shown = runner.invoke(cli, ["--config", str(config), "ask", QUESTION, "--quiet"])
    assert shown.exit_code == 0, shown.output
    assert "certificates" in shown.output and "PKI trustpoint" in shown.output


@pytest.mark.slow  # the router learns the new specialist: a model trained on the whole data (once per session), so -m slow
def test_without_rules_the_generic_analyst_reads_its_tools(sixth, runner):
    config = sixth(with_rules=False)
    result = runner.invoke(cli, ["--config", str(config), "ask", QUESTION, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    certs = next(r for r in answer["agents"] if r["agent"] == "certificates")
    assert certs["status"] == "success" and answer["summary"].startswith("[certificates] Certificate review: ")
    # Only the tools that need nothing but a device: the config and the log, on the named device.
    assert {(e["tool"], e["device"]) for e in certs["evidence"]} == {("get_device_config", DEVICE), ("search_logs", DEVICE)}


def test_a_broken_spec_is_a_config_error_naming_the_file(tmp_path, runner):
    folder = tmp_path / "specialists" / "certificates"
    folder.mkdir(parents=True)
    (folder / "spec.yaml").write_text("title: x\nscope: y\nsystem_prompt: z\n")  # no tools
    config = tmp_path / "noc.yaml"
    config.write_text("engine:\n  specialist_paths: [specialists]\n")
    try:
        result = runner.invoke(cli, ["--config", str(config), "ask", QUESTION])
    finally:
        configure([])
    assert result.exit_code != 0
    assert "certificates/spec.yaml" in result.output and "tools" in result.output and "Traceback" not in result.output


@pytest.mark.slow  # the router learns the new specialist: a model trained on the whole data (once per session), so -m slow
async def test_claude_routes_plans_and_runs_it_with_its_report_schema(sixth, make_toolbox):
    """With the package's testing kit, as a specialist's own test would: a scripted model behind the real SDK."""
    settings = load_settings(sixth(extra="llm:\n  router_margin: 100\n"))
    from agents.engine import build_engine
    from agents.llm.schemas import PlanOut, PlanStepOut, RouteOut, SynthesisOut, report_model
    from agents.testing import ScriptedModel, final, tool_call

    report = report_model(Specialist("certificates"))
    async with ScriptedModel() as api:
        api.script("router", final(RouteOut(primary="certificates", specialists=["certificates"], devices=[DEVICE], reasoning="pki")))
        api.script("planner", final(PlanOut(reasoning="one step", steps=[
            PlanStepOut(id="s1", agent="certificates", instruction=QUESTION, devices=[DEVICE], depends_on=[])])))
        api.script("specialist:certificates", tool_call("get_device_config", device=DEVICE, section="crypto pki"),
                   final(report(summary="One certificate expires in 12 days.", findings=[], recommendations=[], confidence=0.8,
                                expiring=[f"{DEVICE} TP-SELF-SIGNED"])))
        api.script("coordinator", final({"gaps": []}))
        api.script("synthesis", final(SynthesisOut(summary="The self-signed certificate on edge-rtr-01 expires in 12 days (certificates).",
                                                   conflicts=[])))
        toolbox = make_toolbox("healthy", settings)
        engine = build_engine(settings, toolbox, model=api.client())
        try:
            answer = await engine.run(Request.from_text(QUESTION, role="operator"))
        finally:
            await engine.aclose()
    certs = next(r for r in answer.responses if r.agent == "certificates")
    assert certs.engine == "claude" and certs.result is not None and certs.result["expiring"] == [f"{DEVICE} TP-SELF-SIGNED"]
    assert answer.primary == "certificates" and "expires in 12 days" in answer.summary
    routed = json.dumps(api.requests_for("router")[0])
    assert '"certificates"' in routed  # the router's schema names the new specialist
    body = api.requests_for("specialist:certificates")[0]
    assert "expiring" in json.dumps(body) and body["system"][0]["text"].splitlines()[0].endswith("specialist:certificates")
    asks = next(t for t in body["tools"] if t["name"] == "ask_specialist")
    assert "certificates" in asks["input_schema"]["properties"]["specialist"]["enum"]
    assert {t["name"] for t in body["tools"]} == {"list_devices", "get_device_config", "search_logs", "ask_specialist"}


@pytest.mark.slow  # the router learns the new specialist: a model trained on the whole data (once per session), so -m slow
async def test_slack_mention_is_answered_and_rendered_with_its_title(sixth, fake_slack):
    from bot.runtime import Runtime

    settings = load_settings(sixth(extra=f"access:\n  operator:\n    users: [{OPERATOR}]\nslack:\n  progress: edit\n"))
    client = web_client("xoxb-test", fake_slack.api_url, 3)
    runtime = await Runtime.create(settings, client)
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    bot = Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)
    try:
        event = app_mention_event(QUESTION, channel="C0NOC", user=OPERATOR)
        status, _ = await bot.post(event)
        assert status == 200
        await bot.settle()
        thread = fake_slack.thread("C0NOC", event["event"]["ts"])
        status_msg = next(m for m in thread if m.get("bot_id") == BOT_ID)
        assert "certificates" in texts([status_msg])
        body = texts([answer_message(thread)])
        assert "Certificate review" in body and "PKI trustpoint" in body
    finally:
        await running.stop(runtime)


def test_plan_keys_must_name_existing_specialists(tmp_path):
    from agents.catalogue import Catalogue, CatalogueError

    folder = write_specialist(tmp_path, with_rules=False)
    (folder / "spec.yaml").write_text(SPEC + "plan:\n  brings: [auditors]\n")
    with pytest.raises(CatalogueError, match=r"certificates/spec.yaml: plan names unknown specialist\(s\) auditors"):
        Catalogue.discover([tmp_path])
    (folder / "spec.yaml").write_text(SPEC + "plan:\n  brings: [documentation]\n")
    assert Catalogue.discover([tmp_path])["certificates"].plan.brings == ("documentation",)
