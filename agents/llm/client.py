"""Structured calls to Claude through the official SDK, with one repair attempt.

Every result code consumes is a pydantic model requested with `messages.parse(output_format=...)`.
A reply that fails validation is sent back once with the validation error; a second failure, an
API error after the SDK's own retries, or a spent cost budget raise `LLMUnavailable`, which the
callers turn into the offline fallback. No sampling parameter is ever sent: consistency comes
from schemas and prompts. System prompts and tool definitions carry `cache_control`.

A call names its endpoint (a pool instance's binding, resilience.endpoints; None: the default
client), which has its own SDK client and provider breaker. Inside a specialist step a call,
SDK retries included, ends by CALL_SHARE of what is left of the step: a step's timeout never
cuts a call it started, so the failure is the call's own (a timeout of that instance).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agents.config import LLMConfig, TierConfig
from agents.context import step_priority
from agents.failures import FailureKind, LLMUnavailable
from agents.network.budget import step_time_left
from agents.resilience.deadline import time_left
from agents.resilience.guard import BREAKER_KIND, Resilience
from agents.scheduling import dropped
from agents.usage import UsageMeter

if TYPE_CHECKING:  # the SDK is imported when a client is made: it is 40% of the CLI's import time,
    # and the offline engine (no ANTHROPIC_API_KEY, the default) never needs it (issue 26: start-up)
    import anthropic
    from anthropic import AsyncAnthropic
    from anthropic.types import ParsedMessage

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _Call(Generic[M]):
    """One request to the model, as `structured` was asked for it (the guard and the sender read it)."""

    role: str
    agent: str
    tier: TierConfig
    system: str
    messages: list[dict[str, Any]]
    output_model: type[M]
    meter: UsageMeter
    tools: list[dict[str, Any]] | None
    tool_choice: dict[str, Any] | None
    endpoint: str | None
    usage_to: Callable[[int, float], None] | None = None  # the pool instance that counts this call's tokens and cost
R = TypeVar("R")

_EPHEMERAL = {"type": "ephemeral"}
# The share of what is left of the caller's step one call may take; the rest records the failure.
CALL_SHARE = 0.9


def new_client(timeout_s: float, max_retries: int) -> AsyncAnthropic:
    """The SDK client; it reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL itself. The process builds
    one backend (and so one client) at start-up and shares it across requests."""
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(timeout=timeout_s, max_retries=max_retries)


def call_timeout(configured_s: float) -> float:
    """llm.timeout_s, cut to CALL_SHARE of what is left of the caller's step, if any."""
    left = step_time_left()
    return configured_s if left is None else max(0.001, min(configured_s, left * CALL_SHARE))


def system_blocks(role: str, text: str) -> list[dict[str, Any]]:
    """The system prompt as a cacheable block; its first line names the role (for logs and tests)."""
    return [{"type": "text", "text": f"Role: {role}\n{text}", "cache_control": _EPHEMERAL}]


def cached_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the last tool definition so the whole tool list is cached with the system prompt."""
    if not tools:
        return tools
    return tools[:-1] + [{**tools[-1], "cache_control": _EPHEMERAL}]


class ClaudeClient:
    def __init__(self, config: LLMConfig, client: AsyncAnthropic | None = None, resilience: Resilience | None = None) -> None:
        self.config = config
        self.client = client or new_client(config.timeout_s, config.max_retries)
        self.resilience = resilience
        self._endpoints: dict[str, AsyncAnthropic] = {}  # named endpoint -> its SDK client, made on first use

    def sdk(self, endpoint: str | None) -> AsyncAnthropic:
        """The SDK client of an endpoint: the default one, or one built from the endpoint's env vars."""
        if endpoint is None:
            return self.client
        if endpoint not in self._endpoints:
            known = self.resilience.config.endpoints if self.resilience is not None else {}
            if endpoint not in known:
                raise LLMUnavailable("bad_request", f"no endpoint named {endpoint} in resilience.endpoints")
            conf = known[endpoint]
            key = os.environ.get(conf.api_key_env)
            if not key:
                raise LLMUnavailable("auth", f"endpoint {endpoint}: ${conf.api_key_env} is not set")
            base_url = os.environ.get(conf.base_url_env) if conf.base_url_env else None
            if conf.base_url_env and not base_url:
                raise LLMUnavailable("connection", f"endpoint {endpoint}: ${conf.base_url_env} is not set")
            from anthropic import AsyncAnthropic

            self._endpoints[endpoint] = AsyncAnthropic(api_key=key, base_url=base_url, timeout=self.config.timeout_s,
                                                       max_retries=self.config.max_retries)
        return self._endpoints[endpoint]

    async def aclose(self) -> None:
        for sdk in [self.client, *self._endpoints.values()]:
            await sdk.close()

    async def structured(
        self,
        *,
        role: str,
        agent: str,
        tier: TierConfig,
        system: str,
        messages: list[dict[str, Any]],
        output_model: type[M],
        meter: UsageMeter,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: dict[str, Any] | None = None,
        endpoint: str | None = None,
        usage_to: Callable[[int, float], None] | None = None,
    ) -> tuple[M | None, Any]:
        """One call. Returns (parsed output or None when the model stopped to use tools, message)."""
        messages = list(messages)
        for attempt in (1, 2):
            call = _Call(role=role, agent=agent, tier=tier, system=system, messages=messages, output_model=output_model, meter=meter,
                         tools=tools, tool_choice=tool_choice, endpoint=endpoint, usage_to=usage_to)
            message = await _before_cutoff(role, self._call(call))
            if isinstance(message, ValidationError):
                if attempt == 2:
                    raise LLMUnavailable("invalid_output", f"{role}: reply did not match {output_model.__name__} after a repair attempt")
                messages += [
                    {"role": "assistant", "content": _raw_input(message) or "(unparseable reply)"},
                    {"role": "user", "content": "That reply is not valid for the required JSON schema: "
                     f"{_brief(message)}. Reply again with only the JSON object that matches the schema."},
                ]
                continue
            if message.stop_reason == "tool_use":
                return None, message
            parsed = message.parsed_output
            if parsed is None:
                if attempt == 2:
                    raise LLMUnavailable("invalid_output", f"{role}: reply had no structured output")
                messages += [{"role": "assistant", "content": _text_of(message) or "(empty reply)"},
                             {"role": "user", "content": "Reply with only the JSON object that matches the schema."}]
                continue
            return parsed, message
        raise AssertionError("unreachable")

    async def output(self, *, role: str, agent: str, tier: TierConfig, system: str, messages: list[dict[str, Any]],
                     output_model: type[M], meter: UsageMeter) -> M:
        """`structured` for a call without tools, whose reply is always the parsed output."""
        parsed, _ = await self.structured(role=role, agent=agent, tier=tier, system=system, messages=messages,
                                          output_model=output_model, meter=meter)
        if parsed is None:  # only a reply that stops to use tools has none, and this call offers none
            raise LLMUnavailable("invalid_output", f"{role}: reply asked for tools that were not offered")
        return parsed

    async def _call(self, call: _Call[M]) -> ParsedMessage[M] | ValidationError:
        meter, endpoint = call.meter, call.endpoint
        if meter.exhausted:
            raise LLMUnavailable("cost_limit", f"request cost limit ${meter.cost_limit_usd:g} reached")
        guard = self.resilience
        if guard is None:
            return await self._send(call)
        if guard.budget.spent():
            raise LLMUnavailable("budget", f"daily token budget of {guard.budget.limit_tokens:,} tokens is spent; "
                                           f"Claude is called again from {guard.budget.resumes_at()}")
        provider = guard.provider_for(endpoint)
        if not provider.allow():
            which = "" if endpoint is None else f" of endpoint {endpoint}"
            raise LLMUnavailable("breaker_open", f"the Claude circuit breaker{which} is open; next trial in {provider.retry_in():.0f}s")
        outcome: str | None = None
        try:
            async with guard.llm_slots.slot(priority=step_priority()):
                result = await self._send(call)
            outcome = "invalid_output" if isinstance(result, ValidationError) else "ok"
            return result
        except LLMUnavailable as exc:
            outcome = BREAKER_KIND.get(exc.kind, "error")
            raise
        finally:
            if outcome == "ok":
                provider.record_success()
            elif outcome is not None or not dropped():  # cut by its request dropping an early step: not the provider's doing
                provider.record_failure(outcome or "timeout")  # None: cancelled mid-call, e.g. the request's deadline

    async def _send(self, call: _Call[M]) -> ParsedMessage[M] | ValidationError:
        import anthropic  # loaded by the first client made (new_client), so this costs a dict look-up

        timeout = call_timeout(self.config.timeout_s)  # measured after the LLM slot: the wait for it used step time
        kwargs: dict[str, Any] = {
            "model": call.tier.model,
            "max_tokens": call.tier.max_tokens,
            "system": system_blocks(call.role, call.system),
            "messages": call.messages,
            "output_format": call.output_model,
        }
        if call.tools:
            kwargs["tools"] = cached_tools(call.tools)
            if call.tool_choice:
                kwargs["tool_choice"] = call.tool_choice
        if call.tier.effort:
            kwargs["output_config"] = {"effort": call.tier.effort}
        sdk = self.sdk(call.endpoint)
        try:
            async with asyncio.timeout(timeout):  # the SDK's retries included
                message = await sdk.messages.parse(**kwargs, timeout=timeout)
        except ValidationError as exc:
            call.meter.add(call.agent, call.tier.model, None)  # the SDK consumed the reply; its tokens are not reported
            return exc
        except anthropic.APIStatusError as exc:
            call.meter.add(call.agent, call.tier.model, None)
            raise LLMUnavailable(_status_kind(exc), f"{call.role}: Anthropic API answered {exc.status_code} ({type(exc).__name__})") from None
        except (anthropic.APITimeoutError, TimeoutError):
            raise LLMUnavailable("timeout", f"{call.role}: Anthropic API timed out after {timeout:.3g}s") from None
        except anthropic.APIConnectionError:
            where = "the Anthropic API" if call.endpoint is None else f"endpoint {call.endpoint}"
            raise LLMUnavailable("connection", f"{call.role}: cannot reach {where}") from None
        cost = call.meter.add(call.agent, call.tier.model, message.usage)
        if self.resilience is not None:
            self.resilience.record_llm_usage(call.tier.model, message.usage, cost)
        if call.usage_to is not None:
            call.usage_to(sum(getattr(message.usage, a, 0) or 0 for a in ("input_tokens", "output_tokens")), cost)
        return message


async def _before_cutoff(role: str, call: Coroutine[Any, Any, R]) -> R:
    """Await a model call within what is left of the request's time for Claude (the cutoff in
    agents/resilience/deadline.py): refused at once after the cutoff, cut at it while waiting for a
    slot or in flight, both as `LLMUnavailable("deadline")`, which sends the work to the rules."""
    left = time_left()
    if left is None:
        return await call
    if left <= 0:
        call.close()
        raise LLMUnavailable("deadline", f"{role}: no time left for Claude before the request deadline")
    try:
        async with asyncio.timeout(left):
            return await call
    except TimeoutError:
        raise LLMUnavailable("deadline", f"{role}: no time left for Claude before the request deadline") from None


def _status_kind(exc: anthropic.APIStatusError) -> FailureKind:
    import anthropic

    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limit"
    if exc.status_code == 529:
        return "overloaded"
    if isinstance(exc, (anthropic.AuthenticationError, anthropic.PermissionDeniedError)):
        return "auth"
    if exc.status_code >= 500:
        return "server_error"
    return "bad_request"


def _raw_input(exc: ValidationError) -> str | None:
    for err in exc.errors():
        if isinstance(raw := err.get("input"), str):
            return raw[:4000]
    return None


def _brief(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:5])


def _text_of(message: Any) -> str:
    return "".join(getattr(b, "text", "") for b in message.content if getattr(b, "type", "") == "text")
