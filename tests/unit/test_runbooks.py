"""Runbook search: the shipped runbooks load, and NOC questions land on the right one.

The expectations are the questions engineers actually type; if a runbook is edited and one of
these moves, the search (or the runbook's wording) needs a look before it ships.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.tools.runbooks import Runbook, load_runbooks, search_runbooks, tokenize

EXPECTED = [
    ("bgp peer down remote-as mismatch branch", "bgp-session-down"),
    ("ospf stuck exstart mtu", "ospf-exstart-mtu-mismatch"),
    ("branch office slow, wan at line rate, output drops, no qos", "wan-congestion-qos"),
    ("crc input errors climbing on uplink", "interface-crc-errors"),
    ("cpu 97% on edge router", "high-cpu"),
    ("telnet enabled snmp community public type 7 passwords", "mgmt-plane-hardening"),
    ("device not responding to ssh or ping", "device-unreachable"),
    ("how do I roll back a change", "config-change-rollback"),
    ("write an incident report", "incident-report-and-severity"),
]


def test_load_runbooks_finds_the_shipped_files() -> None:
    books = load_runbooks()
    assert len(books) >= 10
    for book in books:
        assert book.title and book.title != book.slug
        assert book.applies_to
        assert book.path == f"runbooks/{book.slug}.md"
        assert "Symptoms" in book.sections and "Resolution" in book.sections
    assert load_runbooks() == books  # cached, and a fresh list each time
    assert load_runbooks() is not books


def test_load_runbooks_from_another_directory(tmp_path: Path) -> None:
    (tmp_path / "fan-failure.md").write_text(
        "# Fan failure\n\nApplies to: all chassis\n\n## Symptoms\n- FAN tray alarm\n\n## Resolution\nReplace it.\n",
        encoding="utf-8",
    )
    [book] = load_runbooks(tmp_path)
    assert (book.slug, book.title, book.applies_to) == ("fan-failure", "Fan failure", "all chassis")
    assert book.sections["Symptoms"] == "- FAN tray alarm"
    assert book.path.endswith("/fan-failure.md")
    [hit] = search_runbooks("fan alarm", runbooks=[book], min_score=0.0)
    assert hit.slug == "fan-failure" and "FAN tray alarm" in hit.excerpt


def test_tokenizer_keeps_noc_tokens() -> None:
    assert tokenize("WAN-EDGE-QOS") == ["wan", "edge", "qos"]
    assert tokenize("stuck in EXSTART, mtu 9198, AS 65001") == ["stuck", "exstart", "mtu", "9198", "65001"]
    assert tokenize("CRC errors on the interfaces") == ["crc", "error", "interface"]
    assert tokenize("the bgp peer is down") == ["bgp", "peer", "down"]


@pytest.mark.parametrize(("query", "slug"), EXPECTED)
def test_search_ranks_the_right_runbook_first(query: str, slug: str) -> None:
    hits = search_runbooks(query)
    assert hits, query
    assert hits[0].slug == slug, [(h.slug, h.score) for h in hits]
    assert len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("query", ["what's the weather", "tell me a joke", "", "the and of"])
def test_unrelated_query_returns_nothing(query: str) -> None:
    assert search_runbooks(query) == []


def test_hits_carry_path_title_and_excerpt() -> None:
    for query, slug in EXPECTED:
        hit = search_runbooks(query, limit=1)[0]
        assert hit.path == f"runbooks/{slug}.md"
        assert hit.title
        assert hit.excerpt and "\n" not in hit.excerpt and len(hit.excerpt) <= 300
        assert hit.score > 0


def test_excerpt_defaults_to_symptoms() -> None:
    hit = search_runbooks("bgp peer down remote-as mismatch branch", limit=1)[0]
    assert "ADJCHANGE" in hit.excerpt  # first Symptoms line of bgp-session-down.md


def test_synonyms_expand_the_query() -> None:
    # "neighbour" and "adjacency" reach the runbooks that say "neighbor"; "isp" reaches "internet".
    assert search_runbooks("ospf neighbour adjacency")[0].slug == "ospf-exstart-mtu-mismatch"
    assert search_runbooks("isp down")[0].slug == "isp-outage-failover"


def test_limit_and_min_score() -> None:
    assert len(search_runbooks("bgp ospf mtu qos crc cpu", limit=5)) == 5
    assert search_runbooks("bgp peer down", limit=0) == []
    assert search_runbooks("bgp peer down", min_score=1000.0) == []


def test_search_is_deterministic() -> None:
    books: list[Runbook] = load_runbooks()
    first = search_runbooks("router down", runbooks=books, min_score=0.0, limit=11)
    again = search_runbooks("router down", runbooks=list(reversed(books)), min_score=0.0, limit=11)
    assert [(h.slug, h.score) for h in first] == [(h.slug, h.score) for h in again]
