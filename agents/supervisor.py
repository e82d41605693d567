"""The supervisor: route, plan, run the specialists, arbitrate their requests, synthesise.

It owns the rules that keep a multi-agent run sane: each step has a timeout and the request a
deadline (what finished is synthesised, what did not is named); a specialist asking another
goes through `_ask`, which keeps the request chain, refuses loops and caps the hops; an
exception in a specialist becomes a failed response, never a crashed request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from agents.access import highest
from agents.config import EngineConfig, ResilienceConfig
from agents.context import AnswerNotes, Fanout, RequestContext, serving
from agents.log_context import log_fields
from agents.memory import Message, answer_key
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
    SpecialistQuery,
)
from agents.pipeline import FollowUp, Pipeline, hand_offs, rule_pipeline
from agents.progress import (
    AgentAsked,
    AgentReplied,
    Finished,
    HandedOff,
    Notice,
    NullSink,
    Observer,
    Planned,
    Routed,
    StepFinished,
    StepStarted,
    Withheld,
)
from agents.rerouting import split_writers, with_subject
from agents.resilience.attempts import StepUnavailable, run_on_pool
from agents.resilience.breaker import BreakerState
from agents.resilience.guard import Resilience
from agents.resilience.pool import AgentInstance
from agents.routing import hinted_devices
from agents.scheduling import EARLY, EarlyStarts, context_sources, hand_over, run_plan
from agents.severity import Severity
from agents.specialists import registry
from agents.specialists.base import AnalysisContext, AnalystOutput, definitions
from agents.specialists.registry import Analyst, offline_analysts
from agents.synthesis import synthesize
from agents.tools.network import Toolbox
from agents.tools.roles import ToolRoles

log = logging.getLogger(__name__)

# Every specialist's offline analyst (its folder's rules.py, or the generic one), as the catalogue has them now.
OFFLINE_ANALYSTS = registry.OFFLINE_ANALYSTS


class Supervisor:
    """Runs requests on the pipeline it is given (agents/engine.py `build_engine` composes it:
    the rules, or a model with the rules behind every stage); without one, on the rules with
    `analysts` (every specialist's offline analyst by default)."""

    def __init__(self, toolbox: Toolbox, engine: EngineConfig | None = None, pipeline: Pipeline | None = None, *,
                 resilience: Resilience | None = None, tool_roles: ToolRoles | None = None,
                 analysts: Mapping[Specialist, Analyst] | None = None) -> None:
        if pipeline is not None and analysts is not None:
            raise ValueError("give the supervisor a pipeline or analysts for the rule pipeline, not both")
        self.toolbox = toolbox
        self.tool_roles = tool_roles or ToolRoles()
        self.engine = engine or EngineConfig()
        self.resilience = resilience or Resilience(ResilienceConfig())
        for breaker in toolbox.external.breakers.values():  # the MCP servers' breakers, in the metrics and notices
            self.resilience.adopt(breaker)
        self.pipeline = pipeline or rule_pipeline(toolbox.inventory, analysts or offline_analysts())

    async def run(self, request: Request, sink: Observer | None = None) -> Answer:
        """Answer one request. Waits for a slot under the global request limit first, telling the
        sink its queue position; the deadline counts from receipt, queue time included, and model
        calls end at the cutoff before it (EngineConfig.llm_cutoff_s) so the rules can finish in time."""
        received = time.monotonic()
        sink = sink or NullSink()

        async def queued(position: int) -> None:
            try:
                await sink.emit(Notice(request_id=request.id, level="info",
                                       text=f"Queued: {position - 1} request(s) ahead of this one; it starts when a slot frees up."
                                       if position > 1 else "Queued: next in line."))  # position 1 is next in line
            except Exception:
                log.warning("progress sink failed on a queue notice", exc_info=True)

        async with self.resilience.requests.slot(queued, priority=request.priority):
            notes = AnswerNotes()  # hears every event first: the trace and the answer's notes come from it
            session = RequestContext(request, Fanout(notes, sink), self.pipeline.meter(), started=received,
                                     call_deadline=received + self.engine.llm_cutoff_s())
            # the inventory as it is now, for the whole request: a refresh meanwhile serves the next ones
            with serving(session), self.toolbox.inventory.pinned(), log_fields(request_id=request.id):
                return await self._run(session, notes, sink, self.pipeline.analysts.for_request(session))

    async def _run(self, session: RequestContext, notes: AnswerNotes, sink: Observer, analysts: Mapping[Specialist, Analyst]) -> Answer:
        """The request with early starts (agents/scheduling.py): specialists a router is confident
        about run while Claude routes and plans; whatever the plan did not take is cancelled."""
        early_tasks: dict[str, AgentTask] = {}

        def run_early(step: PlanStep, observer: Observer) -> Awaitable[AgentResponse]:  # shown live once adopted (scheduling.Held)
            early_tasks[step.id] = self._task(session, step, [])
            return self._run_agent(dataclasses.replace(session, observer=observer), analysts, early_tasks[step.id])

        early = EarlyStarts(run_early, lambda decision: self._devices(session.request, decision), session.request.question,
                            notes, sink, enabled=self._early_starts(session.request))
        token = EARLY.set(early)
        try:
            return await self._answer(session, notes, analysts, early, early_tasks)
        finally:
            EARLY.reset(token)
            await hand_over(session, early, early_tasks, None)

    async def _answer(self, session: RequestContext, notes: AnswerNotes, analysts: Mapping[Specialist, Analyst],
                      early: EarlyStarts[AgentResponse],
                      early_tasks: dict[str, AgentTask]) -> Answer:
        request = session.request
        notices: list[str] = list(request.notices)
        if request.truncated:
            notices.append(f"Your question was longer than the limit and was cut to its first {len(request.question)} characters.")
            await session.notice("warning", notices[-1])

        decision = await self.pipeline.router.route(session, request.question)
        await session.emit(Routed(request_id=request.id, primary=decision.primary.value, specialists=[s.value for s in decision.specialists],
                                  devices=decision.devices, method=decision.method))
        if decision.unknown_devices:
            names = ", ".join(decision.unknown_devices)
            known = ", ".join(self.toolbox.inventory.names)
            notices.append(f"Unknown device{'s' if len(decision.unknown_devices) > 1 else ''}: {names}. Known devices: {known}.")
            await session.notice("warning", notices[-1])
            if not decision.devices:
                return await self._finish(session, notes, self._unknown_device_answer(request, decision, notices))

        devices = self._devices(request, decision)
        plan = await self.pipeline.planner.plan(session, decision, devices, self._requested(request))
        early.enabled = False  # nothing starts early once the plan exists
        await session.emit(Planned(request_id=request.id, mode=plan.mode.value, steps=[f"{s.id}:{s.agent.value}" for s in plan.steps],
                                   phases=plan.phases, priorities={s.id: s.priority for s in plan.steps}))
        adopted = await hand_over(session, early, early_tasks, plan)

        investigation, writers = split_writers(plan)  # hand-offs join before the write-up (agents/rerouting.py)
        responses = await self._execute(session, analysts, investigation, adopted=adopted)
        ordered = [responses[s.id] for s in investigation.steps if s.id in responses]
        if len(ordered) == len(investigation.steps):
            handed = await self._follow_ups(session, analysts, ordered, devices)
            ordered += handed
            responses.update({f"handed:{i}": r for i, r in enumerate(handed, start=1)})
        if writers is not None:
            written = await self._execute(session, analysts, writers, dict(responses))
            ordered += [written[s.id] for s in writers.steps if s.id in written]
            responses.update(written)
        missing = [s for s in plan.steps if s.id not in responses]
        for s in missing:
            ordered.append(_failed(s.agent, s.instruction, f"not finished before the {self.engine.request_deadline_s:g}s request deadline"))
        if missing:
            notices.append("Deadline reached; answered from what was finished. Missing: " + ", ".join(s.agent.value for s in missing))
            await session.notice("warning", notices[-1])

        draft = synthesize(
            request_id=request.id, question=request.question, primary=decision.primary,
            specialists=list(dict.fromkeys(r.agent for r in ordered)), devices=devices,
            responses=ordered, notices=notices, vote=self.engine.severity_vote, priorities=self.engine.incident_priorities,
        )
        summary = await self.pipeline.synthesiser.summarise(session, draft)
        degraded = notes.degraded + [r.degraded for r in ordered if r.degraded]
        update: dict[str, Any] = {"plan": plan}
        if summary is not None:
            update["summary"], update["notices"] = summary.text, draft.notices + summary.conflicts
        if degraded:
            shown = update.get("notices", draft.notices)
            update["notices"] = shown + [d for d in dict.fromkeys(degraded) if d not in shown]
            if draft.status == "ok":
                update["status"] = "degraded"
        if session.meter is not None:
            update["usage"] = session.meter.total.model_copy()
            update["responses"] = [r.model_copy(update={"usage": session.meter.by_agent.get(r.agent.value, r.usage)})
                                   for r in draft.responses]
        return await self._finish(session, notes, draft.model_copy(update=update))

    async def _follow_ups(self, session: RequestContext, analysts: Mapping[Specialist, Analyst], responses: list[AgentResponse],
                          devices: list[str]) -> list[AgentResponse]:
        """Run the hand-offs the findings call for (agents/pipeline.py `hand_offs`) and the
        coordinator's follow-up tasks (if any), once, within the deadline."""
        question, limit, role = session.request.question, self.engine.max_hand_offs, session.request.role
        handed = with_subject(hand_offs(question, responses, limit, role), question, responses, limit, role)
        coordinated = await self.pipeline.coordinator.follow_ups(session, responses)
        wanted: list[FollowUp] = handed + [g for g in coordinated if g.agent not in {h.agent for h in handed}]
        if not wanted:
            return []
        context = [f for r in responses for f in r.findings]
        tasks = []
        for i, gap in enumerate(wanted, start=1):
            if gap.source is not None:
                await session.emit(HandedOff(request_id=session.request.id, from_agent=gap.source, to_agent=gap.agent.value,
                                             finding_kind=gap.finding_kind or "", reason=gap.reason))
            else:
                await session.notice("info", f"follow-up for {gap.agent.value}: {gap.reason}")
            task = AgentTask(id=f"f{i}", agent=gap.agent, instruction=gap.instruction, devices=list(gap.devices) or devices, context=context)
            tasks.append(self._run_agent(session, analysts, task))
        remaining = max(self.engine.request_deadline_s - session.elapsed(), 0.001)
        try:
            return list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=remaining))
        except TimeoutError:
            await session.notice("warning", "Deadline reached during follow-ups; they were dropped")
            return []

    async def _finish(self, session: RequestContext, notes: AnswerNotes, answer: Answer) -> Answer:
        """The answer as sent: the request's notes (breakers, withheld calls) added once, the trace last."""
        await session.flush()
        extra = [n for n in dict.fromkeys(notes.breakers + notes.withheld) if n not in answer.notices]
        duration = session.elapsed()
        await session.emit(Finished(request_id=session.request.id, status=answer.status, duration_s=duration))
        return answer.model_copy(update={"notices": answer.notices + extra, "data_role": highest(session.data_roles),
                                         "duration_s": duration, "trace": notes.trace})

    def _unknown_device_answer(self, request: Request, decision: RouteDecision, notices: list[str]) -> Answer:
        return Answer(
            request_id=request.id, question=request.question, status="failed", primary=decision.primary,
            specialists=[], severity=Severity.info, confidence=0.0, automation="human",
            summary=notices[-1] + " Ask again with one of the known devices, or without a device name to check the whole network.",
            notices=notices,
        )

    # -- execution -------------------------------------------------------------------------

    def _devices(self, request: Request, decision: RouteDecision) -> list[str]:
        """The devices the plan's steps get: the route's, else the conversation's, else those the question hints at."""
        return (decision.devices or [d for d in request.context_devices if d in self.toolbox.inventory]
                or hinted_devices(request.question, self.toolbox.inventory)[0])

    def _early_starts(self, request: Request) -> bool:
        """Early starts need a plan that runs steps together, and a closed provider breaker: a
        half-open one lets one trial call through, which must not be raced by a speculative step."""
        return (self.pipeline.early_starts and self._requested(request) != ExecutionMode.sequential
                and self.resilience.provider.current_state() == BreakerState.closed)

    def _requested(self, request: Request) -> ExecutionMode:
        return request.mode if request.mode != ExecutionMode.auto else ExecutionMode(self.engine.default_mode)

    @staticmethod
    def _task(session: RequestContext, step: PlanStep, sources: list[AgentResponse]) -> AgentTask:
        return AgentTask(id=step.id, agent=step.agent, instruction=step.instruction, devices=step.devices, depends_on=step.depends_on,
                         priority=step.priority, context=session.request.context_findings + [f for r in sources for f in r.findings],
                         context_recommendations=[rec for r in sources for rec in r.recommendations])

    async def _execute(self, session: RequestContext, analysts: Mapping[Specialist, Analyst], plan: Plan,
                       before: Mapping[str, AgentResponse] | None = None,
                       adopted: Mapping[str, asyncio.Task[AgentResponse]] | None = None) -> dict[str, AgentResponse]:
        """Run `plan`; its steps see the findings of `before` too (what finished earlier in the request),
        and `adopted` are steps started early that the plan took over."""
        done: dict[str, AgentResponse] = dict(before or {})
        adopted = adopted or {}

        async def one(step: PlanStep) -> None:
            running = adopted.get(step.id)  # started early, with no context: the same work as starting it now
            done[step.id] = await (running if running is not None
                                   else self._run_agent(session, analysts, self._task(session, step, context_sources(step, done, plan.mode))))
            session.memory.add_findings(done[step.id].findings)

        try:
            await asyncio.wait_for(run_plan(plan, one), timeout=max(self.engine.request_deadline_s - session.elapsed(), 0.001))
        except TimeoutError:
            log.warning("request %s hit its deadline", session.request.id)
        finally:
            for running in adopted.values():  # adopted steps the plan never reached (deadline)
                running.cancel()
        return {sid: r for sid, r in done.items() if before is None or sid not in before}

    async def _run_agent(self, session: RequestContext, analysts: Mapping[Specialist, Analyst], task: AgentTask) -> AgentResponse:
        """One step: on the specialist's pool with timeout and retries; the offline analyst when
        the model cannot answer; a failure response (never an exception) when nothing can."""
        definition = definitions()[task.agent]
        attempts = [0]  # contexts made so far: every one after the first follows a failed attempt

        def make_context(instance: AgentInstance | None = None) -> AnalysisContext:
            attempts[0] += 1
            return AnalysisContext(failures=attempts[0] - 1, task=task, definition=definition, toolbox=self.toolbox, sink=session,
                                   binding=instance.binding if instance else None, llm_usage=instance.record_llm_usage if instance else None,
                                   request_id=session.request.id, started=session.started,
                                   ask_fn=lambda t, a, i, d, q: self._ask(session, analysts, t, a, i, d, q), engine=self.engine,
                                   role=session.request.role, tool_roles=self.tool_roles, data_roles=session.data_roles,
                                   memory=session.memory)

        await session.emit(StepStarted(request_id=session.request.id, step=task.id, agent=task.agent.value, instruction=task.instruction[:200]))
        t0 = time.monotonic()
        ctx = None
        # The step's own priority for its model calls, left behind when it ends (synthesis must not inherit
        # it), and every line logged by the step names its specialist.
        with serving(session.for_step(task.priority)), log_fields(specialist=task.agent.value):
            try:
                result = await run_on_pool(self.resilience.pools[task.agent], analysts[task.agent], make_context,
                                           timeout_s=self.engine.step_timeout_s, retry=self.resilience.config.retry)
                out, ctx, instance = result.output, result.context, result.instance
            except StepUnavailable as exc:
                out, ctx, instance = await self._fallback(task, make_context, exc.reason)
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
            self.resilience.confidence.labels(task.agent.value).observe(min(max(out.confidence, 0.0), 1.0))
        if ctx is not None:
            response.evidence = ctx.evidence
            response.requests = ctx.requests
            response.refused = list(ctx.refused)
            if response.refused and response.status == "success":
                response.status = "partial"  # part of what was asked was withheld from this requester
            for note in ctx.refused:  # the answer names them (AnswerNotes.withheld)
                await session.emit(Withheld(request_id=session.request.id, agent=task.agent.value, text=note))
        response.duration_s = round(time.monotonic() - t0, 3)
        log.info("step %s (%s) %s in %.2fs on %s", task.id, task.agent.value, response.status, response.duration_s,
                 response.instance or "no instance", extra={"specialist": task.agent.value})
        await session.emit(StepFinished(request_id=session.request.id, step=task.id, agent=task.agent.value, status=response.status,
                                    duration_s=response.duration_s, summary=(response.summary or response.error or "")[:300]))
        await session.flush()  # the breaker transitions the step caused, as warnings
        return response

    async def _fallback(self, task: AgentTask, make_context: Callable[[], AnalysisContext],
                        reason: str) -> tuple[AnalystOutput | None, AnalysisContext | None, str]:
        """(output, context, instance-or-reason): the pipeline's fallback analyst (offline, when a model was the engine)."""
        fallback = self.pipeline.analysts.fallback()
        if fallback is None:
            return None, None, reason
        ctx = make_context()
        try:
            out = await asyncio.wait_for(fallback[task.agent](ctx), timeout=self.engine.step_timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("offline fallback for %s failed", task.agent.value)
            return None, ctx, f"{reason}; the offline analyst also failed ({type(exc).__name__})"
        out.engine = "offline-fallback"
        out.degraded = self.pipeline.analysts.fell_back(task.agent, reason)
        return out, ctx, "offline"

    async def _ask(self, session: RequestContext, analysts: Mapping[Specialist, Analyst], asker: AgentTask, target: Specialist, instruction: str,
                   devices: list[str], query: SpecialistQuery | None = None) -> tuple[DataRequest, AgentResponse | None]:
        chain = asker.chain + [asker.agent.value]
        record = DataRequest(from_agent=asker.agent.value, to_agent=target.value, instruction=instruction, chain=chain + [target.value], outcome="answered")
        if target.value in chain:
            record.outcome, record.reason = "refused-loop", f"{target.value} is already in the request chain {' -> '.join(chain)}"
        elif len(chain) > self.engine.max_hops:
            record.outcome, record.reason = "refused-depth", f"request chain would exceed {self.engine.max_hops} hops"
        memory = session.memory
        if record.outcome != "answered":
            await session.emit(AgentAsked(request_id=session.request.id, from_agent=asker.agent.value, to_agent=target.value,
                                          outcome=record.outcome, instruction=instruction[:200]))
            memory.messages.append(Message(from_agent=asker.agent.value, to_agent=target.value, instruction=instruction[:500],
                                           outcome=record.outcome, reply=record.reason[:300]))
            return record, None
        await session.emit(AgentAsked(request_id=session.request.id, from_agent=asker.agent.value, to_agent=target.value,
                                      outcome="answered", instruction=instruction[:200]))
        sub = AgentTask(id=f"{asker.id}>{target.value}", agent=target, instruction=instruction, devices=devices or asker.devices,
                        context=asker.context, context_recommendations=asker.context_recommendations, chain=chain, query=query)
        # once per request: the same sub-question (specialist, question or query, devices) is answered from memory
        response, reused = await memory.answer(answer_key(target.value, instruction, sub.devices, query),
                                               lambda: self._run_agent(session, analysts, sub), keep=lambda r: r.status != "failure")
        if response.status == "failure":
            record.outcome, record.reason = "failed", response.error or ""
        elif reused:
            record.reason = "answered earlier in this request; reused from its memory"
        reply = (response.summary or response.error or "")[:300]
        await session.emit(AgentReplied(request_id=session.request.id, from_agent=target.value, to_agent=asker.agent.value,
                                        status=response.status, summary=reply[:200], reused=reused))
        memory.messages.append(Message(from_agent=asker.agent.value, to_agent=target.value, instruction=instruction[:500],
                                       outcome="reused" if reused and record.outcome == "answered" else record.outcome, reply=reply))
        return record, response


def _failed(agent: Specialist, task: str, error: str) -> AgentResponse:
    return AgentResponse(agent=agent, task=task, status="failure", error=error, confidence=0.0)

