"""Versioned schema migrations at start-up (Alembic), with a clear refusal of a newer schema.

Every start runs `upgrade head`: a fresh database gets the whole schema, an older one the missing
revisions, a current one nothing. A database stamped with a revision this code does not know was
migrated by a newer release; running against it could corrupt what that release wrote, so the
bot stops with one line instead. On PostgreSQL an advisory lock makes replicas that start
together migrate one after the other.

An empty database is built from `bot.store.schema` in one `create_all` and stamped with the head
revision, as Alembic's cookbook recommends ("building an up to date database from scratch"):
replaying every revision from the first cost 50-150 ms of CPU a start, paid by every test's bot
and every `noc` command on a new file. tests/unit/test_store_migrations.py replays the revisions
on an empty database and checks they build exactly the same schema.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.store.engine import StoreError
from bot.store.schema import metadata

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x4E4F4301  # "NOC" + 1: an arbitrary constant shared by every replica


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """The shipped revisions, read once per process (they do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = scripts().get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, where: str, *, from_scratch: bool = True) -> str:
    """Bring the schema to head inside the caller's transaction; returns the revision.
    `from_scratch=False` replays every revision on an empty database too (the tests' check)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    script = scripts()
    head = script.get_current_head()
    context = MigrationContext.configure(connection)
    current = context.get_current_revision()
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(f"{where}: schema revision {current} is newer than this version of noc-chatops knows "
                         f"(latest {head}); upgrade noc-chatops or point store.url at another database")
    if current == head:
        return head or ""
    if current is None and from_scratch and not inspect(connection).get_table_names():
        metadata.create_all(connection)
        context.stamp(script, "head")
        return head or ""
    try:
        command.upgrade(alembic_config(connection), "head")
    except StoreError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{where}: schema migration from {current or 'empty'} to {head} failed ({first})") from exc
    return head or ""
