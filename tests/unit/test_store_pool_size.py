"""The store's connection pool is sized from the request limit unless set (issue 27)."""

from __future__ import annotations

from pathlib import Path

from bot.config.settings import load_settings, store_pool_size
from bot.store import Store


def test_the_pool_follows_the_request_limit(tmp_path: Path) -> None:
    config = tmp_path / "noc.yml"
    config.write_text("resilience:\n  max_concurrent_requests: 50\nstore:\n  url: postgresql://noc@db.example/noc\n")
    settings = load_settings(config, environ={})
    assert settings.store.pool_size == store_pool_size(50) == 54
    assert Store.from_config(settings.store).pool_size == 54


def test_a_configured_pool_size_is_kept(tmp_path: Path) -> None:
    config = tmp_path / "noc.yml"
    config.write_text("resilience:\n  max_concurrent_requests: 50\nstore:\n  pool_size: 7\n")
    assert Store.from_config(load_settings(config, environ={}).store).pool_size == 7


def test_the_default_limit_gives_a_pool_a_little_larger_than_it() -> None:
    settings = load_settings(None, environ={})
    assert settings.store.pool_size == settings.resilience.max_concurrent_requests + 4
