"""What the warm ask server holds when it forks a child: imported code and nothing a request's
environment should decide (bot.cli.askserver.warm_up). A child inherits all of it, so a thread, an
event loop, a logging handler, the lab's directory or an open file made here would be shared by
every ask, built from the server's environment instead of the client's. One fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.harness.paths import ROOT

_PROBE = """
import asyncio, json, logging, logging.handlers, os, sys, tempfile, threading

def open_fds():  # without opening one to list them
    found = set()
    for fd in range(4096):
        try:
            os.fstat(fd)
        except OSError:
            continue
        found.add(fd)
    return found

fds = open_fds()
from bot.cli.askserver import warm_up
warm_up()
import agents.lab
now = open_fds()
# pyeapi (NAPALM's EOS driver) makes a syslog handler at import, with a datagram socket: every noc
# process has it, connectionless, so the children sharing it is what each process would do alone.
syslog = {h.socket.fileno() for lg in logging.root.manager.loggerDict.values() for h in getattr(lg, "handlers", ())
          if isinstance(h, logging.handlers.SysLogHandler) and h.socket.type == 2}
print(json.dumps({
    "threads": threading.active_count(),
    "native_threads": int(next(l for l in open("/proc/self/status") if l.startswith("Threads:")).split()[1]),
    "root_handlers": len(logging.getLogger().handlers),
    "tempdir": tempfile.tempdir,
    "lab_dir": str(agents.lab._workdir) if agents.lab._workdir else None,
    "loop": asyncio.get_event_loop_policy()._local._loop is not None,
    "new_fds": sorted(now - fds - syslog),
    "loaded": [m for m in ("napalm", "anthropic", "bot.cli.main", "agents.engine") if m in sys.modules],
    "store": [m for m in sys.modules if m.startswith(("bot.store", "sqlalchemy", "slack_bolt"))],
}))
"""


def test_warm_up_imports_what_ask_needs_and_opens_nothing(tmp_path):
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    held = json.loads(done.stdout.strip().splitlines()[-1])
    assert held["loaded"] == ["napalm", "anthropic", "bot.cli.main", "agents.engine"]
    assert held["threads"] == 1 and held["native_threads"] == 1  # fork copies only the calling thread
    assert held["root_handlers"] == 0 and not held["loop"]
    assert held["tempdir"] is None and held["lab_dir"] is None
    assert held["new_fds"] == [] and held["store"] == []
