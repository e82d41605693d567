"""/healthz (liveness) and /readyz (readiness) through the bot's real HTTP app (issue 26)."""

from __future__ import annotations

import asyncio

import aiohttp
from sqlalchemy import text

from bot.store.migrate import head_revision
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.slack_bot import start


async def get(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.json()


async def wait_status(fake, url: str, status: int) -> dict:
    """Poll /readyz until it answers `status` (a generous deadline; no sleeping to synchronise)."""
    seen: list[tuple[int, dict]] = []

    async def probe() -> bool:
        seen.append(await get(url))
        return seen[-1][0] == status

    async def until() -> None:
        while not await probe():
            await asyncio.sleep(0.05)  # polling interval, not synchronisation

    try:
        await asyncio.wait_for(until(), timeout=20)
    except TimeoutError:
        raise AssertionError(f"/readyz never answered {status}; last {seen[-1]}") from None
    return seen[-1][1]


async def test_ready_in_http_mode_and_not_ready_when_the_schema_is_not_this_releases(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path)
    try:
        status, live = await get(f"{bot.url}/healthz")
        assert status == 200 and live["status"] == "ok" and live["mode"] == "http"
        status, ready = await get(f"{bot.url}/readyz")
        assert status == 200 and ready["status"] == "ready", ready
        assert set(ready["checks"]) == {"store", "router", "slack"} and all(c["ok"] for c in ready["checks"].values())
        assert ready["checks"]["store"]["detail"] == f"schema at {head_revision()}"
        assert ready["checks"]["router"]["detail"].startswith("model ")

        # another release migrated the database (or a migration was rolled back): not ready, live
        async with bot.runtime.store.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'h7_someone_elses'"))
        status, ready = await get(f"{bot.url}/readyz")
        assert status == 503 and ready["status"] == "not ready" and not ready["checks"]["store"]["ok"]
        assert ready["checks"]["store"]["detail"] == f"schema at h7_someone_elses, this release needs {head_revision()}"
        assert ready["checks"]["router"]["ok"] and ready["checks"]["slack"]["ok"]
        assert (await get(f"{bot.url}/healthz"))[0] == 200  # liveness does not restart a replica for its database
    finally:
        await bot.running.stop(bot.runtime)


async def test_not_ready_once_the_store_is_gone(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path)
    try:
        await bot.runtime.store.close()  # what shutdown does first among the store's users
        status, ready = await get(f"{bot.url}/readyz")
        assert status == 503 and ready["checks"]["store"] == {"ok": False, "detail": "unreachable (RuntimeError)"}
    finally:
        await bot.running.stop(bot.runtime)


async def test_socket_mode_readiness_follows_the_websocket(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, app_token="xapp-test")
    try:
        await fake_slack.wait_for_socket_async()
        ready = await wait_status(fake_slack, f"{bot.url}/readyz", 200)
        assert ready["mode"] == "socket" and ready["checks"]["slack"] == {"ok": True, "detail": "Socket Mode connected"}

        # Slack drops the connection and refuses new ones for a while: out of the Service, still alive
        fake_slack.fail("apps.connections.open", "internal_error", times=10_000)
        fake_slack.socket_drop()
        ready = await wait_status(fake_slack, f"{bot.url}/readyz", 503)
        assert ready["checks"]["slack"]["ok"] is False and ready["checks"]["store"]["ok"]
        assert (await get(f"{bot.url}/healthz"))[0] == 200

        fake_slack.clear_failures("apps.connections.open")
        ready = await wait_status(fake_slack, f"{bot.url}/readyz", 200)  # reconnected by itself
        assert ready["checks"]["slack"]["ok"]
    finally:
        await bot.running.stop(bot.runtime)
