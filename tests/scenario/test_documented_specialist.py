"""The specialist docs/how-to/add-specialist.md shows is real: its three files, copied from the
page, load as a new specialist that answers a question, and its rules.py passes the project's
mypy --strict (tool results are typed through the tool declarations)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

from agents.catalogue import configure
from agents.engine import build_engine
from agents.models import Request, Specialist
from agents.router import cache
from bot.cli.main import cli
from bot.cli.terminal import render_answer as render_terminal
from bot.config.settings import load_settings
from bot.slack.views.answer import render_answer
from tests.fakes.anthropic_api import fake_anthropic, text  # noqa: F401
from tests.harness.paths import ROOT

PAGE = ROOT / "docs" / "how-to" / "add-specialist.md"
_BLOCK = re.compile(r"^`software/([\w.]+)`:\n\n```\w*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def documented_files() -> dict[str, str]:
    files = dict(_BLOCK.findall(PAGE.read_text(encoding="utf-8")))
    assert set(files) == {"spec.yaml", "examples.txt", "rules.py"}, f"the page shows {sorted(files)}"
    return files


def write_documented(root: Path, **replace: str) -> Path:
    folder = root / "software"
    folder.mkdir(parents=True)
    for name, content in documented_files().items():
        for old, new in replace.items():
            content = content.replace(old, new)
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def strict_mypy(rules: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """mypy --strict with the project's settings (pydantic plugin), from the project root so
    `agents` resolves and the project's incremental cache is reused."""
    monkeypatch.chdir(ROOT)
    out, err, status = mypy_api.run(["--strict", "--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary",
                                     "--follow-imports", "silent", str(rules)])
    return out + err, status


def test_the_documented_rules_pass_mypy_strict(tmp_path, monkeypatch):
    folder = write_documented(tmp_path)
    report, status = strict_mypy(folder / "rules.py", monkeypatch)
    assert status == 0, report


def test_reading_an_untyped_result_fails_mypy_strict(tmp_path, monkeypatch):
    """The check has teeth: the same rules reading fields off the untyped `ctx.tool` result fail."""
    folder = write_documented(tmp_path, **{"ctx.call(GET_DEVICE_HEALTH, device=device)": 'ctx.tool("get_device_health", device=device)'})
    report, status = strict_mypy(folder / "rules.py", monkeypatch)
    assert status == 1 and '"ToolResult" has no attribute "os_version"' in report, report


@pytest.fixture(scope="module")
def router_cache(tmp_path_factory):
    """One cache for the module: the router trains once on the documented examples (the
    variants below change the spec's report and hooks and the rules, not examples or keywords)."""
    return tmp_path_factory.mktemp("router-cache")


@pytest.fixture
def documented(tmp_path, monkeypatch, router_cache):
    monkeypatch.setenv(cache.CACHE_ENV, str(router_cache))

    def make(extra: str = "", **replace: str) -> Path:
        write_documented(tmp_path / "specialists", **replace)
        config = tmp_path / "noc.yaml"
        config.write_text(f"engine:\n  specialist_paths: [specialists]\nnetwork:\n  scenario: healthy\n"
                          f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\n{extra}")
        return config

    yield make
    configure([])


# A seventh specialist's examples change the router's data, so the first question trains a model
# for them (15-40 s of CPU; the shipped one covers the six built-in specialists): CI's slow step.
trains_the_router = pytest.mark.slow


@trains_the_router
def test_the_documented_specialist_answers_a_question(documented, runner):
    question = "which OS versions run on edge-rtr-01?"
    result = runner.invoke(cli, ["--config", str(documented()), "ask", question, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["primary"] == "software"
    software = next(r for r in answer["agents"] if r["agent"] == "software")
    assert software["status"] == "success" and software["engine"] == "offline"
    # The lab's edge-rtr-01 reports IOS XE 17.9.4a on an ASR1001-X (agents/lab/data/devices/edge-rtr-01/get_facts.1).
    assert any(f["agent"] == "software" and f["text"].startswith("edge-rtr-01: ASR1001-X runs ") and "17.9.4a" in f["text"]
               for f in answer["findings"]), answer["findings"]
    assert any(e["tool"] == "get_device_health" and e["device"] == "edge-rtr-01" for e in software["evidence"])


# A report field declared as a document, and a hook completing Claude's report, both in the folder.
_DOCUMENT_FIELD = ("  releases: {type: map of string to integer, description: devices per OS release}\n",
                   "  releases: {type: map of string to integer, description: devices per OS release}\n"
                   "  notes: {type: optional string, description: release notes in markdown, document: Release notes}\n"
                   "hooks:\n  claude_report: sign_notes\n")
_HOOK = ('''    return AnalystOutput(summary=summary, findings=findings, confidence=0.8)
''', '''    return AnalystOutput(summary=summary, findings=findings, confidence=0.8)


def sign_notes(ctx, report):
    notes = getattr(report, "notes", None) or ""
    return report.model_copy(update={"notes": notes + "\\n\\nChecked on " + ", ".join(ctx.task.devices) + " by the software specialist."})
''')


@trains_the_router
async def test_its_declared_hook_and_document_on_the_claude_path(documented, fake_anthropic, monkeypatch, make_toolbox):
    """The engine names no specialist: the folder's spec declares a document field and a report
    hook; Claude's report passes the hook, Slack attaches the document, the terminal prints it."""
    api = fake_anthropic
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    question = "which OS versions run on edge-rtr-01?"
    settings = load_settings(documented("llm:\n  router_margin: 100\n", **dict([_DOCUMENT_FIELD, _HOOK])))
    from agents.llm.schemas import PlanOut, PlanStepOut, RouteOut, SynthesisOut, report_model

    report = report_model(Specialist("software"))
    api.script("router", text(RouteOut(primary="software", specialists=["software"], devices=["edge-rtr-01"], reasoning="os")))
    api.script("planner", text(PlanOut(reasoning="one step", steps=[
        PlanStepOut(id="s1", agent="software", instruction=question, devices=["edge-rtr-01"], depends_on=[])])))
    api.script("specialist:software", text(report(summary="edge-rtr-01 runs IOS XE 17.9.4a.", findings=[], recommendations=[],
                                                  confidence=0.8, releases={"17.9.4a": 1}, notes="# Release notes\n\n- 17.9.4a")))
    api.script("coordinator", text({"gaps": []}))
    api.script("synthesis", text(SynthesisOut(summary="edge-rtr-01 runs IOS XE 17.9.4a (software).", conflicts=[])))
    engine = build_engine(settings, make_toolbox("healthy", settings))
    assert engine.name == "anthropic"
    try:
        answer = await engine.run(Request.from_text(question, role="operator"))
    finally:
        await engine.aclose()
    software = next(r for r in answer.responses if r.agent == "software")
    signed = "# Release notes\n\n- 17.9.4a\n\nChecked on edge-rtr-01 by the software specialist."
    assert software.engine == "claude" and software.result["notes"] == signed
    rendered = render_answer(answer, request_id="req123abc")
    assert ("notes-req123abc.md", "Release notes", signed) in rendered.attachments
    assert "Full release notes attached as a file" in json.dumps(rendered.blocks)
    assert signed in render_terminal(answer)


def test_a_hook_its_rules_do_not_define_stops_the_start_naming_the_file(documented, runner):
    config = documented(**dict([_DOCUMENT_FIELD]))
    result = runner.invoke(cli, ["--config", str(config), "ask", "which OS versions run on edge-rtr-01?"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "software/spec.yaml" in result.output and "sign_notes" in result.output, result.output


def test_core_tools_must_be_its_own_tools(documented, runner):
    config = documented(**{"model: {tier: fast": "access: {core_tools: [get_device_config]}\nmodel: {tier: fast"})
    result = runner.invoke(cli, ["--config", str(config), "ask", "which OS versions run on edge-rtr-01?"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "software/spec.yaml" in result.output and "access.core_tools get_device_config must be among its tools" in result.output


@pytest.mark.parametrize(("edit", "said"), [
    ("async def analyse_software(", "defines no `async def analyse(ctx)`"),  # its entry point renamed
    ("async def analyse((((", "rules.py cannot be read"),  # not Python
], ids=["no-analyse", "does-not-parse"])
def test_rules_that_cannot_serve_stop_the_start_naming_the_file(documented, runner, edit, said):
    """A rules.py the engine could not call is a configuration error when the catalogue is read,
    not a traceback when the engine is built."""
    config = documented(**{"async def analyse(": edit})
    result = runner.invoke(cli, ["--config", str(config), "ask", "which OS versions run on edge-rtr-01?"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "software/spec.yaml" in result.output and said in result.output, result.output
