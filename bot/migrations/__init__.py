"""Alembic revisions of the store's schema (run by `bot.store.migrate` at start-up)."""
