"""Filling the IOS-XE, EOS, NX-OS, IOS-XR or Junos (set form) template for a request, then checking
what came out. A platform without a kind (IOS-XR has no switchports) has no template for it, and
the request gets that as its problem.

Parameter problems come from `parameters`; here the output itself is checked: every indented
line has a parent and hier_config reads the tree as written, and no key value survives (the
last line of defence, because pasted output ends up in chat history). Problems are reported,
never "fixed" behind the engineer's back.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from hier_config import Platform, get_hconfig

from agents.specialists.config_templates.checks import Notes
from agents.specialists.config_templates.defaults import fill_defaults
from agents.specialists.config_templates.kinds import SUPPORTED_OS, GeneratedConfig, TemplateRequest
from agents.specialists.config_templates.parameters import PREPARE
from agents.specialists.config_templates.site import SiteDefaults

if TYPE_CHECKING:  # Jinja is imported by the first rendering: every specialist loads this module, few render
    import jinja2

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"

_OS_ALIASES = {
    "ios": "ios", "iosxe": "ios", "ios-xe": "ios", "ios_xe": "ios", "cisco_ios": "ios", "cisco_xe": "ios",
    "eos": "eos", "arista_eos": "eos", "arista": "eos",
    "nxos": "nxos", "nxos_ssh": "nxos", "cisco_nxos": "nxos", "iosxr": "iosxr", "iosxr_netconf": "iosxr",
    "cisco_xr": "iosxr", "cisco_iosxr": "iosxr", "junos": "junos", "juniper_junos": "junos", "juniper": "junos",
}
_NO_TEMPLATE = {"iosxr": "IOS-XR routers have no switchports"}
_PLATFORM = {"ios": Platform.CISCO_IOS, "eos": Platform.ARISTA_EOS, "nxos": Platform.CISCO_NXOS, "iosxr": Platform.CISCO_XR,
             "junos": Platform.JUNIPER_JUNOS}


@cache
def _environment() -> jinja2.Environment:
    """One environment for all renderings; StrictUndefined so a missing variable is a bug, not a blank."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # device CLI, not HTML
    )


def _normalise_os(os: str) -> str | None:
    return _OS_ALIASES.get((os or "").strip().lower())


_STRUCTURE_IGNORED = {"!", "exit", "exit-address-family", "end"}
_SECRET_IN_LINE = re.compile(
    r"\b(?:password|secret|key-string|key(?=\s+\d\s))(?:\s+\d)?\s+(?!<)(?P<val>\S+)", re.IGNORECASE,
)


def structure_problems(lines: list[str], os: str) -> list[str]:
    """Every indented line must have a parent, and hier_config must read the tree as written.

    The indentation check catches template mistakes directly; the hier_config comparison makes
    sure the text parses into the same tree the device (and the rest of the bot) will see.
    """
    problems: list[str] = []
    stack: list[int] = []
    expected: list[tuple[str, int]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        while stack and stack[-1] >= indent:
            stack.pop()
        if indent and not stack:
            problems.append(f"line {number} ({text!r}) is indented but has no parent")
        stack.append(indent)
        if text not in _STRUCTURE_IGNORED:
            expected.append((text, len(stack)))
    try:
        root = get_hconfig(_PLATFORM[os], "\n".join(lines))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a structural problem
        return [*problems, f"hier_config could not parse the configuration: {exc}"]
    parsed = {(child.text, child.depth()) for child in root.all_children()}
    for text, depth in expected:
        if (text, depth) not in parsed:
            problems.append(f"hier_config does not see {text!r} at nesting depth {depth}")
    return problems


def _scrub_secrets(lines: list[str]) -> tuple[list[str], list[str]]:
    """Last line of defence: a key value that is not a <placeholder> is replaced, and said so.

    Detection already blanks keys typed in chat; this catches values smuggled in through params
    built elsewhere (even inside a description), because pasted output ends up in chat history.
    """
    clean, problems = [], []
    for line in lines:
        m = _SECRET_IN_LINE.search(line)
        if m:
            line = line[: m.start("val")] + "<redacted>" + line[m.end("val"):]
            problems.append(f"a secret value was removed from the output ({line.strip()!r}): keys come from the vault")
        clean.append(line)
    return clean, problems


def render_config(req: TemplateRequest, os: str, device: str | None = None, interfaces: list[str] | None = None,
                  site: SiteDefaults | None = None) -> GeneratedConfig:
    """Render the request for one device OS and validate the result.

    `interfaces`, when given, are the device's real interface names: anything else named in the
    request is a problem. `site` is the device's site defaults from the inventory (`site_defaults`);
    without it a value the request leaves out is missing. An unsupported OS gives no lines and one
    problem rather than an exception, because the caller is a chat bot answering for whatever
    device was named.
    """
    params = dict(req.params)
    device = device or params.get("device")
    os_key = _normalise_os(os)
    if os_key is None:
        return GeneratedConfig(
            kind=req.kind, os=str(os), device=device, params=params,
            problems=[f"no templates for OS {os!r}: supported are {', '.join(SUPPORTED_OS)}"],
        )
    notes = Notes(os=os_key, device=device, interfaces=interfaces)
    fill_defaults(req.kind, params, req.missing, notes, site or SiteDefaults())
    context = PREPARE[req.kind](params, notes)
    import jinja2

    try:
        template = _environment().get_template(f"{os_key}/{req.kind}.j2")
    except jinja2.TemplateNotFound:
        why = _NO_TEMPLATE.get(os_key, f"the {os_key} templates do not cover it yet")
        return GeneratedConfig(kind=req.kind, os=os_key, device=device, params=params,
                               problems=[f"no {req.kind} template for {os_key}: {why}"])
    rendered = template.render(**context.model_dump())
    lines = [line.rstrip() for line in rendered.splitlines() if line.strip()]
    lines, secret_problems = _scrub_secrets(lines)
    problems = notes.problems + secret_problems + structure_problems(lines, os_key)
    params.pop("secret_ignored", None)
    return GeneratedConfig(
        kind=req.kind, os=os_key, device=device, lines=lines, params=params,
        problems=problems, assumptions=notes.assumptions,
    )
