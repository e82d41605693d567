"""`noc requests` and `noc audit-log` over a real store file, and the store's settings."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.cli.history import parse_since
from bot.cli.main import cli
from bot.config.settings import ConfigError, load_settings
from bot.store import Store
from tests.harness.store import Clock, make_answer

DAY = 86400.0


@pytest.fixture
def config(tmp_path):
    """A config whose store holds: an old answered request, a recent failed and a recent
    interrupted one, and audit events two days ago and now."""
    url = f"sqlite:///{tmp_path / 'noc.db'}"
    clock = Clock(time.time() - 2 * DAY)

    async def seed() -> None:
        store = await Store(url, clock=clock).open()
        try:
            await store.record_answer(make_answer("old-1"), source="mention", user="U1", channel="C1", thread_ts="1.0")
            await store.record_audit(user="U1", channel="C1", command="ask", outcome="allowed")
            clock.advance(2 * DAY - 60)
            await store.record_answer(make_answer("fail-2", "is bgp up?", status="failed"), source="slash", user="U2",
                                      channel="C2", thread_ts="2.0")
            await store.record_received("cut-3", question="audit everything", source="slash", user="U3", channel="C2")
            await store.mark_interrupted(["cut-3"], "the bot was stopped")
            await store.record_audit(user="U2", channel="C2", command="/noc-audit", outcome="denied", reason="needs operator")
        finally:
            await store.close()

    asyncio.run(seed())
    path = tmp_path / "noc.yml"
    path.write_text(f"store:\n  url: {url}\n")
    return str(path)


def test_requests_lists_newest_first_and_filters(runner, config):
    table = runner.invoke(cli, ["--config", config, "requests"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert "status" in lines[0] and [ln.split()[1] for ln in lines[1:] if not ln.lstrip().startswith("↳")] == [
        "interrupted", "failed", "answered"]
    assert "↳ the bot was stopped" in table.output
    recent = json.loads(runner.invoke(cli, ["--config", config, "requests", "--since", "24h", "--json"]).output)
    assert [r["id"] for r in recent] == ["cut-3", "fail-2"] and recent[0]["created_at_iso"].endswith("Z")
    failed = json.loads(runner.invoke(cli, ["--config", config, "requests", "--status", "failed", "--json"]).output)
    assert [(r["id"], r["user_id"], r["question"]) for r in failed] == [("fail-2", "U2", "is bgp up?")]
    assert "answer_json" not in failed[0]


def test_audit_log_filters_by_time_and_user(runner, config):
    everything = runner.invoke(cli, ["--config", config, "audit-log"])
    assert everything.exit_code == 0 and len(everything.output.splitlines()) == 3
    recent = json.loads(runner.invoke(cli, ["--config", config, "audit-log", "--since", "1d", "--json"]).output)
    assert [(e["user_id"], e["outcome"], e["reason"]) for e in recent] == [("U2", "denied", "needs operator")]
    mine = json.loads(runner.invoke(cli, ["--config", config, "audit-log", "--user", "U1", "--json"]).output)
    assert [e["command"] for e in mine] == ["ask"]
    assert "No audit events match." in runner.invoke(cli, ["--config", config, "audit-log", "--user", "U9"]).output


@pytest.mark.parametrize("args", [["requests", "--since", "yesterday"], ["audit-log", "--since", "3x"]])
def test_a_bad_since_is_a_usage_error(runner, config, args):
    result = runner.invoke(cli, ["--config", config, *args])
    assert result.exit_code == 2 and "use a duration such as 24h" in result.output


def test_parse_since():
    assert parse_since("90s", 1000.0) == 910.0
    assert parse_since("2h", 10_000.0) == 2800.0
    assert parse_since("1w", 7 * DAY) == 0.0
    assert parse_since("1970-01-02", 0.0) == DAY
    assert parse_since("1970-01-01T01:00+01:00", 0.0) == 0.0


def test_store_settings_accept_both_backends(tmp_path):
    path = tmp_path / "noc.yml"
    path.write_text("store:\n  url: postgresql://noc:secret@db.internal/noc\n  retention_days: 30\n  lease_s: 20\n")
    store = load_settings(path).store
    assert (store.url, store.retention_days, store.lease_s) == ("postgresql://noc:secret@db.internal/noc", 30, 20)
    defaults = load_settings(None).store
    assert (defaults.url, defaults.retention_days, defaults.lease_s) == ("sqlite:///noc.db", 90, 60)
    path.write_text("store:\n  url: mysql://db/noc\n")
    with pytest.raises(ConfigError, match="store.url"):
        load_settings(path)
