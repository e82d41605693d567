"""The audit's compiled, indexed line matching finds what hier_config's own lookup finds (issue 27).

`agents.tools.audit_match` replaces `HConfig.get_children_deep` in the audit for speed; these tests
hold it to the same answers on every shipped rule's match paths over the real-world configurations
(and the lab's), node for node and in order, and pin the literal-prefix reading the index relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hier_config import HConfig, HConfigChild
from pydantic import BaseModel

from agents.tools.audit import load_rules
from agents.tools.audit_match import Finder, literal_prefixes
from agents.tools.audit_schema import LineMatch
from agents.tools.config_tree import HCONFIG_PLATFORMS, read_config
from agents.tools.redact import redact
from tests.harness.paths import DATA

CONFIGS = DATA / "realworld" / "configs"


def _paths(value: object) -> Iterator[list[LineMatch]]:
    """Every match path inside a rule's check (when, unless, path, parent, child, nested checks)."""
    if isinstance(value, list) and value and all(isinstance(v, LineMatch) for v in value):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item)
    elif isinstance(value, BaseModel) and not isinstance(value, LineMatch):
        for name in type(value).model_fields:
            yield from _paths(getattr(value, name))


def _hier(node: HConfig | HConfigChild, path: list[LineMatch]) -> list[HConfigChild]:
    return list(node.get_children_deep(tuple(m.to_match_rule() for m in path)))


def _configs() -> list[tuple[str, Path]]:
    return [(d.name, f) for d in sorted(CONFIGS.iterdir()) if d.is_dir() and d.name in HCONFIG_PLATFORMS
            for f in sorted(d.glob("*.cfg"))]


@pytest.mark.parametrize(("platform", "path"), _configs(), ids=lambda v: getattr(v, "name", v))
def test_every_rule_path_finds_what_hier_config_finds(platform: str, path: Path) -> None:
    tree = read_config(platform, redact(path.read_text(errors="replace"), mark_well_known=True)).tree
    rules = [r for r in load_rules() if platform in r.platforms]
    finder = Finder()
    blocks = [tree, *(c for c in tree.children if c.children)]
    compared = 0
    for rule in rules:
        for match_path in _paths(rule.check):
            for start in blocks:
                expected = _hier(start, match_path)
                assert [id(n) for n in finder.find(start, match_path)] == [id(n) for n in expected], (rule.id, start)
                assert finder.exists(start, match_path) is bool(expected)
                compared += 1
    assert compared > len(rules)


def test_a_prefix_without_a_space_matches_longer_first_words_in_config_order() -> None:
    """`^ntp` matches `ntpd ...` as well as `ntp server`; the index must keep both, in order."""
    text = "\n".join([f"hostname r{i}" if i == 0 else f"interface Loopback{i}" for i in range(14)]
                     + ["ntpd enable", "logging host 192.0.2.9", "ntp server 192.0.2.1", "no ntp master"])
    tree = read_config("ios", text).tree
    finder = Finder()
    for match in (LineMatch(re_search="^ntp"), LineMatch(startswith="ntp "), LineMatch(equals=["ntpd enable", "ntp server 192.0.2.1"]),
                  LineMatch(re_search="ntp"), LineMatch(startswith="interface", endswith="3")):
        assert [n.text for n in finder.find(tree, [match])] == [n.text for n in _hier(tree, [match])]
    assert [n.text for n in finder.find(tree, [LineMatch(re_search="^ntp")])] == ["ntpd enable", "ntp server 192.0.2.1"]


@pytest.mark.parametrize(("pattern", "prefixes"), [
    ("^ip ssh version", ("ip ssh version",)),
    ("^snmp-server community \\S+", ("snmp-server community ",)),
    ("^ab?c", ("a",)),
    ("^(?i)enable", None),
    ("^ntp|^sntp", None),
    ("^line (vty|con) ", ("line ",)),
    ("^username \\S+ (.* )?(password|nopassword)( |$)", ("username ",)),
    ("^a(b|c)|d", None),
    ("^x[|]y", ("x",)),
    ("^x[]|]y", ("x",)),
    ("^x\\|y", ("x",)),
    ("\\bpassword\\b", None),
    ("^\\s*password", None),
])
def test_a_regex_gives_a_prefix_only_when_every_match_must_start_with_it(pattern: str, prefixes: tuple[str, ...] | None) -> None:
    assert literal_prefixes(None, None, pattern) == prefixes



def test_the_intakes_redacted_text_audits_like_the_raw_config() -> None:
    """The tools hand the audit the intake's redacted text with `redacted=True` (no second pass):
    the findings, evidence included, are those of auditing the raw configuration."""
    from agents.tools.audit import audit_config
    from agents.tools.config_intake import take_config

    for sample in ("insecure-ios.cfg", "insecure-eos.cfg"):
        raw = (DATA / "audit_configs" / sample).read_text()
        os_name = sample.split("-")[1].removesuffix(".cfg")
        intake = take_config({"running": raw, "startup": raw})
        fast = audit_config("r1", os_name, intake.audit_running, load_rules(), redacted=True)
        full = audit_config("r1", os_name, raw, load_rules())
        assert fast.findings and fast.model_dump() == full.model_dump()
