"""The whole report as Markdown: the file uploaded into the report's thread and `noc health`.

Slack shows the worst items and says "and N more"; this text has every item, so nothing is
dropped. It holds what the Slack message may hold (no configuration, no audit evidence).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.report.fmt import local_time, pct, usd
from bot.report.model import AgentWindow, ConfidenceRow, DeviceRow, HealthReport


def confidence_text(c: ConfidenceRow) -> str:
    """"12 answers, median 0.85, lowest tenth 0.60; under 0.5: 1, 0.5-0.7: 2, 0.7-0.9: 6, 0.9 and up: 3"."""
    bands = ", ".join(f"{label}: {n}" for label, n in c.bands.items())
    return f"{c.answers} answer(s), median {c.median:.2f}, lowest tenth {c.low:.2f}; {bands}"


def _device_line(d: DeviceRow) -> list[str]:
    facts = [f"CPU {d.cpu_pct:.0f}%" if d.cpu_pct is not None else "", f"memory {d.memory_pct:.0f}%" if d.memory_pct is not None else ""]
    audit = d.audit_text
    if audit:
        facts.append(f"audit: {audit}")
    head = f"- **{d.device}** ({d.role}, {d.site}) [{d.severity.value.upper()}]" + (f" {'; '.join(f for f in facts if f)}" if any(facts) else "")
    lines = [head]
    lines += [f"    - error: {e}" for e in d.errors]
    lines += [f"    - [{p.severity.value.upper()}] {p.message}" for p in d.problems]
    return lines


def _window(w: AgentWindow) -> str:
    if not w.runs:
        return "no runs"
    failures = ", ".join(f"{k} {v}" for k, v in sorted(w.failures.items())) or "none"
    return (f"{w.runs} runs, success {pct(w.success_rate)}, p50 {w.latency_p50_s:.2f}s, p95 {w.latency_p95_s:.2f}s, "
            f"failures: {failures}, {w.tokens:,} tokens, {usd(w.cost_usd)}")


def render_text(report: HealthReport) -> str:
    tz = ZoneInfo(report.timezone)
    now = report.generated_at
    net, changes, agents = report.network, report.changes, report.agents
    out = [f"# {report.title}", "", f"Generated {report.generated_local}; windows end then.", "",
           f"## 1. Alerts ({len(report.alerts)})", ""]
    out += [f"- [{a.severity.value.upper()}] {a.title}" + (f" — {a.detail}" if a.detail else "") for a in report.alerts] or ["- none"]

    out += ["", f"## 2. Network health: {len(net.attention)} of {net.checked} devices need attention "
                f"({net.unreachable} unreachable; swept in {net.duration_s:.1f}s)", ""]
    for d in net.devices:
        out += _device_line(d)

    since = f"since {local_time(changes.since, tz, now)}" if changes.since else "(first report: baseline recorded)"
    out += ["", f"## 3. What changed {since}", "", "### Configuration drift (redacted summary)", ""]
    out += [f"- {d.device}: +{d.added}/-{d.removed} lines at {local_time(d.at, tz, now)}"
            + (f" in {', '.join(d.sections)}" if d.sections else "") for d in changes.drift] or ["- none"]
    out += ["", "### Neighbours that changed state", ""]
    out += [f"- {n.device} {n.protocol.upper()} {n.address}" + (f" ({n.peer_device})" if n.peer_device else "")
            + f": {n.before} -> {n.after}" for n in changes.neighbors] or ["- none"]
    out += ["", "### Findings new or resolved", ""]
    out += [f"- {f.change}: [{f.severity.value.upper()}] {f.device}: {f.text}" for f in changes.findings] or ["- none"]
    out += ["", "### Monitoring alerts and their triage (24 h)", ""]
    out += [f"- {local_time(a.at, tz, now)} {a.name}" + (f" on {a.device}" if a.device else "") + f" ({a.status}"
            + (f", flapped {a.flaps}x" if a.flaps else "") + f"): {a.outcome}" for a in changes.alerts] or ["- none"]

    out += ["", "## 4. Agent health (from the store)", ""]
    for row in agents.rows:
        name = f"{row.agent}/{row.instance}" if row.instance else row.agent
        out += [f"- **{name}**", f"    - 24 h: {_window(row.last_24h)}", f"    - 7 d: {_window(row.last_7d)}"]
    if not agents.rows:
        out.append("- no agent runs in the last 7 days")
    if agents.pools:
        out += ["", "### Pools (this replica, now)", ""]
        for p in agents.pools:
            out.append(f"- {p.agent}: {p.size} instance(s), {p.busy} busy (min {p.min_size}, max {p.max_size}; grown {p.grown}, "
                       f"shrunk {p.shrunk})")
            out += [f"    - {b}" for b in p.bindings]
    out += ["", "### Answer confidence (24 h, per specialist)", ""]
    out += [f"- {c.agent}: {confidence_text(c)}" for c in agents.confidence] or ["- no answers in the last 24 h"]
    out += ["", "### Per day (success rate / p95 latency)", ""]
    for agent in sorted({p.agent for p in agents.daily}):
        cells = [f"{p.day[5:]} {pct(p.success_rate)}/{p.latency_p95_s:.2f}s" if p.runs else f"{p.day[5:]} -"
                 for p in agents.daily if p.agent == agent]
        out.append(f"- {agent}: " + ", ".join(cells))
    out += ["", f"## 5. Chart: {report.chart_filename} (daily success rate and p95 latency per agent, 7 days)", ""]
    return "\n".join(out)


def progress_text(phase: str, done: int, total: int) -> str:
    return f"{phase} {done}/{total} devices"

