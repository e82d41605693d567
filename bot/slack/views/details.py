"""The "Show details" view: what an answer rests on, agent by agent."""

from __future__ import annotations

from typing import Any

from agents.models import AgentResponse, Answer, Evidence
from bot.slack.views.layout import (
    MAX_FALLBACK_TEXT,
    MAX_SECTION,
    STATUS_EMOJI,
    Files,
    RenderedAnswer,
    context,
    flow,
    header,
    pack,
    section,
    severity_label,
)
from bot.slack.views.text import code_span, cut, escape, pct, plural


def _detail_lines(resp: AgentResponse) -> list[tuple[str, str]]:
    """(mrkdwn, plain) line pairs for one agent: the plain form goes into the file when long."""
    u = resp.usage
    mark = STATUS_EMOJI.get(resp.status, "")
    stats = f"engine {resp.engine} · confidence {pct(resp.confidence)} · {resp.duration_s:.2f}s"
    if u.llm_calls:
        stats += f" · {plural(u.llm_calls, 'LLM call')}, {u.input_tokens + u.output_tokens:,} tokens, ${u.cost_usd:.4f}"
    out = [
        (f"*{escape(resp.agent.value)}* — {mark} {resp.status} · {escape(stats)}", f"{resp.agent.value}: {resp.status} · {stats}"),
        (f"_Task:_ {escape(cut(resp.task, 300))}", f"Task: {resp.task}"),
    ]
    if resp.summary:
        out.append((f"_Summary:_ {escape(cut(resp.summary, 500))}", f"Summary: {resp.summary}"))
    if resp.error:
        out.append((f":x: {escape(cut(resp.error, 500))}", f"Error: {resp.error}"))
    if resp.degraded:
        out.append((f":warning: {escape(cut(resp.degraded, 500))}", f"Degraded: {resp.degraded}"))
    if resp.evidence:
        out.append((f"_Evidence ({len(resp.evidence)}):_", f"Evidence ({len(resp.evidence)}):"))
    for e in resp.evidence:
        ok = ":heavy_check_mark:" if e.ok else ":x:"
        device = f" {escape(e.device)}" if e.device else ""
        out.append(
            (
                f"• {ok} `{code_span(e.tool)}`{device} — {escape(cut(e.summary, 300))} _({took(e)})_",
                f"  [{'ok' if e.ok else 'FAILED'}] {e.tool} {e.device or ''} ({took(e)}): {e.summary}",
            )
        )
    if resp.requests:
        out.append((f"_Data requests ({len(resp.requests)}):_", f"Data requests ({len(resp.requests)}):"))
    for d in resp.requests:
        chain = " → ".join(d.chain) or f"{d.from_agent} → {d.to_agent}"
        reason = f" ({d.reason})" if d.reason else ""
        out.append(
            (
                f"• {escape(chain)}: *{d.outcome}*{escape(cut(reason, 200))} — {escape(cut(d.instruction, 200))}",
                f"  {chain}: {d.outcome}{reason} - {d.instruction}",
            )
        )
    return out


def took(e: Evidence) -> str:
    """How long the read took, or that it was read once earlier in this request and reused."""
    return "reused: read earlier in this request" if e.reused else f"{e.duration_s:.2f}s"


def render_details(answer: Answer) -> RenderedAnswer:
    """The "Show details" view: per agent its status, engine, confidence, time, evidence and
    data requests, so an engineer can check what the answer rests on.

    An agent whose details do not fit one section gets them as a file
    (`<agent>-details-<request_id>.txt`), with as many lines as fit shown inline.
    """
    rid = answer.request_id
    files = Files()
    head = [header(f":mag: Details · request {rid}")]
    body: list[dict[str, Any]] = [context([f"_Question:_ {escape(cut(answer.question, 1500))}"])]
    overview = []
    if answer.plan is not None:
        phases = " → ".join(", ".join(p) for p in answer.plan.phases) or ", ".join(s.id for s in answer.plan.steps)
        reason = f" — {escape(cut(answer.plan.reason, 300))}" if answer.plan.reason else ""
        overview.append(f"*Plan* ({escape(answer.plan.mode.value)}): {escape(phases)}{reason}")
    if answer.severity_votes:
        votes = ", ".join(f"{a}={s}" for a, s in answer.severity_votes.items())
        overview.append(f"*Severity votes:* {escape(votes)} → {severity_label(answer.severity)}")
    if overview:
        body += [section(t) for t in pack(overview)]

    evidence_total = 0
    for resp in answer.responses:
        evidence_total += len(resp.evidence)
        lines = _detail_lines(resp)
        rendered = "\n".join(m for m, _ in lines)
        if len(rendered) <= MAX_SECTION:
            body.append(section(rendered))
            continue
        name = files.add(
            f"{resp.agent.value}-details-{rid}.txt", f"{resp.agent.value} details", "\n".join(p for _, p in lines)
        )
        shown: list[str] = []
        for m, _ in lines:
            if len("\n".join([*shown, m])) > MAX_SECTION - 200:
                break
            shown.append(m)
        rest = len(lines) - len(shown)
        shown.append(f":paperclip: {plural(rest, 'more line')} in the attached file `{code_span(name)}`")
        body.append(section("\n".join(shown)))
    if not answer.responses:
        body.append(section("_No agent responses recorded._"))

    u = answer.usage
    tail = [
        context(
            [
                f"{answer.duration_s:.1f}s · {plural(u.llm_calls, 'LLM call')} · "
                f"{u.input_tokens + u.output_tokens:,} tokens · ${u.cost_usd:.4f} · request `{code_span(rid)}`"
            ]
        )
    ]
    blocks, overflow = flow(head, body, tail, label=f"details `{code_span(rid)}`", files=files, filename=f"details-{rid}.txt")
    text = cut(
        f"Details for request {rid}: {plural(len(answer.responses), 'agent')}, {plural(evidence_total, 'tool call')}",
        MAX_FALLBACK_TEXT,
    )
    return RenderedAnswer(blocks=blocks, text=text, overflow=overflow, attachments=files.items)
