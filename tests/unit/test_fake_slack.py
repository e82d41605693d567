"""Self-tests of the loopback Slack fake, driven by the real slack_sdk clients."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    FakeSlack,
    app_mention_event,
    block_action,
    dm_event,
    encode_request,
    fake_slack,  # noqa: F401 - fixture
    post_signed,
    post_signed_async,
    sign,
    slash_command,
)

SECRET = "s3cr3t"


def client_for(server: FakeSlack, token: str = "xoxb-test") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=server.api_url)


# ---- Web API ------------------------------------------------------------------------------


async def test_auth_test(fake_slack):
    resp = await client_for(fake_slack).auth_test()
    assert resp["user_id"] == BOT_USER_ID == "U0BOT"
    assert resp["bot_id"] == BOT_ID == "B0BOT"
    assert (resp["team"], resp["team_id"]) == ("NOC", "T0NOC")
    [call] = fake_slack.calls_to("auth.test")
    assert call.header("authorization") == "Bearer xoxb-test"
    assert call.token == "xoxb-test"


async def test_post_update_and_thread(fake_slack):
    client = client_for(fake_slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*working*"}}]
    root = await client.chat_postMessage(channel="C0NOC", text="root")
    reply = await client.chat_postMessage(channel="C0NOC", text="working", blocks=blocks, thread_ts=root["ts"])
    assert reply["channel"] == "C0NOC"
    assert reply["message"]["thread_ts"] == root["ts"]
    assert reply["message"]["blocks"] == blocks
    assert root["ts"] < reply["ts"] and len(root["ts"].split(".")[1]) == 6

    done = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]
    upd = await client.chat_update(channel="C0NOC", ts=reply["ts"], text="done", blocks=done)
    assert upd["ts"] == reply["ts"] and upd["text"] == "done"

    thread = fake_slack.thread("C0NOC", root["ts"])
    assert [m["text"] for m in thread] == ["root", "done"]
    assert thread[1]["blocks"] == done and thread[1]["user"] == BOT_USER_ID and thread[1]["bot_id"] == BOT_ID
    assert thread[1]["edits"][0]["text"] == "done" and thread[1]["edits"][0]["previous_text"] == "working"
    # chat.* methods go out as JSON, so blocks arrive as real lists
    assert fake_slack.calls_to("chat.postMessage")[1].content_type == "application/json"

    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel="C0NOC", ts="1.000001", text="nope")
    assert exc.value.response["error"] == "message_not_found"


async def test_form_encoded_blocks_are_decoded(fake_slack):
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "hi"}}]
    await client_for(fake_slack).api_call(
        "chat.postMessage", data={"channel": "C0NOC", "blocks": json.dumps(blocks), "text": "hi"}
    )
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.args["blocks"] == blocks
    assert fake_slack.bot_messages("C0NOC")[0]["blocks"] == blocks


async def test_invalid_blocks_are_rejected(fake_slack):
    with pytest.raises(SlackApiError) as exc:
        await client_for(fake_slack).chat_postMessage(
            channel="C0NOC", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
        )
    assert exc.value.response["error"] == "invalid_blocks"
    assert fake_slack.messages == {}


async def test_ephemeral_reactions_and_unknown(fake_slack):
    client = client_for(fake_slack)
    eph = await client.chat_postEphemeral(channel="C0NOC", user="U123", text="only you")
    assert eph["message_ts"] and fake_slack.ephemerals[0]["user"] == "U123"

    posted = await client.chat_postMessage(channel="C0NOC", text="x")
    await client.reactions_add(channel="C0NOC", timestamp=posted["ts"], name="eyes")
    await client.reactions_add(channel="C0NOC", timestamp="123.000001", name="eyes")  # a user's message
    assert fake_slack.reactions_on("C0NOC", posted["ts"]) == ["eyes"]
    await client.reactions_remove(channel="C0NOC", timestamp=posted["ts"], name="eyes")
    assert fake_slack.reactions_on("C0NOC", posted["ts"]) == []
    assert fake_slack.reactions_on("C0NOC", "123.000001") == ["eyes"]
    # reactions.add sends `params`: aiohttp puts them in the query string of the POST
    call = fake_slack.calls_to("reactions.add")[0]
    assert call.http_verb == "POST" and call.args["name"] == "eyes"

    resp = await client.api_call("bookmarks.add", json={"channel_id": "C0NOC"})
    assert resp["ok"] and fake_slack.unknown_methods == ["bookmarks.add"]


async def test_files_upload_v2(fake_slack):
    client = client_for(fake_slack)
    root = await client.chat_postMessage(channel="C0NOC", text="incident")
    resp = await client.files_upload_v2(
        channel="C0NOC",
        thread_ts=root["ts"],
        content="x" * 50000,
        filename="report.md",
        title="Incident report",
        initial_comment="Full report attached",
    )
    file_id = resp["file"]["id"]
    assert resp["files"] == [{"id": file_id, "title": "Incident report"}]
    f = fake_slack.files[file_id]
    assert f["content"] == b"x" * 50000 and f["length"] == 50000
    assert (f["filename"], f["title"], f["channel"], f["thread_ts"], f["initial_comment"]) == (
        "report.md", "Incident report", "C0NOC", root["ts"], "Full report attached"
    )
    share = fake_slack.thread("C0NOC", root["ts"])[-1]
    assert share["files"] == [file_id] and share["text"] == "Full report attached"
    assert [c.method for c in fake_slack.calls] == [
        "chat.postMessage", "files.getUploadURLExternal", "files.completeUploadExternal"
    ]


async def test_conversations_replies_usergroups_users(fake_slack):
    client = client_for(fake_slack)
    root_ts = fake_slack.add_message("C0NOC", "<@U0BOT> check core1", user="U123")
    r1 = await client.chat_postMessage(channel="C0NOC", text="on it", thread_ts=root_ts)
    await client.chat_postMessage(channel="C0NOC", text="elsewhere")
    r2 = await client.chat_postMessage(channel="C0NOC", text="done", thread_ts=root_ts)
    resp = await client.conversations_replies(channel="C0NOC", ts=root_ts)
    msgs = resp["messages"]
    assert [m["ts"] for m in msgs] == [root_ts, r1["ts"], r2["ts"]]
    assert msgs[0]["reply_count"] == 2 and msgs[0]["user"] == "U123" and "bot_id" not in msgs[0]
    assert msgs[1]["thread_ts"] == root_ts and msgs[1]["bot_id"] == BOT_ID
    assert fake_slack.calls_to("conversations.replies")[0].http_verb == "GET"

    fake_slack.usergroups["S0ONCALL"] = ["U1", "U2"]
    assert (await client.usergroups_users_list(usergroup="S0ONCALL"))["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError):
        await client.usergroups_users_list(usergroup="S0NOPE")
    fake_slack.users["U1"] = {"real_name": "Ada", "profile": {"display_name": "ada"}}
    user = (await client.users_info(user="U1"))["user"]
    assert user["real_name"] == "Ada" and user["profile"]["display_name"] == "ada" and user["team_id"] == "T0NOC"


async def test_rate_limit_with_retry_handler_waits_retry_after(fake_slack, monkeypatch):
    monkeypatch.setattr(builtin_async_handlers.random, "random", lambda: 0.0)  # no jitter
    client = client_for(fake_slack)
    posted = await client.chat_postMessage(channel="C0NOC", text="x")
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.rate_limit("chat.update", times=1, retry_after=1)
    await client.chat_update(channel="C0NOC", ts=posted["ts"], text="y")
    first, second = fake_slack.calls_to("chat.update")
    assert first.rate_limited and first.status == 429 and not second.rate_limited
    assert second.time - first.time >= 1.0
    assert fake_slack.messages[("C0NOC", posted["ts"])]["text"] == "y"


async def test_rate_limit_without_handler_raises(fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as exc:
        await client_for(fake_slack).chat_postMessage(channel="C0NOC", text="x")
    assert exc.value.response.status_code == 429
    assert exc.value.response["error"] == "ratelimited"
    assert exc.value.response.headers["Retry-After"] == "0"
    await client_for(fake_slack).chat_postMessage(channel="C0NOC", text="x")  # only once


async def test_auth_errors(fake_slack):
    for token, error in (("bogus", "invalid_auth"), (None, "not_authed"), ("xapp-test", "not_allowed_token_type")):
        with pytest.raises(SlackApiError) as exc:
            await AsyncWebClient(token=token, base_url=fake_slack.api_url).chat_postMessage(channel="C", text="x")
        assert exc.value.response["error"] == error
    fake_slack.accepted_tokens = {"xoxb-right"}
    with pytest.raises(SlackApiError):
        await client_for(fake_slack, "xoxb-wrong").auth_test()
    await client_for(fake_slack, "xoxb-right").auth_test()
    assert fake_slack.messages == {}


async def test_wait_for(fake_slack):
    client = client_for(fake_slack)
    task = asyncio.ensure_future(client.chat_postMessage(channel="C0NOC", text="later"))
    await fake_slack.wait_for_async(lambda s: s.calls_to("chat.postMessage"), timeout=2)
    await task
    with pytest.raises(AssertionError, match="chat.postMessage"):
        await fake_slack.wait_for_async(lambda s: s.calls_to("chat.delete"), timeout=0.05)
    with pytest.raises(RuntimeError, match="wait_for_async"):
        fake_slack.wait_for(lambda s: True)
    fake_slack.reset()
    assert fake_slack.calls == [] and fake_slack.messages == {}


def test_wait_for_sync():
    with FakeSlack() as server:
        assert server.wait_for(lambda s: s.url.startswith("http://127.0.0.1:"), timeout=0.1)
        with pytest.raises(AssertionError, match="0 Web API call"):
            server.wait_for(lambda s: s.calls, timeout=0.05)


# ---- Socket Mode --------------------------------------------------------------------------


async def test_socket_mode_roundtrip(fake_slack):
    client = SocketModeClient(app_token="xapp-test", web_client=client_for(fake_slack))
    raw: list[dict] = []
    requests = []

    async def on_message(c, message, raw_message):
        raw.append(message)

    async def on_request(c, req):
        requests.append(req)
        await c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    client.message_listeners.append(on_message)
    client.socket_mode_request_listeners.append(on_request)
    try:
        await client.connect()
        await fake_slack.wait_for_socket_async()
        [opened] = fake_slack.calls_to("apps.connections.open")
        assert opened.token == "xapp-test"

        body = app_mention_event("show bgp on core1", thread_ts=None)
        envelope_id = fake_slack.socket_send_event(body)
        ack = await fake_slack.wait_for_ack_async(envelope_id, timeout=3)
        assert ack == {"envelope_id": envelope_id}
        assert raw[0]["type"] == "hello" and raw[0]["connection_info"]["app_id"] == APP_ID
        assert requests[0].type == "events_api" and requests[0].payload == body
        assert requests[0].retry_attempt == 0 and requests[0].accepts_response_payload is False
        # the user's message is now in the channel history, as on Slack
        assert fake_slack.thread("C0NOC", body["event"]["ts"])[0]["user"] == "U123"

        eid = fake_slack.socket_send_slash_command(slash_command("/noc", "status"))
        await fake_slack.wait_for_ack_async(eid)
        assert requests[-1].type == "slash_commands" and requests[-1].payload["command"] == "/noc"

        fake_slack.socket_send_disconnect()
        await fake_slack.wait_for_async(lambda s: s.socket_connects == 2 and s.socket_connected.is_set(), timeout=3)
        assert len(fake_slack.calls_to("apps.connections.open")) == 2
        eid = fake_slack.socket_send_interactive(block_action("ack", "INC1", message_ts="1.000001"))
        await fake_slack.wait_for_ack_async(eid)
        assert requests[-1].type == "interactive"
    finally:
        await client.close()
    await fake_slack.wait_for_async(lambda s: not s.socket_connected.is_set(), timeout=3)


def test_socket_send_without_client_raises(fake_slack):
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        fake_slack.socket_send_event(app_mention_event("hi"))


# ---- Builders, signing and signed posts ---------------------------------------------------


def test_builders_shape(fake_slack):
    a, b = app_mention_event("hi"), app_mention_event("<@U0BOT> hi", ts="1700000000.000100", event_id="Ev1")
    assert a["type"] == "event_callback" and a["event"]["type"] == "app_mention"
    assert a["event"]["text"] == "<@U0BOT> hi" and a["event_id"] != app_mention_event("hi")["event_id"]
    assert a["authorizations"][0]["user_id"] == BOT_USER_ID
    assert (b["event_id"], b["event"]["ts"], b["event_time"]) == ("Ev1", "1700000000.000100", 1700000000)
    dm = dm_event("hello", user="U9")["event"]
    assert (dm["type"], dm["channel_type"], dm["channel"], dm["user"]) == ("message", "im", "D0NOC", "U9")
    cmd = slash_command("/noc", "status core1")
    assert cmd["response_url"].startswith(fake_slack.url + "/response/")
    assert all(isinstance(v, str) for v in cmd.values())
    fake_slack.add_message("C0NOC", "approve?", user=BOT_USER_ID, bot_id=BOT_ID, ts="1.000002", thread_ts="1.000001")
    act = block_action("approve", "chg-1", message_ts="1.000002")
    assert act["actions"][0]["value"] == "chg-1" and act["message"]["text"] == "approve?"
    assert act["container"]["thread_ts"] == "1.000001"
    raw, ctype = encode_request(act)
    assert ctype == "application/x-www-form-urlencoded"
    assert json.loads(urllib.parse.parse_qs(raw.decode())["payload"][0]) == act


def test_sign_verifies():
    body = json.dumps(app_mention_event("hi")).encode()
    headers = sign(body, SECRET)
    assert headers["Content-Type"] == "application/json"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    form = urllib.parse.urlencode(slash_command("/noc", "x")).encode()
    old = sign(form, SECRET, timestamp=int(time.time()) - 3600)
    assert old["Content-Type"] == "application/x-www-form-urlencoded"
    assert not SignatureVerifier(SECRET).is_valid_request(form, old)  # too old


async def test_post_signed_reaches_an_app():
    seen: list[tuple[dict, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        raw = await request.read()
        seen.append((dict(request.headers), raw))
        ok = SignatureVerifier(SECRET).is_valid_request(raw, dict(request.headers))
        return web.Response(status=200 if ok else 401, text="ok" if ok else "bad signature")

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # type: ignore[union-attr]
    try:
        event = app_mention_event("hi")
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert await post_signed_async(url, event, SECRET, headers=retry) == (200, "ok")
        headers, raw = seen[-1]
        assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"
        assert headers["Content-Type"] == "application/json" and json.loads(raw) == event

        assert (await post_signed_async(url, slash_command("/noc", "status"), SECRET))[0] == 200
        assert seen[-1][0]["Content-Type"] == "application/x-www-form-urlencoded"
        assert urllib.parse.parse_qs(seen[-1][1].decode())["command"] == ["/noc"]

        action = block_action("ack", "1", message_ts="1.000001")
        assert (await post_signed_async(url, action, SECRET, form=True))[0] == 200
        assert json.loads(urllib.parse.parse_qs(seen[-1][1].decode())["payload"][0]) == action

        assert (await post_signed_async(url, event, "wrong-secret")) == (401, "bad signature")
    finally:
        await runner.cleanup()


async def test_response_url_posts_are_recorded(fake_slack):
    cmd = slash_command("/noc", "status")
    resp = await AsyncWebhookClient(cmd["response_url"]).send(text="working on it", response_type="ephemeral")
    assert resp.status_code == 200
    [post] = fake_slack.responses(cmd["response_url"])
    assert post["body"] == {"text": "working on it", "response_type": "ephemeral"}
    # the blocking helper also works against a server running in another thread
    status, _ = post_signed(cmd["response_url"], {"text": "sync"}, SECRET, headers={"X-Extra": "1"})
    assert status == 200 and fake_slack.responses()[-1]["headers"]["X-Extra"] == "1"


async def test_bolt_async_app_over_socket_mode(fake_slack):
    """The project's stack end to end: slack-bolt AsyncApp + AsyncSocketModeHandler on the fake."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp

    app = AsyncApp(client=fake_slack.client(), signing_secret=SECRET)

    @app.event("app_mention")
    async def on_mention(event, say, client):
        await client.reactions_add(channel=event["channel"], timestamp=event["ts"], name="eyes")
        await say(text="on it", thread_ts=event["ts"])

    @app.command("/noc")
    async def on_command(ack, respond):
        await ack("accepted")
        await respond("details follow")

    handler = AsyncSocketModeHandler(app, "xapp-test")  # web client: app.client (xoxb), token swapped per call
    await handler.connect_async()
    try:
        await fake_slack.wait_for_socket_async()
        body = app_mention_event("check core1")
        await fake_slack.wait_for_ack_async(fake_slack.socket_send_event(body))
        ts = body["event"]["ts"]
        await fake_slack.wait_for_async(lambda s: len(s.thread("C0NOC", ts)) == 2)
        assert fake_slack.thread("C0NOC", ts)[1]["text"] == "on it"
        assert fake_slack.reactions_on("C0NOC", ts) == ["eyes"]

        form = slash_command("/noc", "status")
        ack = await fake_slack.wait_for_ack_async(fake_slack.socket_send_slash_command(form))
        assert ack["payload"] == {"text": "accepted"}
        await fake_slack.wait_for_async(lambda s: s.responses(form["response_url"]))
        assert fake_slack.responses(form["response_url"])[0]["body"] == {"text": "details follow"}
    finally:
        await handler.close_async()
