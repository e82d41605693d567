"""How accurate the keyword router is when it is confident, by score margin.

Prints, for each margin threshold, the share of questions the keyword router answers alone and
its accuracy on them. `llm.router_margin` (default 3.0) is chosen from this table: below it the
question goes to Claude. Run: python bench/routing_margin.py [FILE.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agents.lab import lab_inventory
from agents.routing import route

DEFAULT_FILES = [Path("tests/data/routing_eval.jsonl"), Path("tests/data/routing_holdout.jsonl")]


def main(paths: list[Path]) -> None:
    inventory = lab_inventory()
    for path in paths:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        routed = [(route(r["query"], inventory), r["expected"]) for r in rows]
        print(f"{path} ({len(rows)} questions)")
        for margin in range(0, 7):
            confident = [(d, e) for d, e in routed if d.margin >= margin]
            correct = sum(d.primary.value == e for d, e in confident)
            share = len(confident) / len(routed)
            accuracy = correct / len(confident) if confident else float("nan")
            print(f"  margin >= {margin}: keywords alone {share:6.1%} of questions, accuracy {accuracy:6.1%}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT_FILES)
