"""The hostile HTTP corpus (issue 22): every kind of malformed request the bot's aiohttp app may
meet, as raw bytes on a socket, so nothing (not even an HTTP client library) tidies them first.

Data lives in tests/data/hostile/ (real Alertmanager and Slack payloads, hand-written hostile
bodies; sources in its README). The generators here turn them into `Probe`s: every static body
to every POST endpoint, header bytes that are not UTF-8, truncated and huge bodies, and the real
payloads mutated field by field with values of every wrong type. tests/scenario/test_hostile_http.py
sends them to the real app and checks the answers.
"""

from __future__ import annotations

import asyncio
import copy
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_api import sign
from tests.harness.paths import DATA as TEST_DATA

DATA = TEST_DATA / "hostile"
ALERT_PATHS = ("/alerts/alertmanager", "/alerts/generic")
EVENTS_PATH = "/slack/events"


@dataclass
class Probe:
    name: str
    path: str
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    method: str = "POST"
    declared_length: int | None = None  # a Content-Length other than len(body): the body is cut short
    chunked: bool = False
    may_drop: bool = False  # the server may close without answering (a body that never arrives)


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def static_bodies() -> list[tuple[str, str | None, bytes]]:
    out = []
    for case in load_json("bodies.json")["cases"]:
        raw = bytes.fromhex(case["body_hex"]) if "body_hex" in case else case["body"].encode("utf-8", "surrogatepass")
        out.append((case["name"], case["content_type"], raw))
    return out


# --- wrong values, for every field of the real payloads ---------------------------------------------

def deep(n: int) -> Any:
    value: Any = []
    for _ in range(n):
        value = [value]
    return value


HOSTILE_VALUES: list[tuple[str, Any]] = [
    ("null", None), ("true", True), ("zero", 0), ("negative", -1), ("float", 1.5), ("big int", 10**40),
    ("inf", float("inf")), ("nan", float("nan")), ("empty string", ""), ("long string", "x" * 20_000),
    ("NUL", "a\x00b"), ("lone surrogate", "a\ud800b"), ("mention", "<!channel> <@U000> <https://evil.example|x>"),
    ("empty list", []), ("list", ["a", 1]), ("empty object", {}), ("object", {"a": {"b": [1]}}), ("deep 200", deep(200)),
]


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path of a JSON document (list items: the first one only)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from _paths(value[0], (*prefix, 0))


def mutations(doc: Any) -> Iterator[tuple[str, Any]]:
    """The document with one field replaced by each hostile value, and with it removed."""
    for path in _paths(doc):
        for label, value in HOSTILE_VALUES:
            mutated = copy.deepcopy(doc)
            parent = mutated
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value  # shared, never changed
            yield f"{'.'.join(map(str, path))}={label}", mutated
        removed = copy.deepcopy(doc)
        parent = removed
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        yield f"{'.'.join(map(str, path))} removed", removed


def dumps(doc: Any) -> bytes:
    """JSON as a careless sender writes it: NaN/Infinity literals, lone surrogates kept as escapes."""
    return json.dumps(doc, allow_nan=True).encode("ascii")


# --- probes ---------------------------------------------------------------------------------

def json_headers(ctype: str | None = "application/json") -> list[tuple[bytes, bytes]]:
    return [] if ctype is None else [(b"Content-Type", ctype.encode("utf-8", "surrogatepass"))]


class Corpus:
    """Builds probes for a bot whose alert token and Slack signing secret are known."""

    def __init__(self, alert_token: str, signing_secret: str) -> None:
        self.token, self.secret = alert_token, signing_secret

    def alert(self, path: str, body: bytes, ctype: str | None = "application/json", name: str = "") -> Probe:
        return Probe(name, path, body, [(b"Authorization", f"Bearer {self.token}".encode()), *json_headers(ctype)])

    def slack(self, body: bytes, ctype: str | None = None, name: str = "") -> Probe:
        signed = sign(body, self.secret)
        headers = [(b"X-Slack-Request-Timestamp", signed["X-Slack-Request-Timestamp"].encode()),
                   (b"X-Slack-Signature", signed["X-Slack-Signature"].encode())]
        ctype = signed["Content-Type"] if ctype == "auto" else ctype
        return Probe(name, EVENTS_PATH, body, headers + json_headers(ctype))

    def static(self) -> Iterator[Probe]:
        for name, ctype, body in static_bodies():
            for path in ALERT_PATHS:
                yield self.alert(path, body, ctype, f"body {name} -> {path}")
            yield self.slack(body, ctype, f"body {name} -> {EVENTS_PATH}")

    def headers(self) -> Iterator[Probe]:
        body = (DATA / "alertmanager" / "webhook_v4_firing.json").read_bytes()
        bad = [b"Bearer \xff\xfe", b"\xc3\x28", f"Bearer {self.token}".encode() + b"\x80", b"Bearer " + b"\xed\xa0\x80",
               b"Basic \xe9t\xe9", b"\x00", b"Bearer " + b"A" * 7000]
        for i, value in enumerate(bad):
            for path in ALERT_PATHS:
                yield Probe(f"Authorization bytes {i} -> {path}", path, body, [(b"Authorization", value), *json_headers()])
        event = dumps(load_json("slack/event_app_mention.json"))
        signed = sign(event, self.secret)
        ts, sig = signed["X-Slack-Request-Timestamp"].encode(), signed["X-Slack-Signature"].encode()
        for i, (t, s) in enumerate([(b"\xff\xfe", sig), ("١٢٣٤٥٦٧٨٩٠".encode(), sig), (ts, b"v0=\xff" + sig[4:]), (ts, sig + b"\x80"),
                                    (ts + b" ", sig), (b"-1", sig), (b"9" * 40, sig), (ts, b"")]):
            yield Probe(f"signature headers {i}", EVENTS_PATH, event,
                        [(b"X-Slack-Request-Timestamp", t), (b"X-Slack-Signature", s), *json_headers()])
        for i, ctype in enumerate([b"application/json; charset=\xff", b"\xff\xfe/\xff", b"application/json; charset=utf-8; charset=latin-1"]):
            yield self.alert("/alerts/alertmanager", body, None, f"no content type {i}")
            yield Probe(f"content-type bytes {i} -> alerts", "/alerts/alertmanager", body,
                        [(b"Authorization", f"Bearer {self.token}".encode()), (b"Content-Type", ctype)])
            yield Probe(f"content-type bytes {i} -> slack", EVENTS_PATH, event, [(b"X-Slack-Request-Timestamp", ts),
                                                                                   (b"X-Slack-Signature", sig), (b"Content-Type", ctype)])
        for i, extra in enumerate([[(b"X-Custom", b"\xff\xfe\xfd")], [(b"X-\xffName", b"v")], [(b"Content-Length", b"abc")],
                                   [(b"Content-Length", b"-1")], [(b"Content-Length", b"99999999999999999999999")],
                                   [(b"X-Long", b"a" * 20_000)], [(f"X-H{n}".encode(), b"v") for n in range(300)],
                                   [(b"Transfer-Encoding", b"gzip")], [(b"Content-Encoding", b"gzip")], [(b"Expect", b"100-continue")]]):
            for path in (*ALERT_PATHS, EVENTS_PATH):
                yield Probe(f"odd headers {i} -> {path}", path, body, [(b"Authorization", f"Bearer {self.token}".encode()),
                                                                       *json_headers(), *extra], may_drop=True)
        for path in ("/alerts/%ff", "/alerts/alertmanager?%ff=%fe", "/slack/events?x=%ff&x=\xff", "/%00", "/alerts/../slack/events",
                     "/healthz?" + "a=1&" * 5000, "/metrics/%2e%2e/", "/" + "a" * 5000):
            yield Probe(f"odd path {path[:40]!r}", path, body, json_headers(), may_drop=True)
        for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
            for path in (*ALERT_PATHS, EVENTS_PATH, "/healthz", "/metrics"):
                yield Probe(f"{method} {path}", path, b"", [], method=method)

    def sizes(self) -> Iterator[Probe]:
        body = (DATA / "alertmanager" / "webhook_v4_firing.json").read_bytes()
        event = dumps(load_json("slack/event_app_mention.json"))
        for cut in (1, len(body) // 2, len(body) - 1):
            yield Probe(f"alert cut at {cut}", "/alerts/alertmanager", body[:cut],
                        [(b"Authorization", f"Bearer {self.token}".encode()), *json_headers()], declared_length=len(body), may_drop=True)
        for cut in (1, len(event) // 2):
            signed = self.slack(event, "application/json", f"slack cut at {cut}")
            signed.body, signed.declared_length, signed.may_drop = event[:cut], len(event), True
            yield signed
        for path, size in (("/alerts/alertmanager", 300 * 1024), ("/alerts/generic", 3 * 1024 * 1024), (EVENTS_PATH, 2 * 1024 * 1024)):
            big = b'{"pad":"' + b"x" * size + b'"}'
            yield self.alert(path, big, name=f"{size} bytes -> {path}") if path != EVENTS_PATH else self.slack(big, "application/json", f"{size} bytes -> slack")
            chunked = self.alert(path, big, name=f"{size} bytes chunked -> {path}")
            chunked.chunked, chunked.may_drop = True, True
            yield chunked
            claim = self.alert(path, b"{}", name=f"claims 10 GB -> {path}")
            claim.declared_length, claim.may_drop = 10 * 1024**3, True
            yield claim

    def mutated(self) -> Iterator[Probe]:
        for sample in ("webhook_v4_firing.json", "webhook_v4_resolved.json"):
            for name, doc in mutations(load_json(f"alertmanager/{sample}")):
                yield self.alert("/alerts/alertmanager", dumps(doc), name=f"{sample} {name}")
        generic = {"device": "edge-rtr-01", "summary": "Gi0/0/1 is down", "severity": "critical",
                   "labels": {"alertname": "InterfaceDown", "interface": "Gi0/0/1"}, "status": "firing", "fingerprint": "f00d"}
        for name, doc in mutations(generic):
            yield self.alert("/alerts/generic", dumps(doc), name=f"generic {name}")
        for sample in ("event_app_mention.json", "event_message.json", "url_verification.json"):
            for name, doc in mutations(load_json(f"slack/{sample}")):
                yield self.slack(dumps(doc), "application/json", f"{sample} {name}")
        for name, doc in mutations(load_json("slack/interaction_block_actions.json")):
            yield self.slack(b"payload=" + urllib.parse.quote(dumps(doc)).encode(), "application/x-www-form-urlencoded", f"block_actions {name}")
        form = dict(urllib.parse.parse_qsl((DATA / "slack" / "slash_command.form").read_text().strip()))
        for key in form:
            for label, value in (("empty", ""), ("NUL", "\x00"), ("long", "x" * 50_000), ("bad utf8", None), ("removed", ...)):
                fields = dict(form)
                if value is ...:
                    del fields[key]
                    body = urllib.parse.urlencode(fields).encode()
                elif value is None:
                    body = urllib.parse.urlencode(fields).encode().replace(f"{key}=".encode(), f"{key}=%FF%C3%28".encode(), 1)
                else:
                    fields[key] = value
                    body = urllib.parse.urlencode(fields).encode()
                yield self.slack(body, "application/x-www-form-urlencoded", f"slash command {key} {label}")

    def all(self) -> list[Probe]:
        return [*self.static(), *self.headers(), *self.sizes(), *self.mutated()]


# --- sending ----------------------------------------------------------------------------------

async def send(host: str, port: int, probe: Probe, timeout: float = 30.0) -> int | None:
    """Send `probe` as raw HTTP/1.1; the status code, or None when the server closed without one."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = [f"{probe.method} ".encode() + probe.path.encode("utf-8", "surrogateescape") + b" HTTP/1.1",
                f"Host: {host}:{port}".encode(), b"Connection: close"]
        head += [name + b": " + value for name, value in probe.headers]
        if probe.chunked:
            head.append(b"Transfer-Encoding: chunked")
        elif not any(name.lower() == b"content-length" for name, _ in probe.headers) and probe.method not in ("GET", "HEAD"):
            head.append(b"Content-Length: " + str(probe.declared_length or len(probe.body)).encode())
        writer.write(b"\r\n".join(head) + b"\r\n\r\n")
        try:
            if probe.chunked:
                for i in range(0, len(probe.body), 65536):
                    chunk = probe.body[i:i + 65536]
                    writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(probe.body)
            await writer.drain()
            if probe.declared_length is not None:
                writer.write_eof()  # the rest of the body never comes
        except (ConnectionError, OSError):
            pass  # the server answered (413) and closed before taking it all: read what it said
        while True:  # the final status line, past any interim 1xx (100 Continue)
            try:
                first = await asyncio.wait_for(reader.readline(), timeout)
            except (ConnectionError, OSError):
                return None
            parts = first.split()
            if len(parts) < 2 or not parts[1].isdigit():
                return None
            if not parts[1].startswith(b"1"):
                return int(parts[1])
            while (await asyncio.wait_for(reader.readline(), timeout)).strip():
                pass
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
