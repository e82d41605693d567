"""`noc eval`: the answer eval suite (evals/*.yaml) through the same Supervisor `noc ask` uses.

Offline (the rules) by default; the Claude engine when the configuration enables it (an
ANTHROPIC_API_KEY is set). Exit status 1 when --min-score is given and the chosen half scores
below it, so CI can hold a floor. --judge also grades each answer with Claude (agents/evals/judge.py)
when ANTHROPIC_API_KEY is set, and says it skipped that when it is not.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agents.models import Answer, Request
from agents.tools.network import Toolbox
from agents.tools.roles import ToolRoles
from bot.cli.support import fail, settings_of
from bot.config.settings import Settings

if TYPE_CHECKING:  # imported when the command runs: `noc --help` does not load the eval suite
    from agents.evals.cases import EvalCase
    from agents.evals.runner import EvalSuiteReport


@click.command("eval")
@click.option("--cases", "cases_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("evals"), show_default=True,
              help="Directory of eval cases (one YAML file a case; fixture networks under networks/).")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The real-world corpus fixture networks are built from (default: tests/data/realworld beside the cases).")
@click.option("--holdout", "which", flag_value="holdout", help="Only the holdout half (never used for tuning).")
@click.option("--tuning", "which", flag_value="tuning", help="Only the tuning half.")
@click.option("--case", "only", multiple=True, help="Only these case ids (repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None, help="Exit 1 when the score of the run is below this.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary tables, not a row per case.")
@click.option("--judge", "with_judge", is_flag=True, help="Also grade each answer with Claude as judge (needs ANTHROPIC_API_KEY).")
@click.pass_context
def eval_cmd(ctx: click.Context, cases_dir: Path, corpus: Path | None, which: str | None, only: tuple[str, ...],
             min_score: float | None, as_json: bool, quiet: bool, with_judge: bool) -> None:
    """Run the answer eval suite and print a scored table per case, per category and per half."""
    from agents.evals.cases import EvalCaseError, load_cases
    from agents.evals.runner import render

    if not cases_dir.is_dir():
        fail(f"no eval cases at {cases_dir} (run from the repository root or give --cases)")
    try:
        cases = load_cases(cases_dir)
    except EvalCaseError as exc:
        fail(str(exc))
    if which is not None:
        cases = [c for c in cases if c.holdout == (which == "holdout")]
    if only:
        unknown = sorted(set(only) - {c.id for c in cases})
        if unknown:
            fail(f"unknown case id(s): {', '.join(unknown)}")
        cases = [c for c in cases if c.id in only]
    settings = settings_of(ctx)
    corpus = corpus or cases_dir.resolve().parent / "tests" / "data" / "realworld"
    from agents.evals.judge import judge_available

    if with_judge and not judge_available():
        click.echo("model as judge skipped: ANTHROPIC_API_KEY is not set; the rule scores are the whole report", err=True)
    try:
        rep = asyncio.run(_run(settings, cases, cases_dir, corpus, with_judge and judge_available()))
    except EvalCaseError as exc:
        fail(str(exc))
    click.echo(json.dumps(rep.model_dump(mode="json"), indent=2) if as_json else render(rep, verbose=not quiet))
    key = which or "all"
    if min_score is not None and rep.halves[key].score < min_score:
        click.echo(f"score {rep.halves[key].score:.3f} is below --min-score {min_score}", err=True)
        sys.exit(1)


async def _run(settings: Settings, cases: Sequence[EvalCase], cases_dir: Path, corpus: Path,
               with_judge: bool = False) -> EvalSuiteReport:
    from agents.engine import build_engine
    from agents.evals.runner import run_suite
    from agents.llm import provider_enabled  # the Claude engine only when configured (an API key is set)
    from agents.resilience.guard import Resilience

    resilience = Resilience(settings.resilience)
    engines = []  # one per case's toolbox, one guard for the run; each closes its own model client

    async def ask(toolbox: Toolbox, request: Request) -> Answer:
        engine = build_engine(settings, toolbox, resilience=resilience, tool_roles=ToolRoles(settings.access.tool_roles))
        engines.append(engine)
        return await engine.run(request)

    judge, judge_client = None, None
    if with_judge:  # the judge's own client: the engine may be offline (llm.provider) while a model grades it
        from agents.evals.judge import model_judge
        from agents.llm.client import ClaudeClient

        judge_client = ClaudeClient(settings.llm, resilience=resilience)
        judge = model_judge(judge_client, settings.llm)
    try:
        return await run_suite(cases, cases_dir, corpus, ask, engine="claude" if provider_enabled(settings.llm) else "offline",
                               judge=judge)
    finally:
        for engine in engines:
            await engine.aclose()
        if judge_client is not None:
            await judge_client.aclose()
