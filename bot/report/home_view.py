"""The App Home tab: the network's headline, the bot's own health, and your recent questions.

App Home is where an engineer looks first thing, before asking anything, so it answers the
three questions that come before a question: how did the last health report look, is the bot
itself degraded (an open circuit breaker means slower or partial answers), and what did I ask
recently and how did it end. Each part is read independently (`HomeData` carries a part's
error instead of its data), so one failed read shows as one line in its place, never as a
missing or stale tab. A home view holds at most 100 blocks; this one stays far below by
construction (fixed sections plus at most `MAX_REQUESTS` request sections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from agents.severity import Severity
from agents.tools.audit_schema import risk_text
from bot.report.fmt import local_time
from bot.report.model import DeviceRow
from bot.slack.views.layout import SEVERITY_EMOJI, context, divider, header, section
from bot.slack.views.text import cut, escape, first_line, plural

MAX_VIEW_BLOCKS = 100
MAX_REQUESTS = 10
MAX_ATTENTION = 5
_REQUEST_STATUS = {
    "received": ":hourglass_flowing_sand:",
    "running": ":hourglass_flowing_sand:",
    "answered": ":white_check_mark:",
    "failed": ":x:",
    "interrupted": ":warning:",
}
_BREAKER_EMOJI = {"open": ":red_circle:", "half_open": ":large_yellow_circle:"}


@dataclass
class HomeData:
    """What the tab shows; `*_error` says why a part could not be read (the part is then empty)."""

    user: str
    now: float
    timezone: str = "UTC"
    sweep: dict[str, Any] | None = None  # {"at", "request_id", "result": {"devices": [DeviceRow dumps]}}
    sweep_error: str | None = None
    breakers: list[tuple[str, str]] = field(default_factory=list)  # (name, state) of every breaker
    breakers_error: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)  # this user's, newest first
    requests_error: str | None = None


def render_home(data: HomeData) -> dict[str, Any]:
    """The `home` view for `views.publish`."""
    tz = ZoneInfo(data.timezone)
    blocks: list[dict[str, Any]] = [
        header("NOC Bot"),
        section("Ask about the network in the *Messages* tab, mention `@noc` in a channel, or use `/noc`. "
                "`/noc-health` runs a health sweep now."),
        divider(),
        *_report(data, tz),
        divider(),
        *_breakers(data),
        divider(),
        *_requests(data, tz),
        context([f"Updated {local_time(data.now, tz, data.now)} ({data.timezone}). Reopen the tab to refresh."]),
    ]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _report(data: HomeData, tz: ZoneInfo) -> list[dict[str, Any]]:
    title = ":bar_chart: *Latest health report*"
    if data.sweep_error:
        return [section(f"{title}\n:warning: The latest report could not be read ({escape(data.sweep_error)}).")]
    if data.sweep is None:
        return [section(f"{title}\nNo health report yet: the daily report has not run. `/noc-health` runs one now.")]
    sweep = data.sweep
    rows = _device_rows(sweep.get("result") or {})
    run_id = str(sweep.get("request_id") or "")
    when = local_time(float(sweep["at"]), tz, data.now)
    name = f"Daily report {run_id.rsplit(':', 1)[-1]}" if run_id.startswith("report:daily:") else "On-demand health report"
    attention = [r for r in rows if r.severity.rank >= Severity.medium.rank]
    unreachable = sum(1 for r in rows if not r.reachable)
    worst = Severity.worst([r.severity for r in rows])
    headline = (f"{SEVERITY_EMOJI[worst]} *{escape(name)}* ({when}): {plural(len(rows), 'device')} checked, "
                f"{len(attention)} need attention" + (f", {unreachable} unreachable" if unreachable else ""))
    lines = [_device_line(r) for r in sorted(attention, key=lambda r: -r.severity.rank)[:MAX_ATTENTION]]
    if len(attention) > MAX_ATTENTION:
        lines.append(f"…and {len(attention) - MAX_ATTENTION} more in the report.")
    if not attention:
        lines.append("Every device looked healthy.")
    riskiest = max((r for r in rows if r.audit_risk), key=lambda r: (r.audit_risk or 0, r.device), default=None)
    if riskiest is not None:  # the audit's view beside health: which configuration is worst
        lines.append(f":shield: Highest config audit risk: `{escape(riskiest.device)}` {risk_text(riskiest.audit_risk or 0)}")
    return [section(f"{title}\n{headline}"), section("\n".join(lines))]


def _device_rows(result: dict[str, Any]) -> list[DeviceRow]:
    rows = []
    for raw in result.get("devices") or []:
        try:
            rows.append(DeviceRow.model_validate(raw))
        except Exception:  # a row from an older schema: skipped, the rest still show
            continue
    return rows


def _device_line(row: DeviceRow) -> str:
    if not row.reachable:
        what = "unreachable"
    elif row.problems:
        what = row.problems[0].message
    elif row.audit_total:
        what = plural(row.audit_total, "audit finding") + (f", {risk_text(row.audit_risk)}" if row.audit_risk is not None else "")
    else:
        what = row.severity.value
    return f"{SEVERITY_EMOJI[row.severity]} `{escape(row.device)}` {cut(escape(what), 200)}"


def _breakers(data: HomeData) -> list[dict[str, Any]]:
    title = ":electric_plug: *Circuit breakers*"
    if data.breakers_error:
        return [section(f"{title}\n:warning: Breaker state could not be read ({escape(data.breakers_error)}).")]
    tripped = [(n, s) for n, s in data.breakers if s != "closed"]
    if not tripped:
        return [section(f"{title}\n:white_check_mark: All {plural(len(data.breakers), 'breaker')} closed: "
                        "every agent and the LLM provider are taking requests.")]
    lines = [f"{_BREAKER_EMOJI.get(s, ':white_circle:')} `{escape(n)}` {s.replace('_', '-')}" for n, s in tripped[:20]]
    if len(tripped) > 20:
        lines.append(f"…and {len(tripped) - 20} more.")
    note = "Answers that need these run on fewer instances, or without the LLM, until they close."
    return [section(f"{title}\n{plural(len(tripped), 'breaker')} not closed:\n" + "\n".join(lines)), context([note])]


def _requests(data: HomeData, tz: ZoneInfo) -> list[dict[str, Any]]:
    title = ":speech_balloon: *Your recent requests*"
    if data.requests_error:
        return [section(f"{title}\n:warning: Your requests could not be read ({escape(data.requests_error)}).")]
    if not data.requests:
        return [section(f"{title}\nNothing yet. Try the *Messages* tab: it suggests questions about your network.")]
    blocks = [section(title)]
    for row in data.requests[:MAX_REQUESTS]:
        blocks.append(section(_request_text(row, tz, data.now)))
    return blocks


def _request_text(row: dict[str, Any], tz: ZoneInfo, now: float) -> str:
    status = str(row.get("status") or "")
    emoji = _REQUEST_STATUS.get(status, ":grey_question:")
    when = local_time(float(row.get("created_at") or now), tz, now)
    question = cut(escape(str(row.get("question") or "")), 200)
    where = f" in <#{row['channel']}>" if str(row.get("channel") or "")[:1] in ("C", "G") else ""
    first = f"{emoji} *{question}*\n{when}{where} · {status} · `{escape(str(row.get('id') or ''))}`"
    outcome = row.get("summary") or row.get("error")  # its first line: the headline of a multi-agent summary
    return first + (f"\n{cut(escape(first_line(str(outcome))), 300)}" if outcome else "")
