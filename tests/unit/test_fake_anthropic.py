"""Self-tests of the loopback Anthropic fake, driven through the real SDK."""

from __future__ import annotations

import asyncio

import anthropic
import pydantic
import pytest

from tests.fakes.anthropic_api import (  # noqa: F401 - fake_anthropic is a fixture
    FakeAnthropic,
    dynamic,
    error,
    fake_anthropic,
    invalid_json,
    overloaded,
    rate_limited,
    slow,
    text,
    tool_use,
    wrong_shape,
)

MODEL = "claude-haiku-4-5"
TOOLS = [
    {
        "name": "get_device_health",
        "description": "Health of one device",
        "input_schema": {"type": "object", "properties": {"device": {"type": "string"}}, "required": ["device"]},
    }
]


class Summary(pydantic.BaseModel):
    summary: str
    severity: int


@pytest.fixture
async def make_client(fake_anthropic: FakeAnthropic):
    """AsyncAnthropic clients aimed at the fake, closed after the test (no leaked sockets)."""
    made: list[anthropic.AsyncAnthropic] = []

    def make(**kwargs) -> anthropic.AsyncAnthropic:
        made.append(fake_anthropic.client(**kwargs))
        return made[-1]

    yield make
    for client in made:
        await client.close()


def ask(client, role: str = "triage", content: str = "hi", **kwargs):
    return client.messages.create(
        model=MODEL,
        max_tokens=256,
        system=f"Role: {role}\nYou are a NOC analyst.",
        messages=[{"role": "user", "content": content}],
        **kwargs,
    )


def parse(client, role: str = "triage"):
    return client.messages.parse(
        model=MODEL,
        max_tokens=256,
        system=[{"type": "text", "text": f"Role: {role}\nSummarise."}],
        messages=[{"role": "user", "content": "summarise"}],
        output_format=Summary,
    )


async def test_create_text_reply_usage_and_recorded_request(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text("hello there", usage={"cache_read_input_tokens": 900, "input_tokens": 50}))
    client = make_client()
    msg = await ask(client, tools=TOOLS)

    assert isinstance(msg, anthropic.types.Message)
    assert msg.id.startswith("msg_") and msg.type == "message" and msg.role == "assistant"
    assert msg.model == MODEL and msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert msg.content[0].type == "text" and msg.content[0].text == "hello there"
    assert msg.usage.input_tokens == 50 and msg.usage.output_tokens == 200
    assert msg.usage.cache_read_input_tokens == 900 and msg.usage.cache_creation_input_tokens == 0
    assert msg._request_id and msg._request_id.startswith("req_")

    [body] = fake_anthropic.requests
    assert body["model"] == MODEL and body["max_tokens"] == 256
    assert body["system"].startswith("Role: triage")
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["tools"][0]["name"] == "get_device_health"
    assert fake_anthropic.headers[0]["authorization"] == "Bearer test-key"  # SDK 2.x: no x-api-key
    assert fake_anthropic.requests_for("triage") == [body]


async def test_text_json_payload_and_model_override(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text({"a": [1, 2]}, model="claude-other", stop_reason="max_tokens"))
    msg = await ask(make_client())
    assert msg.content[0].text == '{"a": [1, 2]}'
    assert msg.model == "claude-other" and msg.stop_reason == "max_tokens"


async def test_parse_structured_output(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text(Summary(summary="bgp flap on edge-rtr-01", severity=3)))
    parsed = await parse(make_client())
    assert parsed.parsed_output == Summary(summary="bgp flap on edge-rtr-01", severity=3)
    # parse() sends the pydantic schema as output_config.format
    fmt = fake_anthropic.requests[0]["output_config"]["format"]
    assert fmt["type"] == "json_schema" and set(fmt["schema"]["properties"]) == {"summary", "severity"}


@pytest.mark.parametrize("reply", [invalid_json(), wrong_shape()], ids=["invalid_json", "wrong_shape"])
async def test_parse_rejects_bad_output(fake_anthropic: FakeAnthropic, make_client, reply):
    fake_anthropic.script("triage", reply)
    with pytest.raises(pydantic.ValidationError):
        await parse(make_client())
    assert len(fake_anthropic.requests) == 1  # a validation error is not retried


async def test_tool_use_reply(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", tool_use(("get_device_health", {"device": "edge-rtr-01"}), text="checking"))
    msg = await ask(make_client(), tools=TOOLS)
    assert msg.stop_reason == "tool_use"
    lead, block = msg.content
    assert lead.type == "text" and lead.text == "checking"
    assert isinstance(block, anthropic.types.ToolUseBlock)
    assert block.name == "get_device_health" and block.input == {"device": "edge-rtr-01"}
    assert block.id.startswith("toolu_")


@pytest.mark.parametrize(
    ("failures", "expected_requests"),
    [([rate_limited(0)], 2), ([overloaded()], 2), ([error(500), error(500)], 3)],
    ids=["429", "529", "500x2"],
)
async def test_sdk_retries_then_succeeds(fake_anthropic: FakeAnthropic, make_client, failures, expected_requests):
    fake_anthropic.script("triage", *failures, text("recovered"))
    msg = await ask(make_client(max_retries=2))
    assert msg.content[0].text == "recovered"
    assert len(fake_anthropic.requests) == expected_requests
    retry_counts = [h["x-stainless-retry-count"] for h in fake_anthropic.headers]
    assert retry_counts == [str(i) for i in range(expected_requests)]


async def test_retry_exhaustion_raises_after_max_retries(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", overloaded())  # repeats forever
    with pytest.raises(anthropic.OverloadedError):
        await ask(make_client(max_retries=2))
    assert len(fake_anthropic.requests) == 3


@pytest.mark.parametrize(
    ("reply", "exc", "status", "etype"),
    [
        (rate_limited(0), anthropic.RateLimitError, 429, "rate_limit_error"),
        (overloaded(), anthropic.OverloadedError, 529, "overloaded_error"),
        (error(401), anthropic.AuthenticationError, 401, "authentication_error"),
        (error(400, message="bad field"), anthropic.BadRequestError, 400, "invalid_request_error"),
        (error(500), anthropic.InternalServerError, 500, "api_error"),
    ],
    ids=["429", "529", "401", "400", "500"],
)
async def test_errors_map_to_sdk_exceptions(fake_anthropic: FakeAnthropic, make_client, reply, exc, status, etype):
    fake_anthropic.script("triage", reply)
    with pytest.raises(exc) as info:
        await ask(make_client(max_retries=0))
    err = info.value
    assert isinstance(err, anthropic.APIStatusError) and err.status_code == status
    assert err.type == etype and err.body["type"] == "error"
    assert err.request_id and err.body["request_id"] == err.request_id
    assert len(fake_anthropic.requests) == 1


async def test_error_headers_and_rate_limit_header(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", rate_limited(0.25), error(503, headers={"x-should-retry": "false"}))
    client = make_client(max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as info:
        await ask(client)
    assert info.value.response.headers["retry-after"] == "0.25"
    assert "retry-after-ms" not in info.value.response.headers  # a positive retry-after is left alone
    with pytest.raises(anthropic.ServiceUnavailableError):
        await ask(make_client(max_retries=2))  # x-should-retry: false -> no retries
    assert len(fake_anthropic.requests) == 2


async def test_slow_reply_times_out(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", slow(0.5, text("late")))
    with pytest.raises(anthropic.APITimeoutError):
        await ask(make_client(timeout=0.1, max_retries=0))
    assert len(fake_anthropic.requests) == 1


async def test_slow_reply_within_timeout(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", slow(0.05, text("on time")))
    msg = await ask(make_client(timeout=2))
    assert msg.content[0].text == "on time"


async def test_role_routing_repeat_and_unscripted(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text("t1"), text("t2"))
    fake_anthropic.script("routing", text("r-always"))
    client = make_client(max_retries=2)

    got = [
        (await ask(client, "triage")).content[0].text,
        (await ask(client, "routing")).content[0].text,
        (await ask(client, "triage")).content[0].text,
        (await ask(client, "triage")).content[0].text,  # queue empty: last reply repeats
        (await ask(client, "routing")).content[0].text,
    ]
    assert got == ["t1", "r-always", "t2", "t2", "r-always"]
    assert len(fake_anthropic.requests_for("triage")) == 3
    assert len(fake_anthropic.requests_for("routing")) == 2

    with pytest.raises(anthropic.InternalServerError) as info:
        await ask(client, "planner")
    assert "no scripted reply for role planner" in info.value.api_message
    assert fake_anthropic.unscripted == ["planner"]
    assert len(fake_anthropic.requests_for("planner")) == 1  # x-should-retry: false, fails at once


async def test_catch_all_and_dynamic(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script(None, dynamic(lambda body: text({"echo": body["messages"][-1]["content"]})))
    client = make_client()
    msg = await ask(client, "anything", content="ping")
    assert msg.content[0].text == '{"echo": "ping"}'
    no_role = await client.messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "pong"}]
    )
    assert no_role.content[0].text == '{"echo": "pong"}'


async def test_reset_and_count_tokens(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text("x"))
    client = make_client()
    await ask(client)
    count = await client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "x" * 400}])
    assert count.input_tokens >= 100
    fake_anthropic.reset()
    assert fake_anthropic.requests == [] and fake_anthropic.headers == []
    with pytest.raises(anthropic.InternalServerError):
        await ask(client)


async def test_stream_text_and_tool_use(fake_anthropic: FakeAnthropic, make_client):
    fake_anthropic.script("triage", text("streamed"), tool_use(("get_device_health", {"device": "r1"})))
    client = make_client()
    async with client.messages.stream(
        model=MODEL, max_tokens=64, system="Role: triage", messages=[{"role": "user", "content": "x"}]
    ) as stream:
        chunks = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(chunks) == "streamed" and final.content[0].text == "streamed"
    assert final.usage.output_tokens == 200 and final.stop_reason == "end_turn"
    async with client.messages.stream(
        model=MODEL, max_tokens=64, system="Role: triage", messages=[{"role": "user", "content": "x"}]
    ) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use" and final.content[0].input == {"device": "r1"}


def test_sdk_inside_asyncio_run_and_env_base_url(fake_anthropic: FakeAnthropic, monkeypatch):
    """Like the CLI: a sync test whose code calls asyncio.run; the server lives in its own thread."""
    fake_anthropic.script("triage", text("from asyncio.run"))
    for key, value in fake_anthropic.env().items():
        monkeypatch.setenv(key, value)

    async def main() -> str:
        async with anthropic.AsyncAnthropic() as client:  # base URL and key from the environment
            return (await ask(client)).content[0].text

    assert asyncio.run(main()) == "from asyncio.run"
    assert asyncio.run(main()) == "from asyncio.run"  # a second loop works too
    with anthropic.Anthropic(base_url=fake_anthropic.url, api_key="k") as sync:
        assert ask(sync).content[0].text == "from asyncio.run"
    assert len(fake_anthropic.requests) == 3


def test_context_manager_start_stop():
    with FakeAnthropic() as api:
        assert api.url.startswith("http://127.0.0.1:")
        api.script("triage", text("ok"))
        with anthropic.Anthropic(base_url=api.url, api_key="k") as client:
            assert ask(client).content[0].text == "ok"
    with anthropic.Anthropic(base_url=api.url, api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.APIConnectionError):
            ask(client)  # stopped: nothing listens any more
