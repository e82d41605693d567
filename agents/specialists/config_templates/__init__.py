"""Turn a NOC engineer's request into device configuration, from Jinja2 templates.

Two steps, kept apart so each can be checked on its own:

* `detect_template` reads free text ("make Te1/1/1 a trunk allowing vlans 110,120,99") and says
  which of six change kinds it is and which parameters were stated. Regexes, not a language
  model: the result must be predictable, and what was *not* said is as important as what was
  (`missing`), because a default silently standing in for a forgotten value is how outages start.
* `render_config` fills the IOS-XE or EOS template, then validates what it produced: parameter
  sanity (VLAN ranges, addresses, masks, AS numbers, percentages, interface names the device
  really has) and structure (hier_config must see every indented line under a parent). Problems
  are reported, never "fixed" behind the engineer's back; every default is said in plain words.

Secrets are never generated: a BGP session gets `neighbor X password <bgp-md5-key>`, a literal
placeholder to be replaced from the vault, and any key typed into the chat is ignored.

The package: `detection` (which kind) and `extraction` (its parameters from the text), `values`
(interface names, VLAN lists, AS numbers, masks, through netutils), `checks` and `parameters`
(one pydantic model per kind, the checked values its template receives), `rendering` (the
templates, the structure check, the secret scrub), `kinds` (the request and result models),
`defaults` and `site` (what stands in for a value a request leaves out: the templates' own, and
the site's from the inventory).
"""

from __future__ import annotations

from agents.specialists.config_templates.detection import _KIND_RX, detect_template
from agents.specialists.config_templates.kinds import (
    BGP_MD5_PLACEHOLDER,
    SUPPORTED_OS,
    TEMPLATE_KINDS,
    GeneratedConfig,
    TemplateKind,
    TemplateRequest,
)
from agents.specialists.config_templates.parameters import (
    AccessPortParams,
    BgpNeighborParams,
    OspfParams,
    QosPolicyParams,
    StaticRouteParams,
    TrunkParams,
)
from agents.specialists.config_templates.rendering import TEMPLATE_DIR, render_config, structure_problems
from agents.specialists.config_templates.site import SiteDefaults, site_defaults
from agents.specialists.config_templates.values import format_vlan_list, normalise_interface, parse_vlan_list

__all__ = [
    "BGP_MD5_PLACEHOLDER",
    "SUPPORTED_OS",
    "TEMPLATE_DIR",
    "TEMPLATE_KINDS",
    "AccessPortParams",
    "BgpNeighborParams",
    "GeneratedConfig",
    "OspfParams",
    "QosPolicyParams",
    "SiteDefaults",
    "StaticRouteParams",
    "TemplateKind",
    "TemplateRequest",
    "TrunkParams",
    "_KIND_RX",
    "detect_template",
    "format_vlan_list",
    "normalise_interface",
    "parse_vlan_list",
    "render_config",
    "site_defaults",
    "structure_problems",
]
