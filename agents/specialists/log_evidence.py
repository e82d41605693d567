"""What the device logs add to an analysis: timelines for causes, and causes only logs can show.

Why a shared module: diagnosis and security read the same `search_logs` results for different
questions. Diagnosis wants the when ("the session went down at 02:09:14, two seconds after
netops changed the configuration, and four attempts failed since"); security wants the who
(failed-login bursts, a login from an address outside the management networks). Both get plain
observations and strings here and turn them into their own findings.
"""

from __future__ import annotations

import asyncio

from agents.specialists.base import AnalysisContext
from agents.tools.logs import LogEvent
from agents.tools.registry import SEARCH_LOGS
from agents.tools.results import LogSearch, Observation

# Which log patterns belong to which diagnosed cause.
_TIMELINE_KINDS = {
    "bgp_as_mismatch": {"adjacency_flaps"}, "bgp_down": {"adjacency_flaps"}, "mtu_mismatch": {"adjacency_flaps"},
    "ospf_stuck": {"adjacency_flaps"}, "interface_errors": {"link_flaps"}, "interface_down": {"link_flaps"}, "cpu_high": {"cpu_hog"},
}
LOGIN_KINDS = ("login_after_failures", "login_failures", "login_unexpected_source")
_CHANGE_WINDOW_S = 600  # a configuration change this close before a failure is worth naming


async def read_logs(ctx: AnalysisContext, devices: list[str], query: str | None = None) -> dict[str, LogSearch]:
    """search_logs on each device the specialist may read; devices without a readable log are left out."""
    if not ctx.may_use("search_logs"):
        return {}
    results = await asyncio.gather(*(ctx.call(SEARCH_LOGS, device=d, query=query, limit=200) for d in devices))
    return {r.device: r for r in results if r.ok and r.device}


def timeline(cause_kind: str, devices: list[str], logs: dict[str, LogSearch]) -> str:
    """' Log timeline: ...' for a cause, or '' when the logs say nothing about it."""
    wanted = _TIMELINE_KINDS.get(cause_kind, set())
    parts = []
    for device in dict.fromkeys(devices):
        search = logs.get(device)
        if search is None:
            continue
        for o in search.observations:
            if o.kind in wanted:
                parts.append(o.message.removeprefix(f"{device}: ") + f" ({device})" + _change_before(search, o))
    return f" Log timeline: {'; '.join(parts)}." if parts else ""


def _change_before(search: LogSearch, o: Observation) -> str:
    """', N s after a configuration change by USER from ADDR' when one came just before the failure."""
    found = _change_event(search, o)
    if found is None:
        return ""
    change, seconds = found
    who = f" by {change.user}" if change.user else ""
    where = f" from {change.source}" if change.source else ""
    return f", {seconds:.0f} s after a configuration change{who}{where} at {change.time}"


def _change_event(search: LogSearch, o: Observation) -> tuple[LogEvent, float] | None:
    """The last configuration change within _CHANGE_WINDOW_S before the failure `o` reports began."""
    name = o.data.get("peer") or o.data.get("interface")
    first = next((e for e in search.events if e.state == "down" and name in (e.peer, e.interface)), None)
    if first is None or first.t is None:
        return None
    change: LogEvent | None = None
    for e in search.events:
        if e.kind == "config" and e.t is not None and 0 <= first.t - e.t <= _CHANGE_WINDOW_S:
            change = e
    if change is None or change.t is None:
        return None
    return change, first.t - change.t


def changes_before(cause_kind: str, devices: list[str], logs: dict[str, LogSearch]) -> list[tuple[str, LogEvent]]:
    """(device, change) for each configuration change logged just before a failure this cause covers:
    the first suspect, and what to roll back."""
    wanted = _TIMELINE_KINDS.get(cause_kind, set())
    out = []
    for device in dict.fromkeys(devices):
        search = logs.get(device)
        for o in search.observations if search else []:
            if o.kind in wanted and search is not None and (found := _change_event(search, o)) is not None:
                out.append((device, found[0]))
    return out


def log_observations(logs: dict[str, LogSearch], kinds: tuple[str, ...]) -> list[Observation]:
    return [o for search in logs.values() for o in search.observations if o.kind in kinds]


def unexplained_flaps(logs: dict[str, LogSearch], explained: set[str]) -> list[Observation]:
    """Adjacency and link flaps on devices no other cause covers: the log is the only witness."""
    return [o for o in log_observations(logs, ("adjacency_flaps", "link_flaps")) if o.device not in explained]
