"""A local append-only journal: what this process accepted or owes the store, kept across a kill.

Why: Slack does not retry an acked event, so a request killed between its ack and its first
store write was lost; and during a store outage the writes a request makes (received, answered)
had nowhere to go. Both are written here first: one `os.write` to a file opened O_APPEND, a few
microseconds, well inside the ack budget, and kept by the kernel when the process is killed.

Each process holds one slot file (`journal-N.jsonl`) under an exclusive `flock`; a slot whose
lock is free belongs to a process that is gone. At start-up `open` takes a slot and hands back
every unsettled entry of the free slots (its own slot's earlier content included), with the
store owner that wrote them, so the caller can call that owner dead and replay the entries.
Written here, not taken from a library: a write-ahead log of a few lines a request did not
justify a dependency.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_SLOTS = 64
COMPACT_BYTES = 1 << 20  # a slot with nothing unsettled is emptied once it grows past this


@dataclass
class Orphans:
    """Unsettled entries of processes that are gone, oldest first, and who wrote them."""

    owners: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


class Journal:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path: Path | None = None
        self._fd: int | None = None
        self._seq = 0
        self._by_key: dict[str, int] = {}
        self._unsettled: set[int] = set()
        self._owner = ""

    def open(self, owner: str) -> Orphans:
        """Take a free slot; collect and clear what the free slots held."""
        self.directory.mkdir(parents=True, exist_ok=True)
        orphans = Orphans()
        for n in range(MAX_SLOTS):
            path = self.directory / f"journal-{n}.jsonl"
            if self._fd is not None and not path.exists():
                continue  # only slots that exist can hold orphans; a new one is made only for this process
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # a live process writes this one
            _collect(path, orphans)
            os.ftruncate(fd, 0)
            if self._fd is None:
                self._fd, self.path = fd, path
            else:
                os.close(fd)  # an orphan slot, now empty; its lock goes with the descriptor
        if self._fd is None:
            raise OSError(f"no free journal slot in {self.directory} ({MAX_SLOTS} processes hold one)")
        self._owner = owner
        self._write({"owner": owner})
        return orphans

    def append(self, entry: dict[str, Any], key: str | None = None) -> int:
        """Record an entry; its sequence number, which `settle` takes (or `settle_key` by `key`)."""
        self._seq += 1
        self._unsettled.add(self._seq)
        self._write({"seq": self._seq, **entry})
        if key is not None:
            self._by_key[key] = self._seq
        return self._seq

    def settle(self, seq: int) -> None:
        """The entry needs nothing more after a restart."""
        if seq not in self._unsettled:
            return
        self._unsettled.discard(seq)
        self._write({"done": seq})
        if not self._unsettled and self._fd is not None and os.fstat(self._fd).st_size > COMPACT_BYTES:
            self._empty()

    def _empty(self) -> None:
        """Nothing is unsettled: start the slot over (appends go to the new end)."""
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        self._write({"owner": self._owner})

    def holds(self, key: str) -> bool:
        """An unsettled entry was appended under `key` (a Slack retry of it needs no second one)."""
        return key in self._by_key

    def settle_key(self, key: str | None) -> None:
        seq = self._by_key.pop(key, None) if key else None
        if seq is not None:
            self.settle(seq)

    def _write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode())
        except OSError:
            log.error("could not write to the journal %s", self.path, exc_info=True)

    def close(self) -> None:
        """A clean stop leaves an empty slot when nothing is unsettled (else the next process replays it)."""
        if self._fd is not None:
            if not self._unsettled:
                os.ftruncate(self._fd, 0)
            fd, self._fd = self._fd, None
            os.close(fd)


def _collect(path: Path, orphans: Orphans) -> None:
    pending: dict[int, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by the kill: it was never settled nor fully written
        if not isinstance(record, dict):
            continue
        if "owner" in record:
            orphans.owners.append(str(record["owner"]))
        elif "done" in record:
            pending.pop(record["done"], None)
        elif isinstance(record.get("seq"), int):
            pending[record["seq"]] = record
    orphans.entries.extend(pending[k] for k in sorted(pending))
