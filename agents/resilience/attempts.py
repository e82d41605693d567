"""Running one step on a pool: pick an instance, time it out, retry elsewhere with backoff.

Retries use tenacity (exponential backoff with jitter, a stop after N attempts). A failure is
recorded on the instance (its breaker weighs the kind); an instance is never tried twice for
one step; a provider-level refusal (budget spent, provider breaker open, cost limit) stops at
once because another instance would hit the same wall, except an endpoint's open breaker when
an untried instance is bound to another endpoint. The caller decides the fallback.

`make_context(instance)` gets the chosen instance: its binding (model tier, endpoint), which the
Claude analyst runs with, and where its model usage is counted (passed on, not found through a
context variable). The step's deadline (`step_deadline`) cuts what the step starts:
device reads and Claude calls end before the step's timeout, so it never cuts them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from agents.config import RetryConfig
from agents.failures import LLMUnavailable
from agents.network.budget import step_deadline
from agents.resilience.guard import BREAKER_KIND, PROVIDER_LEVEL
from agents.resilience.pool import AgentInstance, AgentPool

log = logging.getLogger(__name__)


class _AttemptFailed(Exception):
    pass


class StepUnavailable(Exception):
    """No attempt produced a result; `reason` says why, `errors` lists each attempt."""

    def __init__(self, reason: str, errors: list[str]) -> None:
        self.reason = reason
        self.errors = errors
        super().__init__(reason)


@dataclass
class AttemptResult:
    output: Any
    context: Any
    instance: str
    errors: list[str] = field(default_factory=list)


async def run_on_pool(
    pool: AgentPool,
    work: Callable[[Any], Awaitable[Any]],
    make_context: Callable[[AgentInstance], Any],
    *,
    timeout_s: float,
    retry: RetryConfig,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> AttemptResult:
    tried: set[str] = set()
    errors: list[str] = []
    retrying = AsyncRetrying(
        stop=stop_after_attempt(retry.attempts),
        wait=wait_exponential_jitter(multiplier=retry.backoff_initial_s, max=retry.backoff_max_s, jitter=retry.jitter_s),
        retry=retry_if_exception_type(_AttemptFailed),
        sleep=sleep,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                instance = await pool.acquire(tried)
                if instance is None:
                    detail = f" after {'; '.join(errors)}" if errors else ""
                    raise StepUnavailable(_no_instance(pool, tried) + detail, errors)
                tried.add(instance.name)
                ctx = make_context(instance)
                output = await _one(instance, pool, work, ctx, timeout_s, errors, clock, tried)
                return AttemptResult(output=output, context=ctx, instance=instance.name, errors=errors)
    except _AttemptFailed:
        raise StepUnavailable(f"all {len(tried)} attempt(s) failed: {'; '.join(errors)}", errors) from None
    raise AssertionError("unreachable")


async def _one(instance: AgentInstance, pool: AgentPool, work: Callable[[Any], Awaitable[Any]], ctx: Any, timeout_s: float,
               errors: list[str], clock: Callable[[], float], tried: set[str]) -> Any:
    t0 = clock()
    try:
        with step_deadline(timeout_s):  # device reads end before the step does: a slow device is a tool error, not a retry
            output = await asyncio.wait_for(work(ctx), timeout=timeout_s)
    except TimeoutError:
        instance.record_failure("timeout", clock() - t0)
        errors.append(f"{instance.name} timed out after {timeout_s:g}s")
        raise _AttemptFailed from None
    except LLMUnavailable as exc:
        if exc.kind in PROVIDER_LEVEL and not (exc.kind == "breaker_open" and _elsewhere(pool, instance, tried)):
            raise StepUnavailable(str(exc), errors + [f"{instance.name}: {exc}"]) from None
        instance.record_failure(BREAKER_KIND.get(exc.kind, "error"), clock() - t0)
        errors.append(f"{instance.name}: {exc}")
        raise _AttemptFailed from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("%s failed", instance.name)
        instance.record_failure("error", clock() - t0)
        errors.append(f"{instance.name}: internal error ({type(exc).__name__})")
        raise _AttemptFailed from None
    finally:
        await pool.release(instance)
    instance.record_success(clock() - t0)
    return output


def _elsewhere(pool: AgentPool, instance: AgentInstance, tried: set[str]) -> bool:
    """Whether an untried instance of the pool is bound to another endpoint than `instance`."""
    return any(i.name not in tried and i.binding.endpoint != instance.binding.endpoint for i in pool.instances)


def _no_instance(pool: AgentPool, tried: set[str]) -> str:
    if tried:
        return f"no other {pool.agent} instance is available"
    open_ = [i.name for i in pool.instances if not i.breaker.would_allow()]
    return f"no {pool.agent} instance is available (circuit breakers open: {', '.join(open_)})"
