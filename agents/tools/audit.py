"""Configuration audit: security rules as YAML data, evaluated on a hier_config tree.

Why rules are data: the NOC tunes the baseline (severity, tags, remediation wording) without a
code change, and a site can ship its own rules file (`AuditConfig.rules_file`). Why hier_config:
IOS/EOS configs are indented trees, and most checks are "in every block X, line Y must (not)
exist", which is a path of match rules over that tree.

A check is one of seven kinds (`kind:` in YAML). A *path* is a list of hier_config match-rule
dicts (`equals`, `startswith`, `endswith`, `contains`, `re_search`), one per indentation level:

- `forbid`: every line matching `path` is a violation; one finding lists them all.
- `require`: `path` must match at least once; otherwise one finding.
- `each_require`: every block matching `parent` (optionally only those that contain
  `parent_has`) must contain `child`; evidence is the blocks lacking it.
- `each_forbid`: no block matching `parent` (optionally filtered by `parent_has`) may contain
  `child`; evidence is each block line followed by its offending lines.
- `each_require_sibling`: for every line matching `path`, the regex `key` (one capture group)
  extracts a name, and a sibling line matching `sibling` (with `{key}` replaced by that name)
  must exist; e.g. every `neighbor X remote-as` needs a `neighbor X password`. With `any_depth`
  the last path level is matched anywhere below the block the rest names (VRFs, address
  families) and the sibling may sit in any enclosing block; `inherit` lists the lines through
  which a name inherits the sibling (peer groups, session templates; see audit_inherit.py).
- `each_default`: every block matching `parent` without `child` gets the platform's default for
  the release the config names (`defaults`, written down per rule with its source); the block is a
  violation when that default is (a VTY line without `transport input` on IOS 15 accepts telnet).
- `any_of`: several checks for one control; the rule fails if any fails, with all their evidence.

Every kind also accepts `when` (evaluate only if that path exists) and `unless` (skip if that
path exists), for checks that only make sense in some configs.

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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from hier_config import HConfig, HConfigChild, MatchRule, Platform, get_hconfig
from hier_config.exceptions import DuplicateChildError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from agents.network.parsers import drop_duplicate_lines
from agents.severity import Severity
from agents.tools.audit_inherit import Link, satisfied
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

SHIPPED_RULES = Path(__file__).with_name("audit_rules.yaml")

RISK_WEIGHTS: dict[Severity, int] = {
    Severity.critical: 25,
    Severity.high: 15,
    Severity.medium: 7,
    Severity.low: 3,
    Severity.info: 0,
}
_MAX_SCORE = 100

PlatformName = Literal["ios", "eos"]
TagName = Literal["cis", "pci", "soc2"]

_PLATFORMS: dict[str, Platform] = {"ios": Platform.CISCO_IOS, "eos": Platform.ARISTA_EOS}
_TAG_ALIASES: dict[str, str] = {"cis": "cis", "pci": "pci", "pcidss": "pci", "soc2": "soc2"}
_KEY_PLACEHOLDER = "{key}"


class AuditError(Exception):
    """An audit could not run (unsupported platform, unparsable config, unknown tag)."""


class AuditRulesError(AuditError):
    """A rules file is missing, not YAML, or does not validate; `problems` lists each issue."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid audit rules in {source}: " + "; ".join(problems))


# -- rule models (YAML-facing: unknown keys are errors, so typos do not silently disable a check)


class _YamlModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineMatch(_YamlModel):
    """One level of a path: hier_config match criteria, all of which must hold."""

    equals: str | list[str] | None = None
    startswith: str | list[str] | None = None
    endswith: str | list[str] | None = None
    contains: str | list[str] | None = None
    re_search: str | None = None

    @field_validator("re_search")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        """Fail at load time, not in the middle of an audit."""
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_criterion(self) -> LineMatch:
        """An empty match would match every line, which is never what a rule author meant."""
        if all(getattr(self, f) is None for f in ("equals", "startswith", "endswith", "contains", "re_search")):
            raise ValueError("a match needs at least one of equals, startswith, endswith, contains, re_search")
        return self

    def to_match_rule(self) -> MatchRule:
        """The hier_config form (tuples/frozensets instead of YAML lists)."""
        return MatchRule(
            equals=frozenset(self.equals) if isinstance(self.equals, list) else self.equals,
            startswith=tuple(self.startswith) if isinstance(self.startswith, list) else self.startswith,
            endswith=tuple(self.endswith) if isinstance(self.endswith, list) else self.endswith,
            contains=tuple(self.contains) if isinstance(self.contains, list) else self.contains,
            re_search=self.re_search,
        )


MatchPath = Annotated[list[LineMatch], Field(min_length=1)]


class _CheckBase(_YamlModel):
    when: MatchPath | None = None
    unless: MatchPath | None = None


class ForbidCheck(_CheckBase):
    kind: Literal["forbid"]
    path: MatchPath


class RequireCheck(_CheckBase):
    kind: Literal["require"]
    path: MatchPath


class EachRequireCheck(_CheckBase):
    kind: Literal["each_require"]
    parent: MatchPath
    parent_has: MatchPath | None = None
    child: MatchPath


class EachForbidCheck(_CheckBase):
    kind: Literal["each_forbid"]
    parent: MatchPath
    parent_has: MatchPath | None = None
    child: MatchPath


class InheritLink(_YamlModel):
    """Where a name inherits settings from (see audit_inherit.py): a peer group or a template block."""

    link: str
    block: str | None = None
    provides: str | None = None
    next: str | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> InheritLink:
        """Placeholders and capture groups as audit_inherit expects them, checked at load time."""
        if _KEY_PLACEHOLDER not in self.link:
            raise ValueError(f"link must contain the placeholder {_KEY_PLACEHOLDER}")
        if _groups(self.link.replace(_KEY_PLACEHOLDER, "x")) != 1:
            raise ValueError("link must have exactly one capture group (the name inherited from)")
        if self.block is not None:
            if "{name}" not in self.block or self.provides is None:
                raise ValueError("block needs the placeholder {name} and a 'provides' regex")
            _groups(self.block.replace("{name}", "x"))
            _groups(self.provides)
            if self.next is not None and _groups(self.next) != 1:
                raise ValueError("next must have exactly one capture group")
        elif self.provides is not None or self.next is not None:
            raise ValueError("provides and next only apply to a block link")
        return self


class EachRequireSiblingCheck(_CheckBase):
    kind: Literal["each_require_sibling"]
    path: MatchPath
    key: str
    sibling: str
    # Match the last path level at any depth below the block the rest of the path names (VRFs,
    # address families), and accept the sibling in any enclosing block up to that one.
    any_depth: bool = False
    inherit: list[InheritLink] = Field(default_factory=list)

    @field_validator("key")
    @classmethod
    def _key_has_one_group(cls, value: str) -> str:
        """The key regex must capture exactly the name that links the two lines."""
        try:
            groups = re.compile(value).groups
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        if groups != 1:
            raise ValueError(f"must have exactly one capture group, found {groups}")
        return value

    @field_validator("sibling")
    @classmethod
    def _sibling_is_template(cls, value: str) -> str:
        """Without `{key}` the sibling would not depend on the line being checked."""
        if _KEY_PLACEHOLDER not in value:
            raise ValueError(f"must contain the placeholder {_KEY_PLACEHOLDER}")
        try:
            re.compile(value.replace(_KEY_PLACEHOLDER, "x"))
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value


class PlatformDefault(_YamlModel):
    """What a device does when its configuration says nothing, for one platform and release range.

    `releases` is `unknown` (the config names no release), `any`, or a bound such as `< 16.0` or
    `>= 16.0` compared with the release the rule's `release` regex reads from the config.
    """

    platform: PlatformName
    releases: str = Field(pattern=r"^(unknown|any|(<|<=|>=|>) ?\d+(\.\d+)?)$")
    setting: str = Field(min_length=1)
    violates: bool
    source: str = Field(min_length=1)


class EachDefaultCheck(_CheckBase):
    """Every `parent` block lacking `child` gets the platform default, which may be a violation."""

    kind: Literal["each_default"]
    parent: MatchPath
    child: MatchPath
    release: str = r"^version (\d+(?:\.\d+)?)"
    defaults: list[PlatformDefault] = Field(min_length=1)

    @field_validator("release")
    @classmethod
    def _release_has_one_group(cls, value: str) -> str:
        if _groups(value) != 1:
            raise ValueError("must have exactly one capture group (the release number)")
        return value


SingleCheck = Annotated[
    ForbidCheck | RequireCheck | EachRequireCheck | EachForbidCheck | EachRequireSiblingCheck | EachDefaultCheck,
    Field(discriminator="kind"),
]


class AnyOfCheck(_CheckBase):
    """Several ways to fail one control (e.g. telnet configured, or telnet by default): one finding."""

    kind: Literal["any_of"]
    checks: list[SingleCheck] = Field(min_length=2)


Check = Annotated[
    ForbidCheck | RequireCheck | EachRequireCheck | EachForbidCheck | EachRequireSiblingCheck | EachDefaultCheck | AnyOfCheck,
    Field(discriminator="kind"),
]


def _groups(pattern: str) -> int:
    """Capture groups of a regex; an invalid one is a load-time error naming it."""
    try:
        return re.compile(pattern).groups
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc


class AuditRule(_YamlModel):
    """One security control: what to look for, how bad it is, and how to fix it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    title: str = Field(min_length=1)
    severity: Severity
    reference: str = Field(min_length=1)
    tags: list[TagName] = Field(min_length=1)
    platforms: list[PlatformName] = Field(min_length=1)
    check: Check
    remediation: list[str] = Field(min_length=1)
    rationale: str = Field(min_length=1)


class AuditFinding(BaseModel):
    """A failed rule on one device; `evidence` lines are already redacted."""

    rule_id: str
    title: str
    severity: Severity
    reference: str
    tags: list[str]
    evidence: list[str]
    remediation: list[str]


class AuditReport(BaseModel):
    """All findings for one device, worst first, with a 0-100 risk score (see module doc)."""

    device: str
    os: str
    findings: list[AuditFinding]
    risk_score: int = Field(ge=0, le=_MAX_SCORE)
    counts: dict[str, int]
    rules_evaluated: int


# -- loading ----------------------------------------------------------------------------------


def load_rules(path: Path | None = None) -> list[AuditRule]:
    """Rules from `path`, or the shipped `audit_rules.yaml` when `path` is None.

    Raises `AuditRulesError` (never a raw YAML/pydantic traceback) naming each bad rule by
    index and id, the field, and what is wrong with it.
    """
    if path is None:
        return list(_shipped_rules())
    return list(_load_rules_file(Path(path)))


@lru_cache(maxsize=1)
def _shipped_rules() -> tuple[AuditRule, ...]:
    """Parsed once per process: the shipped file does not change while the bot runs."""
    return _load_rules_file(SHIPPED_RULES)


def _load_rules_file(path: Path) -> tuple[AuditRule, ...]:
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuditRulesError(source, [f"cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise AuditRulesError(source, [f"not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None
    except yaml.YAMLError as exc:
        raise AuditRulesError(source, [f"not valid YAML: {_yaml_problem(exc)}"]) from None
    return _parse_rules(source, raw)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line with the position, instead of PyYAML's multi-line report."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _parse_rules(source: str, raw: Any) -> tuple[AuditRule, ...]:
    """Validate each rule on its own so every error names the rule it belongs to."""
    items = raw.get("rules") if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise AuditRulesError(source, ["expected a non-empty list of rules (or a mapping with a 'rules' list)"])
    rules: list[AuditRule] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        label = _rule_label(index, item)
        if not isinstance(item, dict):
            problems.append(f"{label}: expected a mapping, got {type(item).__name__}")
            continue
        try:
            rules.append(AuditRule.model_validate(item))
        except ValidationError as exc:
            problems.extend(f"{label}: {_describe(err)}" for err in exc.errors())
    problems.extend(_duplicate_ids(rules))
    if problems:
        raise AuditRulesError(source, problems)
    return tuple(rules)


def _rule_label(index: int, item: Any) -> str:
    rule_id = item.get("id") if isinstance(item, dict) else None
    return f"rules[{index}] (id {rule_id!r})" if rule_id else f"rules[{index}]"


def _describe(err: ErrorDetails) -> str:
    """`field 'check.path.0.re_search': <message>` from one pydantic error."""
    loc = ".".join(str(part) for part in err["loc"]) or "(rule)"
    message = err["msg"].removeprefix("Value error, ")
    return f"field '{loc}': {message}"


def _duplicate_ids(rules: Iterable[AuditRule]) -> list[str]:
    seen: set[str] = set()
    problems: list[str] = []
    for rule in rules:
        if rule.id in seen:
            problems.append(f"rule id {rule.id!r}: field 'id': duplicate id")
        seen.add(rule.id)
    return problems


# -- evaluation -------------------------------------------------------------------------------


def audit_config(
    device: str,
    os: str,
    config: str,
    rules: list[AuditRule],
    tags: set[str] | None = None,
) -> AuditReport:
    """Audit one device's running config against the rules for its platform.

    Only rules listing `os` in `platforms` are evaluated and, when `tags` is non-empty, only
    rules sharing at least one tag. Raises `AuditError` for an unsupported `os`, an unknown
    tag, or a config hier_config cannot parse.
    """
    platform = _platform(os)
    wanted = _normalise_tags(tags)
    selected = [r for r in rules if platform in r.platforms and (not wanted or wanted & set(r.tags))]
    text = _redacted(config)
    tree = _parse_config(platform, text)
    subject = _Subject(tree, platform, text)
    findings = [f for rule in selected if (f := _evaluate(rule, subject)) is not None]
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id))
    return AuditReport(
        device=device,
        os=platform,
        findings=findings,
        risk_score=risk_score(findings),
        counts=_counts(findings),
        rules_evaluated=len(selected),
    )


def risk_score(findings: Iterable[AuditFinding]) -> int:
    """Sum of per-severity weights (critical 25, high 15, medium 7, low 3, info 0), capped at 100."""
    return min(_MAX_SCORE, sum(RISK_WEIGHTS[f.severity] for f in findings))


def _counts(findings: list[AuditFinding]) -> dict[str, int]:
    """Every severity present as a key, worst first, so renderers need no defaults."""
    ordered = sorted(Severity, key=lambda s: -s.rank)
    return {s.value: sum(1 for f in findings if f.severity is s) for s in ordered}


def _platform(os: str) -> str:
    name = os.strip().lower()
    if name not in _PLATFORMS:
        raise AuditError(f"config audit supports {', '.join(sorted(_PLATFORMS))}, not {os!r}")
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


def _parse_config(platform: str, config: str) -> HConfig:
    """hier_config tree; tolerate duplicate lines (it refuses them) by dropping repeats."""
    text = config.replace("\r\n", "\n")
    try:
        return get_hconfig(_PLATFORMS[platform], text)
    except DuplicateChildError:
        pass
    try:
        return get_hconfig(_PLATFORMS[platform], drop_duplicate_lines(text))
    except (DuplicateChildError, ValueError) as exc:
        raise AuditError(f"cannot parse the {platform} configuration: {exc}") from None


def _rules(path: list[LineMatch]) -> tuple[MatchRule, ...]:
    return tuple(m.to_match_rule() for m in path)


def _find(node: HConfig | HConfigChild, path: list[LineMatch]) -> Iterator[HConfigChild]:
    return node.get_children_deep(_rules(path))


def _exists(node: HConfig | HConfigChild, path: list[LineMatch] | None) -> bool:
    return path is not None and next(_find(node, path), None) is not None


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
    return _violation(check, tree)


def _violation(check: Check, tree: HConfig) -> list[HConfigChild] | None:
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
    """Missing: evidence is the deepest existing prefix of the path (e.g. the block header)."""
    if _exists(tree, check.path):
        return None
    for depth in range(len(check.path) - 1, 0, -1):
        node = next(_find(tree, check.path[:depth]), None)
        if node is not None:
            return [node]
    return []


def _parents(check: EachRequireCheck | EachForbidCheck, tree: HConfig) -> Iterator[HConfigChild]:
    for parent in _find(tree, check.parent):
        if check.parent_has is None or _exists(parent, check.parent_has):
            yield parent


def _each_require_sibling(check: EachRequireSiblingCheck, tree: HConfig) -> list[HConfigChild] | None:
    if check.any_depth or check.inherit:
        return _each_require_inherited(check, tree)
    key_re = re.compile(check.key)
    offending: list[HConfigChild] = []
    for node in _find(tree, check.path):
        match = key_re.search(node.text)
        if match is None:
            continue
        sibling_re = re.compile(check.sibling.replace(_KEY_PLACEHOLDER, re.escape(match.group(1))))
        if not any(sibling_re.search(s.text) for s in node.parent.children if s is not node):
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
    last = check.path[-1].to_match_rule()
    offending: list[HConfigChild] = []
    for scope in scopes:
        seen: set[tuple[int, str]] = set()
        nodes = scope.all_children() if check.any_depth else scope.children
        for node in nodes:
            if not _is_match(node, last) or (match := key_re.search(node.text)) is None:
                continue
            key = match.group(1)
            if (id(node.parent), key) in seen:
                continue
            seen.add((id(node.parent), key))
            if not satisfied(node, key, scope, check.sibling, links):
                offending.append(node)
    return offending or None


def _is_match(node: HConfigChild, rule: MatchRule) -> bool:
    return node.is_match(equals=rule.equals, startswith=rule.startswith, endswith=rule.endswith,
                         contains=rule.contains, re_search=rule.re_search)


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
    release = _release(subject.text, check.release)
    default = next((d for d in check.defaults if d.platform == subject.platform and _applies(d.releases, release)), None)
    if default is None or not default.violates:
        return None
    shown = ".".join(map(str, release)) if release else "not in the configuration"
    note = f"! no '{_describe_path(check.child)}' above: the default is '{default.setting}' (release {shown}; {default.source})"
    offending: list[HConfigChild | str] = [p for p in _find(subject.tree, check.parent) if not _exists(p, check.child)]
    return offending + [note] if offending else None


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
