"""Shared fixtures. Tests run the real code paths: the lab's NAPALM mock driver, real YAML files,
the real `noc` CLI (in-process through click's runner, or as a subprocess where the console
script itself matters)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from agents.tools import build_toolbox
from bot.config.settings import Settings


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    """A developer's own NOC_CONFIG or Anthropic credentials must not leak into tests:
    without a key every test runs the offline engine unless it starts the fake API itself."""
    for name in ("NOC_CONFIG", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("NOC_") and "__" in n]:  # settings given as variables
        monkeypatch.delenv(name)


@pytest.fixture
def make_toolbox():
    """Toolbox factory over the lab; closes every gateway it opened."""
    made = []

    def make(scenario: str = "healthy", settings: Settings | None = None):
        s = settings or Settings()
        tb = build_toolbox(s.network, s.audit, s.thresholds, scenario=scenario)
        made.append(tb)
        return tb

    yield make
    for tb in made:
        tb.gateway.close()


# -- the store on both backends -----------------------------------------------------------------

POSTGRES_ENV = "NOC_TEST_POSTGRES_URL"


async def reset_postgres(url: str) -> None:
    """Empty the test database (every table of its current schema), so each test starts fresh."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.engine import async_url

    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            names = (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))).scalars().all()
            for name in names:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


async def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL store tests need {POSTGRES_ENV}=postgresql://user:password@host/db (a database they may empty)")
    await reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request, tmp_path) -> str:
    """A fresh, empty store URL: an SQLite file, or the PostgreSQL database named by
    $NOC_TEST_POSTGRES_URL (emptied first; skipped with the reason shown when it is unset)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noc.db'}"
    return await _postgres_url()


@pytest.fixture
async def pg_url() -> str:
    """The emptied PostgreSQL test database, for the tests that only make sense there."""
    return await _postgres_url()


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something true, and return that: tests that drive real
    processes wait for observable state (a row, a marker file, a Slack call), never for a time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
