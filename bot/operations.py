"""What a person runs by command or button beside asking a question: an audit (/noc-audit), the
health report now (/noc-health) and an answer's details (Show details).

Apart from the runtime (issue 23: the answer job at the door, operations beside it): each posts
into the thread the listener opened, says what failed in that thread, and never raises into
the job that runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from agents.models import Answer, new_id
from bot.origin import Origin
from bot.slack.blocks import render_audit, render_details
from bot.slack.sink import SlackThreadSink

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def run_audit(runtime: Runtime, devices: list[str], tags: list[str], origin: Origin) -> None:
    request_id = new_id()
    sink = runtime.sink(origin, "Auditing")
    try:
        await sink.start(f":shield: Audit {request_id} of {', '.join(devices) if len(devices) < 4 else f'{len(devices)} devices'}")
        scans = await runtime.toolbox.audit_devices(devices, tags or None, sink.device_progress if len(devices) > 1 else None)
        await sink.close_status()
        await sink.post_rendered(render_audit(scans, tags))
    except Exception as exc:
        log.exception("audit %s failed", request_id)
        await quietly(sink.post_error(request_id, f"the audit failed ({type(exc).__name__})"))


async def run_health(runtime: Runtime, origin: Origin) -> None:
    """/noc-health: the daily report's sections, built now and posted into the thread."""
    try:
        await runtime.reports.publish(origin.channel, kind="on-demand", thread_ts=origin.thread_ts)
    except Exception as exc:
        log.exception("health report for %s failed", origin.thread_ts)
        sink = runtime.sink(origin, "Health report")
        await quietly(sink.post_error(new_id(), f"the health report failed ({type(exc).__name__})"))


async def post_details(runtime: Runtime, answer: Answer, channel: str, thread_ts: str) -> None:
    sink = SlackThreadSink(runtime.client, channel, thread_ts, title="Details")
    await sink.post_rendered(render_details(answer))


async def quietly(job: Awaitable[None]) -> None:
    """A failure report that itself fails is logged, never raised over the failure it reports."""
    try:
        await job
    except Exception:
        log.warning("could not report the failure to Slack", exc_info=True)
