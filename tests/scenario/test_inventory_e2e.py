"""The inventory from NetBox along the paths a user takes: the `noc` command (a real subprocess),
and the Slack bot, where a device added or removed at the source shows up or vanishes after a
refresh (on demand with `/noc inventory refresh`, or by the scheduler's job) without a restart.

No device is ever contacted: the questions name unknown devices, whose answer lists the known ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import yaml

from bot.config.settings import AccessConfig, RoleGrants, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.netbox_api import FakeNetBox
from tests.fakes.slack_api import app_mention_event, fake_slack, post_signed_async, slash_command  # noqa: F401
from tests.harness.netbox import TOKEN_ENV, config
from tests.harness.paths import ROOT
from tests.harness.waiting import until

SECRET = "0123456789abcdef0123456789abcdef"
OPERATOR = "UOPS"


def noc(tmp_path: Path, fake: FakeNetBox, *args: str, token: str | None = None) -> subprocess.CompletedProcess:
    cfg = tmp_path / "noc.yml"
    cfg.write_text(yaml.safe_dump({"inventory": {"source": "netbox", "url": fake.url, "token_env": TOKEN_ENV,
                                                 "filters": {"site": ["hq", "branch"]}}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOC_CONFIG": str(cfg), TOKEN_ENV: token or fake.token}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)


def test_noc_tool_and_ask_read_the_devices_from_netbox(tmp_path, netbox):
    listed = noc(tmp_path, netbox, "tool", "list_devices")
    assert listed.returncode == 0, listed.stderr
    devices = {d["name"]: d for d in json.loads(listed.stdout)["devices"]}
    assert list(devices) == ["nb-core-1", "nb-core-2", "nb-edge-1", "nb-edge-2"]  # site filter: hq and branch
    assert devices["nb-core-1"]["mgmt_address"] == "192.0.2.11" and devices["nb-edge-2"]["os"] == "nxos"

    netbox.add_device("nb-new-1", site="hq", platform="cisco-ios", ip4="192.0.2.50/24")
    netbox.remove_device("nb-core-2")
    asked = noc(tmp_path, netbox, "ask", "is ghost-rtr-1 healthy?")
    assert "Unknown device: ghost-rtr-1. Known devices: nb-core-1, nb-edge-1, nb-edge-2, nb-new-1." in asked.stdout, asked.stdout + asked.stderr


def test_a_refused_token_is_one_line_and_exit_2(tmp_path, netbox):
    wrong = "f" * 40
    done = noc(tmp_path, netbox, "tool", "list_devices", token=wrong)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"inventory: netbox {netbox.url} refused the device list: HTTP 403: Invalid token" in done.stderr
    assert wrong not in done.stderr + done.stdout


async def _bot(fake_slack, tmp_path, netbox_fake, refresh_s: float = 0):  # noqa: F811
    settings = Settings(inventory=config(netbox_fake).model_copy(update={"refresh_s": refresh_s}),
                        store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
                        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="edit"),
                        access=AccessConfig(operator=RoleGrants(users=[OPERATOR])))
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake_slack.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    return runtime, running, f"http://127.0.0.1:{running.port}"


async def _until(condition, timeout_s: float = 60.0) -> None:
    await until(condition, timeout=timeout_s, what="the inventory's refresh to show")


def _known_devices(fake_slack) -> list[str]:
    return [line for m in fake_slack.bot_messages("C0NOC") for line in (m.get("text") or "").splitlines() if "Known devices" in line]


async def test_slack_refresh_on_demand_adds_and_drops_devices_without_a_restart(fake_slack, tmp_path, netbox):  # noqa: F811
    runtime, running, url = await _bot(fake_slack, tmp_path, netbox)
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as resp:
            health = await resp.json()
        assert health["devices"] == 6 and health["inventory"]["source"] == f"netbox {netbox.url}"
        assert not health["inventory"]["stale"]

        await post_signed_async(f"{url}/slack/events", slash_command("/noc", "inventory"), SECRET)  # a viewer may look
        await _until(lambda: fake_slack.responses())
        shown = fake_slack.responses()[-1]["body"]
        assert shown["response_type"] == "ephemeral" and shown["text"].startswith(f"Inventory: netbox {netbox.url}, 6 devices, loaded")
        fake_slack.response_posts.clear()

        netbox.add_device("nb-new-1", site="hq", platform="cisco-ios", ip4="192.0.2.50/24")
        netbox.remove_device("nb-edge-1")
        status, _ = await post_signed_async(f"{url}/slack/events", slash_command("/noc", "inventory refresh"), SECRET)
        assert status == 200
        await _until(lambda: fake_slack.calls_to("chat.postEphemeral"))
        denied = fake_slack.calls_to("chat.postEphemeral")[-1].args["text"]
        assert "needs the *operator* role" in denied and "nb-new-1" not in runtime.toolbox.inventory  # a viewer may not

        await post_signed_async(f"{url}/slack/events", slash_command("/noc", "inventory refresh", user=OPERATOR), SECRET)
        await _until(lambda: len(fake_slack.responses()) == 1)
        text = fake_slack.responses()[-1]["body"]["text"]
        assert text.startswith(":white_check_mark: Refreshed: 6 devices (+nb-new-1 -nb-edge-1)")
        assert f"Inventory: netbox {netbox.url}, 6 devices, loaded 0 s ago." in text

        await post_signed_async(f"{url}/slack/events", app_mention_event("is ghost-rtr-1 healthy?"), SECRET)
        await _until(lambda: _known_devices(fake_slack))
        assert "nb-new-1" in _known_devices(fake_slack)[0] and "nb-edge-1" not in _known_devices(fake_slack)[0]

        netbox.available = False  # the source goes down: the bot keeps serving what it had, and says so
        await post_signed_async(f"{url}/slack/events", slash_command("/noc", "inventory refresh", user=OPERATOR), SECRET)
        await _until(lambda: len(fake_slack.responses()) == 2)
        text = fake_slack.responses()[-1]["body"]["text"]
        assert text.startswith(":x: refresh failed, kept the last good inventory (6 devices): inventory: netbox")
        assert "HTTP 503" in text and ":warning: The last 1 read(s) failed; serving the last good inventory." in text
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as resp:
            health = await resp.json()
        assert health["devices"] == 6 and health["inventory"]["stale"] and "HTTP 503" in health["inventory"]["last_error"]
    finally:
        await running.stop(runtime)


async def test_the_scheduler_refreshes_on_its_own(fake_slack, tmp_path, netbox):  # noqa: F811
    runtime, running, _ = await _bot(fake_slack, tmp_path, netbox, refresh_s=0.2)
    try:
        runtime.start_background()
        job = runtime.scheduler.scheduler.get_job("inventory-refresh")
        assert job is not None and job.trigger.interval.total_seconds() == 0.2
        netbox.add_device("nb-new-2", site="branch", platform="arista-eos", ip4="192.0.2.60/24")
        await _until(lambda: "nb-new-2" in runtime.toolbox.inventory)
        netbox.remove_device("nb-new-2")
        await _until(lambda: "nb-new-2" not in runtime.toolbox.inventory)
    finally:
        await running.stop(runtime)
