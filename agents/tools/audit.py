"""Configuration audit: security rules as YAML data, evaluated on a hier_config tree.

Why rules are data: the NOC tunes the baseline (severity, tags, remediation wording) without a
code change, and a site can ship its own rules file (`AuditConfig.rules_file`). Why hier_config:
IOS/EOS configs are indented trees, and most checks are "in every block X, line Y must (not)
exist", which is a path of match rules over that tree. The rule schema and its check kinds are
in `audit_schema`, loading in `audit_loader`; this module evaluates them.

The configuration is redacted whole, with its block structure, before it is parsed (findings are
shown in chat, stored and sent to an LLM, and a lone evidence line such as ` key 0 x` has lost the
`tacacs server` block that makes it a secret). Well-known SNMP communities are kept distinguishable
as `redact.WELL_KNOWN`, so a rule can flag `public` without the real value ever being kept; evidence
shows that marker as a plain `<redacted>`. Rules therefore match redacted text: a rule that needs a
secret's value can only test for `<redacted>` or `<redacted:well-known>`.

Risk score: ``min(100, sum(WEIGHT[f.severity] for f in findings))`` with WEIGHT = critical 25,
high 15, medium 7, low 3, info 0. One finding per rule (not per offending line), so the score
measures how many distinct controls fail, and a single critical plus a few highs saturates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from hier_config import HConfig, HConfigChild

from agents.severity import Severity
from agents.tools.audit_inherit import Link, satisfied
from agents.tools.audit_loader import SHIPPED_RULES, load_rules
from agents.tools.audit_loader import _parse_rules as _parse_rules  # tests validate raw rule data
from agents.tools.audit_match import Finder
from agents.tools.audit_schema import (
    KEY_PLACEHOLDER,
    MAX_SCORE,
    AbsentDefaultCheck,
    AnyOfCheck,
    AuditError,
    AuditFinding,
    AuditReport,
    AuditRule,
    AuditRulesError,
    Check,
    EachDefaultCheck,
    EachForbidCheck,
    EachRequireCheck,
    EachRequireSiblingCheck,
    ForbidCheck,
    LineMatch,
    PlatformDefault,
    RequireCheck,
)
from agents.tools.config_tree import HCONFIG_PLATFORMS, UnreadableConfigError, read_config
from agents.tools.redact import redact, unmark

__all__ = [
    "RISK_WEIGHTS",
    "SHIPPED_RULES",
    "AuditError",
    "AuditFinding",
    "AuditReport",
    "AuditRule",
    "AuditRulesError",
    "LineMatch",
    "audit_config",
    "load_rules",
    "risk_score",
]

RISK_WEIGHTS: dict[Severity, int] = {
    Severity.critical: 25,
    Severity.high: 15,
    Severity.medium: 7,
    Severity.low: 3,
    Severity.info: 0,
}

_TAG_ALIASES: dict[str, str] = {"cis": "cis", "pci": "pci", "pcidss": "pci", "soc2": "soc2"}


def audit_config(
    device: str,
    os: str,
    config: str,
    rules: list[AuditRule],
    tags: set[str] | None = None,
    *,
    redacted: bool = False,
) -> AuditReport:
    """Audit one device's running config against the rules for its platform.

    Only rules listing `os` in `platforms` are evaluated and, when `tags` is non-empty, only
    rules sharing at least one tag. Raises `AuditError` for an unsupported `os`, an unknown
    tag, or a text that is not a configuration of that platform. Lines the reader cannot place
    (config_tree) do not stop the audit: they are named in `AuditReport.unplaced`. `redacted`
    says `config` is already `redact(..., mark_well_known=True)`'s output (the tools' intake,
    `config_intake.take_config`): redacting it again would change nothing and cost a pass.
    """
    platform = _platform(os)
    wanted = _normalise_tags(tags)
    selected = [r for r in rules if platform in r.platforms and (not wanted or wanted & set(r.tags))]
    text = config if redacted else _redacted(config)
    try:
        parsed = read_config(platform, text)
    except UnreadableConfigError as exc:
        raise AuditError(f"cannot read the {platform} configuration: {exc}") from None
    subject = _Subject(parsed.tree, platform, parsed.text)
    token = _FINDER.set(Finder())  # lookups kept for this tree only (audit_match)
    try:
        findings = [f for rule in selected if (f := _evaluate(rule, subject)) is not None]
    finally:
        _FINDER.reset(token)
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id))
    return AuditReport(
        device=device,
        os=platform,
        findings=findings,
        risk_score=risk_score(findings),
        counts=_counts(findings),
        rules_evaluated=len(selected),
        unplaced=[_shown(line) for line in parsed.unplaced],
    )


def risk_score(findings: Iterable[AuditFinding]) -> int:
    """Sum of per-severity weights (critical 25, high 15, medium 7, low 3, info 0), capped at 100."""
    return min(MAX_SCORE, sum(RISK_WEIGHTS[f.severity] for f in findings))


def _counts(findings: list[AuditFinding]) -> dict[str, int]:
    """Every severity present as a key, worst first, so renderers need no defaults."""
    ordered = sorted(Severity, key=lambda s: -s.rank)
    return {s.value: sum(1 for f in findings if f.severity is s) for s in ordered}


def _platform(os: str) -> str:
    name = os.strip().lower()
    if name not in HCONFIG_PLATFORMS:
        raise AuditError(f"config audit supports {', '.join(sorted(HCONFIG_PLATFORMS))}, not {os!r}")
    return name


def _normalise_tags(tags: set[str] | None) -> set[str]:
    """Lower-case and alias ('PCI-DSS' -> 'pci'); an unknown tag is an error, not an empty audit."""
    if not tags:
        return set()
    wanted: set[str] = set()
    for tag in tags:
        key = re.sub(r"[^a-z0-9]", "", tag.lower())
        if key not in _TAG_ALIASES:
            raise AuditError(f"unknown audit tag {tag!r}; use one of cis, pci, soc2")
        wanted.add(_TAG_ALIASES[key])
    return wanted


def _redacted(config: str) -> str:
    """The config with every secret value replaced (well-known communities marked); fail closed."""
    try:
        return redact(config, mark_well_known=True)
    except Exception as exc:  # the raw text must never be audited into findings
        raise AuditError(f"the configuration could not be redacted safely ({type(exc).__name__})") from None


def _shown(line: str) -> str:
    """An evidence line as displayed: redacted (again, harmlessly) and with plain markers."""
    return unmark(redact(line))


# The path lookups of the audit running in this thread or task (set by audit_config).
_FINDER: ContextVar[Finder | None] = ContextVar("audit_finder", default=None)


def _finder() -> Finder:
    return _FINDER.get() or Finder()


def _find(node: HConfig | HConfigChild, path: list[LineMatch]) -> Iterator[HConfigChild]:
    return iter(_finder().find(node, path))


def _exists(node: HConfig | HConfigChild, path: list[LineMatch] | None) -> bool:
    return _finder().exists(node, path)


@dataclass(frozen=True)
class _Subject:
    """What a rule is evaluated on: the parsed tree, and the text for what hier_config drops (`version`)."""

    tree: HConfig
    platform: str
    text: str


def _evaluate(rule: AuditRule, subject: _Subject) -> AuditFinding | None:
    """One finding when the rule is violated, else None."""
    offending = _checked(rule.check, subject)
    if offending is None:
        return None
    return AuditFinding(
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        reference=rule.reference,
        tags=list(rule.tags),
        evidence=[_shown(line) for line in _evidence(offending)],
        remediation=[redact(line) for line in rule.remediation],
    )


def _checked(check: Check, subject: _Subject) -> list[HConfigChild | str] | None:
    """`when`/`unless` applied, then the offending nodes (and notes) of a failed check, else None."""
    tree = subject.tree
    if check.when is not None and not _exists(tree, check.when):
        return None
    if _exists(tree, check.unless):
        return None
    if isinstance(check, AnyOfCheck):
        failed = [found for sub in check.checks if (found := _checked(sub, subject)) is not None]
        return [item for found in failed for item in found] if failed else None
    if isinstance(check, EachDefaultCheck):
        return _each_default(check, subject)
    if isinstance(check, AbsentDefaultCheck):
        return _absent_default(check, subject)
    violation = _violation(check, tree)
    if violation is None:
        return None
    offending: list[HConfigChild | str] = [*violation]
    return offending


def _violation(check: ForbidCheck | RequireCheck | EachRequireCheck | EachForbidCheck | EachRequireSiblingCheck,
               tree: HConfig) -> list[HConfigChild] | None:
    """The offending nodes when `check` fails (possibly none for a missing line), else None."""
    if isinstance(check, ForbidCheck):
        return list(_find(tree, check.path)) or None
    if isinstance(check, RequireCheck):
        return _require(check, tree)
    if isinstance(check, EachRequireCheck):
        return [p for p in _parents(check, tree) if not _exists(p, check.child)] or None
    if isinstance(check, EachForbidCheck):
        return [n for p in _parents(check, tree) for n in _find(p, check.child)] or None
    return _each_require_sibling(check, tree)


def _require(check: RequireCheck, tree: HConfig) -> list[HConfigChild] | None:
    """Missing: evidence is the deepest existing prefix of the path (e.g. the block header), else
    the lines that made the check apply (`when`: the NTP servers used without authentication)."""
    if _exists(tree, check.path):
        return None
    for depth in range(len(check.path) - 1, 0, -1):
        node = next(_find(tree, check.path[:depth]), None)
        if node is not None:
            return [node]
    return list(_find(tree, check.when)) if check.when is not None else []


def _parents(check: EachRequireCheck | EachForbidCheck, tree: HConfig) -> Iterator[HConfigChild]:
    for parent in _find(tree, check.parent):
        if check.parent_has is None or _exists(parent, check.parent_has):
            yield parent


def _each_require_sibling(check: EachRequireSiblingCheck, tree: HConfig) -> list[HConfigChild] | None:
    if check.any_depth or check.inherit:
        return _each_require_inherited(check, tree)
    key_re = re.compile(check.key)
    offending: list[HConfigChild] = []
    seen: set[str] = set()  # one evidence line per name (a Junos group has many lines)
    for node in _find(tree, check.path):
        match = key_re.search(node.text)
        if match is None or match.group(1) in seen:
            continue
        seen.add(match.group(1))
        sibling_re = re.compile(check.sibling.replace(KEY_PLACEHOLDER, re.escape(match.group(1))))
        # The line itself counts: a Junos statement carries its options on one line
        # (`set system ntp server 192.0.2.1 key 1`), an IOS one never matches its own sibling.
        if not any(sibling_re.search(s.text) for s in node.parent.children):
            offending.append(node)
    return offending or None


def _each_require_inherited(check: EachRequireSiblingCheck, tree: HConfig) -> list[HConfigChild] | None:
    """Like each_require_sibling, searching enclosing blocks and inheritance (audit_inherit.py).

    One evidence line per name and block: a neighbour with both `remote-as` and `peer group`
    lines is one unprotected neighbour, not two.
    """
    key_re = re.compile(check.key)
    links = tuple(Link(**link.model_dump()) for link in check.inherit)
    scopes: list[HConfig | HConfigChild] = list(_find(tree, check.path[:-1])) if len(check.path) > 1 else [tree]
    last = _finder().predicate(check.path[-1])
    offending: list[HConfigChild] = []
    for scope in scopes:
        seen: set[tuple[int, str]] = set()
        nodes = scope.all_children() if check.any_depth else scope.children
        for node in nodes:
            if not last(node.text) or (match := key_re.search(node.text)) is None:
                continue
            key = match.group(1)
            if (id(node.parent), key) in seen:
                continue
            seen.add((id(node.parent), key))
            if not satisfied(node, key, scope, check.sibling, links):
                offending.append(node)
    return offending or None


def _release(text: str, pattern: str) -> tuple[int, ...] | None:
    """The release a top-level line names (`version 15.2` -> (15, 2)), None when none does."""
    rx = re.compile(pattern)
    for line in text.splitlines():
        if (m := rx.search(line)) is not None:
            return tuple(int(part) for part in m.group(1).split("."))
    return None


def _applies(releases: str, release: tuple[int, ...] | None) -> bool:
    if releases == "any":
        return True
    if releases == "unknown" or release is None:
        return releases == "unknown" and release is None
    op, number = re.match(r"(<=|>=|<|>) ?(\S+)", releases).groups()  # type: ignore[union-attr]
    bound = tuple(int(part) for part in number.split("."))
    return {"<": release < bound, "<=": release <= bound, ">": release > bound, ">=": release >= bound}[op]


def _each_default(check: EachDefaultCheck, subject: _Subject) -> list[HConfigChild | str] | None:
    """Blocks without `child`, when the platform default for this release is a violation.

    The evidence names the default and where it comes from, so an engineer can see why a block
    with nothing wrong in it is a finding (`line vty 0 4` on IOS 15.2 accepts telnet unless told).
    """
    note = _default_note(check.defaults, check.release, subject, f"no '{_describe_path(check.child)}' above")
    if note is None:
        return None
    offending: list[HConfigChild | str] = [p for p in _find(subject.tree, check.parent) if not _exists(p, check.child)]
    return offending + [note] if offending else None


def _absent_default(check: AbsentDefaultCheck, subject: _Subject) -> list[HConfigChild | str] | None:
    """No line matches `path`: a finding when the platform default for this release is a violation."""
    if _exists(subject.tree, check.path):
        return None
    where = check.missing or " / ".join(_describe_path([m]) for m in check.path)
    note = _default_note(check.defaults, check.release, subject, f"no '{where}' in the configuration")
    return [note] if note is not None else None


def _default_note(defaults: list[PlatformDefault], release_re: str, subject: _Subject, missing: str) -> str | None:
    """The note explaining a violating default (what is missing, the default, the release, the source), or None."""
    release = _release(subject.text, release_re)
    default = next((d for d in defaults if d.platform == subject.platform and _applies(d.releases, release)), None)
    if default is None or not default.violates:
        return None
    shown = ".".join(map(str, release)) if release else "not in the configuration"
    return f"! {missing}: the default is '{default.setting}' (release {shown}; {default.source})"


def _describe_path(path: list[LineMatch]) -> str:
    """A readable name for the line a path looks for (`transport input`)."""
    last = path[-1]
    return str(last.equals or last.startswith or last.contains or last.re_search).strip()


def _evidence(nodes: Iterable[HConfigChild | str]) -> list[str]:
    """Each node with its ancestors as config lines (one space of indent per level).

    An ancestor shared by several offending nodes (the `line vty 0 4` above two bad lines) is
    shown once; identical lines under different parents are all kept.
    """
    shown: set[int] = set()
    lines: list[str] = []
    for node in nodes:
        if isinstance(node, str):  # a note about the blocks above it
            lines.append(node)
            continue
        for depth, item in enumerate(node.lineage()):
            if id(item) not in shown:
                shown.add(id(item))
                lines.append(" " * depth + item.text)
    return lines
