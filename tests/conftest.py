"""Shared fixtures. Tests run the real code paths: the lab's NAPALM mock driver, real YAML files,
the real `noc` CLI (in-process through click's runner, or as a subprocess where the console
script itself matters)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from agents.tools import build_toolbox
from bot.settings import Settings


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    """A developer's own NOC_CONFIG or Anthropic credentials must not leak into tests:
    without a key every test runs the offline engine unless it starts the fake API itself."""
    for name in ("NOC_CONFIG", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_toolbox():
    """Toolbox factory over the lab; closes every gateway it opened."""
    made = []

    def make(scenario: str = "healthy", settings: Settings | None = None):
        s = settings or Settings()
        tb = build_toolbox(s.network, s.audit, s.thresholds, scenario=scenario)
        made.append(tb)
        return tb

    yield make
    for tb in made:
        tb.gateway.close()
