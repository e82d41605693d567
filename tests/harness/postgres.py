"""The PostgreSQL test database ($NOC_TEST_POSTGRES_URL): emptied before each test that uses it."""

from __future__ import annotations

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
