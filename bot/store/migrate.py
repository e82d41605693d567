"""Versioned schema migrations at start-up (Alembic), with a clear refusal of a newer schema.

Every start runs `upgrade head`: a fresh database gets the whole schema, an older one the missing
revisions, a current one nothing. A database stamped with a revision this code does not know was
migrated by a newer release; running against it could corrupt what that release wrote, so the
bot stops with one line instead. On PostgreSQL an advisory lock makes replicas that start
together migrate one after the other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.store.engine import StoreError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x4E4F4301  # "NOC" + 1: an arbitrary constant shared by every replica


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, where: str) -> str:
    """Bring the schema to head inside the caller's transaction; returns the revision."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    config = alembic_config(connection)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = current_revision(connection)
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(f"{where}: schema revision {current} is newer than this version of noc-chatops knows "
                         f"(latest {head}); upgrade noc-chatops or point store.url at another database")
    if current == head:
        return head or ""
    try:
        command.upgrade(config, "head")
    except StoreError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{where}: schema migration from {current or 'empty'} to {head} failed ({first})") from exc
    return head or ""
