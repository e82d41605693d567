"""The lab's write path: NAPALM's mock driver, extended so a committed merge changes the lab.

The mock driver answers every getter from a fixture file and cannot take configuration. The
change pipeline needs a lab that behaves like a device: a merge lands in the running config,
`compare_config` shows what it would change, a commit with `revert_in` rolls itself back unless
confirmed, and the fault's symptoms go away when the fix is in (the scenario's `remedies` say
which fixture files return to the healthy base once which configuration lines are present).

State lives in the process's materialized fixture directory (see `agents.lab._materialize`), so
the plain mock driver that serves reads sees a commit at once; the pending commit (its snapshot
and revert deadline) is kept in memory here. `reset_scenario` puts everything back.
"""

from __future__ import annotations

import difflib
import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from napalm.base import exceptions as napalm_exc
from napalm.base.mock import MockDriver

from agents.lab import _DEVICES_DIR, get_scenario, rematerialize
from agents.lab.merge import merge_lines, running_of, with_running

_CONFIG_FILE = "get_config.1"


@dataclass
class _Pending:
    deadline: float
    snapshot: dict[Path, bytes] = field(default_factory=dict)


_lock = threading.Lock()
_pending: dict[Path, _Pending] = {}
# Hosts whose sessions fail after a commit: the "device lost mid-change" fault for tests and demos.
_lost_after_commit: set[str] = set()


def lose_after_commit(host: str, lost: bool = True) -> None:
    """Make `host` unreachable right after its next commit (or reachable again)."""
    with _lock:
        (_lost_after_commit.add if lost else _lost_after_commit.discard)(host)


def reset_scenario(name: str) -> None:
    """Put the scenario's fixtures back as shipped and forget pending commits (`noc lab reset`)."""
    with _lock:
        root = rematerialize(name)
        for path in [p for p in _pending if p.parent == root]:
            _pending.pop(path, None)
        _lost_after_commit.clear()


def has_pending(path: Path) -> bool:
    with _lock:
        return path in _pending


class LabDriver(MockDriver):  # type: ignore[misc]  # napalm ships no type information
    """A mock driver that takes merges. `optional_args["lab_clock"]` times the revert timer."""

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60,
                 optional_args: dict[str, Any] | None = None) -> None:
        super().__init__(hostname, username, password, timeout, optional_args)
        args = optional_args or {}
        self._clock: Callable[[], float] = args.get("lab_clock") or time.monotonic
        self._host = Path(self.path).name
        self._candidate: list[str] | None = None

    # -- session ----------------------------------------------------------------------------

    def open(self) -> None:
        super().open()
        with _lock:
            if self._host in _lost_after_commit and Path(self.path) in _pending:
                self.opened = False
                raise napalm_exc.ConnectionException(f"{self._host}: no route to host (lab fault)")
            self._expire_locked()

    def _expire_locked(self) -> None:
        """The device's own revert timer: an unconfirmed commit past its deadline is undone."""
        pending = _pending.get(Path(self.path))
        if pending is not None and self._clock() >= pending.deadline:
            _restore(pending)
            _pending.pop(Path(self.path), None)

    # -- configuration ----------------------------------------------------------------------

    def get_config(self, retrieve: str = "all", full: bool = False, sanitized: bool = False,
                   format: str = "text") -> dict[str, str]:  # noqa: A002 - NAPALM's signature
        self._raise_if_closed()
        return dict(_read_config(Path(self.path)))

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self._raise_if_closed()
        text = Path(filename).read_text() if filename else (config or "")
        self._candidate = [line.rstrip() for line in text.splitlines() if line.strip()]

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        raise NotImplementedError("the lab takes merges only")

    def compare_config(self, filename: str | None = None, config: str | None = None) -> str:
        self._raise_if_closed()
        if not self._candidate:
            return ""
        before = running_of(_read_config(Path(self.path)))
        after = merge_lines(before, self._candidate)
        return config_diff(before, after)

    def discard_config(self) -> None:
        self._candidate = None

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self._raise_if_closed()
        if self._candidate is None:
            raise napalm_exc.CommitError("nothing loaded to commit")
        path = Path(self.path)
        with _lock:
            if path in _pending:
                raise napalm_exc.CommitError("Pending commit confirm already in process!")
            snapshot = {f: f.read_bytes() for f in _files_touched(path)}
            config = _read_config(path)
            new_running = merge_lines(running_of(config), self._candidate)
            (path / _CONFIG_FILE).write_text(with_running(config, new_running))
            _apply_remedies(path, new_running)
            if revert_in is not None:
                _pending[path] = _Pending(self._clock() + revert_in, snapshot)
        self._candidate = None

    def confirm_commit(self) -> None:
        self._raise_if_closed()
        with _lock:
            if _pending.pop(Path(self.path), None) is None:
                raise napalm_exc.CommitError("no pending commit to confirm (did the revert timer expire?)")

    def has_pending_commit(self) -> bool:
        return has_pending(Path(self.path))

    def rollback(self) -> None:
        self._raise_if_closed()
        with _lock:
            pending = _pending.pop(Path(self.path), None)
            if pending is None:
                raise napalm_exc.CommitError("nothing to roll back: no pending commit")
            _restore(pending)


def config_diff(before: str, after: str) -> str:
    """What a merge changes, as `+`/`-` lines under their section line (IOS `show archive` style)."""
    out: list[str] = []
    parent = shown = ""
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:1], line[2:]
        if tag == "?":
            continue
        if text and not text.startswith(" "):
            parent = text
            if tag in "+-":
                shown = text
        if tag in "+-":
            if text.startswith(" ") and parent != shown:
                out.append(parent)
                shown = parent
            out.append(f"{tag}{text}")
    return "\n".join(out)


def _read_config(path: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((path / _CONFIG_FILE).read_text())
    return data


def _files_touched(path: Path) -> list[Path]:
    """The running config and every file a remedy may replace: what a rollback restores."""
    files = [path / _CONFIG_FILE]
    for remedy in get_scenario(path.parent.name).remedies:
        for host, names in remedy.restore.items():
            files += [path.parent / host / name for name in names]
    return list(dict.fromkeys(files))


def _apply_remedies(path: Path, running: str) -> None:
    """A fix that is now in the running config clears the symptoms the scenario ties to it."""
    host = path.name
    for remedy in get_scenario(path.parent.name).remedies:
        if remedy.device == host and remedy.present_in(running):
            for other, names in remedy.restore.items():
                for name in names:
                    shutil.copyfile(_DEVICES_DIR / other / name, path.parent / other / name)


def _restore(pending: _Pending) -> None:
    for file, content in pending.snapshot.items():
        file.write_bytes(content)
