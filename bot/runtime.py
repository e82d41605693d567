"""The bot's runtime: one toolbox, one supervisor, one store, and the background jobs.

Listeners ack first (handlers); what follows the ack runs here: the intake (`claim_event`, then
`admit`: route once, decide the role, authorise), the answer job (`answer_question`) and the
hooks registered to run after an answer (`after_answer`: the change proposal, the incident page),
each in a tracked task, so shutdown can cancel them cleanly. Every job ends with a message in its
thread: the answer, or what failed and the request id. Never silence. Operations a person runs
beside questions (audit, health, details, re-run) live in bot.operations. `start_background`
starts what runs without being asked: live alerts and the scheduled jobs (bot.scheduler).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from slack_sdk.web.async_client import AsyncWebClient

from agents.access import allows
from agents.engine import Engine, build_engine
from agents.models import Answer, Request
from agents.resilience.guard import Resilience
from agents.router import load_model as load_router_model
from agents.tools import build_toolbox
from agents.tools.network import Toolbox
from agents.tools.roles import ToolRoles
from bot.access import Role
from bot.changes.after_answer import ProposeChange
from bot.changes.desk import ChangeDesk
from bot.config.settings import Settings
from bot.durability.heartbeat import Heartbeat
from bot.durability.journal import Journal
from bot.durability.lifecycle import RequestLedger
from bot.durability.outbox import Outbox
from bot.intake import STORE_PATIENCE_S, Intake
from bot.integrations.incidents import IncidentDesk
from bot.inventory_ops import InventoryRefresher
from bot.metrics import BotMetrics
from bot.operations import quietly
from bot.origin import AnswerHook, Origin
from bot.report.build import ReportSources
from bot.report.cost_alerts import CostWatch
from bot.report.live_alerts import LiveAlerts
from bot.report.post import ReportPublisher
from bot.scheduler import Scheduler
from bot.slack.ack_first import AckFirst
from bot.slack.client import close_web_client
from bot.slack.identity import BotIdentity
from bot.slack.sink import SlackThreadSink
from bot.slack.stream import SlackStreamSink
from bot.slack.views.text import cut, escape
from bot.store import Store
from bot.triage.intake import AlertTriage

if TYPE_CHECKING:
    from agents.llm.backend import ClaudeBackend
    from agents.supervisor import Supervisor

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"[0-9a-f]{12}")
TITLE_CHARS = 80  # an assistant thread's title: the first question, cut to fit the history list


class Runtime:
    def __init__(self, settings: Settings, client: AsyncWebClient, store: Store, toolbox: Toolbox,
                 resilience: Resilience, engine: Engine | None = None) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.toolbox = toolbox
        self.resilience = resilience
        # The engine the settings call for (agents/engine.py), unless the caller built one.
        self.engine = engine or build_engine(settings, toolbox, resilience=resilience,
                                             tool_roles=ToolRoles(settings.access.tool_roles))
        self.identity = BotIdentity(client)  # who the bot is in Slack, asked once (Bolt's `authorize`)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.acks = AckFirst()  # listeners start their work once no request waits for its ack
        self.store_failures = 0  # answers posted but not stored (logged; the user still got the answer)
        self.journal: Journal | None = None  # opened by `noc run` (bot.durability.recovery): acked events and delayed writes
        self.outbox = Outbox(store)
        self.ledger = RequestLedger(store, client, settings.store.lease_s, self.outbox)
        # After the ack: claim, route once, decide the role, authorise (bot.intake).
        self.intake = Intake(settings.access, client, store, toolbox.inventory, self.supervisor.tool_roles, self.ledger, self.settle)
        self.alerts = LiveAlerts(settings, client, store, resilience)
        self.costs = CostWatch(settings, client, store, resilience)  # live cost and budget alerts, checked per answer
        self.reports = ReportPublisher(client, ReportSources(settings, store, toolbox, resilience),
                                       interval_s=settings.slack.status_update_interval_s,
                                       attempts=settings.slack.post_attempts, backoff_s=settings.slack.post_backoff_s)
        self.inventory = InventoryRefresher(toolbox.inventory)
        self.changes = ChangeDesk(settings, client, store, toolbox, self.spawn)
        self.scheduler = Scheduler(settings, store, self.post_daily_report, watch=self.alerts.check_success_rates,
                                   changes=self.changes.sweep,
                                   refresh_inventory=self.inventory.refresh if self.inventory.enabled else None)
        self.triage = AlertTriage(self)
        self.incidents = IncidentDesk(self)  # PagerDuty: P1/P2 answers and alerts, the Page on-call button
        # Run in order once an answer is posted and stored (issue 23: registered, not inlined).
        self.after_answer: list[AnswerHook] = []
        self.add_after_answer(ProposeChange(self.changes, self._tell_failure))
        self.add_after_answer(self._page_if_urgent)
        self.metrics = BotMetrics()  # requests, HTTP, alerts: served on /metrics (bot.metrics)
        self.heartbeat = Heartbeat(self.ledger, self.outbox, interval_s=settings.store.heartbeat_s,
                                   dead_after_beats=settings.store.dead_after_beats, hooks=[self.triage.resume], on_beat=self.metrics.store_seen)

    @property
    def claude(self) -> ClaudeBackend | None:
        """The engine's model client (None offline), as health, metrics and the start-up line read it."""
        return self.engine.claude

    @property
    def supervisor(self) -> Supervisor:
        return self.engine.supervisor

    @classmethod
    async def create(cls, settings: Settings, client: AsyncWebClient) -> "Runtime":
        # Before the store: nothing to close if it fails. A source of truth that is down at start must
        # not keep the bot down: it starts with what it can read and says so on /healthz; a broken
        # inventory file is a configuration error, as before.
        toolbox = build_toolbox(settings.network, settings.audit, settings.thresholds, inventory=settings.inventory,
                                strict=settings.inventory.source == "file", mcp_servers=settings.mcp_servers)
        store = await Store.from_config(settings.store).open()
        resilience = Resilience(settings.resilience)
        await resilience.budget.attach(store)  # the token budget survives restarts and is shared by replicas
        # The learned router's model: the shipped artefact, loaded before the first question (built
        # only when the specialists' examples changed), in a thread, so no listener's role check
        # waits for it on the event loop.
        await asyncio.to_thread(load_router_model)
        return cls(settings, client, store, toolbox, resilience)

    # -- task tracking ----------------------------------------------------------------------

    async def after_acks(self) -> None:
        """A listener's work after its ack waits while other requests still wait for theirs (bot.slack.ack_first)."""
        await self.acks.wait()

    def spawn(self, job: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(cast(Coroutine[Any, Any, Any], job), name=name)  # every job is a coroutine
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for running jobs, and for acked listeners still starting theirs (tests and graceful stops)."""
        deadline = time.monotonic() + timeout
        while (pending := set(self.tasks) | set(self.acks.listeners)) and time.monotonic() < deadline:
            await asyncio.wait(pending, timeout=deadline - time.monotonic())

    def start_background(self) -> None:
        """Live alerts and the scheduled jobs (`noc run`; call on the running loop)."""
        self.alerts.start()
        self.scheduler.start()
        self.heartbeat.start()

    async def post_daily_report(self, day: str) -> None:
        if self.settings.report.channel:  # the scheduler adds the daily job only with a channel (bot.scheduler)
            await self.reports.publish(self.settings.report.channel, kind="daily", day=day)

    async def shutdown(self) -> None:
        self.scheduler.shutdown()
        await self.alerts.stop()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.heartbeat.stop()
        if self.journal is not None:
            self.journal.close()
        self.toolbox.gateway.close()
        self.changes.engine.close()
        await self.toolbox.external.aclose()  # the MCP servers' sessions (mcp_servers)
        await self.engine.aclose()
        await self.resilience.budget.flush()
        await self.store.close()
        await close_web_client(self.client)

    async def question_here(self, request_id: object, channel: str | None, thread_ts: str | None) -> dict[str, Any] | None:
        """A stored request (answered or not, e.g. interrupted) asked in this thread: what Re-run needs."""
        row = await self.store.request_row(request_id) if _is_request_id(request_id) else None
        return row if _posted_in(row, channel, thread_ts) else None

    async def find_here(self, request_id: object, channel: str | None, thread_ts: str | None) -> tuple[Answer, dict[str, Any]] | None:
        """A stored answer, only if the click comes from the thread it was posted in: a button
        value from another channel or thread, or one that is not a request id, finds nothing."""
        found = await self.store.answer(request_id) if _is_request_id(request_id) else None
        return found if found is not None and _posted_in(found[1], channel, thread_ts) else None

    # -- jobs -------------------------------------------------------------------------------

    def sink(self, origin: Origin, title: str, *, stream: bool = False) -> SlackThreadSink:
        """The progress display: a streamed task list with a thread status (`slack.progress:
        stream`, for questions a person asked), else one coalesced status message."""
        slack = self.settings.slack
        if stream and slack.progress == "stream" and origin.user:
            return SlackStreamSink(self.client, origin.channel, origin.thread_ts, recipient_user=origin.user, recipient_team=origin.team,
                                   title=title, interval_s=slack.status_update_interval_s, post_attempts=slack.post_attempts,
                                   post_backoff_s=slack.post_backoff_s)
        return SlackThreadSink(self.client, origin.channel, origin.thread_ts, title=title, interval_s=slack.status_update_interval_s,
                               post_attempts=slack.post_attempts, post_backoff_s=slack.post_backoff_s)

    async def answer_question(self, request: Request, origin: Origin, *, required_role: Role = "viewer") -> Answer | None:
        """Run one request and post its answer. The answer is posted first and stored after:
        a store failure is logged and counted, never shown instead of a computed answer."""
        # Recorded alongside the work, not before it: a locked or slow store must not hold the answer up.
        started, outcome = time.monotonic(), "error"
        received = asyncio.create_task(self.ledger.received(request, origin.where, required_role))
        received.add_done_callback(lambda _: self.settle(origin.event_id))  # its row is written or journalled
        first = await self._with_thread_context(request, origin)
        if first and origin.assistant_thread:
            self.spawn(self._title_thread(origin, request.question), name=f"title:{origin.thread_ts}")
        sink = self.sink(origin, "Working on it", stream=True)
        phase = "the analysis"
        try:
            async with self.ledger.leased(request.id), _status_cleared(sink):
                await sink.start(f":mag: Request {request.id}" + (f" ({origin.source})" if origin.source else ""))
                answer = await self.supervisor.run(request, sink)
                phase = "posting the answer to Slack"
                await sink.post_answer(answer)
                outcome = answer.status
        except asyncio.CancelledError:
            # Stopping: the request stays retryable (its event is not finished) and is marked interrupted.
            outcome = "cancelled"
            await asyncio.gather(received, return_exceptions=True)
            await self.outbox.write("mark_interrupted", request_ids=[request.id], reason="the bot stopped")
            await quietly(sink.post_error(request.id, "the bot is shutting down and this request was cancelled"))
            raise
        except Exception as exc:
            log.exception("request %s failed during %s", request.id, phase)
            await received
            await self.ledger.failed(request.id, f"{phase} failed ({type(exc).__name__})")
            await quietly(sink.post_error(request.id, f"{phase} failed ({type(exc).__name__})"))
            await self.ledger.finished(origin.where)
            return None
        finally:
            self.metrics.request_done(origin.source, outcome, time.monotonic() - started)
            log.info("request %s from %s: %s in %.2fs", request.id, origin.source, outcome, time.monotonic() - started,
                     extra={"request_id": request.id, "user": origin.user, "channel": origin.channel})
        await received
        await self._store_answer(answer, origin, required_role)  # finishes its Slack event too
        await self._run_after_answer(answer, request, origin)
        return answer

    def add_after_answer(self, hook: AnswerHook) -> None:
        """Register what runs once an answer is posted and stored (in registration order)."""
        self.after_answer.append(hook)

    async def _run_after_answer(self, answer: Answer, request: Request, origin: Origin) -> None:
        for hook in self.after_answer:
            try:
                await hook(answer, request, origin)
            except Exception:  # a hook says its own failures; one that raises must not stop the next
                log.exception("post-answer hook %r failed for %s", hook, answer.request_id)

    async def _page_if_urgent(self, answer: Answer, request: Request, origin: Origin) -> None:
        """Post-answer hook: a P1/P2 answer to a person pages on-call (bot.integrations.incidents)."""
        await self.incidents.after_answer(answer, origin)

    async def _tell_failure(self, origin: Origin, request_id: str, what: str) -> None:
        await quietly(self.sink(origin, "Change").post_error(request_id, what))

    def settle(self, event_id: str | None) -> None:
        """An acked event needs no replay after a restart any more (bot.durability.journal)."""
        if self.journal is not None:
            self.journal.settle_key(event_id)

    async def recover_interrupted(self) -> int:
        """Start-up: requests a stopped bot left behind are marked interrupted and their threads told;
        changes it left in flight are claimed and resolved (bot.changes.desk)."""
        try:
            await self.changes.sweep()
        except Exception:
            log.error("could not sweep the changes at start-up; the scheduled sweep tries again", exc_info=True)
        return await self.ledger.recover()

    async def _with_thread_context(self, request: Request, origin: Origin) -> bool:
        """A follow-up in a thread reuses the earlier answer's devices, and its findings only when
        the new requester holds the role that produced them. True when the thread had no answer yet."""
        try:
            prior = await asyncio.wait_for(self.store.last_answer_in_thread(origin.channel, origin.thread_ts), timeout=STORE_PATIENCE_S)
        except Exception:
            log.error("could not read the thread's earlier answer; answering without it", exc_info=True)
            return False
        if prior is None:
            return True
        request.context_devices = prior.devices
        if allows(request.role, prior.data_role):
            request.context_findings = prior.findings[:20]
        else:
            request.notices.append(f"Earlier findings in this thread need the {prior.data_role} role; they were not reused.")
        return False

    async def _title_thread(self, origin: Origin, question: str) -> None:
        """Name a Messages-tab thread after its first question (its entry in the user's history)."""
        title = cut(escape(question), TITLE_CHARS)
        try:
            await self.client.assistant_threads_setTitle(channel_id=origin.channel, thread_ts=origin.thread_ts, title=title)
        except Exception:  # the answer matters, the title does not
            log.warning("could not title the assistant thread %s %s", origin.channel, origin.thread_ts, exc_info=True)

    async def _store_answer(self, answer: Answer, origin: Origin, required_role: Role) -> None:
        """Stored now, or kept in order in the outbox until the store is back (counted)."""
        if not await self.ledger.answered(answer, origin.where, required_role):
            self.store_failures += 1
            log.error("request %s was answered; its record waits for the store", answer.request_id)
            return
        await self.costs.check()


@asynccontextmanager
async def _status_cleared(sink: SlackThreadSink) -> AsyncIterator[None]:
    """The thread status is cleared at the end whatever happens: answer, failure, cancellation."""
    try:
        yield
    finally:
        if isinstance(sink, SlackStreamSink):
            await asyncio.shield(quietly(sink.clear_status()))


def _is_request_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _REQUEST_ID.fullmatch(value) is not None


def _posted_in(meta: dict[str, Any] | None, channel: str | None, thread_ts: str | None) -> bool:
    """Buttons are bound to where they were posted: the stored request's channel and thread."""
    return meta is not None and meta.get("channel") == channel and meta.get("thread_ts") == thread_ts
