"""The report's chart: daily success rate and p95 latency per agent over the last 7 days, as PNG.

Drawn with matplotlib's object API on the Agg canvas (`Figure` + `FigureCanvasAgg`), never
pyplot: pyplot keeps global figure state and picks a GUI backend, neither of which belongs in a
server that may draw two reports at once. matplotlib is imported on first use, so commands
that never draw a chart do not pay for it.
"""

from __future__ import annotations

import io
import math

from bot.report.model import AgentsSection


def render_chart(section: AgentsSection, title: str = "Agent health, last 7 days") -> bytes:
    """PNG bytes; days without runs leave a gap, a week without runs says so."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    days = section.days
    labels = [d[5:] for d in days]  # MM-DD
    agents = sorted({p.agent for p in section.daily})
    fig = Figure(figsize=(9, 6), dpi=100)
    FigureCanvasAgg(fig)
    rate_ax, latency_ax = fig.subplots(2, 1, sharex=True)
    fig.suptitle(title)
    for agent in agents:
        points = {p.day: p for p in section.daily if p.agent == agent}
        rates = [_percent(points[d].success_rate) if d in points else math.nan for d in days]
        p95s = [_nan(points[d].latency_p95_s) if d in points else math.nan for d in days]
        rate_ax.plot(labels, rates, marker="o", label=agent)
        latency_ax.plot(labels, p95s, marker="o", label=agent)
    rate_ax.set_ylabel("success rate (%)")
    rate_ax.set_ylim(0, 105)
    latency_ax.set_ylabel("p95 latency (s)")
    latency_ax.set_xlabel("day")
    latency_ax.set_ylim(bottom=0)
    for ax in (rate_ax, latency_ax):
        ax.grid(True, alpha=0.3)
    if agents:
        rate_ax.legend(loc="lower left", fontsize="small", ncol=min(len(agents), 5))
    else:
        for ax in (rate_ax, latency_ax):
            ax.set_xticks(range(len(labels)), labels)
        rate_ax.text(0.5, 0.5, "no agent runs in the last 7 days", transform=rate_ax.transAxes, ha="center", va="center")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _percent(ratio: float | None) -> float:
    return math.nan if ratio is None else ratio * 100
