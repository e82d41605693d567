"""The PostgreSQL test database ($NOC_TEST_POSTGRES_URL): emptied before each test that uses it.

Under pytest-xdist every worker process gets a database of its own beside the given one
(`<db>_gw0`, `<db>_gw1`, ...), created on first use, so two workers never empty each other's
tables mid-test; `worker_database` points $NOC_TEST_POSTGRES_URL at it for the worker's whole
run, so `noc run` processes a test starts inherit it too."""

from __future__ import annotations

import os

POSTGRES_ENV = "NOC_TEST_POSTGRES_URL"


def worker_database(worker: str) -> None:
    """Point $NOC_TEST_POSTGRES_URL at this xdist worker's own database, creating it if needed
    (the role needs CREATEDB; .ci/run grants it)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return
    import asyncio

    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    asyncio.run(_create_database(base.set(drivername="postgresql").render_as_string(hide_password=False), name))
    os.environ[POSTGRES_ENV] = base.set(database=name).render_as_string(hide_password=False)


async def _create_database(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # created by a concurrent run meanwhile
            except asyncpg.InsufficientPrivilegeError as exc:
                raise SystemExit(f"{POSTGRES_ENV}'s role may not create the per-worker database {name} "
                                 "(run the tests with -n 0, or ALTER ROLE ... CREATEDB)") from exc
    finally:
        await conn.close()


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
