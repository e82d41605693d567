"""The embedded lab: a simulated network served by NAPALM's mock driver, with fault scenarios.

Fixtures ship as package data: `data/inventory` (Nornir SimpleInventory), `data/devices/<host>`
(one file per NAPALM getter call, as the mock driver reads them) and `data/scenarios/<name>`
(a `scenario.yaml` plus whole-file overrides under `devices/<host>/`). A scenario changes data
only; the code path is the one real devices take. See TOPOLOGY.md for the network itself.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agents.network.inventory import Inventory, load_inventory
from agents.safe_yaml import load_yaml_file

DATA_DIR = Path(__file__).parent / "data"
_SCENARIOS_DIR = DATA_DIR / "scenarios"
_DEVICES_DIR = DATA_DIR / "devices"


class UnknownScenarioError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"Unknown scenario '{name}'. Known scenarios: {', '.join(known)}")


class Remedy(BaseModel):
    """What fixes a fault in the lab: once `device`'s running config holds `when` (a section line
    and its child, as on the device), the `restore` files return to the healthy base fixtures.

    This is how a committed change clears the symptoms in the stateful lab (agents.lab.stateful);
    a scenario without a remedy for a fix keeps its symptoms, and the change's post-check fails.
    """

    model_config = ConfigDict(extra="forbid")

    device: str
    when: list[str] = Field(min_length=1)
    restore: dict[str, list[str]]

    def present_in(self, running: str) -> bool:
        lines = running.splitlines()
        try:
            start = lines.index(self.when[0])
        except ValueError:
            return False
        section = [lines[start]]
        for line in lines[start + 1:]:
            if not line.startswith(" "):
                break
            section.append(line)
        return all(want in section for want in self.when)


class Scenario(BaseModel):
    """A named fault injected into the lab by replacing fixture files."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    affected: list[str] = Field(default_factory=list)
    unreachable: list[str] = Field(default_factory=list)
    slow: dict[str, float] = Field(default_factory=dict)  # host -> seconds each session takes to open
    remedies: list[Remedy] = Field(default_factory=list)

    @property
    def directory(self) -> Path:
        return _SCENARIOS_DIR / self.name


@cache
def list_scenarios() -> tuple[Scenario, ...]:
    """All shipped scenarios, `healthy` first then alphabetical."""
    scenarios = [
        Scenario.model_validate(load_yaml_file(d / "scenario.yaml", fast=True))  # shipped: libyaml's parser
        for d in sorted(_SCENARIOS_DIR.iterdir())
        if (d / "scenario.yaml").is_file()
    ]
    return tuple(sorted(scenarios, key=lambda s: (s.name != "healthy", s.name)))


def scenario_names() -> list[str]:
    return [s.name for s in list_scenarios()]


def get_scenario(name: str) -> Scenario:
    for scenario in list_scenarios():
        if scenario.name == name:
            return scenario
    raise UnknownScenarioError(name, scenario_names())


_materialize_lock = threading.Lock()
_workdir: Path | None = None
# Where the lab's devices keep their state across processes. Unset, each process has a private
# temporary lab; set, the lab outlives the bot the way a real device does (a change committed
# before a crash is still there after the restart, and so is its pending revert timer).
LAB_DIR_ENV = "NOC_LAB_DIR"


def _lab_workdir() -> Path:
    global _workdir
    if _workdir is None:
        shared = os.environ.get(LAB_DIR_ENV)
        if shared:
            _workdir = Path(shared)
            _workdir.mkdir(parents=True, exist_ok=True)
        else:
            _workdir = Path(tempfile.mkdtemp(prefix="noc-lab-"))
            atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


@cache
def _materialize(scenario_name: str) -> Path:
    """Merge base fixtures with the scenario's overrides into one directory per host.

    The mock driver reads a single directory per device, so the merged view is written once
    per process to a private temporary directory (a few hundred KB) and reused.
    """
    with _materialize_lock:
        scenario = get_scenario(scenario_name)
        root = _lab_workdir() / scenario.name
        if os.environ.get(LAB_DIR_ENV) and root.is_dir():
            return root  # a shared lab keeps what earlier processes committed to it
        return _copy_fixtures(scenario)


def rematerialize(scenario_name: str) -> Path:
    """Write the scenario's fixtures again over whatever changes were committed to them."""
    _materialize(scenario_name)
    with _materialize_lock:
        return _copy_fixtures(get_scenario(scenario_name))


def _copy_fixtures(scenario: Scenario) -> Path:
    """Base fixtures, then the scenario's overrides on top (the caller holds the lock)."""
    root = _lab_workdir() / scenario.name
    overrides = scenario.directory / "devices"
    for base in sorted(_DEVICES_DIR.iterdir()):
        merge_fixtures(base, overrides / base.name, root / base.name)
    return root


def merge_fixtures(base: Path, override: Path, target: Path) -> None:
    """Write `base`'s files into `target`, each replaced by `override`'s file of the same relative
    path where there is one (a missing `override` overrides nothing). A `target` is always merged
    from the same `base` and `override` (one lab directory per scenario).

    Each file of `target` has exactly one source, and is copied only when it differs from that
    source by size or modification time (rsync's quick check): a reset rewrites a few hundred
    fixture files, most of them untouched since (a lab write gives its file a new mtime). Why one
    source: copying the base and then the override over it compared the override with the base's
    copy, and in a tree whose files all carry one time (a `git archive`, an image built with fixed
    times) an override of the base's size was taken for done and the base's version stayed."""
    shutil.copytree(base, target, dirs_exist_ok=True, copy_function=_copy_if_changed,
                    ignore=lambda folder, names: _overridden(base, override, folder, names))
    if override.is_dir():
        shutil.copytree(override, target, dirs_exist_ok=True, copy_function=_copy_if_changed)


def _overridden(base: Path, override: Path, folder: str, names: list[str]) -> set[str]:
    """The files among `names` (in `folder`, under `base`) that `override` has its own version of."""
    mirror = override / Path(folder).relative_to(base)
    return {name for name in names if (mirror / name).is_file()}


def _copy_if_changed(src: str, dst: str) -> None:
    """copy2, unless `dst` is already what an earlier copy2 of `src` left (same size and mtime)."""
    try:
        have, want = os.stat(dst), os.stat(src)
        if have.st_size == want.st_size and have.st_mtime_ns == want.st_mtime_ns:
            return
    except OSError:
        pass
    shutil.copy2(src, dst)


def device_fixture_dir(scenario_name: str, host: str) -> Path:
    """The merged fixture directory the mock driver reads for `host` under `scenario_name`."""
    return _materialize(scenario_name) / host


@cache
def _lab_hosts() -> tuple[str, ...]:
    """The lab's host names, read once: the shipped inventory does not change while we run."""
    return tuple(load_yaml_file(DATA_DIR / "inventory" / "hosts.yaml", fast=True))


def lab_inventory(scenario_name: str = "healthy") -> Inventory:
    """The lab inventory with every device's mock driver pointed at the scenario's fixtures."""
    scenario = get_scenario(scenario_name)
    root = _materialize(scenario.name)
    hosts = _lab_hosts()
    extra = {
        host: {"path": str(root / host), "fail_on_open": host in scenario.unreachable}
        for host in hosts
    }
    delays = {host: {"lab_delay_s": seconds} for host, seconds in scenario.slow.items()}
    return load_inventory(DATA_DIR / "inventory", extra_optional_args=extra, extra_data=delays)
