"""Issue 24: `noc audit --all` on real configurations of the five platforms, as a user runs it.

Each device is a real configuration from a public repository (tests/data/realworld/SOURCES.md)
served by NAPALM's mock driver as the device's `get_config()`, in a Nornir inventory written here;
`noc` runs as a process with a config pointing at that inventory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.paths import DATA

REAL = DATA / "realworld" / "configs"

# device name -> (os, file): every full configuration of every platform in the corpus
DEVICES = {
    "ios-netutils": ("ios", "ios/netutils-ios_full.cfg"),
    "ios-napalm": ("ios", "ios/napalm-ios-running.cfg"),
    "eos-netutils": ("eos", "eos/netutils-eos_full.cfg"),
    "eos-avd-leaf": ("eos", "eos/avd-example-dual-dc-l3ls-dc1-leaf1a.cfg"),
    "nxos-napalm-ssh": ("nxos", "nxos/napalm-nxos_ssh-running.cfg"),
    "nxos-netutils": ("nxos", "nxos/netutils-nxos_basic_backup.cfg"),
    "iosxr-napalm": ("iosxr", "iosxr/napalm-iosxr-running.cfg"),
    "iosxr-napalm-netconf": ("iosxr", "iosxr/napalm-iosxr_netconf-running.cfg"),
    "iosxr-netutils": ("iosxr", "iosxr/netutils-iosxr_full.cfg"),
    "junos-napalm": ("junos", "junos/napalm-junos-running.cfg"),
    "junos-netutils": ("junos", "junos/netutils-junos_full.cfg"),
    "junos-srx": ("junos", "junos/batfish-junos-srx-1.cfg"),
    "junos-border": ("junos", "junos/batfish-example-juniper-as1border1.cfg"),
}

# What a network engineer reading each configuration flags first (and the audit must too).
EXPECTED = {
    "iosxr-napalm": {"iosxr-telnet-server"},  # `telnet vrf default ipv4 server max-servers 10`
    "nxos-napalm-ssh": {"nxos-telnet-feature"},  # `feature telnet`
    "nxos-netutils": {"nxos-snmp-community-rw"},  # a community in group network-admin
    "junos-netutils": {"junos-snmp-community-rw", "junos-idle-timeout"},  # read-write; idle-timeout 3600
    "iosxr-netutils": {"iosxr-exec-timeout", "iosxr-xml-agent-cleartext"},  # exec-timeout 60 0; `xml agent`
    "iosxr-napalm-netconf": {"iosxr-exec-timeout"},  # exec-timeout 0 0
    "junos-srx": {"junos-web-management-http"},  # J-Web over HTTP on fxp0.0
    "junos-border": {"junos-bgp-no-authentication"},  # four eBGP/iBGP groups, no key
}
# What must not be reported: the configuration does it right.
NOT_EXPECTED = {
    "iosxr-netutils": {"iosxr-aaa-login-missing", "iosxr-ssh-version-2", "iosxr-login-method-none"},  # TACACS login; v2; `none` only in accounting
    "nxos-netutils": {"nxos-copp-missing", "nxos-nxapi-http"},  # copp profile strict; NX-API on https 8443
    "junos-napalm": {"junos-aaa-login-missing", "junos-ssh-version-1", "junos-ntp-server-missing"},  # radius; v2; ntp after a stray brace
    "junos-srx": {"junos-no-protect-re-filter", "junos-telnet"},  # zones' host-inbound-traffic guard the RE; telnet only listed for a zone
}


def _inventory(root: Path) -> Path:
    hosts: dict[str, Any] = {}
    for name, (os_name, rel) in DEVICES.items():
        device_dir = root / "devices" / name
        device_dir.mkdir(parents=True)
        text = (REAL / rel).read_text()
        (device_dir / "get_config.1").write_text(json.dumps({"running": text, "startup": text, "candidate": ""}))
        hosts[name] = {"hostname": f"{name}.example.net", "platform": "mock", "data": {"os": os_name},
                       "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device_dir)}}}}}
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    config = root / "noc.yml"
    config.write_text(yaml.safe_dump({"network": {"inventory": str(inventory)}}))
    return config


def _noc(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NOC_CONFIG=str(config), NOC_LOG_LEVEL="WARNING")
    env.pop("ANTHROPIC_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "bot.cli", *argv], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], str]:
    config = _inventory(tmp_path_factory.mktemp("realworld-audit"))
    proc = _noc(config, "audit", "--all", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    scans = {d["device"]: d for d in json.loads(proc.stdout)["devices"]}
    text = _noc(config, "audit", "iosxr-napalm")
    assert text.returncode == 0, text.stderr
    return scans, text.stdout


def test_every_full_configuration_of_every_platform_is_audited(audited: tuple[dict[str, dict[str, Any]], str]) -> None:
    scans, _ = audited
    assert set(scans) == set(DEVICES)
    for name, scan in scans.items():
        assert scan["ok"], (name, scan.get("error"))
        assert scan["rules_evaluated"] >= 15, name
    assert {scan["os"] for scan in scans.values()} == {"ios", "eos", "nxos", "iosxr", "junos"}


def test_the_findings_an_engineer_expects(audited: tuple[dict[str, dict[str, Any]], str]) -> None:
    scans, text = audited
    ids = {name: {f["rule_id"] for f in scan["findings"]} for name, scan in scans.items()}
    assert {name: want - ids[name] for name, want in EXPECTED.items() if want - ids[name]} == {}
    assert {name: bad & ids[name] for name, bad in NOT_EXPECTED.items() if bad & ids[name]} == {}
    assert "[CRITICAL] iosxr-telnet-server Telnet server enabled" in text
    assert "> telnet vrf default ipv4 server max-servers 10" in text


def test_lines_that_could_not_be_placed_are_named(audited: tuple[dict[str, dict[str, Any]], str]) -> None:
    scans, _ = audited
    assert scans["junos-napalm"]["unplaced"] == ["}"]  # the sample's own stray closing brace
    assert all(not s["unplaced"] for name, s in scans.items() if name != "junos-napalm")


def test_no_secret_from_the_configurations_reaches_the_output(audited: tuple[dict[str, dict[str, Any]], str]) -> None:
    scans, text = audited
    output = json.dumps(scans) + text
    for secret in ("bogus123", "networktocode", "$1$kasfbiuw98p43hnfwe.", "$9$sdnfh2p9f8whefi2p98fehwuinoief98p2hif3beuis98ehfoi2",
                   "$1$gZpA$ued8wLDDwikqTVKTEvUe2/"):
        assert secret not in output
