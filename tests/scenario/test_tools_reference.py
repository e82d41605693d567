"""Every tool is declared once (agents/tools/registry.py) and everything else reads that
declaration: Claude's tool schema, the role gate's defaults, `noc tool --help`, the MCP output
schema, and docs/reference/tools.md, which fails here when it drifts from the declarations."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing

import pytest

from agents.tools import reference
from agents.tools.network import Toolbox
from agents.tools.registry import GET_DEVICE_CONFIG, TOOLS, call_tool, result_model
from agents.tools.results import DeviceConfig
from agents.tools.roles import DEFAULT_TOOL_ROLES, ToolRoles


def test_the_reference_page_is_the_declarations():
    assert reference.PAGE.read_text(encoding="utf-8") == reference.render(), \
        "docs/reference/tools.md drifted from the tool declarations: run python -m agents.tools.reference --write"


def test_check_fails_on_a_drifted_page_and_write_mends_it(tmp_path):
    page = tmp_path / "tools.md"
    page.write_text(reference.render().replace("operator", "viewer"), encoding="utf-8")
    assert reference.main(["--check"], page) == 1
    assert reference.main(["--write"], page) == 0 and reference.main(["--check"], page) == 0
    for tool in TOOLS:  # every tool, its role, what it reads and its result type are on the page
        assert f"## `{tool.name}`" in page.read_text() and f"`{tool.result.__name__}`" in page.read_text()


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_each_declaration_is_what_the_rest_reads(tool):
    # The implementation returns the declared result type (mypy checks `run`; this checks the method too).
    returned = typing.get_type_hints(inspect.unwrap(getattr(Toolbox, tool.name)))["return"]
    assert returned is tool.result and result_model(tool.name) is tool.result
    definition = tool.definition()
    assert definition["name"] == tool.name and definition["description"] == tool.description
    assert set(definition["input_schema"]["properties"]) == set(tool.args.model_fields)
    assert DEFAULT_TOOL_ROLES[tool.name] == tool.role == ToolRoles().needed(tool.name)
    assert tool.reads and tool.withheld


def test_a_settings_override_beats_the_declared_role():
    assert ToolRoles({"get_device_config": "admin"}).needed("get_device_config") == "admin"
    assert ToolRoles().needed("get_device_config") == GET_DEVICE_CONFIG.role == "operator"


async def test_a_call_returns_the_declared_type_also_when_the_arguments_are_bad(make_toolbox):
    toolbox = make_toolbox("healthy")
    good = await call_tool(toolbox, "get_device_config", {"device": "edge-rtr-01", "section": "router bgp"})
    bad = await call_tool(toolbox, "get_device_config", {"device": "edge-rtr-01", "sections": "x"})
    assert isinstance(good, DeviceConfig) and good.ok and good.running.startswith("router bgp")
    assert isinstance(bad, DeviceConfig) and not bad.ok and bad.error is not None and bad.error.kind == "bad_arguments"
    assert "sections" in bad.error.message and bad.device == "edge-rtr-01"


def test_noc_tool_help_says_the_declared_role_and_what_it_reads():
    shown = subprocess.run([sys.executable, "-m", "bot.cli", "tool", "get_device_config", "--help"],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    words = " ".join(shown.stdout.split())
    assert GET_DEVICE_CONFIG.description in words and "Needs the operator role in Slack; reads configuration." in words



def test_a_questions_first_role_comes_from_the_specialists_core_tools():
    """`access.core_tools` in spec.yaml (config: the running config; security: the audit) is what
    the Slack listener's first filter asks, with the settings' tool roles applied."""
    roles = ToolRoles()
    assert roles.for_specialists(["config"]) == roles.for_specialists(["security"]) == "operator"
    assert roles.for_specialists(["diagnosis", "performance", "documentation"]) == "viewer"
    assert ToolRoles({"scan_security_vulnerabilities": "admin"}).for_specialists(["diagnosis", "security"]) == "admin"
    assert ToolRoles({"get_device_config": "viewer"}).for_specialists(["config"]) == "viewer"
