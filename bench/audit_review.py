"""Acceptance review of the config audit on real configurations (issue 24): a sample to judge.

Audits every full configuration of each platform in tests/data/realworld/configs (the files
named below: whole running configurations, not the parser-test snippets, whose missing NTP or
syslog says nothing about a device) and prints, per platform, up to --per-platform findings
drawn at random with a fixed seed, each with its evidence, for an engineer to mark true or false.
A finding is one rule failing on one device. The verdicts and counts are in docs/benchmarks.md.

Run: python bench/audit_review.py [--per-platform 30] [--seed 24]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.tools.audit import audit_config, load_rules  # noqa: E402

CONFIGS = ROOT / "tests" / "data" / "realworld" / "configs"
FULL = {
    "ios": ["napalm-ios-running.cfg", "netutils-ios_full.cfg", "hier_config-ios_running.cfg", "batfish-ios-crypto-ipsec-r2.cfg"],
    "eos": ["netutils-eos_full.cfg", "avd-example-dual-dc-l3ls-dc1-leaf1a.cfg", "avd-example-isis-ldp-ipvpn-rr1.cfg"],
    # napalm-nxos-running.cfg (cut off after 22 lines) and hier_config-running_config_junos.cfg
    # (a fixture of three blocks) are real text but not whole configurations: not reviewed here.
    "nxos": ["napalm-nxos_ssh-running.cfg", "netutils-nxos_basic_backup.cfg"],
    "iosxr": ["netutils-iosxr_full.cfg", "napalm-iosxr-running.cfg", "napalm-iosxr_netconf-running.cfg",
              "batfish-ebgp-dynamic-local-ips-r1.cfg"],
    "junos": ["napalm-junos-running.cfg", "netutils-junos_full.cfg", "batfish-junos-srx-1.cfg",
              "batfish-example-juniper-as1border1.cfg"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-platform", type=int, default=30)
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args()
    rules = load_rules()
    rng = random.Random(args.seed)
    totals: Counter[str] = Counter()
    for platform, names in FULL.items():
        findings = []
        for name in names:
            report = audit_config(name, platform, (CONFIGS / platform / name).read_text(), rules)
            if report.unplaced:
                print(f"[{platform}] {name}: {len(report.unplaced)} line(s) not placed: {report.unplaced[:3]}")
            findings += [(name, f) for f in report.findings]
        totals[platform] = len(findings)
        sample = sorted(rng.sample(findings, min(args.per_platform, len(findings))), key=lambda p: (p[0], p[1].rule_id))
        print(f"\n=== {platform}: {len(names)} configurations, {len(findings)} findings, {len(sample)} sampled")
        for number, (name, finding) in enumerate(sample, start=1):
            print(f"{number:2}. {name}  [{finding.severity.value}] {finding.rule_id}")
            for line in finding.evidence[:4]:
                print(f"      > {line[:150]}")
    print("\nfindings per platform: " + ", ".join(f"{p} {n}" for p, n in totals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
