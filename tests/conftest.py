"""Shared fixtures. Tests run the real code paths: the lab's NAPALM mock driver, real YAML files,
the real `noc` CLI (in-process through click's runner, or as a subprocess where the console
script itself matters)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from agents.lab.stateful import reset_scenario
from agents.tools import build_toolbox
from bot.cli.launch import SWITCH_ENV
from bot.config.settings import Settings
from tests.fakes.netbox_api import FakeNetBox
from tests.fakes.slack_api import fake_slack  # noqa: F401 - the fake Slack Web API, a fixture
from tests.harness.bytecode import allow_bytecode, compile_project
from tests.harness.netbox import TOKEN_ENV
from tests.harness.paths import ROOT
from tests.harness.postgres import POSTGRES_ENV, reset_postgres, worker_database
from tests.harness.slack_bot import start


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two workers per core (at most 8). A third of a test's time here is spent waiting
    on something real (a `noc` process starting, a Retry-After, a lease, a deadline), not on the
    CPU; a second worker per core fills it (measured on 2 cores: 138 s with 2 workers, 117 s
    with 3, 110 s with 4)."""
    return min(8, 2 * (os.cpu_count() or 1))


def pytest_configure(config):
    """Under pytest-xdist, each worker its own PostgreSQL database (tests/harness/postgres.py);
    the project compiled to bytecode once, before the workers start (tests/harness/bytecode.py).

    The warm `noc ask` server is off for every `noc` process a test starts (they inherit this
    environment): each would otherwise leave a server idling for minutes. Its own tests turn it
    on (tests/scenario/test_ask_server.py)."""
    os.environ[SWITCH_ENV] = "off"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        worker_database(worker)
        allow_bytecode()
    else:
        compile_project(ROOT)


@pytest.fixture(scope="session", autouse=True)
def router_model(tmp_path_factory):
    """The learned router's model, loaded once for the whole session from the shipped artefact
    (agents/router/router-model.bin), never trained here. The router cache points at an empty
    directory of this session, so no test reads or fills a developer's own cache, and a `noc`
    process a test starts finds the same shipped model. A stale artefact stops the run at once
    with what to do: every process would otherwise train its own model (10-20 s of CPU each)."""
    from agents.router import cache
    from agents.router.dataset import data_hash

    shipped = cache.shipped_model()
    if shipped is None or shipped.data_hash != data_hash():
        pytest.exit(f"the shipped router model {cache.SHIPPED_PATH} is missing or stale (built from other examples "
                    "than the specialists' own): run `python -m agents.router --ship` and commit it", returncode=3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cache.CACHE_ENV, str(tmp_path_factory.mktemp("router-cache")))
        yield cache.load_model()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    """A developer's own NOC_CONFIG or Anthropic credentials must not leak into tests:
    without a key every test runs the offline engine unless it starts the fake API itself."""
    for name in ("NOC_CONFIG", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("NOC_") and "__" in n]:  # settings given as variables
        monkeypatch.delenv(name)


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


# -- the store on both backends -----------------------------------------------------------------


async def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL store tests need {POSTGRES_ENV}=postgresql://user:password@host/db (a database they may empty)")
    await reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request, tmp_path) -> str:
    """A fresh, empty store URL: an SQLite file, or the PostgreSQL database named by
    $NOC_TEST_POSTGRES_URL (emptied first; skipped with the reason shown when it is unset)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noc.db'}"
    return await _postgres_url()


@pytest.fixture
async def pg_url() -> str:
    """The emptied PostgreSQL test database, for the tests that only make sense there."""
    return await _postgres_url()


# -- the Slack app ------------------------------------------------------------------------------


@pytest.fixture
def bot_options() -> dict:
    """How the `bot` fixture starts the app: keyword arguments of `tests.harness.slack_bot.start`
    (scenario, progress, llm, app_token, role grants), plus `configure`, called with the started
    bot to adjust its settings, and `reset_lab`, which puts the scenario's lab back as shipped
    before and after (for tests that commit changes to it). A module overrides this fixture; a
    test may override it further with an indirect parameter of `bot` (a dict, or a scenario name)."""
    return {}


@pytest.fixture
async def bot(fake_slack, tmp_path, bot_options, request):
    """The running Slack app on the lab, against the fake Slack Web API; stopped after the test."""
    param = getattr(request, "param", {})
    options = {**bot_options, **({"scenario": param} if isinstance(param, str) else param)}
    configure, reset_lab = options.pop("configure", None), options.pop("reset_lab", False)
    scenario = options.setdefault("scenario", "wan-congestion")
    if reset_lab:
        reset_scenario(scenario)
    b = await start(fake_slack, tmp_path, **options)
    try:
        if configure is not None:
            configure(b)
        yield b
    finally:
        await b.running.stop(b.runtime)
        if reset_lab:
            reset_scenario(scenario)


# -- sources of truth ---------------------------------------------------------------------------


@pytest.fixture
def netbox(monkeypatch):
    """The loopback NetBox with a handful of devices across sites, roles and platforms."""
    fake = FakeNetBox().start()
    monkeypatch.setenv(TOKEN_ENV, fake.token)
    fake.add_device("nb-core-1", site="hq", role="core", platform="cisco-ios", ip4="192.0.2.11/24", tags=("noc",))
    fake.add_device("nb-core-2", site="hq", role="core", platform="arista-eos", ip4="192.0.2.12/24", tags=("noc", "pci"))
    fake.add_device("nb-edge-1", site="branch", role="edge", platform="juniper-junos", ip4="192.0.2.21/24")
    fake.add_device("nb-edge-2", site="branch", role="edge", platform="cisco_nxos", ip6="2001:db8::22/64")
    fake.add_device("nb-dc-1", site="dc", role="leaf", platform="eos", ip4="198.51.100.7/31")
    fake.add_device("nb-plan-1", site="dc", role="leaf", platform="eos", ip4="198.51.100.9/31", status="planned")
    fake.add_device("nb-noip-1", site="dc", role="leaf", platform="cisco-ios")
    yield fake
    fake.stop()
