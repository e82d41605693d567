"""The lab's write path: NAPALM's mock driver, extended so a committed merge changes the lab.

The mock driver answers every getter from a fixture file and cannot take configuration. The
change pipeline needs a lab that behaves like a device: a merge lands in the running config,
`compare_config` shows what it would change, a commit with `revert_in` rolls itself back unless
confirmed, and the fault's symptoms go away when the fix is in (the scenario's `remedies` say
which fixture files return to the healthy base once which configuration lines are present).

State lives in the materialized fixture directory (see `agents.lab._materialize`), so the plain
mock driver that serves reads sees a commit at once; the pending commit (its snapshot and revert
deadline) is a file next to it, so like a real device's it outlives the process that committed
(with `NOC_LAB_DIR` the lab is shared by successive processes). `reset_scenario` puts everything
back. `hold` makes a device hang at a chosen step of a commit, for fault tests that kill the bot
at that step (the device says it is held by a marker file, so a test waits on state, not time).
"""

from __future__ import annotations

import base64
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
from agents.lab.junos_merge import compare, merge_set_lines
from agents.lab.merge import merge_lines, running_of, with_running

_CONFIG_FILE = "get_config.1"


# The OSes whose NAPALM driver takes `revert_in` (NAPALM 5.2: ios, eos, junos); the lab device
# stands in for its OS's driver, so on the others a commit with a timer is refused as there.
REVERT_OSES = ("ios", "eos", "junos")
_PENDING_FILE = ".pending-commit.json"
HOLD_POINTS = ("commit", "committed", "confirm")


@dataclass
class _Pending:
    deadline: float
    snapshot: dict[Path, bytes] = field(default_factory=dict)


_lock = threading.Lock()
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
        for marker in [*root.glob(f"*/{_PENDING_FILE}"), *root.glob("*/.hold-*"), *root.glob("*/.held-*")]:
            marker.unlink(missing_ok=True)
        _lost_after_commit.clear()


def has_pending(path: Path) -> bool:
    with _lock:
        return _load_pending(path) is not None


def expire_pending(path: Path) -> None:
    """Tests: make the pending commit's revert deadline lie in the past (the device's timer ran
    out while nobody was looking); the next session on the device undoes the commit."""
    with _lock:
        pending = _load_pending(path)
        if pending is not None:
            _save_pending(path, _Pending(float("-inf"), pending.snapshot))


def hold(path: Path, point: str, on: bool = True) -> Path:
    """Make the device at `path` hang at `point` of its next commit (one of HOLD_POINTS) until
    released; returns the marker file the device writes once it is held there."""
    if point not in HOLD_POINTS:
        raise ValueError(f"unknown hold point {point!r}: one of {HOLD_POINTS}")
    gate = path / f".hold-{point}"
    if on:
        gate.touch()
    else:
        gate.unlink(missing_ok=True)
    return path / f".held-{point}"


def _gate(path: Path, point: str) -> None:
    """The held device: it answers nothing until the hold is lifted (or the process dies)."""
    gate = path / f".hold-{point}"
    if not gate.exists():
        return
    (path / f".held-{point}").touch()
    while gate.exists():
        time.sleep(0.05)


def _load_pending(path: Path) -> _Pending | None:
    try:
        raw = json.loads((path / _PENDING_FILE).read_text())
    except FileNotFoundError:
        return None
    root = path.parent
    return _Pending(float(raw["deadline"]), {root / name: base64.b64decode(data) for name, data in raw["snapshot"].items()})


def _save_pending(path: Path, pending: _Pending | None) -> None:
    file = path / _PENDING_FILE
    if pending is None:
        file.unlink(missing_ok=True)
        return
    raw = {"deadline": pending.deadline,
           "snapshot": {str(f.relative_to(path.parent)): base64.b64encode(c).decode() for f, c in pending.snapshot.items()}}
    tmp = file.with_suffix(".tmp")
    tmp.write_text(json.dumps(raw))
    tmp.replace(file)


class LabDriver(MockDriver):  # type: ignore[misc]  # napalm ships no type information
    """A mock driver that takes merges. `optional_args["lab_clock"]` times the revert timer, and
    `optional_args["lab_os"]` is the OS the device stands in for (Junos takes `set` lines)."""

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60,
                 optional_args: dict[str, Any] | None = None) -> None:
        super().__init__(hostname, username, password, timeout, optional_args)
        args = optional_args or {}
        self._clock: Callable[[], float] = args.get("lab_clock") or time.monotonic
        self._os = str(args.get("lab_os") or "ios")
        self._host = Path(self.path).name
        self._candidate: list[str] | None = None

    # -- session ----------------------------------------------------------------------------

    def open(self) -> None:
        super().open()
        with _lock:
            if self._host in _lost_after_commit and _load_pending(Path(self.path)) is not None:
                self.opened = False
                raise napalm_exc.ConnectionException(f"{self._host}: no route to host (lab fault)")
            self._expire_locked()

    def _expire_locked(self) -> None:
        """The device's own revert timer: an unconfirmed commit past its deadline is undone."""
        pending = _load_pending(Path(self.path))
        if pending is not None and self._clock() >= pending.deadline:
            _restore(pending)
            _save_pending(Path(self.path), None)

    def __getattribute__(self, name: str) -> Any:
        # The mock driver answers every get_* from a per-call-count fixture file (get_config.2 for
        # a session's second read); the lab's running config is one file, read as often as asked.
        if name == "get_config":
            return object.__getattribute__(self, name)
        return super().__getattribute__(name)

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
        if self._os == "junos":
            return compare(merge_set_lines(before, self._candidate)[1])
        return config_diff(before, self._merged(before))

    def _merged(self, running: str) -> str:
        if self._os == "junos":
            return merge_set_lines(running, self._candidate or [])[0]
        return merge_lines(running, self._candidate or [])

    def discard_config(self) -> None:
        self._candidate = None

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self._raise_if_closed()
        if self._candidate is None:
            raise napalm_exc.CommitError("nothing loaded to commit")
        if revert_in is not None and self._os not in REVERT_OSES:  # as NAPALM's nxos and iosxr drivers do
            raise NotImplementedError("Commit confirm has not been implemented on this platform.")
        path = Path(self.path)
        _gate(path, "commit")
        with _lock:
            if _load_pending(path) is not None:
                raise napalm_exc.CommitError("Pending commit confirm already in process!")
            snapshot = {f: f.read_bytes() for f in _files_touched(path)}
            config = _read_config(path)
            new_running = self._merged(running_of(config))
            if revert_in is not None:  # armed before the write: a crash in between leaves no unarmed commit
                _save_pending(path, _Pending(self._clock() + revert_in, snapshot))
            (path / _CONFIG_FILE).write_text(with_running(config, new_running))
            _apply_remedies(path, new_running)
        self._candidate = None
        _gate(path, "committed")

    def confirm_commit(self) -> None:
        self._raise_if_closed()
        _gate(Path(self.path), "confirm")
        with _lock:
            if _load_pending(Path(self.path)) is None:
                raise napalm_exc.CommitError("no pending commit to confirm (did the revert timer expire?)")
            _save_pending(Path(self.path), None)

    def has_pending_commit(self) -> bool:
        return has_pending(Path(self.path))

    def rollback(self) -> None:
        self._raise_if_closed()
        with _lock:
            pending = _load_pending(Path(self.path))
            if pending is None:
                raise napalm_exc.CommitError("nothing to roll back: no pending commit")
            _restore(pending)
            _save_pending(Path(self.path), None)


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
