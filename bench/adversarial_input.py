"""Time of the keyword router's regular expressions and of strip_mentions on adversarial text.

For each shape (`add add add ...`, `a-a-a-...`, `<@U|<@U|...`...) and 10/20/40 KB of it, prints
the time per KB of:

* patterns - every routing pattern run on the *uncut* text, as routing.score, extract_devices,
  hinted_devices and asks_for_report run them (route() itself cuts at MAX_QUESTION_CHARS, so its
  time does not grow with the input at all; that is the `route` column);
* mentions - handlers.common.strip_mentions on the uncut text (it runs before the cut);
* route    - agents.routing.route on the uncut text (current code only).

and the ratio of the 40 KB time to the 10 KB time: about 4 when linear, about 16 when quadratic.
`--plain` runs the plain (pre-issue-9) forms of the rewritten patterns instead, for comparison.
Run: python bench/adversarial_input.py [--plain] [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import time

from agents import routing
from agents.config import NetworkConfig
from agents.tools import build_toolbox
from bot.config.settings import Settings
from handlers import common

# name: (repeated unit, suffix)
SHAPES = {
    "add add add": ("add ", ""),
    "bgp neighbor x": ("bgp neighbor ", ""),
    "add\\n": ("add\n", ""),
    "a-a-a": ("a-", ""),
    "core-sw-core-sw": ("core-sw-", ""),
    "a1-a1-a1": ("a1-", ""),
    "1-1-1": ("1-", ""),
    "11111": ("1", ""),
    "-----": ("-", ""),
    "<@U|<@U|": ("<@U|", ""),
    "<@U|<@U|...>": ("<@U|", ">"),
    "<@UUUU<@UUUU...>": ("<@UUUU", ">"),
    "have have": ("have ", ""),
    "words": ("why is the branch slow ", ""),
}
SIZES_KB = (10, 20, 40)

PLAIN_BGP = r"\bbgp neighbou?r\b.*\b(?:add|new|set up|configure)|\b(?:add|new|set up|configure)\b.*\bbgp neighbou?r"
PLAIN_DEVICE_LIKE = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+[a-z]?\b")
PLAIN_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]+)?>")


def pattern_runner(plain: bool):
    keyword_patterns = [
        re.compile(PLAIN_BGP if plain and p == routing._SAME_LINE_BGP_NEIGHBOUR_EDIT else p)
        for pats in routing.keywords().values() for p, _ in pats
    ]
    hint_patterns = [re.compile(p) for p, _, _ in routing._HINTS]
    device_like = PLAIN_DEVICE_LIKE if plain else routing._DEVICE_LIKE

    def run(text: str) -> None:
        lower = text.lower()
        for rx in keyword_patterns:
            rx.search(lower)
        for rx in hint_patterns:
            rx.search(lower)
        device_like.findall(lower)
        routing._REPORT_REQUEST.search(text)

    return run


def mention_runner(plain: bool):
    if plain:
        return lambda text: PLAIN_MENTION.sub("", text).strip()
    return common.strip_mentions


def best_time(fn, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", action="store_true", help="time the plain (quadratic) forms of the patterns")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per measurement")
    args = parser.parse_args()

    settings = Settings()
    toolbox = build_toolbox(NetworkConfig(), settings.audit, settings.thresholds, scenario="healthy")
    inventory = toolbox.inventory
    runners = {"patterns": pattern_runner(args.plain), "mentions": mention_runner(args.plain)}
    if not args.plain:
        runners["route"] = lambda text: routing.route(text, inventory)
    print(f"{'plain' if args.plain else 'current'} patterns; ms per KB at {'/'.join(map(str, SIZES_KB))} KB, "
          f"and t(40 KB)/t(10 KB) (linear ~4, quadratic ~16)")
    print(f"{'shape':<18}" + "".join(f"{name:>30}" for name in runners))
    worst = {name: 0.0 for name in runners}
    for shape, (unit, suffix) in SHAPES.items():
        cells = []
        for name, fn in runners.items():
            times = []
            for kb in SIZES_KB:
                size = kb * 1024 - len(suffix)
                text = (unit * (size // len(unit) + 1))[:size] + suffix
                times.append(best_time(fn, text, args.repeat))
            ratio = times[-1] / times[0] if times[0] > 0 else float("nan")
            worst[name] = max(worst[name], ratio)
            per_kb = "/".join(f"{t * 1000 / kb:.3f}" for t, kb in zip(times, SIZES_KB, strict=True))
            cells.append(f"{per_kb} x{ratio:.1f}")
        print(f"{shape:<18}" + "".join(f"{c:>30}" for c in cells))
    print("largest ratio: " + ", ".join(f"{name} x{r:.1f}" for name, r in worst.items()))
    toolbox.gateway.close()


if __name__ == "__main__":
    main()
