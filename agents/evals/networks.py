"""The network a case runs on: the embedded lab with a scenario, or a fixture network.

A fixture network is written out as a NAPALM mock-driver inventory (one directory per device, one
file per getter call), exactly as bench/realworld.py serves the real-world corpus, so the tools
read recorded real device output through the code path real devices take.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml

from agents.config import NetworkConfig
from agents.evals.cases import EvalCaseError, FixtureNetwork, Network, load_fixture
from agents.network.inventory import load_inventory
from agents.tools import build_gateway, build_toolbox
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox


def _files(corpus: Path, sample: str) -> dict[str, str]:
    """The mock-driver files one corpus sample becomes."""
    path = corpus / sample
    parts = Path(sample).parts
    if parts[0] == "napalm" and len(parts) == 4:
        text = (path / "expected_result.json").read_text(encoding="utf-8")
        getter = parts[2]
        files = {f"{getter}.1": text}
        if getter == "get_interfaces_counters":  # two samples, as the traffic tool takes them
            files[f"{getter}.2"] = text
        return files
    if parts[0] == "cli" and len(parts) == 4 and sample.endswith(".raw"):
        return {f"cli.1.{parts[2]}.0": path.read_text(encoding="utf-8")}
    if parts[0] == "configs" and sample.endswith(".cfg"):
        running = path.read_text(encoding="utf-8")
        return {"get_config.1": json.dumps({"running": running, "startup": running, "candidate": ""})}
    raise EvalCaseError(f"sample '{sample}' is not napalm/<os>/<getter>/<case>, cli/<platform>/<command>/<file>.raw or configs/<os>/<file>.cfg")


_VENDOR = {"ios": "Cisco", "nxos": "Cisco", "iosxr": "Cisco", "eos": "Arista", "junos": "Juniper"}


def _facts(name: str, os_name: str) -> dict[str, object]:
    """Labelled scaffolding for a device whose samples hold no get_facts: its name and vendor, nothing measured."""
    return {"hostname": name, "fqdn": f"{name}.fixture.example", "vendor": _VENDOR[os_name], "model": "unknown (fixture)",
            "os_version": "unknown (fixture)", "serial_number": "", "uptime": -1.0, "interface_list": []}


def write_fixture(network: FixtureNetwork, corpus: Path, root: Path) -> Path:
    """Write `network` under `root` as a Nornir inventory; returns the inventory directory."""
    hosts = {}
    for name, device in network.devices.items():
        directory = root / "devices" / name
        directory.mkdir(parents=True)
        for sample in device.samples:
            if not (corpus / sample).exists():
                raise EvalCaseError(f"fixture device {name}: no sample {sample} in the corpus")
            for filename, text in _files(corpus, sample).items():
                (directory / filename).write_text(text, encoding="utf-8")
        if not (directory / "get_facts.1").exists():  # scaffolding: the corpus records facts for few devices, the health tool reads them
            (directory / "get_facts.1").write_text(json.dumps(_facts(name, device.os)), encoding="utf-8")
        hosts[name] = {"hostname": f"{name}.fixture.example", "platform": "mock",
                       "data": {"os": device.os, "role": device.role, "site": device.site},
                       "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(directory)}}}}}
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    return inventory


class Networks:
    """Builds (and cleans up) the toolbox of each case's network; fixtures are written once."""

    def __init__(self, cases_dir: Path, corpus: Path) -> None:
        self.cases_dir = cases_dir
        self.corpus = corpus
        self._tmp = tempfile.TemporaryDirectory(prefix="noc-evals-")
        self._written: dict[str, Path] = {}

    def toolbox(self, network: Network) -> Toolbox:
        if network.scenario is not None:
            return build_toolbox(NetworkConfig(), scenario=network.scenario)
        name = network.fixture or ""
        if name not in self._written:
            self._written[name] = write_fixture(load_fixture(self.cases_dir, name), self.corpus, Path(self._tmp.name) / name)
        inventory = self._written[name]
        return Toolbox(load_inventory(inventory), build_gateway(NetworkConfig(inventory=inventory)), load_rules())

    def close(self) -> None:
        self._tmp.cleanup()


def lab_device_names() -> set[str]:
    """The embedded lab's device names: an answer on another network must not cite them."""
    from agents.lab import DATA_DIR

    hosts = yaml.safe_load((DATA_DIR / "inventory" / "hosts.yaml").read_text(encoding="utf-8"))
    return set(hosts)
