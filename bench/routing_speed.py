"""How fast the learned router routes, and what it adds to start-up.

Prints, over every question of the routing evaluation files and the training data:
- routing time per question (agents.routing.route: model scores, device names, hints): p50, p99, max;
- start-up cost in a fresh process: importing the router and loading its cached model (what
  `noc ask` or `noc run` pays once), and whether scikit-learn, SciPy or numpy got imported;
- with --cold, the one-off build of the model into an empty cache (what the first start after a
  change to the training data pays).

Run: python bench/routing_speed.py [--cold]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agents.lab import lab_inventory
from agents.router.dataset import load_examples
from agents.routing import route

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILES = ["tests/data/routing_eval.jsonl", "tests/data/routing_holdout.jsonl", "tests/data/routing_heldout_v2.jsonl"]

# agents.models (pydantic) is imported by every command anyway; what the router adds is its own
# modules, the data hash and reading the cached model.
_STARTUP = """
import json, sys, time
import agents.models
t0 = time.perf_counter()
from agents.router import load_model
t1 = time.perf_counter()
model = load_model()
t2 = time.perf_counter()
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'numpy'})
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "features": len(model.vocabulary), "heavy": heavy}))
"""


def questions() -> list[str]:
    out = [e.question for e in load_examples()]
    for name in EVAL_FILES:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("//"):
                out.append(json.loads(line)["query"])
    return out


def startup(env: dict[str, str] | None = None) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", _STARTUP], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(cold: bool) -> None:
    inventory = lab_inventory()
    qs = questions()
    route(qs[0], inventory)  # load the model once, as a running bot has
    times = []
    for q in qs:
        t = time.perf_counter()
        route(q, inventory)
        times.append(time.perf_counter() - t)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000  # noqa: E731
    print(f"routing {len(qs)} questions: p50 {p(0.50):.2f} ms, p99 {p(0.99):.2f} ms, max {times[-1] * 1000:.2f} ms, "
          f"mean {statistics.mean(times) * 1000:.2f} ms")
    warm = [startup() for _ in range(3)]
    best = min(warm, key=lambda r: float(r["import_s"]) + float(r["load_s"]))  # type: ignore[arg-type]
    print(f"start-up, cached model: import {float(best['import_s']) * 1000:.0f} ms + load {float(best['load_s']) * 1000:.0f} ms "  # type: ignore[arg-type]
          f"({best['features']} features); heavy imports: {best['heavy'] or 'none'}")
    if cold:
        with tempfile.TemporaryDirectory() as cache:
            built = startup({"NOC_CACHE_DIR": cache})
            print(f"start-up, empty cache (builds the model once): {float(built['import_s']) + float(built['load_s']):.2f} s"  # type: ignore[arg-type]
                  f"; heavy imports: {built['heavy']}")


if __name__ == "__main__":
    main("--cold" in sys.argv[1:])
