"""The `noc` console entry: for `noc ask`, hand the request to a warm ask server if one runs;
everything else (and any ask the server cannot take) goes to `bot.cli.main:main` as before.

Why: a `noc ask` process spent most of its life importing (click, pydantic, the engine, NAPALM
and every driver it loads, the Claude SDK: 0.7 s offline, 1-3 s with Claude on a loaded machine)
before it did anything. The warm server (bot.cli.askserver) has imported all of that once and
forks a child per request, the pattern of Python's multiprocessing forkserver and gradle's daemon.
This module decides which way to go, so it imports only the standard library: importing click or
the project here would cost what the server is there to save.

The client passes its stdin/stdout/stderr (SCM_RIGHTS), argv, working directory and whole
environment; the child runs `bot.cli.main:main` with them and its wait status comes back, so the
client exits as the ordinary process would have (code, or the same signal). Ctrl-C and SIGTERM
on the client are forwarded to the child. An ask that found no server starts one after its answer
is printed (`spawn_server`, at exit). Any failure before the server accepted the request (no
socket, refused, another user, a server of other code) falls back to the ordinary path; the
reason is printed only at NOC_LOG_LEVEL=DEBUG.

Off: NOC_ASK_SERVER=off (the tests set it, see tests/conftest.py). Idle timeout: NOC_ASK_SERVER_IDLE_S
(default 600 s). `noc ask-server status|stop` for operators.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import struct
import sys
from collections.abc import Mapping
from pathlib import Path

SWITCH_ENV = "NOC_ASK_SERVER"
IDLE_ENV = "NOC_ASK_SERVER_IDLE_S"
DEFAULT_IDLE_S = 600.0
OFF_VALUES = frozenset({"0", "off", "false", "no", "n", "f"})
ROOT = Path(__file__).resolve().parent.parent.parent  # the directory holding agents/, bot/, handlers/
PACKAGES = ("agents", "bot", "handlers")
# Global options that take a value (bot.cli.main's group): skipped when looking for the command.
_VALUE_OPTIONS = frozenset({"--config", "--log-format"})
HEADER = struct.Struct("!I")  # the length of a JSON request or answer that follows
STATUS = struct.Struct("!i")
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# Replies of the server, one byte each (then a pid or a wait status as STATUS)
ACCEPTED, STALE, DONE, INFO = b"A", b"S", b"X", b"I"


class Unavailable(Exception):
    """The warm path cannot take this request; the ordinary path will."""


def main() -> None:
    """The `noc` console script and `python -m bot.cli`."""
    if enabled() and command_of(sys.argv[1:]) == "ask":
        try:
            status = ask(sys.argv, os.getcwd(), dict(os.environ))
        except (Unavailable, OSError) as exc:  # OSError: no working directory any more
            debug(f"ask server not used: {exc}")
        except KeyboardInterrupt:  # Ctrl-C before the server took the ask: as the ordinary path's (130)
            os._exit(130)
        else:
            exit_as(status)
        import atexit

        atexit.register(spawn_server)  # after the answer is printed and flushed (bot.cli.main._exit_now)
    from bot.cli.main import main as ordinary

    ordinary()


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(SWITCH_ENV, "on").strip().lower() not in OFF_VALUES


def command_of(args: list[str]) -> str | None:
    """The subcommand `args` name, skipping the group's options (`--config x ask ...`)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif arg == "--":
            return None
    return None


def debug(message: str) -> None:
    if any(os.environ.get(n, "").upper() == "DEBUG" for n in ("NOC_LOG__LEVEL", "NOC_LOG_LEVEL")):
        print(f"noc: {message}", file=sys.stderr)


# --- where the server lives, and which code it runs ------------------------------------------


def cache_dir() -> Path:
    """agents.router.cache.cache_dir, repeated here so deciding imports nothing of the project."""
    if os.environ.get("NOC_CACHE_DIR"):
        return Path(os.environ["NOC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "noc-chatops"


def server_dir() -> Path:
    return cache_dir() / "ask-server"


def _interpreter() -> tuple[str, str]:
    """The interpreter and its environment (venv): `noc` (python3) and `python -m bot.cli` share a server."""
    return os.path.realpath(sys.executable), sys.prefix


def socket_path() -> Path:
    """One server per interpreter and checkout: two checkouts or venvs each get their own instead of
    stopping each other's as stale."""
    key = hashlib.sha256(f"{_interpreter()}\0{ROOT}".encode()).hexdigest()[:16]
    return server_dir() / f"{key}.sock"


# Variables read while the server imports (found by recording os.environ during warm_up): a
# library's log level (ANTHROPIC_LOG), Prometheus' multiprocess mode, the specialists' extra folders
# (the catalogue is discovered at import), pyeapi's config file, NETMIKO_* prompts, how Python and
# the locale start. A child cannot take these from its request: the imports are done. So they are
# part of the fingerprint, and the server keeps them from the client that started it.
_IMPORT_ENV = frozenset({"HOME", "LANG", "LANGUAGE", "EAPI_CONF", "NOC_SPECIALISTS_PATH", "ANTHROPIC_LOG"})
_IMPORT_ENV_PREFIXES = ("PYTHON", "LC_", "PROMETHEUS_", "prometheus_", "NETMIKO_", "PYDANTIC_", "DEFER_PYDANTIC", "OTEL_")
_PER_REQUEST = frozenset({"PYTHONPATH", "PYTHONIOENCODING", "PYTHONUNBUFFERED"})  # sys.path is fingerprinted; the child applies the others


def import_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if (k in _IMPORT_ENV or k.startswith(_IMPORT_ENV_PREFIXES) or k.endswith("_NO_EXTENSIONS"))
            and k not in _PER_REQUEST}


def fingerprint() -> str:
    """What the server's imports depend on: the interpreter and its flags and encodings, sys.path
    (beyond its first entry, the script's or working directory) and each entry's mtime (an install
    or removal changes site-packages'), the variables the imports read, and every file of the
    project's packages (path, mtime, size). A server whose fingerprint differs runs other code, or
    the same code set up otherwise, than this client would."""
    import locale

    digest = hashlib.sha256()
    digest.update(repr((_interpreter(), sys.version, tuple(sys.flags), sys.getfilesystemencoding(), locale.getpreferredencoding(False),
                        str(ROOT), sys.path[1:], sorted(import_environment(os.environ).items()))).encode("utf-8", "surrogateescape"))
    for entry in sys.path[1:]:
        try:
            digest.update(f"{entry}\0{os.stat(entry).st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            continue
    for package in PACKAGES:
        _digest_tree(digest, str(ROOT / package))
    return digest.hexdigest()


def _digest_tree(digest: hashlib._Hash, top: str) -> None:
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            _digest_tree(digest, entry.path)
        else:
            st = entry.stat()
            digest.update(f"{entry.path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode("utf-8", "surrogateescape"))


# --- the client ---------------------------------------------------------------------------------


def connect(path: Path | None = None) -> socket.socket:
    """A connection to the server, checked to be this user's (its directory and its peer's uid)."""
    path = path or socket_path()
    if len(os.fsencode(path)) >= 108:  # sun_path, with its NUL
        raise Unavailable(f"socket path too long: {path}")
    try:
        st = os.lstat(path.parent)
    except OSError as exc:
        raise Unavailable(f"no server directory ({exc.strerror})") from None
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Unavailable(f"{path.parent} is not private to this user")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.fspath(path))
        uid = peer_uid(sock)
        if uid != os.getuid():
            raise Unavailable(f"the server runs as uid {uid}")
    except OSError as exc:
        sock.close()
        raise Unavailable(f"no server ({exc.strerror or exc})") from None
    except Unavailable:
        sock.close()
        raise
    return sock


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid)."""
    return int(struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1])


def send(sock: socket.socket, request: dict[str, object], fds: list[int] | None = None) -> None:
    payload = json.dumps(request).encode()
    socket.send_fds(sock, [HEADER.pack(len(payload))], fds or [])
    sock.sendall(payload)


def recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the connection closed")
        data += chunk
    return data


def ask(argv: list[str], cwd: str, environ: dict[str, str]) -> int:
    """Run this ask in a warm child; its wait status. Raises Unavailable (nothing has run yet)."""
    sock = connect()
    # Signals this process was started ignoring (a shell's background job ignores SIGINT) the child
    # ignores too, as Python keeps them ignored at start-up; the others are forwarded to it.
    ignored = [int(s) for s in FORWARDED if signal.getsignal(s) == signal.SIG_IGN]
    try:
        send(sock, {"op": "ask", "fingerprint": fingerprint(), "argv": argv, "cwd": cwd, "env": environ, "ignored": ignored}, [0, 1, 2])
        reply = recv_exact(sock, 1 + STATUS.size)
    except (OSError, ValueError) as exc:
        sock.close()
        raise Unavailable(f"the server did not take the request ({exc})") from None
    if reply[:1] == STALE:
        sock.close()
        raise Unavailable("the server runs other code; it was asked to exit")
    if reply[:1] != ACCEPTED:
        sock.close()
        raise Unavailable(f"unexpected reply {reply!r}")

    def forward(signo: int, _frame: object) -> None:
        try:
            sock.send(bytes([signo]))
        except OSError:
            pass

    for signo in FORWARDED:
        if signo not in ignored:
            signal.signal(signo, forward)
    try:
        reply = recv_exact(sock, 1 + STATUS.size)
    except OSError:
        print("noc: the ask server went away before the answer was complete", file=sys.stderr)
        return 1 << 8
    finally:
        sock.close()
    status: int = STATUS.unpack(reply[1:])[0]
    return status


def exit_as(status: int) -> None:
    """End this process as the child ended: with its exit code, or killed by the same signal."""
    code = os.waitstatus_to_exitcode(status)
    sys.stdout.flush()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 128 - code
    os._exit(code)


def control(op: str) -> dict[str, object] | None:
    """`status` or `stop` sent to the server; its answer, or None when no server listens."""
    try:
        sock = connect()
    except Unavailable:
        return None
    with sock:
        try:
            send(sock, {"op": op})
            if recv_exact(sock, 1) != INFO:
                return None
            size = HEADER.unpack(recv_exact(sock, HEADER.size))[0]
            answer: dict[str, object] = json.loads(recv_exact(sock, size))
            return answer
        except (OSError, ValueError):
            return None


# --- starting one -------------------------------------------------------------------------------

# What the server keeps of the environment that started it: what its imports read (above), where
# the cache is, and how long to idle. Not the rest (secrets, settings): each request brings its own.
_KEPT = ("PATH", "TZ", "NOC_CACHE_DIR", "XDG_CACHE_HOME", IDLE_ENV)


def server_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if k in _KEPT} | import_environment(environ)
    for name in ("NOC_CACHE_DIR", "XDG_CACHE_HOME"):  # the server runs elsewhere: the same directory as this client's
        if env.get(name):
            env[name] = os.path.abspath(env[name])
    # the same sys.path as this process (entries from PYTHONPATH made absolute, as site does here)
    if environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in environ["PYTHONPATH"].split(os.pathsep) if p)
    return env


def spawn_server() -> None:
    """Start a server in the background, detached (own session, stdio on /dev/null: nobody's pipe
    is held open by it). It exits at once if another one holds the lock."""
    if not enabled():
        return
    try:
        import subprocess

        flags = subprocess._args_from_interpreter_flags()  # type: ignore[attr-defined]  # -O, -X ..., as multiprocessing does
        subprocess.Popen([sys.executable, *flags, "-m", "bot.cli.askserver"], cwd=ROOT, env=server_environment(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError as exc:
        debug(f"could not start the ask server: {exc}")
