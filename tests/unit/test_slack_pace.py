"""Slack's pace per channel: concurrent requests in one channel share its token bucket, answers go
first and none is lost, a 429 pauses the channel. The pacer runs on a virtual clock (time moves
only when its bucket sleeps), and the loopback Slack stamps each call with that clock, so the
assertions count calls against virtual seconds: no wall-clock timing."""

from __future__ import annotations

import asyncio

import pytest

from agents.config import NetworkConfig
from bot.config.settings import Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from bot.slack.pace import ANSWER, PACED_METHODS, PROGRESS, ChannelPacer, TokenBucket, Turn
from handlers.app import build_app
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.slack_bot import SECRET, Bot

RATE, BURST = 1.0, 3


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += seconds
        self.slept += seconds


async def paced_bot(fake, tmp_path, clock: VirtualClock, progress: str) -> Bot:
    settings = Settings(network=NetworkConfig(scenario="wan-congestion"), store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
                        slack=SlackConfig(status_update_interval_s=0.05, post_backoff_s=0.01, progress=progress))
    pacer = ChannelPacer(RATE, BURST, clock=clock, sleep=clock.sleep)
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake.api_url, 3, pacer=pacer))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    return Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)


def answered(fake, channel: str) -> list[dict]:
    return [m for m in fake.bot_messages(channel) if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


@pytest.mark.parametrize("progress", ["stream", "edit"])
async def test_concurrent_requests_in_one_channel_never_exceed_its_bucket(fake_slack, tmp_path, progress):
    clock = VirtualClock()
    fake_slack.clock = clock
    bot = await paced_bot(fake_slack, tmp_path, clock, progress)
    try:
        events = [app_mention_event(f"why is the branch office slow? ({i})", channel="C0NOC") for i in range(12)]
        statuses = await asyncio.gather(*(bot.post(e) for e in events))
        assert all(status == 200 for status, _ in statuses)
        await bot.settle(timeout_s=120)
    finally:
        await bot.running.stop(bot.runtime)
    assert len(answered(fake_slack, "C0NOC")) == 12  # every answer waited for its token; none lost
    paced = sorted(c.time for c in fake_slack.calls if c.method in PACED_METHODS and not c.rate_limited
                   and (c.args.get("channel") or c.args.get("channel_id")) == "C0NOC")
    assert len(paced) > 3 * BURST
    # The k-th call into the channel cannot come before the bucket has earned it: BURST at once,
    # then one per 1/RATE seconds (a call is stamped when it reaches Slack, at or after its grant).
    early = [(k, t - 1000.0) for k, t in enumerate(paced, start=1) if t - 1000.0 < (k - BURST) / RATE]
    assert not early, early
    assert clock.slept >= (len(paced) - BURST) / RATE


async def test_answers_are_served_before_progress_and_a_dropped_turn_costs_no_token():
    clock = VirtualClock()
    bucket = TokenBucket(RATE, 1, clock, clock.sleep)
    assert not await bucket.take()  # the burst
    order: list[str] = []

    async def take(name: str, turn: Turn) -> None:
        await bucket.take(turn)
        order.append(name)

    dropped = Turn(PROGRESS)
    progress = [asyncio.create_task(take(f"progress{i}", Turn(PROGRESS))) for i in range(2)]
    cancelled = asyncio.create_task(take("dropped", dropped))
    answer = asyncio.create_task(take("answer", Turn(ANSWER)))
    await asyncio.sleep(0)
    assert dropped.waiting and dropped.cancellable
    cancelled.cancel()
    await asyncio.gather(*progress, answer, cancelled, return_exceptions=True)
    assert order == ["answer", "progress0", "progress1"]
    assert clock.now - 1000.0 == pytest.approx(3 / RATE)  # three tokens after the burst: none went to the dropped turn


async def test_a_429_pauses_the_channel_for_retry_after(fake_slack):
    clock = VirtualClock()
    fake_slack.clock = clock
    pacer = ChannelPacer(RATE, BURST, clock=clock, sleep=clock.sleep)
    client = web_client("xoxb-test", fake_slack.api_url, 3, pacer=pacer)
    try:
        fake_slack.rate_limit("chat.postMessage", times=1, retry_after=2)
        await client.chat_postMessage(channel="C1", text="first")  # 429, waits out Retry-After, lands
        await client.chat_postMessage(channel="C1", text="second")
        await client.chat_postMessage(channel="C2", text="elsewhere")
    finally:
        pacer.close()
        await client.session.close()
    limited = next(c for c in fake_slack.calls if c.rate_limited)
    second = next(c for c in fake_slack.calls if c.args.get("text") == "second")
    elsewhere = next(c for c in fake_slack.calls if c.args.get("text") == "elsewhere")
    assert pacer.paused == 1
    assert second.time - limited.time >= 2  # the bucket was emptied for Retry-After, on the pacer's clock
    assert elsewhere.time == second.time  # another channel did not wait
