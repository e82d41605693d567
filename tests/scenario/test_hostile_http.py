"""The hostile HTTP corpus against the real aiohttp app (issue 22): every malformed request to
/alerts/*, /slack/events or anything else the server serves gets a status under 500 and at most
one log line from the front door, nothing anywhere logs a traceback, and a valid Slack event and
a valid alert sent after the whole corpus are still handled.

The corpus (tests/harness/hostile_corpus.py, data in tests/data/hostile/) is sent as raw bytes on a
socket: wrong content types, truncated, huge and chunked bodies, JSON nested 10,000 deep, invalid
UTF-8 in headers and bodies, duplicate keys, 1e999, NaN, huge integers, every field of real
Alertmanager and Slack payloads replaced by every wrong type, odd methods and paths.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.http_input import BodyRejected, decode_json
from tests.fakes.slack_api import (
    BOT_ID,
    app_mention_event,
    fake_slack,  # noqa: F401
)
from tests.harness.hostile_corpus import DATA, Corpus, Probe, load_json, send
from tests.harness.slack_bot import SECRET, start

TOKEN = "alert-token-0123456789"
CHANNEL = "C0NOCALERTS"
# The loggers of what answers a request before any listener runs.
FRONT_DOOR = ("aiohttp", "bot.slack.http_guard", "bot.http_input", "bot.triage.http", "bot.server.app", "slack_bolt")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs():
    root, handler = logging.getLogger(), Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def bot_options(monkeypatch):
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)

    def configure(b):
        b.runtime.settings.alerts.channel = CHANNEL

    return {"scenario": "interface-errors", "configure": configure}


def address(bot) -> tuple[str, int]:
    host, port = bot.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def traced(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:200]} ({r.exc_info[0].__name__ if r.exc_info else ''})" for r in records
            if r.exc_info or "Traceback" in r.getMessage()]


async def test_the_hostile_corpus_gets_4xx_one_line_and_no_traceback_and_the_bot_still_works(bot, fake_slack, logs):
    host, port = address(bot)
    probes = Corpus(TOKEN, SECRET).all()
    assert len(probes) > 3000
    failures, statuses = [], {}
    for probe in probes:
        start_at = len(logs.records)
        status = await send(host, port, probe)
        statuses[status] = statuses.get(status, 0) + 1
        door = [r for r in logs.records[start_at:] if r.name.startswith(FRONT_DOOR)]
        if status is None and not probe.may_drop:
            failures.append(f"{probe.name}: no answer")
        elif status is not None and status >= 500:
            failures.append(f"{probe.name}: {status}")
        elif status is not None and status >= 400 and len(door) > 1:
            failures.append(f"{probe.name}: {status} with {len(door)} log lines: {[r.getMessage()[:80] for r in door]}")
        elif any(r.levelno >= logging.ERROR for r in door):
            failures.append(f"{probe.name}: {status} logged an error: {[r.getMessage()[:80] for r in door]}")
    assert not failures, f"{len(failures)} of {len(probes)} probes: " + "\n".join(failures[:40])
    assert statuses.get(400, 0) > 1500 and statuses.get(202, 0) > 100  # the corpus reached the parsers, and valid mutations passed

    # After all that, the bot still answers a person and takes an alert.
    event = app_mention_event("why is dist-sw-01 dropping packets?")
    status, _ = await bot.post(event)
    assert status == 200
    await fake_slack.wait_for_async(lambda s: any(m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in m.get("blocks") or [])
                                                  for m in s.thread(event["event"]["channel"], event["event"]["ts"])), timeout=60)
    alert = load_json("alertmanager/webhook_v4_firing.json") | {"groupKey": '{}:{alertname="AfterTheCorpus"}'}
    alert["groupLabels"] = alert["commonLabels"] = alert["commonLabels"] | {"alertname": "AfterTheCorpus"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{bot.url}/alerts/alertmanager", json=alert, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 202, await r.text()
        async with session.get(f"{bot.url}/healthz") as r:
            assert r.status == 200
    await fake_slack.wait_for_async(lambda s: any("AfterTheCorpus" in (m.get("text") or "") + str(m.get("blocks") or "")
                                                  for m in s.bot_messages(CHANNEL)), timeout=60)
    assert traced(logs.records) == []


@pytest.mark.parametrize("value", [b"Bearer \xff\xfe", b"\xc3\x28", TOKEN.encode() + b"\x80"])
async def test_a_non_utf8_authorization_header_is_401_on_one_line(bot, logs, value):
    body = (DATA / "alertmanager" / "webhook_v4_firing.json").read_bytes()
    probe = Probe("auth", "/alerts/alertmanager", body, [(b"Authorization", value), (b"Content-Type", b"application/json")])
    assert await send(*address(bot), probe) == 401
    lines = [r for r in logs.records if r.name.startswith(FRONT_DOOR)]
    assert len(lines) == 1 and "missing or wrong bearer token" in lines[0].getMessage()
    assert traced(logs.records) == []


@pytest.mark.parametrize("path", ["/alerts/alertmanager", "/alerts/generic"])
async def test_json_nested_10k_deep_is_400_with_the_reason(bot, logs, path):
    probe = Corpus(TOKEN, SECRET).alert(path, b"[" * 10_000 + b"]" * 10_000)
    assert await send(*address(bot), probe) == 400
    [line] = [r for r in logs.records if r.name.startswith(FRONT_DOOR)]
    assert "nested" in line.getMessage() and line.levelno == logging.WARNING
    assert traced(logs.records) == []


async def test_malformed_http_below_the_handlers_is_one_info_line(bot, logs):
    """aiohttp's own parser refuses these before any handler; its traceback is turned into one line."""
    for i, headers in enumerate([[(b"Content-Length", b"abc")], [(b"X-\xffName", b"v")], [(b"Content-Encoding", b"gzip")]]):
        before = len(logs.records)
        status = await send(*address(bot), Probe(f"bad {i}", "/alerts/generic", b'{"device":"x","summary":"y"}',
                                                  [(b"Authorization", f"Bearer {TOKEN}".encode()), *headers]))
        assert status == 400
        # the access log has its own line for every request (issue 26); the rejection adds one more at most
        access = [r for r in logs.records[before:] if r.name == "noc.access"]
        lines = [r for r in logs.records[before:] if r.name != "noc.access"]
        assert len(access) <= 1 and len(lines) == 1 and lines[0].levelno <= logging.WARNING, [r.getMessage() for r in lines]
    assert traced(logs.records) == []


@pytest.mark.parametrize(("raw", "reason"), [
    (b'{"version":"4","version":"3"}', "duplicate key 'version'"),
    (b'{"a":NaN}', "NaN is not a JSON number"),
    (b'{"a":-Infinity}', "-Infinity is not a JSON number"),
    (b'{"a":1e999}', "number 1e999 is out of range"),
    (b'{"a":' + b"9" * 5000 + b"}", "body is not JSON"),
    (b'{"a":"x\\ud800"}', "lone surrogate"),
    (b'{"a\\u0000":1}', "NUL character"),
    (b"[" * 100 + b"]" * 100, "nested deeper than 64 levels"),
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
    (b'\xef\xbb\xbf{"a":1}', "body is not JSON"),
    (b'{"a":"\xe9"}', "body is not UTF-8"),
])
def test_strict_json(raw, reason):
    with pytest.raises(BodyRejected) as err:
        decode_json(raw)
    assert err.value.status == 400 and reason in err.value.reason


def test_real_payloads_are_strict_json():
    for path in [*DATA.glob("alertmanager/*.json"), *DATA.glob("slack/*.json")]:
        decode_json(path.read_bytes())


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", float("nan")])
async def test_socket_mode_acks_and_drops_payloads_strict_json_refuses(fake_slack, tmp_path, logs, text):
    """Socket Mode has no HTTP guard; the Bolt middleware applies the same checks and acks (a
    non-200 would make Slack deliver the envelope again)."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    from handlers.app import build_app

    b = await start(fake_slack, tmp_path)
    try:
        app = build_app(b.runtime, signing_secret=None)
        body = app_mention_event("why is dist-sw-01 dropping packets?")
        body["event"]["text"] = text
        resp = await app.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=body))
        assert resp.status == 200
        assert not b.runtime.tasks and not fake_slack.calls_to("chat.postMessage")
        reason = {"a\x00b": "NUL character"}.get(text, "lone surrogate") if isinstance(text, str) else "out of range"
        [line] = [r.getMessage() for r in logs.records if "malformed" in r.getMessage()]
        assert line.startswith("ignoring a malformed payload: body holds a") and reason in line
        assert traced(logs.records) == []
    finally:
        await b.running.stop(b.runtime)


def test_alert_bodies_keep_what_the_store_cannot_hold_as_replacement_characters():
    """An alert is never refused for a NUL or a lone surrogate (Alertmanager would resend it for
    ever): they become U+FFFD; a valid surrogate pair stays the character it encodes."""
    raw = b'{"a\\u0000":"x\\ud800y\\ud83d\\ude00","b":["\\u0000"]}'
    assert decode_json(raw, replace_unstorable=True) == {"a\ufffd": "x\ufffdy\U0001F600", "b": ["\ufffd"]}
    with pytest.raises(BodyRejected):
        decode_json(raw)
