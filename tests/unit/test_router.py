"""The learned router (issue 15): its data, its artefact, its decisions and how it is measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.config import LLMConfig
from agents.evaluation import EvalCase, cross_validate, evaluate_routing, load_eval_cases, render_eval
from agents.models import Specialist
from agents.planner import rule_plan
from agents.router import cache
from agents.router.dataset import DatasetError, data_hash, example_files, load_examples, parse_line
from agents.router.features import featurise
from agents.router.model import RouterModel
from agents.routing import route
from bot.cli.main import cli
from tests.harness.paths import DATA as TEST_DATA
from tests.harness.paths import ROOT

DATA = TEST_DATA
D, C, S, P, DOC = (Specialist.diagnosis, Specialist.config, Specialist.security, Specialist.performance, Specialist.documentation)


@pytest.fixture
def inventory(make_toolbox):
    return make_toolbox("healthy").inventory


# -- the data ------------------------------------------------------------------------------------


def test_training_data_is_large_varied_and_labelled():
    examples = load_examples()
    assert len(examples) >= 1500
    per_primary = {s: sum(e.primary == s for e in examples) for s in Specialist}
    assert min(per_primary.values()) >= 300, per_primary
    assert sum(len(e.labels) > 1 for e in examples) >= 100  # multi-domain questions
    # not templated: few questions share their first three words
    openings = {" ".join(e.question.lower().split()[:3]) for e in examples}
    assert len(openings) > 0.6 * len(examples)


def test_data_lines_parse_with_extra_labels_and_say_where_they_are_wrong():
    e = parse_line("+security +documentation the branch is slow, audit it", P, "performance.txt:3")
    assert e is not None and e.primary == P and e.labels == {P, S, DOC} and e.question == "the branch is slow, audit it"
    assert parse_line("# a comment", P, "x") is None and parse_line("   ", P, "x") is None
    with pytest.raises(DatasetError, match=r"performance.txt:4: '\+plumbing' is not a specialist"):
        parse_line("+plumbing fix the sink", P, "performance.txt:4")


def test_held_out_questions_are_not_in_the_training_data():
    train = {e.question.lower() for e in load_examples()}
    for name in ("routing_heldout_v2.jsonl", "routing_heldout_v3.jsonl", "routing_eval.jsonl", "routing_holdout.jsonl",
                 "routing_heldout_v4_single.jsonl", "routing_heldout_v4_multi.jsonl"):
        for case in load_eval_cases(DATA / name):
            assert case.query.lower() not in train, (name, case.query)


# -- the artefact --------------------------------------------------------------------------------


def _small_data(directory: Path) -> Path:
    """A few dozen questions per specialist: enough to build a model quickly."""
    directory.mkdir()
    for specialist, path in example_files().items():
        lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        (directory / f"{specialist.value}.txt").write_text("\n".join(lines[:40]) + "\n")
    return directory


def test_model_is_cached_under_the_data_hash_and_rebuilt_when_the_data_changes(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    data = _small_data(tmp_path / "data")
    first = cache.load_model(data)
    files = list((tmp_path / "cache").glob("router-*.bin"))
    assert [f.name for f in files] == [f"router-{data_hash(data)}.bin"] and first.data_hash == data_hash(data)
    stamp = files[0].stat().st_mtime_ns

    cache._loaded.clear()  # a new process: found in the cache, not rebuilt
    again = cache.load_model(data)
    assert files[0].stat().st_mtime_ns == stamp and again.scores("bgp down").primary == first.scores("bgp down").primary

    with (data / "security.txt").open("a") as f:
        f.write("is the dhcp snooping database tampered with\n")
    changed = cache.load_model(data)
    assert changed.data_hash != first.data_hash
    assert {f.name for f in (tmp_path / "cache").glob("router-*.bin")} == {f"router-{first.data_hash}.bin", f"router-{changed.data_hash}.bin"}


def test_artefact_round_trips_and_refuses_garbage(tmp_path):
    model = cache.load_model()
    copy = RouterModel.from_bytes(model.to_bytes())
    q = "is telnet still enabled on access-sw-01?"
    assert copy.scores(q) == model.scores(q)
    with pytest.raises(ValueError):
        RouterModel.from_bytes(b"not a model")
    with pytest.raises(ValueError):
        RouterModel.from_bytes(model.to_bytes()[:-8])


def test_secondary_heads_are_calibrated_each_on_out_of_fold_data():
    """Issue 25: one slope and offset per membership head and the join probability, all fitted on
    out-of-fold logits; the join probability never above 0.5 nor below 0.3, and routing uses it."""
    from agents.router.train import JOIN_GRID
    from agents.routing import decide

    model = cache.load_model()
    n = len(model.labels)
    assert model.membership_scale is not None and len(model.membership_scale) == n and all(a > 0 for a in model.membership_scale)
    assert model.membership_shift is not None and len(model.membership_shift) == n
    assert model.join_probability in JOIN_GRID
    scores = model.scores("the branch is slow, audit its security and write a report")
    assert scores.join == model.join_probability
    lowered = type(scores)(primary=scores.primary, membership=scores.membership, join=0.0)
    assert set(decide(lowered).specialists) == set(Specialist)  # every head joins at 0: decide reads the model's threshold


def test_an_artefact_written_before_per_head_calibration_still_loads():
    model = cache.load_model()
    old = RouterModel(**{**model.__dict__, "membership_scale": None, "membership_shift": None, "join_probability": 0.5})
    copy = RouterModel.from_bytes(old.to_bytes())
    assert copy.membership_scale is None and copy.scores("bgp down").join == 0.5
    bad = RouterModel(**{**model.__dict__, "membership_shift": [0.0] * (len(model.labels) + 1)})
    with pytest.raises(ValueError, match="malformed per-label calibration"):
        RouterModel.from_bytes(bad.to_bytes())


def test_a_corrupt_cache_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    data = _small_data(tmp_path / "data")
    path = cache.artefact_path(data_hash(data))
    path.write_bytes(b"NOCRT1\ntruncated")
    assert cache.load_model(data).data_hash == data_hash(data)
    assert RouterModel.load(path).data_hash == data_hash(data)


def test_the_shipped_model_was_built_from_the_specialists_examples_as_they_are():
    """The artefact in the package is used only for the data it was built from; if this fails,
    someone edited examples, keywords or the recipe: run `python -m agents.router --ship`."""
    shipped = cache.shipped_model()
    assert shipped is not None, f"{cache.SHIPPED_PATH} is missing: run python -m agents.router --ship"
    assert shipped.data_hash == data_hash(), "stale shipped router model: run python -m agents.router --ship"
    cache._loaded.clear()
    assert cache.load_model().to_bytes() == shipped.to_bytes()
    assert cache.SHIPPED_PATH.stat().st_size < 5_000_000


def test_a_fresh_install_routes_with_the_shipped_model_and_trains_nothing(tmp_path):
    env = {**os.environ, cache.CACHE_ENV: str(tmp_path / "empty-cache"), "PYTHONPATH": str(ROOT)}
    # `noc` leaves with os._exit once it has answered (after the exit handlers): the check of what
    # was imported is an exit handler too, so it sees the process as the command left it.
    code = ("import atexit, sys\nfrom bot.cli.main import main\nsys.argv = ['noc', 'route', 'why is the branch office slow?']\n"
            "atexit.register(lambda: print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}), flush=True))\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "performance" in done.stdout and done.stdout.strip().endswith("[]")  # routed, scikit-learn never imported
    assert "training" not in done.stderr and not (tmp_path / "empty-cache").exists()


def test_edited_examples_train_at_run_time_and_say_so_at_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    data = _small_data(tmp_path / "data")
    with caplog.at_level("WARNING", logger="agents.router.cache"):
        cache.load_model(data)
    trained = [r for r in caplog.records if "training router model" in r.getMessage()]
    assert len(trained) == 1 and trained[0].levelname == "WARNING" and data_hash(data) in trained[0].getMessage()
    caplog.clear()
    cache._loaded.clear()
    with caplog.at_level("WARNING", logger="agents.router.cache"):
        cache.load_model(data)  # cached now: no second training
    assert not [r for r in caplog.records if "training" in r.getMessage()]


def test_the_ship_check_says_when_the_shipped_model_is_current():
    done = subprocess.run([sys.executable, "-m", "agents.router", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and data_hash() in done.stdout, done.stderr


def test_routing_does_not_import_scikit_learn():
    code = ("import sys; from agents.lab import lab_inventory; from agents.routing import route; "
            "route('why is the branch slow?', lab_inventory()); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'numpy'}))")
    cache.load_model()  # make sure the cached model exists
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- decisions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "primary", "needed"), [
    ("what does BPDU guard do?", DOC, {DOC}),
    ("how does bgp choose the best path?", DOC, {DOC}),
    ("voice calls to the branch sound choppy every afternoon", P, {P}),
    ("round trip times to the dc tripled since lunch", P, {P}),
    ("the ids flagged a brute force against the vty lines", S, {S}),
    ("we are seeing a flood of udp traffic from one source", S, {S}),
    ("dhcp is not handing out addresses on vlan 110", D, {D}),
    ("one member of the port-channel to the core is suspended", D, {D}),
    ("why is the branch office slow?", P, {P, D}),
    ("the branch is slow, audit its security and write a report", P, {P, S, DOC}),
])
def test_issue_examples_are_routed_to_every_named_domain(inventory, question, primary, needed):
    decision = route(question, inventory)
    assert decision.primary == primary and set(decision.specialists) >= needed, decision
    assert decision.method == "learned" and 0.0 <= decision.confidence <= 1.0
    assert set(decision.scores) == {s.value for s in Specialist} and all(0.0 <= v <= 1.0 for v in decision.scores.values())


def test_every_named_domain_gets_a_step(inventory):
    question = "the branch is slow, audit its security and write a report"
    decision = route(question, inventory)
    plan = rule_plan(decision, question, decision.devices)
    assert {s.agent for s in plan.steps} >= {P, S, DOC}
    docs = next(s for s in plan.steps if s.agent == DOC)
    assert set(docs.depends_on) == {s.id for s in plan.steps if s.agent != DOC}


def test_features_are_linear_in_the_text():
    small, large = featurise("bgp down " * 100), featurise("bgp down " * 400)
    assert sum(large.values()) <= 4.5 * sum(small.values())
    assert sum(featurise("x" * 4000).values()) < 10  # one long word: no character n-grams


def test_claude_routes_below_the_confidence_threshold_and_router_margin_still_overrides(caplog):
    default = LLMConfig()
    assert default.router_confidence == 0.8 and default.router_margin is None
    assert default.claude_routes(confidence=0.6, margin=0.3) and not default.claude_routes(confidence=0.95, margin=0.9)
    assert LLMConfig(router_confidence=0).claude_routes(0.0, 0.0) is False
    always, never = LLMConfig(router_margin=100), LLMConfig(router_margin=0)
    assert always.claude_routes(1.0, 1.0) and not never.claude_routes(0.0, 0.0)
    assert "router_margin is deprecated" in caplog.text


# -- measurement ---------------------------------------------------------------------------------


def test_held_out_accuracy_and_report(inventory):
    report = evaluate_routing(load_eval_cases(DATA / "routing_heldout_v3.jsonl"), inventory)
    assert report.total >= 150 and report.accuracy >= 0.95
    assert report.exact_match is not None and report.exact_total == report.total
    assert set(report.per_class) == {s.value for s in Specialist}
    assert report.calibration_error is not None and report.calibration_error < 0.1
    text = render_eval(report)
    for part in ("accuracy", "exact match", "precision", "recall", "expected \\ got", "calibration"):
        assert part in text


def test_other_voices_and_implied_domains_meet_the_issue_25_targets(inventory):
    """The v4 held-out sets (terse, shorthand, typos, narratives, people outside the NOC) were
    written before the training data was extended: primary >= 95% on single-domain questions, at
    most 0.3 extra specialists each, every needed specialist on >= 90% of multi-domain ones."""
    single = evaluate_routing(load_eval_cases(DATA / "routing_heldout_v4_single.jsonl"), inventory)
    assert single.total >= 150 and single.single_total == single.total and single.multi_total == 0
    assert single.accuracy >= 0.95 and single.extras_per_single is not None and single.extras_per_single <= 0.3
    multi = evaluate_routing(load_eval_cases(DATA / "routing_heldout_v4_multi.jsonl"), inventory)
    assert multi.total >= 40 and multi.multi_total == multi.total and multi.all_needed is not None and multi.all_needed >= 0.9
    text = render_eval(multi)
    assert "every needed specialist on multi-domain questions" in text
    assert "extra specialists per single-domain question" in render_eval(single)


def test_all_needed_and_extras_are_counted_per_case(inventory):
    cases = [EvalCase(query="why is the branch office slow?", expected=P, labels=[P, D]),
             EvalCase(query="the branch is slow, audit its security and write a report", expected=P, labels=[P, S, DOC, C]),
             EvalCase(query="what does BPDU guard do?", expected=DOC, labels=[DOC])]
    report = evaluate_routing(cases, inventory)
    assert (report.multi_total, report.single_total) == (2, 1)
    assert report.all_needed == 0.5  # config was never asked for in the second one
    assert report.extras_per_single == 0.0


@pytest.mark.slow  # trains two models on the whole training data (the suite itself never trains it)
def test_cross_validation_runs_on_the_training_data():
    report = cross_validate(2)
    assert report.total == len(load_examples()) and report.accuracy >= 0.9 and report.exact_match is not None


def test_eval_routing_cli_prints_the_figures(runner):
    text = runner.invoke(cli, ["eval-routing", str(DATA / "routing_heldout_v3.jsonl")]).output
    assert "exact match of the specialist set" in text and "precision" in text and "expected \\ got" in text
    data = json.loads(runner.invoke(cli, ["eval-routing", str(DATA / "routing_holdout.jsonl"), "--json"]).stdout)
    assert data["exact_match"] is None and data["accuracy"] >= 0.9
    result = runner.invoke(cli, ["eval-routing"])
    assert result.exit_code == 2 and "--cv" in result.output


def test_labels_must_include_the_expected_specialist(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"query": "x", "expected": "config", "labels": ["security"]}) + "\n")
    with pytest.raises(ValueError, match="line 1: labels must include"):
        load_eval_cases(bad)
    assert EvalCase(query="x", expected="config").labels is None
