"""The Claude path through `noc ask`: sequential/parallel and the process's own time, end to end.

Why a bench of its own: bench/orchestration.py runs the supervisor in-process, so it cannot see
what a person typing `noc ask` waits for besides the model: the process starting (imports, the
router's model, the Claude SDK) before its first model call, and the time from the last model
reply to the answer on stdout and to the process's exit. Issue 27 measured those through the real
process and set its targets there: >= 3.0x sequential/parallel on a four-specialist question under
both latency models, and process overhead beyond the model's time <= 0.5 s.

Each run starts `noc ask --json -q --mode <mode>` (the code on $PYTHONPATH, so a checkout can be
compared with another) against the loopback Anthropic server in this process, answering with
bench/orchestration.py's scripted model and latency model (a real learned router on the question
"4 needed, router unsure": Claude routes to four specialists and plans them independently). Times
are taken here, from the process's start: the first model call received, the last reply sent, the
answer's last line read from stdout, the exit.

- model: first call received -> last reply sent (the time the model's calls span);
- x-factor: sequential/parallel of the time from the first model call to the printed answer (what
  the modes change), and of the whole process (start to exit), both medians;
- overhead: the whole process minus the model's span (start-up before the first call, our own time
  between the last reply and the printed answer, and the exit after it), split in those parts.

The warm ask server (bot.cli.launch): each run is `python -m bot.cli ask ...`, as a user's `noc ask`,
with a private cache directory, so a private server. With --ask-server on (the default, as a user
gets it) the first ask finds no server, answers the ordinary way and starts one: it is measured and
shown on its own ("cold"), then the bench waits until the server listens (its start-up, 2-4 s of
imports in the background, is not counted in any run) and the runs go through it ("warm"). With
--ask-server off every run is a fresh process, as before. The server is stopped at the end.

Run: python bench/ask_claude_process.py [--repeat 3] [--ask-server on|off] [--latency-model tokens --time-scale 0.25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.latency_model import LatencyModel  # noqa: E402
from bench.orchestration import Model, cases  # noqa: E402
from bot.cli import launch  # noqa: E402
from tests.fakes.anthropic_api import FakeAnthropic, dynamic  # noqa: E402

CASE = "4 needed, router unsure"


class Timed:
    """The scripted model, noting when its first call arrived and its last reply left."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.first: float | None = None
        self.last = 0.0

    async def __call__(self, body: dict) -> Any:
        self.first = self.first or time.monotonic()
        try:
            return await self.model(body)
        finally:
            self.last = time.monotonic()


def once(api: FakeAnthropic, timed: Timed, config: Path, question: str, mode: str) -> dict[str, float]:
    timed.first, timed.last = None, 0.0
    env = {**os.environ, **api.env()}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "ask", question, "--json", "-q", "--mode", mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=config.parent)  # not this checkout:
    # `-m` puts the working directory first on sys.path, and the code measured is the one on $PYTHONPATH
    assert proc.stdout is not None
    printed = t0
    lines = []
    for line in proc.stdout:  # the answer is one JSON object; its closing brace is the last line printed
        lines.append(line)
        if line.rstrip() == "}":
            printed = time.monotonic()
    err = proc.stderr.read() if proc.stderr else ""
    code = proc.wait()
    exited = time.monotonic()
    assert code == 0 and timed.first is not None, (code, err[-2000:])
    assert '"status": "ok"' in "".join(lines), "".join(lines)[:2000]
    return {"process": exited - t0, "model": timed.last - timed.first, "answered": printed - timed.first,
            "before": timed.first - t0, "to_print": printed - timed.last, "exit": exited - printed}


def warm_server(api: FakeAnthropic, timed: Timed, config: Path, question: str) -> dict[str, float]:
    """The first ask of a user (no server yet: it starts one after its answer), then the server
    listening. Returns the first ask's times."""
    cold = once(api, timed, config, question, "parallel")
    deadline = time.monotonic() + 120
    while launch.control("status") is None:  # the server importing in the background
        if time.monotonic() > deadline:
            raise SystemExit("the ask server did not start within 120 s")
        time.sleep(0.05)
    return cold


def main(latency: LatencyModel, tool_turns: int, repeat: int, ask_server: str) -> str:
    case = next(c for c in cases() if c.name == CASE)
    model = Model(latency, tool_turns)
    model.plan, model.route = case.plan, case.decision
    timed = Timed(model)
    out = [f"loopback model: {latency.describe()}; each specialist: {tool_turns} tool turn(s) + its report",
           f"`noc ask --json -q --mode <mode>` on {CASE!r}, {repeat} runs per mode, interleaved; medians (seconds)",
           f"{'mode':10} {'process':>8} {'model':>6} {'1st call->answer':>16} {'before 1st call':>15} {'last reply->print':>17} "
           f"{'print->exit':>11} {'overhead':>8}"]
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic() as api:
        config = Path(tmp) / "noc.yml"
        config.write_text(yaml.safe_dump({"llm": {"provider": "anthropic", "max_tool_steps": tool_turns + 1, "follow_ups": 2}}))
        api.script(None, dynamic(timed))
        os.environ.update({launch.SWITCH_ENV: ask_server, "NOC_CACHE_DIR": str(Path(tmp) / "cache")})  # a server of this run only
        cold = warm_server(api, timed, config, case.question) if ask_server == "on" else None
        runs: dict[str, list[dict[str, float]]] = {"sequential": [], "parallel": []}
        try:
            for _ in range(repeat):
                for mode in runs:
                    runs[mode].append(once(api, timed, config, case.question, mode))
        finally:
            launch.control("stop")
    if cold is not None:
        out.append(f"{'cold':10} {cold['process']:8.2f} {cold['model']:6.2f} {cold['answered']:16.2f} {cold['before']:15.2f} "
                   f"{cold['to_print']:17.2f} {cold['exit']:11.2f} {cold['process'] - cold['model']:8.2f}"
                   "   (parallel; the first ask: no server yet, it starts one after answering)")
    out.append(f"ask server: {ask_server}" + (" (the runs below went through it, warm)" if ask_server == "on" else " (every run a fresh process)"))
    med = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for mode, rs in runs.items()}
    for mode, m in med.items():
        out.append(f"{mode:10} {m['process']:8.2f} {m['model']:6.2f} {m['answered']:16.2f} {m['before']:15.2f} {m['to_print']:17.2f} "
                   f"{m['exit']:11.2f} {m['process'] - m['model']:8.2f}")
    seq, par = med["sequential"], med["parallel"]
    out += ["", f"sequential/parallel: first model call to the printed answer {seq['answered'] / par['answered']:.2f}x, "
                f"whole process {seq['process'] / par['process']:.2f}x, model span {seq['model'] / par['model']:.2f}x"]
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    LatencyModel.add_arguments(parser)
    parser.add_argument("--tool-turns", type=int, default=2, help="tool turns per specialist before its report")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (the median is shown)")
    parser.add_argument("--ask-server", choices=("on", "off"), default="on", help="through the warm ask server (as a user gets it) or not")
    args = parser.parse_args()
    print(main(LatencyModel.from_args(args), args.tool_turns, args.repeat, args.ask_server))
