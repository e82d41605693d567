"""`noc change` at a terminal, the lab's revert timer, and `noc lab reset`.

The CLI applies the same rules as Slack: identity from $NOC_USER, role from the `access`
section, two-person approval; drafted lines must fit the templates' grammar.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from agents.lab import device_fixture_dir, lab_inventory
from agents.lab.stateful import LabDriver, reset_scenario
from bot.cli.main import cli

DEVICE = "branch-rtr-01"
FIX = "interface GigabitEthernet0/0/0\n service-policy output WAN-EDGE-QOS\n"


def _config(tmp_path):
    path = tmp_path / "noc.yml"
    path.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: wan-congestion\n"
                    "access:\n  operator:\n    users: [alice, bob]\n")
    return path


def test_cli_propose_two_person_approve_and_list(tmp_path):
    reset_scenario("wan-congestion")
    config, lines = _config(tmp_path), tmp_path / "fix.txt"
    lines.write_text(FIX)
    runner = CliRunner()
    try:
        proposed = runner.invoke(cli, ["--config", str(config), "change", "propose", DEVICE, "--lines", str(lines)],
                                 env={"NOC_USER": "alice"})
        assert proposed.exit_code == 0, proposed.output
        change_id = proposed.output.split()[0]
        assert "pending" in proposed.output and "+ service-policy output WAN-EDGE-QOS" in proposed.output
        own = runner.invoke(cli, ["--config", str(config), "change", "approve", change_id], env={"NOC_USER": "alice"})
        assert "two-person" in own.output
        viewer = runner.invoke(cli, ["--config", str(config), "change", "approve", change_id], env={"NOC_USER": "mallory"})
        assert "Only the operator role" in viewer.output
        approved = runner.invoke(cli, ["--config", str(config), "change", "approve", change_id], env={"NOC_USER": "bob"})
        assert f"{change_id}: confirmed" in approved.output, approved.output
        listed = runner.invoke(cli, ["--config", str(config), "change", "list"])
        assert change_id in listed.output and "confirmed" in listed.output
        shown = runner.invoke(cli, ["--config", str(config), "change", "show", change_id])
        assert "post-check" in shown.output and "bob" in shown.output
    finally:
        reset_scenario("wan-congestion")


def test_cli_refuses_lines_outside_the_grammar(tmp_path):
    config, lines = _config(tmp_path), tmp_path / "fix.txt"
    lines.write_text(FIX + " shutdown\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "change", "propose", DEVICE, "--lines", str(lines)],
                                env={"NOC_USER": "alice"})
    assert result.exit_code == 1 and "refused" in result.output and "'shutdown'" in result.output


def test_an_unconfirmed_lab_commit_reverts_itself_and_lab_reset_restores(tmp_path):
    reset_scenario("wan-congestion")
    now = [0.0]
    device = lab_inventory("wan-congestion").get(DEVICE)
    fixture = device_fixture_dir("wan-congestion", DEVICE) / "get_config.1"
    shipped = fixture.read_text()

    def session() -> LabDriver:
        driver = LabDriver(device.hostname, "lab", "", 5, {**device.optional_args, "lab_clock": lambda: now[0]})
        driver.open()
        return driver

    driver = session()
    driver.load_merge_candidate(config=FIX)
    assert driver.compare_config() == "interface GigabitEthernet0/0/0\n+ service-policy output WAN-EDGE-QOS"
    driver.commit_config(revert_in=60)
    assert "service-policy output WAN-EDGE-QOS" in json.loads(fixture.read_text())["running"]
    now[0] = 61.0  # no confirm within the revert timer: the next session finds it undone
    session()
    assert fixture.read_text() == shipped

    session().load_merge_candidate(config=FIX)
    driver = session()
    driver.load_merge_candidate(config=FIX)
    driver.commit_config()
    assert fixture.read_text() != shipped
    assert CliRunner().invoke(cli, ["lab", "reset", "wan-congestion"]).exit_code == 0
    assert fixture.read_text() == shipped


def test_only_drivers_that_can_revert_are_committed_to():
    """The apply step refuses a platform whose NAPALM driver cannot commit with a revert timer
    (nothing would undo a change that cut the bot off); read from the real driver classes."""
    import napalm

    from agents.changes.device import supports_revert
    from agents.lab.stateful import LabDriver

    assert all(supports_revert(napalm.get_network_driver(p)) for p in ("ios", "eos", "junos"))
    assert not any(supports_revert(napalm.get_network_driver(p)) for p in ("nxos", "iosxr"))
    assert supports_revert(LabDriver)
