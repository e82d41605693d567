"""Concept and how-to questions answered offline from the knowledge base (issue 15)."""

from __future__ import annotations

import json

import pytest

from agents.specialists.howto import answer_howto, load_notes
from agents.tools.runbooks import search_runbooks
from bot.cli import cli


def ask(runner, question: str) -> dict:
    result = runner.invoke(cli, ["ask", question, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def docs(answer: dict) -> str:
    """Documentation's line of the answer's summary."""
    return next(line for line in answer["summary"].splitlines() if line.startswith("[documentation] "))


def test_every_note_has_a_title_scope_and_short_answer():
    notes = load_notes()
    assert len(notes) >= 20
    for note in notes:
        assert note.title != note.slug and note.applies_to, note.slug
        assert "In short" in note.sections and 150 <= len(note.sections["In short"]) <= 900, note.slug
        assert "/work/" not in note.text


@pytest.mark.parametrize(("question", "slug"), [
    ("what does ospf exstart mean?", "ospf"),
    ("how does bgp pick the best path?", "bgp"),
    ("what is bpdu guard?", "spanning-tree"),
    ("what's the difference between an access port and a trunk?", "vlans-and-trunks"),
    ("how does lacp work?", "link-aggregation"),
    ("what is jitter?", "latency-jitter-voice"),
    ("shaping vs policing?", "qos"),
    ("how do i use /noc-audit?", "noc-bot"),
    ("what are crc errors?", "interface-errors"),
    ("what is the cis benchmark?", "compliance-frameworks"),
])
def test_concept_questions_find_their_note(question, slug):
    howto = answer_howto(question)
    assert howto.note is not None and howto.note.slug == slug and howto.strong, (question, howto.note)
    assert howto.answer and not howto.claude_would_help


def test_unrelated_question_gets_no_note_and_points_at_claude():
    howto = answer_howto("what is the capital of france?")
    assert howto.answer is None and howto.claude_would_help and "Claude" in (howto.hint or "")


def test_offline_answer_cites_the_note_and_the_runbooks(runner):
    answer = ask(runner, "what does ospf exstart mean?")
    assert answer["specialists"] == ["documentation"] and answer["usage"]["llm_calls"] == 0
    summary = docs(answer)
    assert "MTU" in summary and "knowledge/ospf.md" in summary and "runbooks/ospf-exstart-mtu-mismatch.md" in summary
    texts = [f["text"] for f in answer["findings"]]
    assert any(t.startswith("Knowledge base: OSPF") for t in texts) and any("In our network" in t for t in texts)
    assert any("show ip ospf neighbor" in c for r in answer["recommendations"] for c in r["commands"])


def test_procedure_questions_still_lead_with_the_runbook(runner):
    answer = ask(runner, "where is the procedure for rolling back a bad change?")
    assert docs(answer).startswith("[documentation] Relevant runbook: Configuration change and rollback")


def test_no_match_says_claude_would_answer_better(runner):
    answer = ask(runner, "what is the history of the token ring standard committee?")
    if answer["primary"] == "documentation":
        assert "Claude" in docs(answer)
    else:  # routed elsewhere: the how-to path is not involved
        pytest.skip(f"routed to {answer['primary']}")


def test_notes_do_not_disturb_the_runbook_search():
    assert [h.slug for h in search_runbooks("ospf stuck exstart mtu")][0] == "ospf-exstart-mtu-mismatch"
