"""Loading audit rules: the shipped `audit_rules.yaml` or a site's own file.

Every problem is reported as an `AuditRulesError` naming the rule (by index and id), the field
and what is wrong with it, never as a raw YAML or pydantic traceback: the person reading it is
editing a rules file, not debugging Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agents.tools.audit_schema import AuditRule, AuditRulesError

SHIPPED_RULES = Path(__file__).with_name("audit_rules.yaml")


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

