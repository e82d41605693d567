"""Maintenance silences around an approved change (issue 28), against a real Alertmanager's API v2.

The change goes the user's way: an operator's question in the Slack app (loopback Slack, lab
devices), a second operator's Approve. The lab device is held right after its commit (by state:
it says when it is held), and while it is held the test asks Alertmanager: the silence for
`device=branch-rtr-01` is active, names the change and the approver, and an alert for that
device is suppressed by it while one for another device is not. Released, the change confirms
and the silence is expired. Alertmanager down: `best_effort` says so in the thread and applies;
`required` aborts before anything reaches the device. Every call is in the audit log.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.lab import device_fixture_dir
from agents.lab.stateful import hold
from bot.config.settings import RoleGrants
from tests.fakes.slack_api import block_action, fake_slack  # noqa: F401
from tests.harness.changes import DEVICE, SECOND, ask_as_operator, thread_text
from tests.harness.live_monitoring import free_port, get_json, needs_monitoring, send_json, start_alertmanager
from tests.harness.slack_bot import OPERATOR


@pytest.fixture
def bot_options():
    """Two operators on a lab put back as shipped (and released from any hold) around each test."""
    return {"operator": RoleGrants(users=[OPERATOR, SECOND]), "reset_lab": True}


async def eventually(what: str, check, timeout: float = 30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = await asyncio.to_thread(check)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def approve(bot, fake, message: dict, thread_ts: str) -> None:
    change_id = next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    await bot.post(block_action("noc_change_approve", change_id, user=SECOND, channel="C0NOC",
                                message_ts=message["ts"], thread_ts=thread_ts))


def alert_state(am: str, device: str) -> dict | None:
    for alert in get_json(f"{am}/api/v2/alerts"):
        if alert["labels"].get("device") == device:
            return alert["status"]
    return None


@needs_monitoring
async def test_a_change_silences_its_device_in_alertmanager_and_expires_the_silence(bot, fake_slack, tmp_path):
    am = await asyncio.to_thread(start_alertmanager, tmp_path, f"http://127.0.0.1:{free_port()}/unused", "t")
    try:
        bot.runtime.settings.alertmanager.url = am.url
        held = hold(device_fixture_dir("wan-congestion", DEVICE), "committed")
        thread_ts, message = await ask_as_operator(bot, fake_slack)
        await approve(bot, fake_slack, message, thread_ts)
        await eventually("the device held after its commit", held.exists)
        [proposal] = await bot.runtime.store.changes()

        # During the change: the silence is active, matches the device, says who and why.
        [silence] = [s for s in get_json(f"{am.url}/api/v2/silences") if s["status"]["state"] == "active"]
        assert silence["matchers"] == [{"name": "device", "value": DEVICE, "isRegex": False, "isEqual": True}]
        assert proposal.id in silence["comment"] and SECOND in silence["comment"] and OPERATOR in silence["comment"]
        assert silence["createdBy"] == "noc-chatops"
        send_json(f"{am.url}/api/v2/alerts", [
            {"labels": {"alertname": "InterfaceDown", "device": DEVICE, "interface": "GigabitEthernet0/0/0"}},
            {"labels": {"alertname": "InterfaceDown", "device": "core-sw-01", "interface": "Ethernet1"}},
        ])
        silenced = await eventually("the alert for the changed device suppressed",
                                    lambda: (s := alert_state(am.url, DEVICE)) and s["state"] == "suppressed" and s)
        assert silenced["silencedBy"] == [silence["id"]]
        other = await eventually("the other device's alert", lambda: alert_state(am.url, "core-sw-01"))
        assert other["state"] == "active" and not other["silencedBy"]
        assert f"silence {silence['id']}" in thread_text(fake_slack, thread_ts)

        # The change ends: confirmed, the silence expired, the device's alert live again.
        hold(device_fixture_dir("wan-congestion", DEVICE), "committed", on=False)
        await eventually("the silence expired in the thread", lambda: "*silence-expired*" in thread_text(fake_slack, thread_ts))
        assert (await bot.runtime.store.change(proposal.id)).state == "confirmed"
        assert get_json(f"{am.url}/api/v2/silence/{silence['id']}")["status"]["state"] == "expired"
        await eventually("the alert active again", lambda: (s := alert_state(am.url, DEVICE)) and s["state"] == "active")
        steps = [e["step"] for e in await bot.runtime.store.change_events(proposal.id)]
        assert steps.index("silence") < steps.index("merge") and steps.index("confirmed") < steps.index("silence-expired")
        audit = [(e["user_id"], e["command"], e["outcome"]) for e in await bot.runtime.store.audit_events()]
        assert (SECOND, f"alertmanager.silence.create {proposal.id}", "ok") in audit
        assert (SECOND, f"alertmanager.silence.expire {proposal.id}", "ok") in audit
    finally:
        hold(device_fixture_dir("wan-congestion", DEVICE), "committed", on=False)  # never leave the bot's stop waiting on it
        await asyncio.to_thread(am.stop)


async def test_alertmanager_down_best_effort_says_so_and_applies(bot, fake_slack):
    bot.runtime.settings.alertmanager.url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    await approve(bot, fake_slack, message, thread_ts)
    await eventually("the change to end", lambda: "*confirmed*" in thread_text(fake_slack, thread_ts))
    text = thread_text(fake_slack, thread_ts)
    assert "the Alertmanager silence could not be created (alertmanager did not answer" in text
    assert "applying anyway (changes.silence: best_effort)" in text
    [proposal] = await bot.runtime.store.changes()
    audit = [(e["user_id"], e["command"], e["outcome"]) for e in await bot.runtime.store.audit_events()]
    assert (SECOND, f"alertmanager.silence.create {proposal.id}", "failed") in audit


async def test_alertmanager_down_required_aborts_before_the_device(bot, fake_slack):
    bot.runtime.settings.alertmanager.url = f"http://127.0.0.1:{free_port()}"
    bot.runtime.settings.changes.silence = "required"
    before = json.loads((device_fixture_dir("wan-congestion", DEVICE) / "get_config.1").read_text())["running"]
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    await approve(bot, fake_slack, message, thread_ts)
    await eventually("the change to end", lambda: "*aborted*" in thread_text(fake_slack, thread_ts))
    [proposal] = await bot.runtime.store.changes()
    assert proposal.state == "aborted" and "changes.silence is required" in proposal.reason
    steps = [e["step"] for e in await bot.runtime.store.change_events(proposal.id)]
    assert "merge" not in steps and "commit" not in steps
    after = json.loads((device_fixture_dir("wan-congestion", DEVICE) / "get_config.1").read_text())["running"]
    assert after == before
