"""The report as one Slack message: alerts first and highlighted, then network, changes, agents.

Slack's limits hold by construction: at most 50 blocks and 3,000 characters per section, so
each section shows its worst items and "and N more"; the full report (every item) is the file
uploaded into the thread, next to the chart. Everything device-derived is escaped.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from agents.severity import Severity
from bot.report.fmt import local_time, pct, usd
from bot.report.model import AgentWindow, DeviceRow, HealthReport
from bot.report.text import confidence_text
from bot.slack.blocks import MAX_MESSAGE_CHARS, SEVERITY_EMOJI, escape, message_chars

EMOJI = {**SEVERITY_EMOJI, Severity.info: ":large_green_circle:"}
MAX_ALERTS = 12
MAX_DEVICES = 12
MAX_PROBLEMS = 5
MAX_CHANGES = 8
MAX_HEALTHY_NAMES = 40
_SECTION = 2900
_MAX_BLOCKS = 50


def _sections(lines: list[str], limit: int = _SECTION) -> list[dict[str, Any]]:
    """Pack lines into as few sections as fit; a single over-long line is cut."""
    blocks, chunk = [], ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        if chunk and len(chunk) + 1 + len(line) > limit:
            blocks.append(chunk)
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(chunk)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in blocks]


def _more(shown: int, total: int, what: str) -> list[str]:
    return [f"_… and {total - shown} more {what} (all in the full report in the thread)_"] if total > shown else []


def _alerts(report: HealthReport) -> list[dict[str, Any]]:
    if not report.alerts:
        return _sections([":white_check_mark: *Alerts: none.* No breaker opened, agents above the success floor, "
                          "budget and cost within limits, no failed or interrupted requests."])
    lines = [f":rotating_light: *Alerts ({len(report.alerts)})*"]
    for a in report.alerts[:MAX_ALERTS]:
        lines.append(f"{EMOJI[a.severity]} *{escape(a.title)}*" + (f"\n        {escape(a.detail)}" if a.detail else ""))
    return _sections(lines + _more(MAX_ALERTS, len(report.alerts), "alerts"))


def _device(d: DeviceRow) -> str:
    facts = []
    if d.cpu_pct is not None:
        facts.append(f"CPU {d.cpu_pct:.0f}%")
    if d.memory_pct is not None:
        facts.append(f"memory {d.memory_pct:.0f}%")
    audit = d.audit_text
    if audit:
        facts.append(f"audit findings: {audit}")
    lines = [f"{EMOJI[d.severity]} *{escape(d.device)}* ({escape(d.role)}) - {', '.join(facts) or 'no data'}"]
    lines += [f"    • :x: {escape(e)}" for e in d.errors]
    lines += [f"    • [{p.severity.value.upper()}] {escape(p.message)}" for p in d.problems[:MAX_PROBLEMS]]
    if len(d.problems) > MAX_PROBLEMS:
        lines.append(f"    • … and {len(d.problems) - MAX_PROBLEMS} more")
    return "\n".join(lines)


def _network(report: HealthReport) -> list[dict[str, Any]]:
    net = report.network
    shown = [d for d in net.devices if d.severity.rank >= Severity.medium.rank or d.errors or d.audit_total][:MAX_DEVICES]
    headline = (f"{EMOJI[net.worst]} {len(net.attention)} of {net.checked} devices need attention"
                if net.attention else f"{EMOJI[Severity.info]} all {net.checked} devices healthy")
    blocks = _sections([f"*Network health*: {headline} ({net.unreachable} unreachable; swept in {net.duration_s:.1f}s)"])
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _device(d)[:_SECTION]}} for d in shown]
    listed = [d for d in net.devices if d.severity.rank >= Severity.medium.rank or d.errors or d.audit_total]
    healthy = [d.device for d in net.devices if d not in listed]
    lines = _more(len(shown), len(listed), "devices with problems or audit findings")
    if healthy:
        names = ", ".join(escape(n) for n in healthy[:MAX_HEALTHY_NAMES])
        lines.append(f"{EMOJI[Severity.info]} healthy ({len(healthy)}): {names}"
                     + (f" and {len(healthy) - MAX_HEALTHY_NAMES} more" if len(healthy) > MAX_HEALTHY_NAMES else ""))
    return blocks + _sections(lines)


def _changes(report: HealthReport) -> list[dict[str, Any]]:
    c, tz, now = report.changes, ZoneInfo(report.timezone), report.generated_at
    since = f"since {local_time(c.since, tz, now)}" if c.since else "(first report: baseline recorded)"
    lines = [f"*What changed {since}*", "_Configuration drift (redacted summary):_"]
    lines += [f"    • {escape(d.device)}: +{d.added}/-{d.removed} lines" + (f" in {escape(', '.join(d.sections))}" if d.sections else "")
              for d in c.drift[:MAX_CHANGES]] or ["    • none"]
    lines += _more(MAX_CHANGES, len(c.drift), "devices")
    lines.append("_Neighbours that changed state:_")
    lines += [f"    • {escape(n.device)} {n.protocol.upper()} {escape(n.address)}" + (f" ({escape(n.peer_device)})" if n.peer_device else "")
              + f": {escape(n.before)} → {escape(n.after)}" for n in c.neighbors[:MAX_CHANGES]] or ["    • none"]
    lines += _more(MAX_CHANGES, len(c.neighbors), "neighbours")
    lines.append("_Findings new or resolved:_")
    lines += [f"    • {':new:' if f.change == 'new' else ':white_check_mark:'} {f.change} [{f.severity.value.upper()}] "
              f"{escape(f.device)}: {escape(f.text)}" for f in c.findings[:MAX_CHANGES]] or ["    • none"]
    lines += _more(MAX_CHANGES, len(c.findings), "findings")
    lines.append("_Monitoring alerts and their triage (24 h):_")
    lines += [f"    • {escape(a.name)}" + (f" on {escape(a.device)}" if a.device else "") + f" ({a.status}"
              + (f", flapped {a.flaps}x" if a.flaps else "") + f"): {escape(a.outcome)}" for a in c.alerts[:MAX_CHANGES]] or ["    • none"]
    return _sections(lines + _more(MAX_CHANGES, len(c.alerts), "alerts"))


def _window(w: AgentWindow) -> str:
    if not w.runs:
        return "no runs"
    failures = ", ".join(f"{k} {v}" for k, v in sorted(w.failures.items())) or "no failures"
    return (f"{pct(w.success_rate)} of {w.runs}, p50 {w.latency_p50_s:.1f}s p95 {w.latency_p95_s:.1f}s, {failures}, "
            f"{w.tokens:,} tok {usd(w.cost_usd)}")


def _agents(report: HealthReport) -> list[dict[str, Any]]:
    lines = ["*Agent health* (24 h | 7 d, from the store)"]
    for row in report.agents.rows:
        name = row.instance or row.agent
        lines.append(f"• *{escape(name)}*: {_window(row.last_24h)} | {_window(row.last_7d)}")
    if not report.agents.rows:
        lines.append("• no agent runs in the last 7 days")
    if report.agents.pools:
        lines.append("Pools now: " + ", ".join(f"{escape(p.agent)} {p.size} ({p.min_size}-{p.max_size})" for p in report.agents.pools))
        lines += [f"• {escape(b)}" for p in report.agents.pools for b in p.bindings]
    if report.agents.confidence:
        lines.append("_Answer confidence (24 h):_")
        lines += [f"• *{escape(c.agent)}*: {confidence_text(c)}" for c in report.agents.confidence]
    return _sections(lines)


def render_report(report: HealthReport) -> tuple[str, list[dict[str, Any]]]:
    net = report.network
    text = (f"{report.title}: {len(report.alerts)} alert(s), {len(net.attention)} of {net.checked} devices need attention")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": report.title[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Generated {report.generated_local} · "
                                          "the chart and the full report are in the thread"}]},
    ]
    blocks += _alerts(report) + [{"type": "divider"}] + _network(report) + [{"type": "divider"}]
    blocks += _changes(report) + [{"type": "divider"}] + _agents(report)
    return text, _fit(blocks)


def _fit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks and MAX_MESSAGE_CHARS of text (Slack refuses more with
    `msg_blocks_too_long`): long alert details and many devices can exceed it, and the full
    report is in the thread anyway, so the message is cut at a block with a note saying so."""
    note = _sections(["_… cut to fit Slack; see the full report in the thread_"])
    if len(blocks) <= _MAX_BLOCKS and message_chars(blocks) <= MAX_MESSAGE_CHARS:
        return blocks
    kept: list[dict[str, Any]] = []
    budget = MAX_MESSAGE_CHARS - message_chars(note)
    for block in blocks:
        if len(kept) + 2 > _MAX_BLOCKS or message_chars([*kept, block]) > budget:
            break
        kept.append(block)
    while kept and kept[-1]["type"] == "divider":
        kept.pop()
    return kept + note


def render_progress(title: str, line: str) -> tuple[str, list[dict[str, Any]]]:
    return f"{title}: {line}", [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f":hourglass_flowing_sand: {escape(line)}"}},
    ]
