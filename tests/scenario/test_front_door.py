"""The front door under hostile input (tracker issue 9): malformed requests to /slack/events are
answered 400/401/413 without a traceback, and user text cannot make the keyword router slow.

Requests go through the real aiohttp app (bot.server.app + bot.slack.http_guard in front of Bolt), signed
with the secret the Slack tests use unless the case is about the signature. Router linearity is
not timed here (bench/adversarial_input.py measures it); the tests pin down that the rewritten
patterns match exactly what the plain ones did, and that 40 KB adversarial inputs are routed and
answered.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import tempfile
import time
import urllib.parse
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from slack_bolt.request.async_request import AsyncBoltRequest

from agents.models import MAX_QUESTION_CHARS
from agents.network.inventory import Inventory
from agents.routing import _DEVICE_LIKE, asks_for_report, extract_devices, hinted_devices, route, score
from bot.slack import http_guard
from bot.slack.http_guard import payload_problem, signing_secret_of
from handlers.app import build_app
from handlers.common import strip_mentions
from tests.fakes.slack_api import (
    FakeSlack,
    app_mention_event,
    block_action,
    fake_slack,  # noqa: F401
    post_signed_async,
    sign,
    slash_command,
)
from tests.harness.slack_bot import OPERATOR, SECRET, answer_message, start, texts

JSON_TYPE = {"Content-Type": "application/json"}
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}


def event_callback(event: dict | None = None, **envelope) -> dict:
    body = app_mention_event("why is the branch office slow?")
    if event is not None:
        body["event"] = event
    return body | envelope


def mention_without(*fields: str) -> dict:
    body = app_mention_event("why is the branch office slow?")
    for f in fields:
        del body["event"][f]
    return body


def mention_with(**fields) -> dict:
    body = app_mention_event("why is the branch office slow?")
    body["event"].update(fields)
    return body


def form(**fields) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def button(**changes) -> bytes:
    payload = block_action("noc_feedback_up", "req-1", message_ts="1700000000.000100")
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return form(payload=json.dumps(payload))


def no_trouble_logged(caplog) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]
    assert "Traceback" not in caplog.text


# (id, body: dict for JSON / bytes as is, extra headers, expected status). All signed correctly.
MALFORMED = [
    ("not-json-with-json-type", b"this is not json", JSON_TYPE, 400),
    ("truncated-json", b'{"type": "event_callback", "event": {', JSON_TYPE, 400),
    ("payload-form-not-json", b"payload=%7Bx", FORM_TYPE, 400),
    ("payload-form-bad-escape", b"payload=%ZZ%7B", FORM_TYPE, 400),
    ("payload-form-json-array", form(payload="[1, 2]"), FORM_TYPE, 400),
    ("invalid-utf8", b'{"type": "event_callback", "x": "\xff\xfe\xc3"}', JSON_TYPE, 400),
    ("invalid-utf8-form", b"command=%2Fnoc&text=\xff\xfe", FORM_TYPE, 400),
    ("utf8-bom", b'\xef\xbb\xbf{"type": "url_verification", "challenge": "c"}', JSON_TYPE, 400),
    ("empty-body", b"", JSON_TYPE, 400),
    ("empty-form", b"", FORM_TYPE, 400),
    ("whitespace-body", b"   \n", JSON_TYPE, 400),
    ("json-array", b"[1, 2, 3]", JSON_TYPE, 400),
    ("json-string", b'"event_callback"', JSON_TYPE, 400),
    ("json-number", b"42", JSON_TYPE, 400),
    ("json-null", b"null", JSON_TYPE, 400),
    ("deeply-nested-json", b'{"type": "event_callback", "event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     JSON_TYPE, 400),
    ("text-plain", json.dumps(event_callback()).encode(), {"Content-Type": "text/plain"}, 400),
    ("multipart", b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",
     {"Content-Type": "multipart/form-data; boundary=x"}, 400),
    ("garbage-content-type", json.dumps(event_callback()).encode(), {"Content-Type": ";;=="}, 400),
    ("unknown-charset", json.dumps(event_callback()).encode(), {"Content-Type": "application/json; charset=klingon"}, 400),
    ("latin1-charset", json.dumps(event_callback()).encode(), {"Content-Type": "application/json; charset=latin-1"}, 400),
    ("form-without-type", form(foo="bar"), FORM_TYPE, 400),
    ("no-type", {"token": "x", "team_id": "T1"}, {}, 400),
    ("type-not-string", {"type": ["event_callback"]}, {}, 400),
    ("url-verification-without-challenge", {"type": "url_verification", "token": "x"}, {}, 400),
    ("url-verification-challenge-not-string", {"type": "url_verification", "challenge": {"a": 1}}, {}, 400),
    ("event-callback-without-event", {"type": "event_callback", "event_id": "Ev1"}, {}, 400),
    ("event-not-object", event_callback(event=["app_mention"]), {}, 400),
    ("event-without-type", event_callback(event={"channel": "C0NOC", "ts": "1.2", "text": "hi"}), {}, 400),
    ("event-type-not-string", event_callback(event={"type": 7, "channel": "C0NOC", "ts": "1.2"}), {}, 400),
    ("event-id-list", event_callback(event_id=["Ev1", "Ev2"]), {}, 400),
    ("event-id-object", event_callback(event_id={"id": "Ev1"}), {}, 400),
    ("team-id-number", event_callback(team_id=12345), {}, 400),
    ("mention-without-channel", mention_without("channel"), {}, 400),
    ("mention-without-ts", mention_without("ts"), {}, 400),
    ("mention-channel-object", mention_with(channel={"id": "C0NOC"}), {}, 400),
    ("mention-text-list", mention_with(text=["<@U0BOT>", "hi"]), {}, 400),
    ("mention-text-number", mention_with(text=12), {}, 400),
    ("mention-user-object", mention_with(user={"id": "U123"}), {}, 400),
    ("mention-thread-ts-number", mention_with(thread_ts=1700000000.1), {}, 400),
    ("dm-without-channel", {**event_callback(), "event": {"type": "message", "channel_type": "im", "user": "U1",
                                                          "text": "hi", "ts": "1.2"}}, {}, 400),
    ("authorizations-string", event_callback(authorizations="nope"), {}, 400),
    ("enterprise-number", event_callback(enterprise=5), {}, 400),
    ("slash-without-user", form(command="/noc", text="hi", channel_id="C0NOC"), FORM_TYPE, 400),
    ("slash-without-channel", form(command="/noc-health", user_id="U123"), FORM_TYPE, 400),
    ("button-actions-not-list", button(actions={"action_id": "noc_feedback_up"}), FORM_TYPE, 400),
    ("button-no-actions", button(actions=[]), FORM_TYPE, 400),
    ("button-action-without-value", button(actions=[{"action_id": "noc_feedback_up", "type": "button"}]),
     FORM_TYPE, 400),
    ("button-user-string", button(user="U123"), FORM_TYPE, 400),
    ("button-without-user", button(user=None), FORM_TYPE, 400),
    ("button-channel-string", button(channel="C0NOC"), FORM_TYPE, 400),
    ("button-message-ts-number", button(message={"ts": 1.5}), FORM_TYPE, 400),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def refusing():
    """One running bot, and its fake Slack, for the requests the front door refuses (about 80
    here): a refused request changes nothing, so they need not start a bot each. Each test checks
    that no job ran and nothing was posted, over every request of the module so far."""
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        b = await start(fake, Path(tmp))
        try:
            yield b, fake
        finally:
            await b.running.stop(b.runtime)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("body, headers, expected", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
async def test_malformed_signed_request_is_refused_without_a_traceback(refusing, caplog, body, headers, expected):
    bot, fake_slack = refusing
    caplog.set_level(logging.INFO)
    if isinstance(body, dict):  # as JSON, whatever its fields hold
        body, headers = json.dumps(body).encode(), JSON_TYPE
    status, text = await bot.post(body, headers=headers)
    assert status == expected, text
    assert json.loads(text)["error"]
    assert f"rejected a request to /slack/events: {expected}" in caplog.text
    await bot.settle()  # anything Bolt would have run after the ack
    assert not bot.runtime.tasks and not fake_slack.calls_to("chat.postMessage")
    no_trouble_logged(caplog)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200


SIGNATURE_CASES = [
    ("forged", {"X-Slack-Signature": "v0=" + "0" * 64}),
    ("no-signature", {"X-Slack-Signature": ""}),
    ("signature-without-v0", {"X-Slack-Signature": "abc"}),
    ("non-ascii-signature", {"X-Slack-Signature": "v0=é"}),
    ("timestamp-not-numeric", {"X-Slack-Request-Timestamp": "abc"}),
    ("timestamp-float", {"X-Slack-Request-Timestamp": "1700000000.5"}),
    ("timestamp-negative", {"X-Slack-Request-Timestamp": "-1"}),
    ("timestamp-huge", {"X-Slack-Request-Timestamp": "9" * 400}),
    ("timestamp-empty", {"X-Slack-Request-Timestamp": ""}),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("headers", [c[1] for c in SIGNATURE_CASES], ids=[c[0] for c in SIGNATURE_CASES])
@pytest.mark.parametrize("body", [app_mention_event("why is the branch office slow?"), b"payload=%7Bx", b"\xff{"],
                         ids=["valid-body", "malformed-body", "invalid-utf8"])
async def test_bad_signature_is_401_whatever_the_body(refusing, caplog, headers, body):
    """The signature is checked on the raw bytes before anything is parsed."""
    bot, fake_slack = refusing
    caplog.set_level(logging.INFO)
    status, text = await bot.post(body, headers=headers)
    assert (status, json.loads(text)) == (401, {"error": "invalid request"})
    assert not fake_slack.calls_to("chat.postMessage")
    no_trouble_logged(caplog)


async def test_wrong_secret_and_stale_timestamp_are_401(bot, fake_slack, caplog):
    event = app_mention_event("why is the branch office slow?")
    assert (await post_signed_async(bot.events, event, "not-the-secret"))[0] == 401
    assert (await bot.post(event, timestamp=int(time.time()) - 600))[0] == 401
    assert (await bot.post(b"payload=%7Bx", timestamp=int(time.time()) + 600))[0] == 401
    no_trouble_logged(caplog)


async def test_duplicate_signature_headers_are_401(bot, caplog):
    raw = json.dumps(app_mention_event("why is the branch office slow?")).encode()
    headers = sign(raw, SECRET)
    async with aiohttp.ClientSession() as http:
        dup = [(k, v) for k, v in headers.items()] + [("X-Slack-Signature", "v0=" + "0" * 64)]
        async with http.post(bot.events, data=raw, headers=dup) as resp:
            assert resp.status == 401
    no_trouble_logged(caplog)


async def test_oversize_body_is_413_before_it_is_read(bot, fake_slack, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    event = app_mention_event("why is the branch office slow?")
    # A Content-Length over the limit is refused without reading (the body sent is small).
    status, _ = await bot.post(event, headers={"Content-Length": str(http_guard.MAX_BODY_BYTES + 1)})
    assert status == 413
    # A body over the limit, signed.
    monkeypatch.setattr(http_guard, "MAX_BODY_BYTES", 64 * 1024)
    big = app_mention_event("why is the branch office slow? " + "x" * 100_000)
    assert (await bot.post(big))[0] == 413
    assert not fake_slack.calls_to("chat.postMessage")
    no_trouble_logged(caplog)


async def test_chunked_body_over_the_server_limit_is_413(bot, caplog):
    raw = b'{"type": "event_callback", "pad": "' + b"x" * (http_guard.MAX_BODY_BYTES + 1000) + b'"}'

    async def chunks():
        for i in range(0, len(raw), 64 * 1024):
            yield raw[i:i + 64 * 1024]

    async with aiohttp.ClientSession() as http:
        async with http.post(bot.events, data=chunks(), headers=sign(raw, SECRET)) as resp:
            assert resp.status == 413
    no_trouble_logged(caplog)


async def test_valid_requests_still_pass(bot, fake_slack, caplog):
    """Slack's own odd requests: url_verification answers its challenge, and ssl_check, which Bolt
    answers before it verifies signatures, is answered unsigned as before."""
    status, text = await bot.post({"type": "url_verification", "challenge": "ch4ll3nge", "token": "t"})
    assert (status, json.loads(text)) == (200, {"challenge": "ch4ll3nge"})
    status, _ = await bot.post(b"ssl_check=1&token=t", headers={"X-Slack-Signature": "v0=forged"})
    assert status == 200
    # An event type the app does not listen to, and a message event with a subtype, still pass.
    other = event_callback(event={"type": "reaction_added", "user": {"id": "U1"}, "item": {"channel": "C0NOC"}})
    assert (await bot.post(other))[0] in (200, 404)
    edited = event_callback(event={"type": "message", "subtype": "message_changed", "channel": "C0NOC",
                                   "ts": "1.2", "message": {"text": "x"}, "hidden": True})
    assert (await bot.post(edited))[0] == 200
    no_trouble_logged(caplog)


async def test_the_same_requests_work_as_before(bot, fake_slack, caplog):
    """Mention, slash command and button through the guard, with its charset and case variants."""
    event = app_mention_event("why is the branch office slow?", channel="C0NOC")
    status, _ = await bot.post(event, headers={"Content-Type": "application/json; charset=utf-8"})
    assert status == 200
    await bot.settle()
    answer = answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))
    assert "WAN congestion" in texts([answer])
    status, text = await bot.post(slash_command("/noc", "help"))
    assert status == 200 and "noc help" in text
    no_trouble_logged(caplog)


def test_the_guard_finds_the_apps_signing_secret(fake_slack):
    from slack_bolt.async_app import AsyncApp

    assert signing_secret_of(AsyncApp(token="xoxb-x", signing_secret=SECRET)) == SECRET
    assert signing_secret_of(AsyncApp(token="xoxb-x", signing_secret=SECRET, request_verification_enabled=False)) is None


async def test_socket_mode_drops_malformed_payloads_with_an_ack(fake_slack, tmp_path, caplog):
    """In Socket Mode there is no HTTP guard; the Bolt middleware checks the same shapes and acks
    (a non-200 would make Slack deliver the envelope again)."""
    b = await start(fake_slack, tmp_path)
    try:
        app = build_app(b.runtime, signing_secret=None)
        for body in (event_callback(event_id=["Ev1"]), mention_without("channel"), {"type": "event_callback"}):
            resp = await app.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=body))
            assert resp.status == 200
        await b.settle()
        assert not b.runtime.tasks and not fake_slack.calls_to("chat.postMessage")
        assert "ignoring a malformed payload" in caplog.text
        no_trouble_logged(caplog)
    finally:
        await b.running.stop(b.runtime)


def test_payload_problem_accepts_what_slack_sends():
    assert payload_problem(app_mention_event("hi")) is None
    assert payload_problem({"ssl_check": "1", "token": "t"}) is None
    assert payload_problem(slash_command("/noc", "hi")) is None
    assert payload_problem(block_action("noc_rerun", "r1", message_ts="1.2")) is None
    assert payload_problem({"type": "app_rate_limited", "minute_rate_limited": 1}) is None
    assert payload_problem({"type": "view_submission", "view": {}}) is None
    dm = event_callback(event={"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "hi",
                               "ts": "1.2", "bot_id": None, "thread_ts": None})
    assert payload_problem(dm) is None


# --- hostile user text -----------------------------------------------------------------------

KB = 1024
ADVERSARIAL = {
    "add": "add ",
    "bgp-neighbour": "bgp neighbor ",
    "add-newlines": "add\n",
    "hyphen-letters": "a-",
    "hyphen-words": "core-sw-",
    "hyphen-digits": "1-",
    "letter-digit-hyphens": "a1-",
    "digits": "1",
    "hyphens": "-",
    "mention-openers": "<@U|",
    "mention-ids": "<@UUUU",
    "have-set": "have ",
    "percent": "9 ",
}


@pytest.fixture
def inventory(make_toolbox) -> Inventory:
    return make_toolbox("healthy").inventory


@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_40kb_adversarial_text_is_routed_on_its_cut(unit, inventory):
    text = (unit * (40 * KB // len(unit) + 1))[:40 * KB]
    question = strip_mentions(text)
    decision = route(question, inventory)
    assert decision == route(question[:MAX_QUESTION_CHARS], inventory)
    score(text), extract_devices(text, inventory), hinted_devices(text, inventory), asks_for_report(text)


def test_routing_looks_only_at_the_cut_question(inventory):
    far = "x " * MAX_QUESTION_CHARS + "security audit of core-sw-01 at the branch, write a report"
    assert extract_devices(far, inventory) == ([], [])
    assert hinted_devices(far, inventory) == ([], [])
    assert not asks_for_report(far)
    assert max(score(far).values()) == 0


# The plain forms of the rewritten patterns: the rewrites must match exactly what these did (the
# device number was `\d+`; it is ASCII digits now, on purpose).
PLAIN_DEVICE_LIKE = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9]+[a-z]?\b")
PLAIN_BGP_EDIT = re.compile(r"\bbgp neighbou?r\b.*\b(?:add|new|set up|configure)|\b(?:add|new|set up|configure)\b.*\bbgp neighbou?r")
PLAIN_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]+)?>")


def test_device_pattern_matches_what_the_plain_one_did():
    for n in range(7):  # every string of up to 6 characters over these
        for chars in itertools.product("ab1-_ .é", repeat=n):
            s = "".join(chars)
            assert _DEVICE_LIKE.findall(s) == PLAIN_DEVICE_LIKE.findall(s), s
    rnd = random.Random(9)
    pieces = list("az09-_ .é\n") + ["core-sw-01", "edge-rtr-2b", "gi0/1", "--", "-1", "a-", "vlan-10"]
    for _ in range(20_000):
        s = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 24)))
        assert _DEVICE_LIKE.findall(s) == PLAIN_DEVICE_LIKE.findall(s), s


def test_bgp_neighbour_pattern_matches_what_the_plain_one_did():
    from agents.routing import _SAME_LINE_BGP_NEIGHBOUR_EDIT

    rewritten = re.compile(_SAME_LINE_BGP_NEIGHBOUR_EDIT)
    words = ["bgp neighbor", "bgp neighbour", "bgp neighbors", "add", "address", "new", "set up", "configure",
             " ", "\n", "x", "-", "bgp", "_add", "reconfigure"]
    rnd = random.Random(5)
    for _ in range(30_000):
        s = "".join(rnd.choice(words) for _ in range(rnd.randint(0, 10)))
        assert bool(rewritten.search(s)) == bool(PLAIN_BGP_EDIT.search(s)), s


def test_template_bgp_pattern_matches_what_the_plain_one_did():
    from agents.specialists.config_templates import _KIND_RX

    kind, rewritten = _KIND_RX[0]
    assert kind == "bgp_neighbor"
    plain = re.compile(r"\b(?:bgp|ebgp|ibgp)\b.*\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b|"
                       r"\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b.*\b(?:bgp|ebgp|ibgp)\b|"
                       r"\bremote[-\s]?as\s*\d", re.IGNORECASE | re.DOTALL)
    words = ["bgp", "BGP", "ebgp", "ibgpx", "neighbor", "Neighbour", "neighbors", "peer", "peering", "peers_",
             "remote as", "remote-as", "remoteas", "remote  as", " ", "\n", "x", "-", "_", "1", "as"]
    rnd = random.Random(1)
    for _ in range(30_000):
        s = "".join(rnd.choice(words) for _ in range(rnd.randint(0, 10)))
        assert bool(rewritten.search(s)) == bool(plain.search(s)), s


def test_strip_mentions_matches_what_the_plain_pattern_did():
    def plain(text):
        return PLAIN_MENTION.sub("", text or "").strip()

    for n in range(7):
        for chars in itertools.product("<@U|>a ", repeat=n):
            s = "".join(chars)
            assert strip_mentions(s) == plain(s), s
    rnd = random.Random(3)
    pieces = ["<@U0BOT>", "<@U1|bob>", "<@", "|", ">", "<", "x", " ", "U", "\n", "<@U|"]
    for _ in range(20_000):
        s = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 15)))
        assert strip_mentions(s) == plain(s), s
    assert strip_mentions(None) == ""


@pytest.mark.parametrize("unit", ["add ", "a-", "core-sw-", "<@U|"], ids=["add", "hyphens", "hyphen-words", "mentions"])
async def test_40kb_adversarial_mention_is_answered_and_healthz_stays_up(bot, fake_slack, caplog, unit):
    text = (unit * (40 * KB // len(unit) + 1))[:40 * KB]
    event = app_mention_event(text, channel="C0NOC", user=OPERATOR)  # "add ..." asks for config: operator
    status, _ = await bot.post(event)
    assert status == 200
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200
    await bot.settle()
    answer = answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))
    assert "cut to its first 4000 characters" in texts([answer])
    no_trouble_logged(caplog)
