"""Loading audit rules: the shipped rule files (one per platform family) or a site's own file.

The shipped rules are `audit_rules.yaml` (IOS/IOS-XE and EOS) and `audit_rules_<platform>.yaml`
for NX-OS, IOS-XR and Junos. A file is a list of rules, or a mapping with `rules` and optionally
`not_applicable` (the common controls a platform has no rule for, each with why).

Every problem is reported as an `AuditRulesError` naming the rule (by index and id), the field
and what is wrong with it, never as a raw YAML or pydantic traceback: the person reading it is
editing a rules file, not debugging Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agents.safe_yaml import YamlInputError, load_yaml, read_text_file
from agents.tools.audit_schema import AuditRule, AuditRulesError, NotApplicable

SHIPPED_RULES = Path(__file__).with_name("audit_rules.yaml")
SHIPPED_RULE_FILES = (SHIPPED_RULES, *(Path(__file__).with_name(f"audit_rules_{p}.yaml") for p in ("nxos", "iosxr", "junos")))


def load_rules(path: Path | None = None) -> list[AuditRule]:
    """Rules from `path`, or every shipped rule file when `path` is None.

    Raises `AuditRulesError` (never a raw YAML/pydantic traceback) naming each bad rule by
    index and id, the field, and what is wrong with it.
    """
    if path is None:
        return list(_shipped_rules())
    return list(_load_rules_file(Path(path)))


def load_not_applicable(path: Path | None = None) -> list[NotApplicable]:
    """The `not_applicable` entries of `path`, or of every shipped rule file when `path` is None."""
    paths = SHIPPED_RULE_FILES if path is None else (Path(path),)
    return [entry for p in paths for entry in _parse_not_applicable(str(p), _read_yaml(p))]


@lru_cache(maxsize=1)
def _shipped_rules() -> tuple[AuditRule, ...]:
    """Parsed once per process: the shipped files do not change while the bot runs; ids are unique across them."""
    rules = tuple(rule for path in SHIPPED_RULE_FILES for rule in _load_rules_file(path))
    problems = _duplicate_ids(rules)
    if problems:
        raise AuditRulesError("the shipped rule files", problems)
    return rules


def _load_rules_file(path: Path) -> tuple[AuditRule, ...]:
    return _parse_rules(str(path), _read_yaml(path))


def _read_yaml(path: Path) -> Any:
    source = str(path)
    try:
        # strict: a rule id or key given twice, a FIFO or a file nested beyond reason is refused
        # the shipped files on libyaml's parser (same checks, about 8x faster: every toolbox loads them)
        raw = load_yaml(read_text_file(path), source, fast=path in SHIPPED_RULE_FILES)
    except OSError as exc:
        raise AuditRulesError(source, [f"cannot read file: {exc.strerror or exc}"]) from None
    except YamlInputError as exc:
        raise AuditRulesError(source, [str(exc).removeprefix(f"{source}").lstrip(": ")]) from None
    return raw



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


def _parse_not_applicable(source: str, raw: Any) -> list[NotApplicable]:
    items = raw.get("not_applicable", []) if isinstance(raw, dict) else []
    try:
        return [NotApplicable.model_validate(item) for item in items]
    except ValidationError as exc:
        raise AuditRulesError(source, [f"not_applicable: {_describe(err)}" for err in exc.errors()]) from None


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

