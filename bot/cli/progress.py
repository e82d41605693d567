"""Progress of long every-device work (`noc audit --all`, `noc health`) on a terminal.

One line on stderr, rewritten in place: the phase, devices done out of the total and the seconds
elapsed. Shown only when stderr is a terminal (or `--progress` asks for it), so output that is
piped or redirected, `--json` included, is byte for byte what it was; `--quiet` never shows it.
Redrawn at most ten times a second, so 5,000 devices cost a terminal a few dozen writes.
Written here rather than with click.progressbar: that one owns a single phase and its iterator,
while the sweep reports two phases from worker tasks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

_REDRAW_S = 0.1


class DeviceProgress:
    """`progress(phase, done, total)`: redraws one status line on a terminal, plain lines elsewhere."""

    def __init__(self, stream: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stderr
        self._clock = clock
        self._start = clock()
        self._tty = _isatty(self.stream)
        self._phase = ""
        self._drawn = float("-inf")
        self._width = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = self._clock()
        finished = done >= total
        if phase == self._phase and not finished and now - self._drawn < _REDRAW_S:
            return
        if phase != self._phase and self._phase and self._tty and self._width:
            self.stream.write("\n")  # keep the previous phase's last line
            self._width = 0
        self._phase, self._drawn = phase, now
        text = f"{phase} {done}/{total} devices, {now - self._start:.1f}s"
        if self._tty:
            self.stream.write("\r" + text.ljust(self._width) + ("\n" if finished else ""))
            self._width = 0 if finished else len(text)
        elif finished or done == 1:  # forced on a non-terminal (--progress): first and last only
            self.stream.write(text + "\n")
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_for(quiet: bool, forced: bool, stream: TextIO | None = None) -> DeviceProgress | None:
    """The progress callback a command uses: None when quiet, or when stderr is not a terminal and not forced."""
    stream = stream or sys.stderr
    if quiet or not (forced or _isatty(stream)):
        return None
    return DeviceProgress(stream)
