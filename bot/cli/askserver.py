"""The warm ask server: a detached process that has imported everything `noc ask` needs and forks
one child per request; and `noc ask-server status|stop`.

Why: see bot.cli.launch (the client). The server imports, and only imports: no settings read, no
database, no thread, no event loop, no lab directory, no logging handler, so what a child inherits
is code and constant data, and everything a request depends on (settings, API keys, the lab's temp
dir, logging) is built in the child from the request's own environment, as a fresh process would.
A child therefore also resets the few things Python caches from the environment of the process
that started (tempfile's directory, the time zone) and rebuilds sys.stdin/stdout/stderr on the
client's descriptors (their buffering follows whether they are a terminal, as at start-up).

Life: started by an ask that found none (launch.spawn_server), it takes a lock (one server per
checkout and interpreter), imports, then listens on a socket in a 0700 directory of the user's
cache directory, checking each peer's uid. It exits after NOC_ASK_SERVER_IDLE_S without a request,
on `noc ask-server stop` or SIGTERM, and when a client's fingerprint of the installed code differs
from its own (that client runs the ordinary way, and the next ask starts a server of the new
code). Exiting, it first stops listening, then waits for its children so each client still gets
its exit status.
"""

from __future__ import annotations

import fcntl
import gc
import io
import json
import os
import selectors
import signal
import socket
import sys
import time
from typing import Any

import click

from bot.cli import launch

_REQUEST_TIMEOUT_S = 10.0


def warm_up() -> None:
    """Import what `noc ask` loads on either engine; load nothing that depends on a setting."""
    import importlib
    import pkgutil

    import anthropic  # noqa: F401 - the Claude SDK: about 1 s of CPU, the largest single import
    import napalm  # noqa: F401 - every driver; the lab reads through its mock driver

    import agents.engine  # noqa: F401
    import agents.llm
    import agents.specialists
    import bot.cli.ask  # noqa: F401
    import bot.cli.main  # noqa: F401

    for package in (agents.llm, agents.specialists):  # the specialists' rules load on their first step otherwise
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    # Not the router's model (5 ms): loading it discovers the specialists' catalogue, which reads
    # $NOC_SPECIALISTS_PATH, the server's environment and not the request's.


class Server:
    """One thread, one selector: the listening socket, the SIGCHLD wake-up pipe (a child ended:
    its status goes to its client) and each running child's client connection (signals to
    forward, or the client gone). Forking per request keeps every ask in a process of its own."""

    def __init__(self, listener: socket.socket, path: str, lock: int, fingerprint: str, idle_s: float) -> None:
        self.listener, self.path, self.lock, self.fingerprint, self.idle_s = listener, path, lock, fingerprint, idle_s
        self.inode = os.stat(path).st_ino
        self.children: dict[int, socket.socket] = {}  # child pid -> its client's connection
        self.served = 0
        self.started = time.time()
        self.last = time.monotonic()
        self.draining = False
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.stop_asked = False  # SIGTERM: drained in the loop, not inside the handler
        signal.signal(signal.SIGTERM, self._stop_asked)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")

    def _stop_asked(self, *_: object) -> None:
        self.stop_asked = True

    def run(self) -> None:
        while not (self.draining and not self.children):
            if self.stop_asked:
                self.drain()
            timeout = None if self.children or self.draining else max(0.0, self.last + self.idle_s - time.monotonic())
            if timeout == 0.0:
                self.drain()
                continue
            for key, _ in self.selector.select(timeout):
                if key.data == "accept":
                    self.accept()
                elif key.data == "wake":
                    while True:
                        try:
                            if not os.read(self.wake_r, 512):
                                break
                        except BlockingIOError:
                            break
                else:
                    self.from_client(key.fileobj, key.data)  # type: ignore[arg-type]
            self.reap()

    def drain(self) -> None:
        """Stop taking requests (the socket goes, the lock is released for a successor); the
        running children finish and their clients get their status."""
        if self.draining:
            return
        self.draining = True
        try:
            if os.stat(self.path).st_ino == self.inode:
                os.unlink(self.path)
        except OSError:
            pass
        self.selector.unregister(self.listener)
        self.listener.close()
        os.close(self.lock)
        self.lock = -1

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.last = time.monotonic()
        fds: list[int] = []
        try:
            if launch.peer_uid(conn) != os.getuid():
                raise PermissionError("another user")
            conn.settimeout(_REQUEST_TIMEOUT_S)
            header, fds, _, _ = socket.recv_fds(conn, launch.HEADER.size, 3)
            if len(header) < launch.HEADER.size:
                header += launch.recv_exact(conn, launch.HEADER.size - len(header))
            request = json.loads(launch.recv_exact(conn, launch.HEADER.unpack(header)[0]))
            self.handle(conn, request, fds)
        except (OSError, ValueError, KeyError, TypeError):
            conn.close()
        finally:
            for fd in fds:
                os.close(fd)

    def handle(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        op = request["op"]
        if op in ("status", "stop"):
            if op == "stop":
                self.drain()
            self.info(conn)
        elif op == "ask" and request["fingerprint"] != self.fingerprint:
            self.drain()  # first: the client's ordinary ask then starts a successor, which needs the lock
            conn.sendall(launch.STALE + launch.STATUS.pack(0))
            conn.close()
        elif op == "ask" and len(fds) == 3 and not self.draining:
            pid = os.fork()
            if pid == 0:
                self.child(conn, request, fds)  # never returns
            self.children[pid] = conn
            self.served += 1
            conn.sendall(launch.ACCEPTED + launch.STATUS.pack(pid))
            conn.setblocking(False)
            self.selector.register(conn, selectors.EVENT_READ, pid)
        else:
            conn.close()

    def info(self, conn: socket.socket) -> None:
        data = json.dumps({"pid": os.getpid(), "started": self.started, "served": self.served, "running": len(self.children),
                           "idle_timeout_s": self.idle_s, "stopping": self.draining, "socket": self.path,
                           "children_cpu_s": round(os.times().children_user + os.times().children_system, 3)}).encode()
        conn.sendall(launch.INFO + launch.HEADER.pack(len(data)) + data)
        conn.close()

    def from_client(self, conn: socket.socket, pid: int) -> None:
        """A signal to forward, or the client gone (then the child is told as a hung-up terminal would)."""
        try:
            data = conn.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if pid not in self.children:
            return
        for signo in data or bytes([signal.SIGHUP]):
            if signo in launch.FORWARDED:
                try:
                    os.kill(pid, signo)
                except ProcessLookupError:
                    pass
        if not data:
            self.selector.unregister(conn)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            self.last = time.monotonic()
            try:
                self.selector.unregister(conn)
            except (KeyError, ValueError):
                pass
            try:
                conn.setblocking(True)
                conn.sendall(launch.DONE + launch.STATUS.pack(status))
            except OSError:
                pass
            conn.close()

    def child(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        """In the forked child: become the client's `noc` process and run bot.cli.main:main."""
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            ignored = set(request.get("ignored", ()))
            for signo in launch.FORWARDED:  # as Python's start-up leaves them in the client
                default = signal.default_int_handler if signo == signal.SIGINT else signal.SIG_DFL
                signal.signal(signo, signal.SIG_IGN if signo in ignored else default)
            for held in (conn, *self.children.values()):
                held.close()
            self.selector.close()
            self.listener.close()
            for fd in (self.wake_r, self.wake_w, self.lock):
                if fd >= 0:
                    os.close(fd)
            become(request, fds)
            from bot.cli.main import main

            main()  # ends the process itself (bot.cli.main._exit_now)
        except BaseException as exc:  # noqa: B036 - nothing of the server may run on in a child
            os.write(2, f"noc: the ask server could not run this ask ({type(exc).__name__}: {exc}); NOC_ASK_SERVER=off runs without it\n".encode())
            os._exit(70)
        os._exit(0)


def become(request: dict[str, Any], fds: list[int]) -> None:
    """The request's descriptors, environment, working directory and argv, as the client had them."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = list(request["argv"])
    import tempfile

    tempfile.tempdir = None  # gettempdir() caches; TMPDIR is the client's now
    time.tzset()
    sys.stdin, sys.stdout, sys.stderr = (_stdio(0, "r"), _stdio(1, "w"), _stdio(2, "w"))
    for name in ("stdin", "stdout", "stderr"):  # what faulthandler and `python -X` tools fall back to
        setattr(sys, f"__{name}__", getattr(sys, name))


def _stdio(fd: int, mode: str) -> io.TextIOWrapper:
    """A text stream on `fd` as Python's start-up builds one: PYTHONIOENCODING, else the
    server's (same interpreter, flags and locale encoding: the fingerprint holds them); stdout
    line-buffered on a terminal, stderr always; unbuffered with PYTHONUNBUFFERED."""
    current = {0: sys.stdin, 1: sys.stdout, 2: sys.stderr}[fd]
    encoding, errors = current.encoding, current.errors
    given = os.environ.get("PYTHONIOENCODING", "")
    if given:
        name, _, err = given.partition(":")
        encoding, errors = name or encoding, err or errors
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED")) and mode == "w"
    raw = io.FileIO(fd, mode, closefd=False)
    buffer: Any = raw if unbuffered else (io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw))
    return io.TextIOWrapper(buffer, encoding=encoding, errors=errors, line_buffering=fd == 2 or (fd == 1 and raw.isatty()),
                            write_through=unbuffered)


def serve() -> None:
    """The server's main: lock, import, listen, serve until idle or told to stop."""
    directory = launch.server_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = launch.socket_path()
    lock = os.open(f"{path}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another server of this checkout runs, or is starting
    fingerprint = launch.fingerprint()  # before importing: a file changed meanwhile makes this server stale, never wrong
    warm_up()
    gc.collect()
    gc.freeze()  # what the imports made stays out of the children's collections (no copy-on-write for it)
    try:
        idle_s = float(os.environ.get(launch.IDLE_ENV) or launch.DEFAULT_IDLE_S)
    except ValueError:
        idle_s = launch.DEFAULT_IDLE_S
    try:
        os.unlink(path)  # a socket left by a server that was killed: the lock says none runs
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.fspath(path))
    listener.listen(64)
    Server(listener, os.fspath(path), lock, fingerprint, idle_s).run()


@click.group("ask-server")
def ask_server() -> None:
    """The warm `noc ask` server: status, stop (off with NOC_ASK_SERVER=off)."""


@ask_server.command("status")
def status_cmd() -> None:
    """Whether a server runs for this installation, its pid, requests served, idle timeout."""
    info = launch.control("status")
    if info is None:
        click.echo(f"no ask server running ({'off: ' + launch.SWITCH_ENV + '=off' if not launch.enabled() else 'the next ask starts one'})")
        sys.exit(3)
    click.echo("\n".join(f"{key}: {value}" for key, value in info.items()))


@ask_server.command("stop")
def stop_cmd() -> None:
    """Stop it: it takes no new request and exits when the running ones are done."""
    info = launch.control("stop")
    click.echo("no ask server running" if info is None else f"ask server {info['pid']} stopping")


if __name__ == "__main__":
    serve()
