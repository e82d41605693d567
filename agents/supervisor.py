"""The supervisor: route, plan, run the specialists, arbitrate their requests, synthesise.

It owns the rules that keep a multi-agent run sane: each step has a timeout and the request a
deadline (what finished is synthesised, what did not is named); a specialist asking another
goes through `_ask`, which keeps the request chain, refuses loops and caps the hops; an
exception in a specialist becomes a failed response, never a crashed request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from agents.access import ToolRoles, highest
from agents.config import EngineConfig, ResilienceConfig
from agents.failures import LLMUnavailable
from agents.llm.usage import UsageMeter
from agents.models import (
    AgentResponse,
    AgentTask,
    Answer,
    DataRequest,
    ExecutionMode,
    Plan,
    PlanStep,
    Request,
    RouteDecision,
    Specialist,
    TraceEntry,
)
from agents.planner import PlanError, rule_plan
from agents.progress import (
    AgentAsked,
    Finished,
    Notice,
    NullSink,
    Planned,
    ProgressEvent,
    ProgressSink,
    Routed,
    StepFinished,
    StepStarted,
)
from agents.resilience.attempts import StepUnavailable, run_on_pool
from agents.resilience.gate import STEP_PRIORITY
from agents.resilience.guard import CURRENT_NOTICES, Resilience
from agents.routing import hinted_devices, route
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, definitions
from agents.specialists.registry import Analyst, CatalogueAnalysts, offline_analysts
from agents.synthesis import synthesize
from agents.tools.network import Toolbox

if TYPE_CHECKING:  # the Claude SDK is imported only when a Claude backend exists (offline stays light)
    from agents.llm.backend import ClaudeBackend

log = logging.getLogger(__name__)

# Every specialist's offline analyst (its folder's rules.py, or the generic one), as the catalogue has them now.
OFFLINE_ANALYSTS = CatalogueAnalysts()


class _Run:
    """State of one request: its clock, trace and sink."""

    def __init__(self, request: Request, sink: ProgressSink, analysts: dict[Specialist, "Analyst"], meter: UsageMeter | None) -> None:
        self.request = request
        self.sink = sink
        self.analysts = analysts
        self.meter = meter
        self.started = time.monotonic()
        self.trace: list[TraceEntry] = []
        self.degraded: list[str] = []  # why parts of the Claude path fell back to rules
        self.breaker_notices: list[str] = []  # filled by breaker transitions this request caused
        self.flushed_breaker_notices = 0
        self.data_roles: set = set()  # roles of the tools whose data this request used (every step shares it)
        self.refused: list[str] = []  # tool calls the requester's role did not allow, as visible notes

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    async def emit(self, event: ProgressEvent) -> None:
        event.t = self.elapsed()
        detail = event.model_dump(exclude={"kind", "request_id", "t"}, exclude_none=True)
        self.trace.append(TraceEntry(t=event.t, event=event.kind, detail=", ".join(f"{k}={v}" for k, v in detail.items())))
        try:
            await self.sink.emit(event)
        except Exception:  # a broken progress display must not break the analysis
            log.warning("progress sink failed on %s", event.kind, exc_info=True)


class Supervisor:
    """Runs requests on the offline engine, or on Claude when a backend is given (with fallbacks)."""

    def __init__(self, toolbox: Toolbox, engine: EngineConfig | None = None, analysts: dict[Specialist, Analyst] | None = None,
                 claude: ClaudeBackend | None = None, resilience: Resilience | None = None,
                 tool_roles: ToolRoles | None = None) -> None:
        self.toolbox = toolbox
        self.tool_roles = tool_roles or ToolRoles()
        self.engine = engine or EngineConfig()
        self.analysts = analysts or offline_analysts()
        self.claude = claude
        self.resilience = resilience or (claude.client.resilience if claude and claude.client.resilience else Resilience(ResilienceConfig()))

    def _new_run(self, request: Request, sink: ProgressSink) -> _Run:
        if self.claude is None:
            return _Run(request, sink, self.analysts, None)
        meter = self.claude.meter()
        return _Run(request, sink, {agent: self.claude.investigator(meter) for agent in self.analysts}, meter)

    async def _flush_breaker_notices(self, run: _Run) -> None:
        new = run.breaker_notices[run.flushed_breaker_notices:]
        run.flushed_breaker_notices = len(run.breaker_notices)
        for text in new:
            await run.emit(Notice(request_id=run.request.id, level="warning", text=text))

    async def _degrade(self, run: _Run, text: str) -> None:
        run.degraded.append(text)
        await run.emit(Notice(request_id=run.request.id, level="degraded", text=text))

    def route(self, question: str) -> RouteDecision:
        return route(question, self.toolbox.inventory)

    async def run(self, request: Request, sink: ProgressSink | None = None) -> Answer:
        """Answer one request. Waits for a slot under the global request limit first, telling the
        sink its queue position, so the deadline counts from when the work starts."""
        sink = sink or NullSink()

        async def queued(position: int) -> None:
            try:
                await sink.emit(Notice(request_id=request.id, level="info",
                                       text=f"Queued: {position} request(s) ahead of this one; it starts when a slot frees up."
                                       if position > 1 else "Queued: next in line."))
            except Exception:
                log.warning("progress sink failed on a queue notice", exc_info=True)

        async with self.resilience.requests.slot(queued, priority=request.priority):
            run = self._new_run(request, sink)
            token = CURRENT_NOTICES.set(run.breaker_notices)
            try:
                return await self._run(run)
            finally:
                CURRENT_NOTICES.reset(token)

    async def _run(self, run: _Run) -> Answer:
        request = run.request
        notices: list[str] = list(request.notices)
        if request.truncated:
            notices.append(f"Your question was longer than the limit and was cut to its first {len(request.question)} characters.")
            await run.emit(Notice(request_id=request.id, level="warning", text=notices[-1]))

        decision = self.route(request.question)
        if self.claude is not None and run.meter is not None and self.claude.config.claude_routes(decision.confidence, decision.margin):
            try:
                decision = await _roles().route(self.claude.client, self.claude.config, run.meter, request.question,
                                                    self.toolbox.inventory, decision)
            except LLMUnavailable as exc:
                await self._degrade(run, f"Claude routing unavailable ({exc}); used the offline router")
        await run.emit(Routed(request_id=request.id, primary=decision.primary.value, specialists=[s.value for s in decision.specialists],
                              devices=decision.devices, method=decision.method))
        if decision.unknown_devices:
            names = ", ".join(decision.unknown_devices)
            known = ", ".join(self.toolbox.inventory.names)
            notices.append(f"Unknown device{'s' if len(decision.unknown_devices) > 1 else ''}: {names}. Known devices: {known}.")
            await run.emit(Notice(request_id=request.id, level="warning", text=notices[-1]))
            if not decision.devices:
                return await self._finish(run, self._unknown_device_answer(request, decision, notices))

        devices = (decision.devices or [d for d in request.context_devices if d in self.toolbox.inventory]
                   or hinted_devices(request.question, self.toolbox.inventory)[0])
        requested = request.mode if request.mode != ExecutionMode.auto else ExecutionMode(self.engine.default_mode)
        plan = await self._plan(run, decision, devices, requested)
        await run.emit(Planned(request_id=request.id, mode=plan.mode.value, steps=[f"{s.id}:{s.agent.value}" for s in plan.steps], phases=plan.phases,
                               priorities={s.id: s.priority for s in plan.steps}))

        responses = await self._execute(run, plan)
        missing = [s for s in plan.steps if s.id not in responses]
        for s in missing:
            responses[s.id] = _failed(s.agent, s.instruction, f"not finished before the {self.engine.request_deadline_s:g}s request deadline")
        if missing:
            notices.append("Deadline reached; answered from what was finished. Missing: " + ", ".join(s.agent.value for s in missing))
            await run.emit(Notice(request_id=request.id, level="warning", text=notices[-1]))
        ordered = [responses[s.id] for s in plan.steps]
        if not missing:
            ordered += await self._follow_ups(run, ordered, devices)

        answer = synthesize(
            request_id=request.id, question=request.question, primary=decision.primary,
            specialists=list(dict.fromkeys(r.agent for r in ordered)), devices=devices,
            responses=ordered, notices=notices, vote=self.engine.severity_vote, priorities=self.engine.incident_priorities,
        )
        answer.plan = plan
        await self._claude_synthesis(run, answer)
        for r in ordered:
            if r.degraded:
                run.degraded.append(r.degraded)
        if run.degraded:
            answer.notices += [d for d in dict.fromkeys(run.degraded) if d not in answer.notices]
            if answer.status == "ok":
                answer.status = "degraded"
        if run.meter is not None:
            answer.usage = run.meter.total.model_copy()
            for r in answer.responses:
                r.usage = run.meter.by_agent.get(r.agent.value, r.usage)
        return await self._finish(run, answer)

    async def _plan(self, run: _Run, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        if self.claude is not None and run.meter is not None:
            try:
                return await _roles().plan(self.claude.client, self.claude.config, run.meter, run.request.question, decision,
                                               devices, self.toolbox.inventory, requested)
            except (LLMUnavailable, PlanError) as exc:
                await self._degrade(run, f"Claude plan not usable ({exc}); used the rule planner")
        return rule_plan(decision, run.request.question, devices, requested)

    async def _follow_ups(self, run: _Run, responses: list[AgentResponse], devices: list[str]) -> list[AgentResponse]:
        """Ask the coordinator for gaps and run at most `follow_ups` more tasks, within the deadline."""
        if self.claude is None or run.meter is None or self.claude.config.follow_ups == 0:
            return []
        try:
            found = await _roles().gaps(self.claude.client, self.claude.config, run.meter, run.request.question, responses)
        except LLMUnavailable as exc:
            await self._degrade(run, f"Claude coordinator unavailable ({exc}); no follow-ups")
            return []
        gaps = found.gaps[: self.claude.config.follow_ups]
        context = [f for r in responses for f in r.findings]
        tasks = []
        for i, gap in enumerate(gaps, start=1):
            await run.emit(Notice(request_id=run.request.id, level="info", text=f"follow-up for {gap.agent.value}: {gap.reason}"))
            tasks.append(self._run_agent(run, AgentTask(id=f"f{i}", agent=gap.agent, instruction=gap.instruction, devices=devices, context=context)))
        remaining = max(self.engine.request_deadline_s - run.elapsed(), 0.001)
        try:
            return list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=remaining))
        except TimeoutError:
            await run.emit(Notice(request_id=run.request.id, level="warning", text="Deadline reached during follow-ups; they were dropped"))
            return []

    async def _claude_synthesis(self, run: _Run, answer: Answer) -> None:
        if self.claude is None or run.meter is None:
            return
        try:
            out = await _roles().synthesis(self.claude.client, self.claude.config, run.meter, answer)
        except LLMUnavailable as exc:
            await self._degrade(run, f"Claude synthesis unavailable ({exc}); the summary was assembled by rules")
            return
        answer.summary = out.summary
        answer.notices += out.conflicts

    async def _finish(self, run: _Run, answer: Answer) -> Answer:
        await self._flush_breaker_notices(run)
        answer.notices += [n for n in run.breaker_notices if n not in answer.notices]
        answer.notices += [n for n in run.refused if n not in answer.notices]
        answer.data_role = highest(run.data_roles)
        answer.duration_s = run.elapsed()
        await run.emit(Finished(request_id=run.request.id, status=answer.status, duration_s=answer.duration_s))
        answer.trace = run.trace
        return answer

    def _unknown_device_answer(self, request: Request, decision: RouteDecision, notices: list[str]) -> Answer:
        return Answer(
            request_id=request.id, question=request.question, status="failed", primary=decision.primary,
            specialists=[], severity=Severity.info, confidence=0.0, automation="human",
            summary=notices[-1] + " Ask again with one of the known devices, or without a device name to check the whole network.",
            notices=notices,
        )

    # -- execution -------------------------------------------------------------------------

    async def _execute(self, run: _Run, plan: Plan) -> dict[str, AgentResponse]:
        done: dict[str, AgentResponse] = {}
        steps = {s.id: s for s in plan.steps}

        async def one(step: PlanStep, use_context: bool) -> None:
            sources = _context_sources(step, done, use_context)
            task = AgentTask(id=step.id, agent=step.agent, instruction=step.instruction, devices=step.devices, depends_on=step.depends_on,
                             priority=step.priority,
                             context=run.request.context_findings + [f for r in sources for f in r.findings],
                             context_recommendations=[rec for r in sources for rec in r.recommendations])
            done[step.id] = await self._run_agent(run, task)

        async def execute() -> None:
            if plan.mode == ExecutionMode.parallel:
                await asyncio.gather(*(one(s, use_context=False) for s in plan.steps))
            elif plan.mode == ExecutionMode.sequential:
                for phase in plan.phases:
                    for sid in phase:
                        await one(steps[sid], use_context=True)
            else:
                for phase in plan.phases:
                    await asyncio.gather(*(one(steps[sid], use_context=True) for sid in phase))

        try:
            await asyncio.wait_for(execute(), timeout=self.engine.request_deadline_s)
        except TimeoutError:
            log.warning("request %s hit its deadline", run.request.id)
        return done

    async def _run_agent(self, run: _Run, task: AgentTask) -> AgentResponse:
        """One step: on the specialist's pool with timeout and retries; the offline analyst when
        Claude cannot answer; a failure response (never an exception) when nothing can."""
        definition = definitions()[task.agent]
        attempts = [0]  # contexts made so far: every one after the first follows a failed attempt

        def make_context() -> AnalysisContext:
            attempts[0] += 1
            return AnalysisContext(failures=attempts[0] - 1, task=task, definition=definition, toolbox=self.toolbox, sink=run, request_id=run.request.id,
                                   started=run.started, ask_fn=lambda t, a, i, d: self._ask(run, t, a, i, d), engine=self.engine,
                                   role=run.request.role, tool_roles=self.tool_roles, data_roles=run.data_roles)

        await run.emit(StepStarted(request_id=run.request.id, step=task.id, agent=task.agent.value, instruction=task.instruction[:200]))
        t0 = time.monotonic()
        ctx = None
        priority = STEP_PRIORITY.set(task.priority)  # reset after the step: synthesis must not inherit it
        try:
            result = await run_on_pool(self.resilience.pools[task.agent], run.analysts[task.agent], make_context,
                                       timeout_s=self.engine.step_timeout_s, retry=self.resilience.config.retry)
            out, ctx, instance = result.output, result.context, result.instance
        except StepUnavailable as exc:
            out, ctx, instance = await self._fallback(run, task, make_context, exc.reason)
        finally:
            STEP_PRIORITY.reset(priority)
        if out is None:
            response = _failed(task.agent, task.instruction, f"{task.agent.value} could not answer: {instance}")
        else:
            response = AgentResponse(
                agent=task.agent, task=task.instruction, status="partial" if out.partial else "success", summary=out.summary,
                findings=out.findings, recommendations=out.recommendations, confidence=out.confidence,
                severity=Severity.worst([f.severity for f in out.findings]),
                result=out.result.model_dump(mode="json") if out.result is not None else {},
                engine=out.engine, degraded=out.degraded, instance=instance,
            )
        if ctx is not None:
            response.evidence = ctx.evidence
            response.requests = ctx.requests
            response.refused = list(ctx.refused)
            if response.refused and response.status == "success":
                response.status = "partial"  # part of what was asked was withheld from this requester
            run.refused += [n for n in ctx.refused if n not in run.refused]
        response.duration_s = round(time.monotonic() - t0, 3)
        await run.emit(StepFinished(request_id=run.request.id, step=task.id, agent=task.agent.value, status=response.status,
                                    duration_s=response.duration_s, summary=(response.summary or response.error or "")[:300]))
        await self._flush_breaker_notices(run)
        return response

    async def _fallback(self, run: _Run, task: AgentTask, make_context, reason: str):
        """(output, context, instance-or-reason): the offline analyst when Claude was the engine."""
        if self.claude is None:
            return None, None, reason
        ctx = make_context()
        try:
            out = await asyncio.wait_for(self.analysts[task.agent](ctx), timeout=self.engine.step_timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("offline fallback for %s failed", task.agent.value)
            return None, ctx, f"{reason}; the offline analyst also failed ({type(exc).__name__})"
        out.engine = "offline-fallback"
        out.degraded = f"{task.agent.value}: Claude unavailable ({reason}); answered by the offline analyst"
        return out, ctx, "offline"

    async def _ask(self, run: _Run, asker: AgentTask, target: Specialist, instruction: str, devices: list[str]) -> tuple[DataRequest, AgentResponse | None]:
        chain = asker.chain + [asker.agent.value]
        record = DataRequest(from_agent=asker.agent.value, to_agent=target.value, instruction=instruction, chain=chain + [target.value], outcome="answered")
        if target.value in chain:
            record.outcome, record.reason = "refused-loop", f"{target.value} is already in the request chain {' -> '.join(chain)}"
        elif len(chain) > self.engine.max_hops:
            record.outcome, record.reason = "refused-depth", f"request chain would exceed {self.engine.max_hops} hops"
        await run.emit(AgentAsked(request_id=run.request.id, from_agent=asker.agent.value, to_agent=target.value, outcome=record.outcome))
        if record.outcome != "answered":
            return record, None
        sub = AgentTask(id=f"{asker.id}>{target.value}", agent=target, instruction=instruction, devices=devices or asker.devices,
                        context=asker.context, context_recommendations=asker.context_recommendations, chain=chain)
        response = await self._run_agent(run, sub)
        if response.status == "failure":
            record.outcome, record.reason = "failed", response.error or ""
        return record, response


def _context_sources(step: PlanStep, done: dict[str, AgentResponse], use_context: bool) -> list[AgentResponse]:
    """Responses whose findings a step sees: its dependencies, or everything before it."""
    if not use_context:
        return []
    return [done[sid] for sid in (step.depends_on or list(done)) if sid in done]


def _failed(agent: Specialist, task: str, error: str) -> AgentResponse:
    return AgentResponse(agent=agent, task=task, status="failure", error=error, confidence=0.0)


def _roles():
    """The Claude role calls (router, planner, coordinator, synthesis), imported on first use."""
    from agents.llm import roles

    return roles
