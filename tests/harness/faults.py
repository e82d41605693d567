"""The fault suite's processes (issue 22): the store they share, read and broken from outside, and
a `noc run` started, signalled and restarted against the loopback Slack. Used by
tests/scenario/test_faults.py and bench/durability.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.durability.lifecycle import INTERRUPTED_TEXT
from tests.fakes.slack_api import BOT_ID
from tests.harness.alerts import TOKEN
from tests.harness.postgres import POSTGRES_ENV
from tests.harness.processes import SECRET, free_port, wait_healthz

CHANNEL = "C0NOC"
ALERTS = "C0NOCALERTS"
FAST = "  heartbeat_s: 0.5\n  write_patience_s: 1\n"


class Backend:
    """The store the processes share, read and broken from the test."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = tmp_path / "noc.db"
        self.url = f"sqlite:///{self.path}" if kind == "sqlite" else os.environ[POSTGRES_ENV]

    def rows(self, sql: str, *args) -> list[tuple]:
        if self.kind == "sqlite":
            if not self.path.exists():
                return []
            with contextlib.closing(sqlite3.connect(self.path, timeout=5)) as conn:
                try:
                    return conn.execute(sql, args).fetchall()
                except sqlite3.OperationalError:  # the tables are not created yet
                    return []
        return asyncio.run(self._pg_rows(sql, args))

    async def _pg_rows(self, sql: str, args: tuple) -> list[tuple]:
        import asyncpg

        for n in range(len(args)):
            sql = sql.replace("?", f"${n + 1}", 1)
        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        except asyncpg.UndefinedTableError:
            return []
        finally:
            await conn.close()

    @contextlib.contextmanager
    def outage(self):
        """The store stops taking writes until the block ends."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                conn.execute("ROLLBACK")
                conn.close()
            return
        loop = asyncio.new_event_loop()
        admin = loop.run_until_complete(self._pg_down())
        try:
            yield
        finally:
            loop.run_until_complete(self._pg_up(admin))
            loop.close()

    async def _pg_down(self):
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        db = url.database  # refused connections are set from another database of the server
        admin = await asyncpg.connect(url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False))
        await admin.execute(f'ALTER DATABASE "{db}" WITH ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db)
        return admin, db

    async def _pg_up(self, admin) -> None:
        conn, db = admin
        await conn.execute(f'ALTER DATABASE "{db}" WITH ALLOW_CONNECTIONS true')
        await conn.close()


class Bot:
    """One `noc run` process; `journal` names the host (the same journal = the same host)."""

    def __init__(self, fake, tmp_path: Path, backend: Backend, *, scenario: str = "slow-device",
                 journal: str = "host-a", store_extra: str = FAST, port: int | None = None) -> None:
        self.port = port or free_port()
        config = tmp_path / f"noc-{self.port}-{time.monotonic_ns()}.yml"
        config.write_text(f"store:\n  url: {backend.url}\n  journal_dir: {tmp_path / journal}\n{store_extra}"
                          f"network:\n  scenario: {scenario}\nalerts:\n  channel: {ALERTS}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake.api_url, "NOC_CONFIG": str(config),
                    "SLACK_SIGNING_SECRET": SECRET, "NOC_ALERT_TOKEN": TOKEN, "NO_PROXY": "*"})
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_healthz(self.port, self.proc, timeout=60)

    @property
    def events(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def alert(self, payload: dict) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/alerts/alertmanager", data=json.dumps(payload).encode(),
                                         headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=20)

    def term(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()



def answers(fake, channel: str, ts: str) -> list[dict]:
    """Answers posted in a thread (an answer carries the feedback buttons)."""
    return [m for m in fake.thread(channel, ts) if m.get("bot_id") == BOT_ID and "noc_details" in json.dumps(m.get("blocks") or [])]


def interrupted_notes(fake, channel: str, ts: str) -> list[dict]:
    return [m for m in fake.thread(channel, ts) if INTERRUPTED_TEXT in (m.get("text") or "")
            or "shutting down" in json.dumps(m)]


def statuses(backend: Backend) -> dict[str, str]:
    return dict(backend.rows("SELECT id, status FROM requests"))
