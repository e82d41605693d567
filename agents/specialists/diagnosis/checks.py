"""What diagnosis checked and found healthy, said in one line per check ("BGP sessions up 4/4").

Apart from rules.py so the rules stay short; the lead of a "nothing wrong" answer, and of an
answer whose problems are about something else than the question, quotes these.
"""

from __future__ import annotations

from agents.tools.results import DeviceHealth, RoutingStatus, ToolResult, TrafficAnalysis


def healthy_checks(results: list[ToolResult]) -> list[str]:
    ok = [r for r in results if r.ok]
    bgp = [n for r in ok if isinstance(r, RoutingStatus) and r.protocol == "bgp" for n in r.neighbors]
    ospf = [n for r in ok if isinstance(r, RoutingStatus) and r.protocol == "ospf" for n in r.neighbors]
    cpus = [r.cpu_pct for r in ok if isinstance(r, DeviceHealth) and r.cpu_pct is not None]
    traffic = [i for r in ok if isinstance(r, TrafficAnalysis) for i in r.interfaces]
    checks = []
    if bgp:
        checks.append(f"BGP sessions up {sum(n.is_up for n in bgp)}/{len(bgp)}")
    if ospf:
        checks.append(f"OSPF adjacencies FULL {sum(n.is_up for n in ospf)}/{len(ospf)}")
    if cpus:
        checks.append(f"CPU at most {max(cpus):.0f}%")
    if traffic:
        busiest = max(traffic, key=lambda i: max(i.in_util_pct, i.out_util_pct))
        checks.append(f"busiest interface at {max(busiest.in_util_pct, busiest.out_util_pct):.0f}%")
        checks.append(f"interface errors in the sample window: {sum(i.rx_errors_delta + i.tx_errors_delta for i in traffic)}")
    return checks
