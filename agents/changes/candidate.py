"""Candidate lines for a proposal: from the templates plus hier_config's remediation, or drafted
lines held to the templates' grammar.

A finding's remediation or a question ("apply the QoS policy on branch-rtr-01 Gi0/0/0") is read
by the config templates' detector and rendered for the device's OS; definitions the device
already has (a policy-map of that name) are the operator's and are not rewritten, so only the
lines that use them remain; hier_config then keeps only what the running config lacks. Drafted
lines (Claude's, a file) must fit the grammar of one allowed kind, line by line, and their values
must hold on the device (`values`: addresses, ranges, interfaces that exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hier_config import HConfig, get_hconfig

from agents.changes.grammar import check_lines, depths
from agents.changes.values import device_interfaces, value_problems
from agents.specialists.config_templates import SiteDefaults, detect_template, render_config
from agents.tools.config_tree import HCONFIG_PLATFORMS, UnreadableConfigError, read_config

# Indentation per nesting level when the remediation is written out, as each OS prints it
# (Junos candidates are flat `set` lines: no indentation).
_WIDTH = {"ios": 1, "eos": 3, "nxos": 2, "iosxr": 1, "junos": 0}
_INTERFACE = re.compile(r"^interface (\S+)", re.M)
# The section that defines a kind's main object; when the device has it, it is left alone.
_DEFINITION = {("qos_policy", "ios"): "policy-map {policy_name}", ("qos_policy", "eos"): "qos profile {policy_name}",
               ("qos_policy", "iosxr"): "policy-map {policy_name}", ("qos_policy", "nxos"): "policy-map type queuing {policy_name}"}


@dataclass
class Candidate:
    kind: str | None
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def from_text(text: str, device: str, os: str, running: str, allowed: list[str],
              site: SiteDefaults | None = None) -> Candidate | None:
    """A candidate rendered from the templates, or None when the text asks for no known change.
    `site` is the device's site defaults from the inventory (its AS, access VLAN, policy names)."""
    request = detect_template(text, site)
    if request is None:
        return None
    if request.kind not in allowed:
        return Candidate(request.kind, problems=[f"change kind {request.kind} is not on the allow-list (changes.kinds)"])
    known = list(device_interfaces(running, os)) if os == "junos" else _INTERFACE.findall(running)
    generated = render_config(request, os, device, known, site=site)
    if not generated.valid:
        return Candidate(request.kind, problems=generated.problems)
    lines = _keep_existing_definitions(generated.lines, request.kind, os, generated.params, running)
    notes = generated.assumptions
    if lines != generated.lines:
        definition = _DEFINITION[(request.kind, os)].format(**generated.params)
        notes = [f"{device} already has `{definition}`: it is used as it is, not rewritten"]
    return _remediation(request.kind, lines, os, running, notes, allowed)


def from_drafted(lines: list[str], os: str, running: str, allowed: list[str]) -> Candidate:
    """Lines someone (or a model) wrote: parsed, held to the grammar, linted, then reduced."""
    kind, problems = check_lines(lines, os, allowed)
    if problems or kind is None:
        return Candidate(kind, problems=problems or ["the lines fit no allowed change kind"])
    return _remediation(kind, lines, os, running, [], allowed)


def _keep_existing_definitions(lines: list[str], kind: str, os: str, params: dict[str, object], running: str) -> list[str]:
    template = _DEFINITION.get((kind, os))
    if template is None or template.format(**params) not in running.splitlines():
        return lines
    out: list[str] = []
    keep = False
    for line in lines:
        if not line.startswith(" "):
            keep = line.startswith("interface ")
        if keep:
            out.append(line)
    return out


def _remediation(kind: str, lines: list[str], os: str, running: str, notes: list[str], allowed: list[str]) -> Candidate:
    """Only what the running config lacks (hier_config's difference), checked once more."""
    platform = HCONFIG_PLATFORMS.get(os)
    if platform is None or os not in _WIDTH:
        return Candidate(kind, problems=[f"no change support for OS {os!r}"])
    try:  # tolerant: a line the device printed that hier_config cannot place is left out (config_tree);
        # Junos braces are read as `set` lines, the form candidates and the difference take
        device_tree = read_config(os, running).tree
    except UnreadableConfigError as exc:
        return Candidate(kind, problems=[f"the device's running config could not be read as {os}: {exc}"])
    missing = get_hconfig(platform, "\n".join(lines)).difference(device_tree)
    reduced = _lines(missing, _WIDTH[os])
    if not reduced:
        return Candidate(kind, problems=["the device already has this configuration: nothing to change"])
    checked_kind, problems = check_lines(reduced, os, allowed)
    if checked_kind != kind and not problems:
        problems = [f"the remediation is a {checked_kind} change, not {kind}"]
    if not problems:  # the shapes hold: now the values, against this device
        problems = value_problems(kind, os, reduced, running)
    return Candidate(kind, reduced, problems, notes)


def _lines(tree: HConfig, width: int) -> list[str]:
    return [" " * (width * (child.depth() - 1)) + child.text for child in tree.all_children_sorted()]


def line_count(lines: list[str]) -> int:
    return len(depths(lines))
