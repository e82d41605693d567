"""Every tool over the whole real-world corpus: does the bot hold up on networks it was not built on?

The corpus (tests/data/realworld, sources in its SOURCES.md) becomes one NAPALM mock-driver
inventory, as a site's would be: one device per configuration (get_config), one per recorded
NAPALM getter result, one per CLI capture (OSPF neighbours, show logging). Every tool runs on
every device, and the config specialist's reference check on every configuration. A device
without a getter's data gives an "unsupported" result, which is correct; a tool that raises, or
fails with kind "failed" (a bug caught by the tool wrapper), is an exception and must not happen.
Secret values are found by the independent oracle of tests/secret_oracle.py and searched for in
every result; the count must be 0.

Run: python bench/realworld.py [--verbose]   (exits 1 when exceptions or leaks are not 0)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the oracle lives with the tests

from agents.config import NetworkConfig  # noqa: E402
from agents.network.inventory import load_inventory  # noqa: E402
from agents.specialists.config.rules import validate_config  # noqa: E402
from agents.tools import build_gateway  # noqa: E402
from agents.tools.audit import load_rules  # noqa: E402
from agents.tools.network import Toolbox  # noqa: E402
from agents.tools.results import DeviceConfig, LogSearch, RoutingStatus, SecurityScan, ToolResult  # noqa: E402
from tests.harness.secret_oracle import oracle, outside_secrets, searchable  # noqa: E402

DATA = ROOT / "tests" / "data" / "realworld"
CLI_OS = {"arista_eos": "eos", "cisco_ios": "ios", "cisco_nxos": "nxos", "cisco_xr": "iosxr", "juniper_junos": "junos"}
PLATFORM_ORDER = ("ios", "eos", "nxos", "iosxr", "junos")
# Each tool with the arguments it is called with on every device.
CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("get_interface_statistics", {}),
    ("check_routing_protocol", {"protocol": "bgp"}),
    ("check_routing_protocol", {"protocol": "ospf"}),
    ("get_device_health", {}),
    ("get_device_config", {}),
    ("get_device_config", {"section": "router bgp"}),
    ("get_interface_qos", {}),
    ("analyze_traffic_patterns", {}),
    ("scan_security_vulnerabilities", {}),
    ("search_logs", {}),
)


class Corpus:
    """The inventory written to a temporary directory, and what each device must never show."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts: dict[str, Any] = {}
        self.secrets: dict[str, set[str]] = {}  # device -> searchable secret values
        self.platform: dict[str, str] = {}  # device -> os, for the per-platform table
        self.configs = 0

    def add(self, name: str, os_name: str, files: dict[str, str]) -> None:
        device_dir = self.root / "devices" / name
        device_dir.mkdir(parents=True)
        for filename, text in files.items():
            (device_dir / filename).write_text(text)
        self.platform[name] = os_name
        self.hosts[name] = {"hostname": f"{name}.corpus.example", "platform": "mock",
                            "data": {"os": os_name, "role": "corpus", "site": os_name},
                            "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device_dir)}}}}}

    def inventory(self) -> Path:
        directory = self.root / "inventory"
        directory.mkdir()
        (directory / "hosts.yaml").write_text(yaml.safe_dump(self.hosts))
        return directory


def _name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", "-".join(parts).lower()).strip("-")


def build(root: Path) -> Corpus:
    corpus = Corpus(root)
    for path in sorted((DATA / "configs").glob("*/*.cfg")):
        platform, running = path.parent.name, path.read_text(encoding="utf-8")
        name = _name("cfg", platform, path.stem)
        found = oracle(platform, running)
        corpus.secrets[name] = searchable(running, found, outside_secrets(running, found))
        corpus.add(name, platform, {"get_config.1": json.dumps({"running": running, "startup": running, "candidate": ""})})
        corpus.configs += 1
    for path in sorted((DATA / "napalm").glob("*/*/*/expected_result.json")):
        case, getter, platform = path.parent.name, path.parent.parent.name, path.parent.parent.parent.name
        files = {f"{getter}.1": path.read_text()}
        if getter == "get_interfaces_counters":  # two samples, as the traffic tool takes them
            files[f"{getter}.2"] = path.read_text()
        corpus.add(_name("napalm", platform, getter, case), platform, files)
    for path in sorted((DATA / "cli").glob("*/*/*.raw")):
        command, platform = path.parent.name, path.parent.parent.name
        corpus.add(_name("cli", platform, path.stem), CLI_OS[platform], {f"cli.1.{command}.0": path.read_text()})
    return corpus


class Tally:
    def __init__(self) -> None:
        self.calls = 0
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.exceptions: list[str] = []
        self.unparsed: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.audited = 0
        self.validation: Counter[str] = Counter()
        self.leaks: list[str] = []
        # platform -> calls, exceptions, unparsed, findings, secrets, leaked (the per-platform table)
        self.per: dict[str, Counter[str]] = {}
        self.platform: dict[str, str] = {}

    def result(self, name: str, device: str, result: ToolResult) -> None:
        per = self.per.setdefault(self.platform.get(device, "-"), Counter())
        per["calls"] += 1
        before = (len(self.exceptions), sum(self.unparsed.values()), sum(self.findings.values()))
        self._count(name, device, result)
        after = (len(self.exceptions), sum(self.unparsed.values()), sum(self.findings.values()))
        per["exceptions"] += after[0] - before[0]
        per["unparsed"] += after[1] - before[1]
        per["findings"] += after[2] - before[2]

    def _count(self, name: str, device: str, result: ToolResult) -> None:
        self.calls += 1
        if result.ok:
            self.ok += 1
        elif result.error is not None:
            self.errors[result.error.kind] += 1
            if result.error.kind == "failed":
                self.exceptions.append(f"{name} on {device}: {result.error.message}")
        if isinstance(result, RoutingStatus):
            self.unparsed["ospf neighbour lines"] += sum(o.kind == "ospf_unparsed_neighbor" for o in result.observations)
        if isinstance(result, LogSearch):
            self.unparsed["log lines"] += len(result.unparsed)
        if isinstance(result, SecurityScan) and result.ok:
            self.audited += 1
            self.findings.update(f.rule_id for f in result.findings)


async def run(corpus: Corpus, tally: Tally, verbose: bool) -> None:
    inventory = corpus.inventory()
    toolbox = Toolbox(load_inventory(inventory), build_gateway(NetworkConfig(inventory=inventory)), load_rules())
    try:
        listed = await toolbox.list_devices()
        tally.result("list_devices", "-", listed)
        tally.result("search_runbooks", "-", await toolbox.search_runbooks("bgp session down peer in wrong AS"))

        async def device(name: str) -> None:
            shown: list[str] = []
            for tool, args in CALLS:
                try:
                    result = await getattr(toolbox, tool)(name, **args)
                except Exception as exc:  # the tool wrapper should make this impossible: count it
                    tally.calls += 1
                    tally.exceptions.append(f"{tool} on {name} raised {type(exc).__name__}: {exc}")
                    per = tally.per.setdefault(corpus.platform[name], Counter())
                    per["calls"] += 1
                    per["exceptions"] += 1
                    continue
                tally.result(tool, name, result)
                shown.append(result.model_dump_json())
                if isinstance(result, DeviceConfig) and result.ok and not result.section:
                    problems, _ = validate_config(result.os, result.running)
                    tally.validation.update(re.sub(r" \S+ (is referenced|\(defined)", r" \1", p).replace("unused ", "unused: ")
                                            for p in problems)
                    shown.extend(problems)
            blob = "\n".join(shown)
            leaked = sorted(v for v in corpus.secrets.get(name, ()) if v in blob)
            tally.leaks += [f"{name}: {v[:3]}..." for v in leaked]
            per = tally.per.setdefault(corpus.platform[name], Counter())
            per["secrets"] += len(corpus.secrets.get(name, ()))
            per["leaked"] += len(leaked)
            if verbose:
                print(f"  {name}: done", file=sys.stderr)

        await asyncio.gather(*(device(name) for name in corpus.hosts))
    finally:
        toolbox.gateway.close()


def report(corpus: Corpus, tally: Tally, seconds: float) -> None:
    print(f"devices: {len(corpus.hosts)} ({corpus.configs} configurations, {len(corpus.hosts) - corpus.configs} getter results and CLI captures)")
    print(f"tool calls: {tally.calls} ({tally.ok} ok; not ok by kind: {dict(sorted(tally.errors.items())) or '-'})")
    print(f"exceptions: {len(tally.exceptions)}")
    for line in tally.exceptions[:20]:
        print(f"  {line}")
    print(f"unparsed lines: {sum(tally.unparsed.values())} ({', '.join(f'{k} {v}' for k, v in sorted(tally.unparsed.items())) or '-'})")
    print(f"audit findings by rule ({tally.audited} devices audited, {sum(tally.findings.values())} findings):")
    for rule, count in tally.findings.most_common():
        print(f"  {count:4d}  {rule}")
    print(f"config validation ({sum(tally.validation.values())} problems):")
    for problem, count in tally.validation.most_common():
        print(f"  {count:4d}  {problem}")
    print(f"leaked secret values: {len(tally.leaks)} (of {sum(len(v) for v in corpus.secrets.values())} searched)")
    for line in tally.leaks[:20]:
        print(f"  {line}")
    print("per platform:")
    print(f"  {'platform':8} {'devices':>7} {'tool calls':>10} {'exceptions':>10} {'unparsed':>8} {'findings':>8} {'secrets checked':>15} {'leaked':>6}")
    devices = Counter(corpus.platform.values())
    for platform in sorted(devices, key=lambda p: (PLATFORM_ORDER.index(p) if p in PLATFORM_ORDER else 99, p)):
        c = tally.per.get(platform, Counter())
        print(f"  {platform:8} {devices[platform]:7d} {c['calls']:10d} {c['exceptions']:10d} {c['unparsed']:8d} {c['findings']:8d} "
              f"{c['secrets']:15d} {c['leaked']:6d}")
    print(f"time: {seconds:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="name each device as it finishes (stderr)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # tool errors are counted below, not printed as they happen
    t0 = time.monotonic()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="noc-realworld-") as tmp:
        corpus = build(Path(tmp))
        tally.platform = corpus.platform
        asyncio.run(run(corpus, tally, args.verbose))
    report(corpus, tally, time.monotonic() - t0)
    return 1 if tally.exceptions or tally.leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
