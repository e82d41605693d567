"""The Slack app as tests drive it: the real bot (runtime, Bolt app, HTTP server or Socket Mode)
on a loopback port, against the fake Slack Web API (`tests.fakes.slack_api`), and signed requests
into it. The `bot` fixture (tests/conftest.py) starts one per test through `start`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from agents.config import LLMConfig, NetworkConfig
from bot.config.settings import AccessConfig, RoleGrants, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import RunningBot, start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.slack_api import app_mention_event, encode_request, post_signed_async, sign
from tests.harness.waiting import until

SECRET = "0123456789abcdef0123456789abcdef"
OPERATOR = "UOPS"

# Bolt's own tasks (a listener run after its ack, a lazy listener, a Socket Mode envelope), seen
# through the loop's task factory. Why: Bolt acks an event and only then starts its listener's
# task, so right after the HTTP 200 neither the runtime's jobs nor the ack gate's listeners may
# show the work yet. Waiting for these tasks is waiting for the work itself, not for a quiet spell.
_bolt_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


def _track_bolt_tasks(loop: asyncio.AbstractEventLoop) -> None:
    previous = loop.get_task_factory()
    if getattr(previous, "tracks_bolt", False):
        return

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        code = getattr(coro, "cr_code", None)
        if code is not None and "slack_bolt" in code.co_filename:
            _bolt_tasks.add(task)
        return task

    factory.tracks_bolt = True  # type: ignore[attr-defined]
    loop.set_task_factory(factory)


@dataclass
class Bot:
    url: str
    runtime: Runtime
    running: RunningBot

    def __post_init__(self) -> None:
        # A Bot built around a runtime a test composed itself still sees Bolt's tasks.
        try:
            _track_bolt_tasks(asyncio.get_running_loop())
        except RuntimeError:  # built outside the loop: start() and post() install it
            pass

    @property
    def events(self) -> str:
        return f"{self.url}/slack/events"

    async def post(self, body, **kwargs):
        _track_bolt_tasks(asyncio.get_running_loop())
        return await post_signed_async(self.events, body, SECRET, **kwargs)

    def busy(self) -> set[asyncio.Task[Any]]:
        """What is still working on requests already received: Bolt's listener tasks, listeners
        past their ack that have not spawned their job yet, and the runtime's jobs."""
        loop = asyncio.get_running_loop()
        bolt = {t for t in _bolt_tasks if not t.done() and t.get_loop() is loop}
        return bolt | set(self.runtime.acks.listeners) | set(self.runtime.tasks)

    async def settle(self, timeout_s: float = 60.0) -> None:
        """Wait until every request received so far has been handled to its end: its Bolt
        listener finished, and every job it spawned (and they spawned) finished."""
        deadline = time.monotonic() + timeout_s
        while pending := self.busy():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"bot did not settle: {sorted(t.get_name() for t in pending)}")
            await asyncio.wait(pending, timeout=left)


async def start(fake, tmp_path: Path, *, scenario: str = "wan-congestion", app_token: str | None = None,
                llm: LLMConfig | None = None, progress: str = "stream", **access) -> Bot:
    _track_bolt_tasks(asyncio.get_running_loop())
    settings = Settings(
        llm=llm or LLMConfig(),
        network=NetworkConfig(scenario=scenario),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress=progress, socket_ping_interval_s=1.0),
        access=AccessConfig(**({"operator": RoleGrants(users=[OPERATOR])} | access)),
    )
    client = web_client("xoxb-test", fake.api_url, 3)
    runtime = await Runtime.create(settings, client)
    app = build_app(runtime, signing_secret=None if app_token else SECRET)
    running = await start_bot(app, runtime, host="127.0.0.1", port=0, app_token=app_token)
    return Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in messages)


def answer_message(thread: list[dict]) -> dict:
    return next(m for m in thread if any(b.get("type") == "actions" for b in (m.get("blocks") or [])))


@contextlib.asynccontextmanager
async def held_open(bot: Bot, channel: str = "CHELD") -> AsyncIterator[None]:
    """A mention whose body is still arriving: a request in flight until the block ends, then
    completed and acked."""
    async with aiohttp.ClientSession() as session:
        body, content_type = encode_request(app_mention_event("why is the branch office slow?", channel=channel))
        gate = asyncio.Event()

        async def slow_body():
            yield body[:10]
            await gate.wait()
            yield body[10:]

        headers = sign(body, SECRET) | {"Content-Type": content_type}
        held = asyncio.create_task(session.post(bot.events, data=slow_body(), headers=headers))
        await until(lambda: bot.runtime.acks.in_flight, what="the held request in flight")
        try:
            yield
        finally:
            gate.set()
            response = await held
            assert response.status == 200
            response.release()
