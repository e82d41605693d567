"""What /metrics counts as it happens (issue 26): Slack's 429s and errors as the bot's own client
met them, device reads by outcome, requests by outcome, alerts by outcome."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
)
from tests.harness.slack_bot import start


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(s.labels.items())): s.value for f in text_string_to_metric_families(text) for s in f.samples
            if s.name == name}


async def scrape(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as resp:
        return await resp.text()


async def test_slack_429s_and_errors_are_counted_by_method(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path)
    try:
        fake_slack.rate_limit("chat.postMessage", times=2, retry_after=1)
        await bot.runtime.client.chat_postMessage(channel="C0NOC", text="after two 429s")  # retried, then posted
        fake_slack.fail("chat.postMessage", "channel_not_found")
        with pytest.raises(SlackApiError):
            await bot.runtime.client.chat_postMessage(channel="C0GONE", text="nowhere")
        text = await scrape(bot.url)
        assert samples(text, "noc_slack_api_rate_limited_total") == {(("method", "chat.postMessage"),): 2.0}
        assert samples(text, "noc_slack_api_errors_total") == {(("error", "channel_not_found"), ("method", "chat.postMessage")): 1.0}
    finally:
        await bot.running.stop(bot.runtime)


async def test_device_reads_and_requests_by_outcome_on_an_unreachable_device(fake_slack, tmp_path, monkeypatch):
    monkeypatch.setenv("NOC_ALERT_TOKEN", "t0ken-for-the-test")
    bot = await start(fake_slack, tmp_path, scenario="device-unreachable")
    try:
        await bot.post(app_mention_event("is branch-rtr-01 ok?"))
        await bot.settle()
        text = await scrape(bot.url)
        reads = samples(text, "noc_device_reads_total")
        outcomes = {dict(k)["outcome"] for k in reads}
        assert "unreachable" in outcomes and "ok" not in outcomes, reads  # branch-rtr-01 does not answer
        assert {dict(k)["read"] for k in reads if dict(k)["outcome"] == "unreachable"} >= {"facts", "interfaces"}
        (requests,) = samples(text, "noc_requests_total").items()
        assert dict(requests[0])["source"] == "mention" and requests[1] == 1.0
        assert samples(text, "noc_request_duration_seconds_count") == {requests[0]: 1.0}

        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": "Bearer t0ken-for-the-test"}
            async with session.post(f"{bot.url}/alerts/generic", data=b"{not json", headers=headers) as resp:
                assert resp.status == 400
        assert samples(await scrape(bot.url), "noc_alerts_received_total") == {(("endpoint", "generic"), ("outcome", "rejected")): 1.0}
    finally:
        await bot.running.stop(bot.runtime)
