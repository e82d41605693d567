"""Text from outside stays text in Slack: alerts and device output carrying mentions, broadcasts
and links go through the real paths (the HTTP app's /alerts/* and an @-mention answered from the
devices) and every message posted to the loopback Slack is read back for live markup.

The corpus (tests/harness/hostile_text.py) is forms x disguises, built without looking at the bot's
output; each entry has a marker, and each test checks the markers arrived (escaped, as text).
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from agents.config import LLMConfig, NetworkConfig
from agents.lab import DATA_DIR, device_fixture_dir
from agents.llm.schemas import ConfigReport, FindingOut, GapList, PlanOut, PlanStepOut, RecommendationOut, RouteOut, SynthesisOut
from bot.cli.main import cli
from bot.config.settings import AccessConfig, RoleGrants, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.anthropic_api import dynamic, fake_anthropic, text, tool_use  # noqa: F401
from tests.fakes.slack_api import app_mention_event, block_action, event_callback, fake_slack, next_ts, slash_command  # noqa: F401
from tests.harness.alerts import BGP_DOWN, CHANNEL, TOKEN, send
from tests.harness.hostile_text import chunks, corpus, live_markup, markers_seen
from tests.harness.slack_bot import OPERATOR, SECRET, Bot, start

ENTRIES = corpus()
ASKER = "U0ASKER"


def _alertmanager(i: int, text: str, status: str = "firing") -> dict:
    """Alertmanager's webhook (version 4) as its documentation shows it, the corpus in the labels
    and annotations a NOC looks at: alert name, device, interface, neighbour, summary."""
    body = copy.deepcopy(BGP_DOWN)
    body["groupKey"] = f'{{}}/{{alertname="hostile-{i}"}}'
    body["status"] = status
    labels = {"alertname": text[:200], "severity": text[:60], "device": text[:150], "interface": text[:80],
              "peer_address": text[:80], "job": "snmp"}
    body["commonLabels"] = labels
    body["groupLabels"] = {"alertname": labels["alertname"]}
    body["commonAnnotations"] = {"summary": text}
    for alert in body["alerts"]:
        alert["status"] = status
        alert["labels"] = {**alert["labels"], **labels}
        alert["annotations"] = {"summary": text, "description": text}
    return body


@pytest.fixture
async def alert_bot(fake_slack, tmp_path, monkeypatch):
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)
    b = await start(fake_slack, tmp_path, scenario="healthy")
    b.runtime.settings.alerts.channel = CHANNEL
    b.runtime.settings.alerts.max_investigations_per_minute = 600
    b.runtime.triage.limiter.per_minute = 600
    yield b
    await b.running.stop(b.runtime)


async def test_alerts_carrying_markup_post_it_as_text(alert_bot, fake_slack, tmp_path):
    texts = list(chunks(ENTRIES, 500))
    for i, hostile in enumerate(texts):
        assert (await send(alert_bot, _alertmanager(i, hostile)))[0] == 202
        generic = {"device": hostile[:200], "summary": hostile, "severity": "critical", "labels": {"alertname": hostile[:150]}}
        assert (await send(alert_bot, generic, path="generic"))[0] == 202
    await alert_bot.settle(timeout_s=240)
    for i, hostile in enumerate(texts[:3]):  # the *Resolved* and *Firing again* messages of the same threads
        assert (await send(alert_bot, _alertmanager(i, hostile, "resolved")))[0] == 202
        await alert_bot.settle()
        assert (await send(alert_bot, _alertmanager(i, hostile)))[0] == 202
    await alert_bot.settle(timeout_s=240)

    messages = json.dumps([m for m in fake_slack.messages.values()])
    assert "Resolved" in messages and "Firing again" in messages
    assert len(markers_seen(fake_slack.calls)) >= 0.95 * len(ENTRIES)  # the corpus reached Slack, as text
    assert live_markup(fake_slack.calls) == []

    # `noc health --post`: the report lists the day's alerts, their names, devices and outcomes
    before = len(fake_slack.calls)
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: healthy\n")
    env = {"SLACK_API_URL": fake_slack.api_url, "SLACK_BOT_TOKEN": "xoxb-test"}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--config", str(config), "health", "--post", CHANNEL, "-q"], env=env)
    assert result.exit_code == 0, result.output
    report = fake_slack.calls[before:]
    assert len(markers_seen(report)) >= 20, "the report named the alerts (as text)"
    assert live_markup(report) == []


def _hostile_inventory(root: Path, entries: list[str]) -> Path:
    """The lab's devices as a site inventory; branch-rtr-01's interface descriptions, running
    config and log carry the corpus (a test's own copy: the shipped fixtures stay as they are)."""
    hosts = yaml.safe_load((DATA_DIR / "inventory" / "hosts.yaml").read_text())
    for name, host in hosts.items():
        target = root / "devices" / name
        shutil.copytree(device_fixture_dir("healthy", name), target)
        host["connection_options"] = {"napalm": {"extras": {"optional_args": {"path": str(target)}}}}
    device = root / "devices" / "branch-rtr-01"
    one_line = [e.replace("\n", " ").replace("\r", " ") for e in entries]
    interfaces = json.loads((device / "get_interfaces.1").read_text())
    for n, iface in enumerate(interfaces.values()):
        iface["description"] = one_line[n % len(one_line)]
    (device / "get_interfaces.1").write_text(json.dumps(interfaces))
    config = json.loads((device / "get_config.1").read_text())
    config["running"] = config["running"].rstrip("\n").removesuffix("end") + "".join(
        f"interface Loopback{100 + n}\n description {e}\n!\n" for n, e in enumerate(one_line)) + "end\n"
    (device / "get_config.1").write_text(json.dumps(config))
    logging = device / "cli.1.show_logging.0"
    logging.write_text(logging.read_text() + "\n" + "\n".join(
        f"Nov 27 02:14:{n % 60:02d}.114: %LINK-3-UPDOWN: Interface GigabitEthernet0/0/0, changed state to down {e}"
        for n, e in enumerate(one_line)) + "\n")
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    for other in ("groups.yaml", "defaults.yaml"):
        shutil.copy(DATA_DIR / "inventory" / other, inventory / other)
    return inventory


def _strings(node) -> list[str]:
    if isinstance(node, str):
        try:
            decoded = json.loads(node)
        except ValueError:
            return [node]
        return _strings(decoded) if not isinstance(decoded, str) else [decoded]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _quoting_specialist(body: dict):
    """A model that reads the config, then quotes the device's lines back as findings, commands
    and summary, as models do when they cite evidence."""
    results = [b.get("content") for m in body["messages"] if isinstance(m.get("content"), list)
               for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
    if not results:
        return tool_use(("get_device_config", {"device": "branch-rtr-01"}))
    lines = [line.strip() for s in _strings(results) for line in s.splitlines() if "HX" in line]
    findings = [FindingOut(text=f"branch-rtr-01 has `{line}`", severity="info", device="branch-rtr-01") for line in lines[:60]]
    recommendation = RecommendationOut(text=f"Review {lines[0] if lines else '-'}", commands=lines[60:90], device="branch-rtr-01",
                                       priority=2)
    return text(ConfigReport(summary=" ".join(lines[90:94]) or "read", findings=findings, recommendations=[recommendation],
                             confidence=0.8, generated_config=lines[94:110]))


async def test_device_output_carrying_markup_stays_text_in_answers(fake_slack, fake_anthropic, tmp_path, monkeypatch):
    inventory = _hostile_inventory(tmp_path, ENTRIES[42:])
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="config", specialists=["config"], devices=["branch-rtr-01"], reasoning="config")))
    api.script("planner", text(PlanOut(reasoning="read it", steps=[
        PlanStepOut(id="s1", agent="config", instruction="read the config", devices=["branch-rtr-01"], depends_on=[])])))
    api.script("specialist:config", dynamic(_quoting_specialist))
    api.script("coordinator", text(GapList(gaps=[])))
    api.script("synthesis", dynamic(lambda body: SynthesisOut(
        summary=" ".join(line for s in _strings(body["messages"]) for line in s.splitlines() if "HX" in line)[:1500], conflicts=[])))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    settings = Settings(
        llm=LLMConfig(router_margin=100, tool_result_max_chars=200_000, max_tool_steps=4),
        network=NetworkConfig(inventory=inventory), store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="stream"),
        access=AccessConfig(operator=RoleGrants(users=[OPERATOR, ASKER])),
    )
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake_slack.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    bot = Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)
    try:
        await bot.post(app_mention_event("review the interface descriptions on branch-rtr-01 " + " ".join(ENTRIES[:40]),
                                         user=ASKER, channel="C0NOC"))
        await bot.settle(timeout_s=120)
        await bot.post(slash_command("/noc", "check the config of branch-rtr-01 " + ENTRIES[41], user=ASKER, channel="C0NOC"))
        await bot.settle(timeout_s=120)
        answers = [m for m in fake_slack.bot_messages("C0NOC") if any(b.get("type") == "actions" for b in m.get("blocks") or [])]
        for answer in answers:  # the Details view too
            request_id = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]
            await bot.post(block_action("noc_details", request_id, user=ASKER, channel="C0NOC", message_ts=answer["ts"],
                                        thread_ts=answer.get("thread_ts")))
        await bot.settle(timeout_s=60)
        await bot.post(event_callback({"type": "app_home_opened", "user": ASKER, "channel": "D0NOC", "tab": "home",
                                       "event_ts": next_ts()}))  # the Home tab lists the questions asked
        await bot.settle(timeout_s=60)
    finally:
        await running.stop(runtime)
    assert api.requests_for("specialist:config"), "the Claude path ran"
    assert markers_seen(fake_slack.calls_to("views.publish")), "the Home tab showed the questions (as text)"
    seen = markers_seen(fake_slack.calls)
    from_devices = {f"HX{n}" for n in range(42, len(ENTRIES))} & seen
    assert len(from_devices) >= 60, "device output carrying the corpus must reach the answer (as text)"
    assert live_markup(fake_slack.calls, allowed={f"<@{ASKER}>", "<#C0NOC>"}) == []  # the bot names the asker and channel


@pytest.mark.parametrize("paced", [False, True])
async def test_the_client_never_sends_options_that_turn_text_into_mentions(fake_slack, paced):
    from bot.slack.client import channel_pacer, close_web_client

    client = web_client("xoxb-test", fake_slack.api_url, 3, pacer=channel_pacer(SlackConfig()) if paced else None)
    try:
        posted = await client.chat_postMessage(channel="C0NOC", text="HX-plain @here and @channel", link_names=True, parse="full")
        await client.chat_update(channel="C0NOC", ts=posted["ts"], text="HX-plain @everyone", link_names=1, parse="full")
    finally:
        await close_web_client(client)
    sent = [c for c in fake_slack.calls if c.method in ("chat.postMessage", "chat.update")]
    assert len(sent) == 2 and all("link_names" not in c.args and "parse" not in c.args for c in sent)
    assert live_markup(fake_slack.calls) == []


async def test_slash_command_replies_echo_arguments_as_text(alert_bot, fake_slack):
    """/noc-audit answers bad arguments in the ack itself (the HTTP response, not a Web API call):
    the echoed device and options, and the usage line, carry no live markup."""
    import re

    for entry in ENTRIES[::15]:
        for args in (entry, f"all {entry}"):
            status, reply = await alert_bot.post(slash_command("/noc-audit", args, user=OPERATOR))
            assert status == 200 and ("Unknown" in reply or "Usage" in reply), reply
            body = json.loads(reply)["text"] if reply.startswith("{") else reply
            assert re.findall(r"<[^<>]*>?", body) == [], reply
