"""Audit rules as data: the YAML schema of a rule and its check, validated on load.

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
- `absent_default`: when no line matches `path`, the platform's default for the release decides
  (`defaults`, as for `each_default`); the evidence is a note naming the default and its source
  (NX-OS without `exec-timeout` under `line vty` never times a session out).
- `any_of`: several checks for one control; the rule fails if any fails, with all their evidence.

Every kind also accepts `when` (evaluate only if that path exists) and `unless` (skip if that
path exists), for checks that only make sense in some configs.

The models are YAML-facing: unknown keys are errors, so a typo does not silently disable a check,
and every regular expression is compiled when the file is loaded, not in the middle of an audit.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from hier_config import MatchRule
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.severity import Severity

PlatformName = Literal["ios", "eos", "nxos", "iosxr", "junos"]
# The management-plane controls every platform's rule set covers, or says in `not_applicable` why not.
ControlName = Literal[
    "telnet", "snmp-community-default", "snmp-community-rw", "snmpv3-priv", "aaa-login", "login-method-none",
    "http-server", "ntp-auth", "ssh-version", "exec-timeout", "logging-remote", "routing-auth", "copp",
]
TagName = Literal["cis", "pci", "soc2"]
KEY_PLACEHOLDER = "{key}"
MAX_SCORE = 100
# The one direction of the audit's risk score, named wherever the score is shown: 0 is a device
# with no findings, 100 the worst (the reference design's security score runs the other way, so
# an unlabelled "85/100" reads as good to someone used to it).
RISK_DIRECTION = "higher is worse"
# The same, for machine-readable output (`noc audit --json`).
RISK_SCALE = {"min": 0, "max": MAX_SCORE, "higher_is_worse": True, "direction": RISK_DIRECTION}


def risk_text(score: int) -> str:
    """The score as every view shows it: "risk 85/100, higher is worse"."""
    return f"risk {score}/{MAX_SCORE}, {RISK_DIRECTION}"


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
        if KEY_PLACEHOLDER not in self.link:
            raise ValueError(f"link must contain the placeholder {KEY_PLACEHOLDER}")
        if _groups(self.link.replace(KEY_PLACEHOLDER, "x")) != 1:
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
        if KEY_PLACEHOLDER not in value:
            raise ValueError(f"must contain the placeholder {KEY_PLACEHOLDER}")
        try:
            re.compile(value.replace(KEY_PLACEHOLDER, "x"))
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


class _ReleaseDefaults(_CheckBase):
    """A check whose verdict is the platform default for the device's release (read by `release`)."""

    release: str = r"^version (\d+(?:\.\d+)?)"
    defaults: list[PlatformDefault] = Field(min_length=1)

    @field_validator("release")
    @classmethod
    def _release_has_one_group(cls, value: str) -> str:
        if _groups(value) != 1:
            raise ValueError("must have exactly one capture group (the release number)")
        return value


class EachDefaultCheck(_ReleaseDefaults):
    """Every `parent` block lacking `child` gets the platform default, which may be a violation."""

    kind: Literal["each_default"]
    parent: MatchPath
    child: MatchPath


class AbsentDefaultCheck(_ReleaseDefaults):
    """No line matches `path`: the platform default for the release applies, and may be a violation."""

    kind: Literal["absent_default"]
    path: MatchPath
    missing: str | None = None  # how the evidence names the absent line (default: from `path`)


SingleCheck = Annotated[
    ForbidCheck | RequireCheck | EachRequireCheck | EachForbidCheck | EachRequireSiblingCheck | EachDefaultCheck
    | AbsentDefaultCheck,
    Field(discriminator="kind"),
]


class AnyOfCheck(_CheckBase):
    """Several ways to fail one control (e.g. telnet configured, or telnet by default): one finding."""

    kind: Literal["any_of"]
    checks: list[SingleCheck] = Field(min_length=2)


Check = Annotated[
    ForbidCheck | RequireCheck | EachRequireCheck | EachForbidCheck | EachRequireSiblingCheck | EachDefaultCheck
    | AbsentDefaultCheck | AnyOfCheck,
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
    control: ControlName | None = None  # which common management-plane control this rule implements
    # What the device does when the configuration has no line for this control (the platform
    # default), where the check itself does not say it with `absent_default`/`each_default`.
    absent_means: str | None = None
    check: Check
    remediation: list[str] = Field(min_length=1)
    rationale: str = Field(min_length=1)


class NotApplicable(_YamlModel):
    """A common control a platform has no rule for, and why (written down, so the gap is a decision)."""

    control: ControlName
    platforms: list[PlatformName] = Field(min_length=1)
    why: str = Field(min_length=1)


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
    """All findings for one device, worst first, with a 0-100 risk score (see agents.tools.audit)."""

    device: str
    os: str
    findings: list[AuditFinding]
    risk_score: int = Field(ge=0, le=MAX_SCORE)
    counts: dict[str, int]
    rules_evaluated: int
    # Lines the configuration reader could not place (see agents.tools.config_tree), redacted:
    # they were not audited, and the engineer should know which.
    unplaced: list[str] = Field(default_factory=list)
