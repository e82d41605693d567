"""The six change kinds, what detection hands to rendering, what rendering returns, and the
defaults no site decides (each one is said in plain words whenever it stands in for a missing
value; what a site decides, such as its AS or VLANs, is inventory data: see `site`)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

TemplateKind = Literal["access_port", "trunk", "ospf", "bgp_neighbor", "static_route", "qos_policy"]
TEMPLATE_KINDS: tuple[str, ...] = get_args(TemplateKind)
SUPPORTED_OS: tuple[str, ...] = ("ios", "eos", "nxos", "iosxr", "junos")

BGP_MD5_PLACEHOLDER = "<bgp-md5-key>"
DEFAULT_OSPF_PROCESS = 1
DEFAULT_OSPF_AREA = "0"
DEFAULT_VOICE_PCT = 20
DEFAULT_BUSINESS_PCT = 30
MAX_DESCRIPTION = 200


class TemplateRequest(BaseModel):
    """What was understood from the text: the change kind and the parameters found in it."""

    kind: TemplateKind
    params: dict[str, Any] = Field(default_factory=dict)
    # Required parameters not found in the text; where a sensible default exists it is already in
    # `params`, and render_config says so in its assumptions.
    missing: list[str] = Field(default_factory=list)


class GeneratedConfig(BaseModel):
    """Rendered configuration plus everything an engineer must know before pasting it."""

    kind: TemplateKind
    os: str  # one of SUPPORTED_OS
    device: str | None = None
    lines: list[str] = Field(default_factory=list)  # ready to paste, indented as on the device
    params: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)  # empty = valid
    assumptions: list[str] = Field(default_factory=list)  # defaults filled in, said plainly

    @property
    def valid(self) -> bool:
        return not self.problems
