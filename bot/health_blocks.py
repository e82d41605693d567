"""Block Kit for the health sweep: devices worst first, one line each, problems beneath."""

from __future__ import annotations

from agents.health import HealthSweep
from agents.severity import Severity
from bot.blocks import SEVERITY_EMOJI, escape

# Same colours as answers, except that a device with nothing to report is green, not white.
EMOJI = {**SEVERITY_EMOJI, Severity.info: ":large_green_circle:"}
_MAX_SECTION = 2900
_MAX_DEVICE_BLOCKS = 44


def _agents_section(snapshot: dict) -> list[dict]:
    """Agent pool health and breakers: the bot's own health belongs in the same report."""
    instances = snapshot["instances"]
    counts = {h: sum(1 for i in instances if i["health"] == h) for h in ("healthy", "degraded", "failed")}
    budget = snapshot["budget"]
    budget_text = f"{budget['used']:,}/{budget['limit']:,} tokens today" if budget["limit"] else f"{budget['used']:,} tokens today (no budget)"
    lines = [f"*Agents*: {counts['healthy']} healthy, {counts['degraded']} degraded, {counts['failed']} failed · "
             f"LLM breaker {snapshot['provider_breaker'].replace('_', '-')} · {budget_text}"]
    for i in instances:
        if i["health"] != "healthy" or i["breaker"] != "closed":
            failures = ", ".join(f"{k} {v}" for k, v in sorted(i["failures"].items())) or "none"
            lines.append(f"    • *{i['instance']}* {i['health']}, breaker {i['breaker'].replace('_', '-')}, "
                         f"success {i['success_rate']:.0%} of recent tasks, failures: {failures}")
    for e in snapshot["recent_transitions"][-5:]:
        lines.append(f"    • :zap: breaker {e['name']}: {e['old']} -> {e['new']} ({escape(e['reason'])})")
    text = "\n".join(lines)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_MAX_SECTION]}}]


def render_health(result: HealthSweep, snapshot: dict | None = None) -> tuple[str, list[dict]]:
    problems = [d for d in result.devices if d.severity.rank >= Severity.medium.rank]
    headline = (f"{EMOJI[result.worst]} {len(problems)} of {result.checked} device(s) need attention"
                if problems else f"{EMOJI[Severity.info]} all {result.checked} devices healthy")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Network health"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}* (checked in {result.duration_s:.1f}s)"}},
    ]
    for row in result.devices[:_MAX_DEVICE_BLOCKS]:
        facts = []
        if row.cpu_pct is not None:
            facts.append(f"CPU {row.cpu_pct:.0f}%")
        if row.busiest_pct is not None:
            facts.append(f"busiest link {row.busiest_pct:.0f}%")
        lines = [f"{EMOJI[row.severity]} *{row.device}* ({row.role}) - {', '.join(facts) or 'no data'}"]
        lines += [f"    • :x: {escape(e)}" for e in row.errors]
        lines += [f"    • [{o.severity.value.upper()}] {escape(o.message)}" for o in row.observations[:8]]
        text = "\n".join(lines)
        if len(text) > _MAX_SECTION:
            text = text[: _MAX_SECTION - 20] + "\n    • … (more)"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if len(result.devices) > _MAX_DEVICE_BLOCKS:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"… and {len(result.devices) - _MAX_DEVICE_BLOCKS} more devices"}]})
    if snapshot is not None:
        blocks += [{"type": "divider"}] + _agents_section(snapshot)
    return f"Network health: {headline}", blocks
