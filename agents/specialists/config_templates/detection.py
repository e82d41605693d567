"""Which change kind a request asks for, if any: regexes, not a language model.

The result must be predictable, and a question about state ("why is bgp down?") must not turn
into configuration; what the text did not say is as important as what it did (see
`extraction`).
"""

from __future__ import annotations

import re
from typing import Any

from agents.specialists.config_templates.extraction import EXTRACTORS, IP, MaskedText
from agents.specialists.config_templates.kinds import TemplateKind, TemplateRequest
from agents.specialists.config_templates.site import SiteDefaults

# Strong verbs ask for configuration even inside a question ("how do I add a trunk?"); weak
# ones ("new", "please") only count when the text is not a question about state ("why did the
# new bgp neighbour go down?").
_STRONG_VERB = re.compile(
    r"\b(?:configure|add|adding|create|set ?up|build|generate|provision|deploy|give me|write|template|"
    r"assign|attach|convert|define|how (?:do|would|can|should) i|how to)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"^\s*(?:why|what|what's|whats|is|are|was|were|does|do|did|has|have|how|when|where|which|who|"
    r"show|check|list|display|verify|validate|compare|diff)\b",
    re.IGNORECASE,
)
_TROUBLE = re.compile(
    r"\b(?:down|flap\w*|not working|broken|fail\w*|stuck|errors?|slow|outage|status|health\w*|"
    r"anywhere|missing)\b",
    re.IGNORECASE,
)
_KIND_RX: list[tuple[TemplateKind, re.Pattern[str]]] = [
    # "bgp ... neighbour" in either order. From the start only, taking the first of the two words
    # atomically: `A.*B` tried from every A rescans the text each time (quadratic on "bgp bgp ...").
    ("bgp_neighbor", re.compile(r"\A(?>.*?\b(?:bgp|ebgp|ibgp)\b).*\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b|"
                                r"\A(?>.*?\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b).*\b(?:bgp|ebgp|ibgp)\b|"
                                r"\bremote[-\s]?as\s*\d", re.IGNORECASE | re.DOTALL)),
    ("static_route", re.compile(r"\bstatic\s+route|\bip\s+route\b|\bdefault\s+route\b|\broute\s+(?:to|for)\s+"
                                + IP + r"|\bnull\s?0\s+route|\bblackhole\b", re.IGNORECASE)),
    ("ospf", re.compile(r"\bospf\b", re.IGNORECASE)),
    ("qos_policy", re.compile(r"\bqos\b|\bquality of service\b|\bpolicy-map\b|\bservice-policy\b|"
                              r"\bshap(?:e|er|ing)\b|\bllq\b|\bpriority queu", re.IGNORECASE)),
    ("trunk", re.compile(r"\btrunk(?:ing)?\b|\bdot1q\b|\b802\.1q\b", re.IGNORECASE)),
    ("access_port", re.compile(r"\baccess[-\s]?(?:port|vlan|mode)\b|\bswitchport access\b|\bmode access\b|"
                               r"\bvoice\s+vlan\b|\bedge port\b|\buser port\b|\bphone port\b|"
                               r"\b(?:in|into|to|on)\s+vlan\s*\d+|\bas an? access\b", re.IGNORECASE)),
]
_DEVICE_RX = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+)(?![\w.-])", re.IGNORECASE)
_NOT_DEVICE = re.compile(r"^(?:vlan|area|as|af|cs|ospf|bgp|port|gi|te|et|eth|po|lo|vl|rfc)\b", re.IGNORECASE)



def _wants_config(text: str) -> bool:
    """A question about state ("why is bgp down?") is not a request for configuration."""
    if _STRONG_VERB.search(text):
        return True
    return not (_QUESTION.search(text) or text.rstrip().endswith("?") or _TROUBLE.search(text))


def _detect_kind(text: str) -> TemplateKind | None:
    for kind, rx in _KIND_RX:
        if rx.search(text):
            return kind
    return None


def detect_template(text: str, site: SiteDefaults | None = None) -> TemplateRequest | None:
    """Recognise one of the six change kinds in free text and extract its parameters.

    Returns None when the text asks for none of them, or asks a question about network state
    rather than for configuration: the config specialist then shows or validates instead. A
    required value the text did not give stays in `missing`; `site`'s value for it, if any,
    fills it in `params` (rendering says so).
    """
    if not text or not text.strip():
        return None
    t = MaskedText.parse(text)
    if not _wants_config(t.masked):
        return None
    kind = _detect_kind(t.masked)
    if kind is None:
        return None
    params: dict[str, Any] = {}
    missing: list[str] = []
    devices = [d.group(1) for d in _DEVICE_RX.finditer(t.masked) if not _NOT_DEVICE.match(d.group(1))]
    if devices:
        params["device"] = devices[0].lower()
    EXTRACTORS[kind](t, params, missing)
    for key in missing:
        if params.get(key) is None and site is not None and (value := site.value(kind, key)) is not None:
            params[key] = value
    return TemplateRequest(kind=kind, params=params, missing=missing)
