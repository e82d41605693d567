"""Time of the redaction of configuration text and prose on hostile input, and whether it grows
linearly.

Redaction runs on every device read and every alert, so a regular expression that backtracks on a
crafted line (a thousand `auth` tokens after `snmp-server user`, an unclosed quote) would stall
the bot. For each shape and 10/20/40 KB of it, prints the time per KB of `redact` (configuration
text) and `redact_prose` (free text), and the ratio of the 40 KB time to the 10 KB time: about 4
when linear, about 16 when quadratic. Also times a 5,000-line real configuration.
Run: python bench/redact_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from agents.tools.redact import redact, redact_prose

ROOT = Path(__file__).resolve().parent.parent

# name: (prefix, repeated unit)
SHAPES = {
    "snmp-user auth": ("snmp-server user ", "a auth "),
    "snmp-user priv": ("snmp-server user x ", "priv aes "),
    "username tokens": ("username ", "a "),
    "set secret": ("set ", "secret "),
    "open quotes": ("", '"'),
    "crypt ids": ("", "$1$"),
    "url userinfo": ("", "://a:"),
    "block of keys": ("tacacs server T\n", " key 7 0822455D0A16\n"),
    "pem begins": ("", "-----BEGIN RSA PRIVATE KEY-----\n"),
    "prose secrets": ("", "we have password 7 0822455D0A16 and snmp-server community s3cr3t RO "),
}


def best_of(repeat: int, fn, text: str) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'shape':<18} {'fn':<7} {'ms/KB 10KB':>11} {'ms/KB 40KB':>11} {'40/10':>6}")
    for name, (prefix, unit) in SHAPES.items():
        for label, fn in (("redact", redact), ("prose", redact_prose)):
            times = {}
            for kb in (10, 40):
                text = prefix + unit * (kb * 1024 // len(unit))
                times[kb] = best_of(args.repeat, fn, text)
            print(f"{name:<18} {label:<7} {times[10] * 1000 / 10:>11.3f} {times[40] * 1000 / 40:>11.3f} {times[40] / times[10]:>6.1f}")
    data = ROOT / "tests" / "data" / "audit_configs"
    base = (data / "hardened-ios.cfg").read_text() + (data / "hardened-eos.cfg").read_text()
    config = base * (5000 // len(base.splitlines()) + 1)
    print(f"\n{len(config.splitlines())}-line configuration: redact {best_of(args.repeat, redact, config) * 1000:.1f} ms (best of {args.repeat})")


if __name__ == "__main__":
    main()
