"""Which QoS service-policies are applied to which routed interface, read from the configuration.

Why a tool of its own: whether a congested WAN interface has a QoS policy is operational state
(`show policy-map interface` shows the same), so anyone who may ask about performance may know
it, while the configuration text it comes from needs the operator role. The tool returns policy
names only, never configuration lines.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from agents.tools.config_tree import read_config

_POLICY_DEFINED = re.compile(r"^policy-map (?:type \S+ )?(\S+)")
_POLICY_USED = re.compile(r"service-policy (?:input|output|type \S+ \S+ )?\s*(\S+)")
# Interfaces that never carry a WAN queueing policy in practice.
_SKIPPED = ("loopback", "vlan", "management", "tunnel")


class InterfaceQos(BaseModel):
    device: str
    interface: str
    input_policy: str | None = None
    output_policy: str | None = None


def interface_qos(device: str, os_name: str, running: str) -> list[InterfaceQos]:
    """The service-policies on each routed interface (switch ports queue in hardware)."""
    root = read_config(os_name, running).tree  # tolerant: one unplaceable line does not hide the QoS
    out = []
    for child in root.get_children(startswith="interface "):
        name = child.text.split(" ", 1)[1]
        if name.lower().startswith(_SKIPPED) or name.startswith("GigabitEthernet0 "):
            continue
        if not any(c.text.startswith("ip address") or c.text == "no switchport" for c in child.children):
            continue
        qos = InterfaceQos(device=device, interface=name)
        for c in child.get_children(startswith="service-policy"):
            parts = c.text.split()
            if "output" in parts:
                qos.output_policy = parts[-1]
            elif "input" in parts:
                qos.input_policy = parts[-1]
        out.append(qos)
    return out


def unused_policy_maps(running: str) -> list[str]:
    """Policy-maps that are defined but applied nowhere (the detached QoS policy)."""
    lines = running.splitlines()
    defined = {m.group(1) for line in lines if (m := _POLICY_DEFINED.match(line))}
    used = {m.group(1) for line in lines if not _POLICY_DEFINED.match(line) for m in _POLICY_USED.finditer(line)}
    return sorted(defined - used)
