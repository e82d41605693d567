"""Issue 25: the answer eval suite (evals/), run as a user runs it (`noc eval`), and the answers it
holds to: the question's subject leads, a log question is answered from the events, an answer on
another network never cites the lab's devices or runbooks.

The fast tests run a handful of cases (the issue's own examples among them); the full suite, with
a floor on both halves, is marked slow and runs in CI's slow step (.ci/run).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from agents.evals.cases import EvalCase, Expect, Network, load_cases, load_fixture
from agents.evals.networks import Networks, lab_device_names
from agents.evals.runner import run_suite
from agents.evals.scoring import score
from agents.models import Answer, Finding, Request, Specialist
from agents.severity import Severity
from agents.supervisor import Supervisor
from agents.tools.network import Toolbox
from agents.tools.runbooks import LAB_DIR, load_runbooks, search_runbooks, site_runbooks
from bot.cli.main import cli
from tests.harness.paths import ROOT

EVALS = ROOT / "evals"
CORPUS = ROOT / "tests" / "data" / "realworld"
# The examples and one case per kind of network: fast enough for every run.
FAST = ("rw-bgp-down-two", "rw-log-ios08", "rw-psu-ex", "rw-log-ios02-change", "junos-bgp-isp-b", "cpu-bgp-question", "wan-slow")
# Floors a little under the scores measured on the offline engine (docs/benchmarks.md: 97% and
# 98% after issue 25's second pass): a change that makes answers worse fails CI. The holdout half
# was never used to tune the code, except the four root-cause misses that pass looked at (named there).
FLOOR = {"tuning": 0.95, "holdout": 0.95}


async def _ask(toolbox: Toolbox, request: Request) -> Answer:
    return await Supervisor(toolbox).run(request)


def _run(ids: tuple[str, ...] | None = None):
    cases = [c for c in load_cases(EVALS) if ids is None or c.id in ids]
    return asyncio.run(run_suite(cases, EVALS, CORPUS, _ask))


def test_the_suite_is_data_with_a_quarter_held_out() -> None:
    cases = load_cases(EVALS)
    assert len(cases) >= 100
    assert len({c.id for c in cases}) == len(cases)
    held = sum(c.holdout for c in cases)
    assert 0.24 <= held / len(cases) <= 0.3, held
    assert all(c.source.strip() for c in cases)
    networks = Counter("fixture" if c.network.fixture else "lab" for c in cases)
    assert networks["fixture"] >= 25 and networks["lab"] >= 60, networks
    fixture = load_fixture(EVALS, "multivendor-core")
    assert {d.os for d in fixture.devices.values()} == {"ios", "eos", "nxos", "iosxr", "junos"}
    assert not set(fixture.devices) & lab_device_names()  # a network the code was not built on


def test_fast_cases_pass_through_the_supervisor() -> None:
    report = _run(FAST)
    assert [s.id for s in report.cases] == sorted(FAST)
    failed = {s.id: s.misses for s in report.cases if not s.passed}
    assert not failed, failed


def test_bgp_question_leads_with_the_down_sessions_not_the_failed_psu() -> None:
    """The issue's example: ex-core1 also has a failed power supply; it is 'also found', not the root cause."""
    networks = Networks(EVALS, CORPUS)
    try:
        toolbox = networks.toolbox(Network(fixture="multivendor-core"))
        answer = asyncio.run(_ask(toolbox, Request.from_text("which BGP sessions are down on ncs-pe1 and ex-core1?", role="admin")))
        lead = answer.summary.splitlines()[0]
        assert lead.startswith("[diagnosis] Root cause: BGP session down")
        for peer in ("192.169.1.0", "1.2.3.4", "9.10.11.12"):
            assert peer in lead
        assert "power supply" not in lead.lower().split("also found")[0]
        psu = asyncio.run(_ask(toolbox, Request.from_text("any power supply problems on ex-core1?", role="admin")))
        assert "Root cause: ex-core1 power supply Power Supply 3 has failed" in psu.summary.splitlines()[0]
        assert "Also found: ex-core1 BGP session to 192.169.1.0" in psu.summary
        toolbox.gateway.close()
    finally:
        networks.close()


def test_log_question_is_answered_from_the_events() -> None:
    networks = Networks(EVALS, CORPUS)
    try:
        toolbox = networks.toolbox(Network(fixture="multivendor-core"))
        answer = asyncio.run(_ask(toolbox, Request.from_text("what happened recently in the logs of rtr-ios-08?", role="admin")))
        lead = answer.summary.splitlines()[0]
        assert "No fault found" not in answer.summary
        assert lead.startswith("[diagnosis] Log of rtr-ios-08: 4 event(s)")
        assert "Jun 19 03:02:31 LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet2/0/3, changed state to down" in lead
        assert any(r.commands == ["show logging"] and r.device == "rtr-ios-08" for r in answer.recommendations)
        who = asyncio.run(_ask(toolbox, Request.from_text("who changed the config on rtr-ios-02 and when?", role="admin")))
        assert "configuration changed by cisco from 172.16.5.22 at Jan 30 14:11:55" in who.summary.splitlines()[0]
        toolbox.gateway.close()
    finally:
        networks.close()


def test_scoring_fails_an_answer_that_leads_with_another_subject() -> None:
    case = EvalCase(id="t", question="which BGP sessions are down on r1?", network=Network(fixture="x"), category="bgp", source="test",
                    expect=Expect(specialists=[Specialist.diagnosis], root_cause=["bgp"], devices=["r1"], evidence=["10.0.0.1"]))
    answer = Answer(request_id="r", question=case.question, status="ok", primary=Specialist.diagnosis, specialists=[Specialist.diagnosis],
                    severity=Severity.high, confidence=0.9, automation="review",
                    summary="[diagnosis] Root cause: r1 power supply 3 has failed. Also found: BGP session down (see edge-rtr-01)",
                    findings=[Finding(agent="diagnosis", text="r1 BGP session to 10.0.0.1 is down", severity=Severity.high)])
    result = score(case, answer, ["r1"], lab_device_names())
    assert result.scores == {"root_cause": False, "evidence": True, "routing": True, "commands": None, "must_not": False}
    assert "cites a device not in the network: edge-rtr-01" in result.misses and not result.passed


def test_generic_runbooks_name_no_lab_device_and_a_site_overrides_them(tmp_path: Path) -> None:
    lab = lab_device_names()
    for book in load_runbooks():
        named = {n for n in lab if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", book.text)}
        assert not named, (book.slug, named)
    assert {b.slug for b in load_runbooks(LAB_DIR)} == {b.slug for b in load_runbooks()}  # the lab keeps its own
    (tmp_path / "bgp-session-down.md").write_text("# BGP down at our site\n\nApplies to: rtr-a, rtr-b\n\n## Symptoms\n- ADJCHANGE Down\n")
    (tmp_path / "fibre-cut.md").write_text("# Fibre cut between the two data centres\n\nApplies to: dci links\n\n## Symptoms\n- both DCI links down\n")
    books = site_runbooks(tmp_path)
    assert [b.title for b in books if b.slug == "bgp-session-down"] == ["BGP down at our site"]
    assert "fibre-cut" in {b.slug for b in books} and len(books) == len(load_runbooks()) + 1
    assert search_runbooks("fibre cut dci", runbooks=books)[0].slug == "fibre-cut"


def test_noc_eval_prints_the_table_and_holds_a_floor(runner, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(cli, ["eval", "--case", "rw-bgp-down-two", "--case", "rw-log-ios08"])
    assert result.exit_code == 0, result.output
    assert "engine: offline" in result.output
    assert re.search(r"^rw-bgp-down-two\s+tuning\s+ok\s+ok\s+ok\s+ok\s+ok", result.output, re.M)
    assert re.search(r"^tuning\s+2\s+2\s+100%", result.output, re.M) and "confidence:" in result.output
    data = json.loads(runner.invoke(cli, ["eval", "--case", "rw-log-ios08", "--json"]).output)
    assert data["halves"]["all"]["passed"] == 1 and data["cases"][0]["scores"]["must_not"] is True
    bad = runner.invoke(cli, ["eval", "--case", "no-such-case"])
    assert bad.exit_code != 0 and "unknown case id(s): no-such-case" in bad.output
    missing = runner.invoke(cli, ["eval", "--cases", str(ROOT / "nowhere")])
    assert missing.exit_code != 0 and "no eval cases at" in missing.output


def test_a_broken_case_file_is_named(tmp_path: Path, runner) -> None:
    (tmp_path / "x.yaml").write_text("id: x\nquestion: hi there\nnetwork: {scenario: healthy}\ncategory: bgp\nsource: s\nexpect: {specialists: [wizard]}\n")
    result = runner.invoke(cli, ["eval", "--cases", str(tmp_path)])
    assert result.exit_code != 0
    assert "x.yaml" in result.output and "expect.specialists.0" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_full_suite_holds_its_floor_on_both_halves() -> None:
    report = _run()
    for half, floor in FLOOR.items():
        assert report.halves[half].score >= floor, (half, report.halves[half])
    assert report.halves["all"].categories["must_not"] == 1.0  # never a lab device on another network, never "No fault found" over events


def test_a_fixture_network_gets_generic_runbooks_or_its_sites_own(tmp_path: Path) -> None:
    """Issue 25: answers on another network cited the lab's runbooks (edge-rtr-01, branch-rtr-01)."""
    networks = Networks(EVALS, CORPUS)
    question = "what's the runbook for a BGP session down on ncs-pe1?"
    try:
        toolbox = networks.toolbox(Network(fixture="multivendor-core"))
        generic = asyncio.run(_ask(toolbox, Request.from_text(question, role="admin")))
        text = "\n".join([generic.summary, *(f.text for f in generic.findings)])
        assert "BGP session down (eBGP and iBGP, any platform) (runbooks/bgp-session-down.md)" in text
        assert "ncs-pe1 (iosxr)" in generic.summary
        assert not {n for n in lab_device_names() if n in text}
        (tmp_path / "bgp-session-down.md").write_text("# BGP down on the PE ring\n\nApplies to: ncs-pe1, ex-core1\n\n## Symptoms\n- BGP session down, ADJCHANGE\n")
        toolbox.runbooks_dir = tmp_path  # what network.runbooks sets
        site = asyncio.run(_ask(toolbox, Request.from_text(question, role="admin")))
        assert "Relevant runbook for ncs-pe1 (iosxr): BGP down on the PE ring" in site.summary
        toolbox.gateway.close()
    finally:
        networks.close()


def test_network_runbooks_setting_is_a_directory_relative_to_the_file(tmp_path: Path, runner) -> None:
    from agents.tools import build_toolbox
    from bot.config.settings import ConfigError, load_settings

    (tmp_path / "site-runbooks").mkdir()
    (tmp_path / "noc.yml").write_text("network:\n  runbooks: site-runbooks\n")
    settings = load_settings(tmp_path / "noc.yml")
    assert settings.network.runbooks == tmp_path / "site-runbooks"
    toolbox = build_toolbox(settings.network)
    assert toolbox.runbooks_dir == tmp_path / "site-runbooks"
    toolbox.gateway.close()
    assert build_toolbox(load_settings(None).network).runbooks_dir == LAB_DIR  # the embedded lab keeps its own
    (tmp_path / "bad.yml").write_text("network:\n  runbooks: nowhere\n")
    with pytest.raises(ConfigError, match="network.runbooks: .*nowhere is not a directory of runbooks"):
        load_settings(tmp_path / "bad.yml")


def test_log_events_feed_performance_the_change_before_the_congestion() -> None:
    networks = Networks(EVALS, CORPUS)
    try:
        toolbox = networks.toolbox(Network(scenario="wan-congestion"))
        answer = asyncio.run(_ask(toolbox, Request.from_text("why is the branch office slow?", role="admin")))
        texts = [f.text for f in answer.findings if f.agent == "performance"]
        assert "branch-rtr-01: last configuration changed by netops from 10.10.99.50 at Mar 01 23:44:51 (from its log); " \
               "check whether it removed the service-policy" in texts
        assert any(r.agent == "performance" and r.commands[:1] == ["show archive log config all"] for r in answer.recommendations)
        toolbox.gateway.close()
    finally:
        networks.close()
