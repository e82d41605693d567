"""The lifecycle loop of `noc run`: beat, write what waited, take back what dead processes held.

Every `store.heartbeat_s` this process: beats its row (bot.store.durable); writes the records
the outbox kept during a store outage (before judging anyone, so its own answered requests are
never called interrupted); sweeps: requests of processes that stopped or missed
`dead_after_beats` beats are interrupted and their threads told once (with Re-run), their Slack
events freed for the next retry, their alert notifications claimed again; then runs the hooks
(the alert inbox resumes what is now unheld). With the defaults (3 s, 3 beats) a process killed
with -9 is called dead 9-12 s after its last beat by a replica that has itself beaten for 9 s.

Others are judged only after this process has beaten without a gap for the whole dead window:
after a store outage nobody could beat, and nobody is dead for that. The clock is the store's,
so tests drive `tick` with an injected clock and no sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.durability.lifecycle import RequestLedger
from bot.durability.outbox import Outbox

log = logging.getLogger(__name__)

STOP_PATIENCE_S = 5.0  # what a stopping process gives the store for its last writes


class Heartbeat:
    def __init__(self, ledger: RequestLedger, outbox: Outbox, *, interval_s: float, dead_after_beats: int,
                 hooks: list[Callable[[], Awaitable[object]]] | None = None,
                 on_beat: Callable[[bool], None] | None = None) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.outbox = outbox
        self.interval_s = interval_s
        self.dead_after_s = interval_s * dead_after_beats
        self.hooks = hooks if hooks is not None else []
        self.on_beat = on_beat or (lambda ok: None)  # the noc_store_health gauge (bot.metrics)
        self.started_at = self.store.clock()
        self.up_since: float | None = None  # first beat of the current unbroken run of beats
        self.beats = 0
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> int:
        """One beat and sweep; returns how many requests were taken back."""
        now = self.store.clock()
        try:
            await self.store.beat(self.started_at)
        except Exception as exc:
            if self.up_since is not None:
                log.warning("heartbeat: the store refuses writes (%s)", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            self.up_since = None
            self.on_beat(False)
            return 0
        self.on_beat(True)
        self.beats += 1
        if self.up_since is None:
            self.up_since = now
        await self.outbox.flush()
        if self.outbox.pending:
            return 0  # our own records first: a sweep now could judge on what is not written yet
        cutoff = now - self.dead_after_s
        taken = await self.ledger.recover(cutoff=cutoff, judge=self.up_since <= cutoff)
        for hook in self.hooks:
            try:
                await hook()
            except Exception:
                log.error("heartbeat hook %s failed", getattr(hook, "__qualname__", hook), exc_info=True)
        return taken

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.tick()
            except Exception:
                log.error("heartbeat failed", exc_info=True)

    async def stop(self) -> None:
        """Stop beating and say so: other processes need not wait out the dead window."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:  # bounded: what is still unwritten stays in the journal for the next process
            await asyncio.wait_for(self.outbox.flush(), STOP_PATIENCE_S)
            await asyncio.wait_for(self.store.process_stopped(), STOP_PATIENCE_S)
        except Exception:
            log.warning("could not record that this process stopped (the heartbeat window will tell)", exc_info=True)
