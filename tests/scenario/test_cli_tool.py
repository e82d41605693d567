"""`noc tool`: help derived from the tools' declarations, one-line errors for bad arguments, and
shell completion of tool names, argument names, choices and device names (issue 26)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.shell_completion import BashComplete

from agents.tools.registry import TOOL_SPECS
from agents.tools.roles import DEFAULT_TOOL_ROLES
from bot.cli.main import cli


def tool_sections(text: str) -> dict[str, str]:
    """The `noc tool --help` text of each tool: from its name line to the next tool's."""
    lines = text.split("Tools (role needed in Slack) and their arguments:", 1)[1].splitlines()
    out: dict[str, list[str]] = {}
    current = None
    for line in lines:
        head = line.strip().split("  ")[0]
        if line.startswith("  ") and not line.startswith("    ") and head in TOOL_SPECS:
            current = head
        if current:
            out.setdefault(current, []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def test_tool_help_lists_every_tool_with_its_declared_arguments_and_role(runner):
    result = runner.invoke(cli, ["tool", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    sections = tool_sections(result.stdout)
    assert set(sections) == set(TOOL_SPECS)
    for name, spec in TOOL_SPECS.items():
        text = sections[name]
        assert f"[{DEFAULT_TOOL_ROLES[name]}]" in text.splitlines()[0]
        for field, info in spec.args.model_fields.items():
            assert f"{field}=" in text, (name, field)
            line = next(x for x in text.splitlines() if x.strip().startswith(f"{field}="))
            assert ("required" if info.is_required() else "optional") in line, line
    routing = sections["check_routing_protocol"]
    assert "protocol=bgp|ospf" in routing and "one of bgp, ospf" in routing
    logs = sections["search_logs"]
    assert "an integer from 1 to 200 (default 50)" in logs
    assert "a comma-separated list of cis, pci, soc2" in sections["scan_security_vulnerabilities"]


def test_tool_help_shows_the_configured_role(runner, tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text("access:\n  tool_roles:\n    search_logs: operator\n")
    result = runner.invoke(cli, ["--config", str(config), "tool", "--help"], terminal_width=200)
    assert "[operator]" in tool_sections(result.stdout)["search_logs"].splitlines()[0]
    one = runner.invoke(cli, ["--config", str(config), "tool", "search_logs", "--help"], terminal_width=200)
    assert "Needs the operator role" in " ".join(one.stdout.split())


def test_one_tools_help(runner):
    result = runner.invoke(cli, ["tool", "search_logs", "--help"], terminal_width=200, prog_name="noc")
    assert result.exit_code == 0
    assert "Usage: noc tool search_logs device=TEXT [query=TEXT] [limit=N]" in result.stdout
    assert "Needs the viewer role" in " ".join(result.stdout.split()) and "limit=N" in result.stdout
    assert "check_routing_protocol" not in result.stdout


def error_line(result) -> str:
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    return line


def test_bad_arguments_are_one_line_naming_the_argument_and_what_it_accepts(runner):
    cases = {
        ("search_logs", "device=edge-rtr-01", "limit=abc"): "limit=abc is not valid: limit takes an integer from 1 to 200",
        ("search_logs", "device=edge-rtr-01", "limit=500"): "limit=500 is not valid: limit takes an integer from 1 to 200",
        ("check_routing_protocol", "device=edge-rtr-01"): "check_routing_protocol needs protocol=: one of bgp, ospf",
        ("check_routing_protocol", "device=edge-rtr-01", "protocol=isis"): "protocol=isis is not valid: protocol takes one of bgp, ospf",
        ("scan_security_vulnerabilities", "device=edge-rtr-01", "tags=cis,hipaa"): "tags takes a comma-separated list of cis, pci, soc2",
        ("get_device_health", "devce=edge-rtr-01"): "get_device_health has no argument 'devce'; it takes device=TEXT",
        ("get_device_health", "edge-rtr-01"): "arguments are name=value, got 'edge-rtr-01'",
        ("nope",): "unknown tool 'nope'; tools: analyze_traffic_patterns",
        ("get_device_health", "device=nope-01"): "Unknown device 'nope-01'",
    }
    for argv, expected in cases.items():
        result = runner.invoke(cli, ["tool", *argv])
        assert result.exit_code == 2, (argv, result.output)
        assert expected in error_line(result), (argv, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr


def test_list_arguments_and_defaults_still_run(runner):
    result = runner.invoke(cli, ["tool", "scan_security_vulnerabilities", "device=edge-rtr-01", "tags=cis,pci", "-s", "insecure-mgmt"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"]
    grouped = runner.invoke(cli, ["tool", "-s", "bgp-peer-down", "check_routing_protocol", "device=branch-rtr-01", "protocol=bgp"])
    assert any(o["kind"] == "bgp_as_mismatch" for o in json.loads(grouped.stdout)["observations"])


def complete(args: list[str], incomplete: str, env_config: str | None = None) -> list[str]:
    """What click's bash completion offers for `noc ARGS INCOMPLETE`."""
    comp = BashComplete(cli, {}, "noc", "_NOC_COMPLETE")
    return [c.value for c in comp.get_completions(args, incomplete)]


def test_completion_of_tools_arguments_choices_and_devices():
    assert "get_device_health" in complete(["tool"], "get_") and all(v.startswith("get_") for v in complete(["tool"], "get_"))
    assert set(complete(["tool"], "")) == set(TOOL_SPECS)
    assert complete(["tool", "check_routing_protocol"], "pro") == ["protocol="]
    assert complete(["tool", "check_routing_protocol"], "protocol=") == ["protocol=bgp", "protocol=ospf"]
    assert complete(["tool", "check_routing_protocol", "device=edge-rtr-01"], "") == ["protocol="]  # device already given
    assert complete(["tool", "get_device_health"], "device=edge") == ["device=edge-rtr-01"]
    assert complete(["tool", "scan_security_vulnerabilities"], "tags=cis,p") == ["tags=cis,pci"]
    assert complete(["audit"], "dist-") == ["dist-sw-01", "dist-sw-02"]
    assert "bgp-peer-down" in complete(["audit", "--scenario"], "bgp")


def test_completion_reads_the_configured_inventory(tmp_path):
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text("lon-edge-01:\n  hostname: 192.0.2.1\n  platform: ios\nlon-core-01:\n  hostname: 192.0.2.2\n  platform: ios\n")
    config = tmp_path / "noc.yml"
    config.write_text(f"network:\n  inventory: {inventory}\n")
    assert complete(["--config", str(config), "audit"], "lon-") == ["lon-edge-01", "lon-core-01"]
    broken = tmp_path / "broken.yml"
    broken.write_text("network: [\n")
    assert complete(["--config", str(broken), "audit"], "") == []  # a bad config completes nothing, quietly


def test_completion_through_the_shell_protocol():
    """What bash runs on Tab: the real entry point with click's completion variables."""
    env = {**os.environ, "_NOC_COMPLETE": "bash_complete", "COMP_WORDS": "noc tool check_routing_protocol protocol=", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-m", "bot.cli"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["plain,protocol=bgp", "plain,protocol=ospf"]
    source = subprocess.run([sys.executable, "-m", "bot.cli"], env={**os.environ, "_NOC_COMPLETE": "bash_source"},
                            capture_output=True, text=True, timeout=120)
    assert "_NOC_COMPLETE=bash_complete" in source.stdout and "complete -o nosort -F" in source.stdout
