"""Real-world configurations (tests/data/realworld, sources in SOURCES.md): no secret survives, anywhere.

The secret values are found by an oracle (tests/harness/secret_oracle.py), written independently of the redactor: a table of
secret-bearing line shapes per platform, deliberately broad, read line by line with the block
each line sits in. The oracle is itself checked against the sanitize patterns maintained by NAPALM
and netutils (every line those rewrite must be a line the oracle knows), and the redactor is
checked both ways: no oracle value survives, and no line outside the oracle's is changed.

Then every corpus config is served through the real tool path (NAPALM mock driver, gateway,
toolbox) with a startup config that differs, so the running/startup diff is produced, and the
tool results, `noc audit --json`, `noc ask --json` and the prompts received by the loopback
Anthropic API are searched for every value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from agents.config import NetworkConfig
from agents.llm.schemas import ConfigReport, FindingOut, GapList, PlanOut, PlanStepOut, RouteOut, SecurityReport, SynthesisOut
from agents.network.inventory import load_inventory
from agents.tools import build_gateway
from agents.tools.audit import audit_config, load_rules
from agents.tools.network import Toolbox
from agents.tools.redact import contains_secret, redact
from bot.cli.main import cli
from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    text,
    tool_use,
)
from tests.harness.paths import DATA as TEST_DATA
from tests.harness.secret_oracle import _NOT_SEARCHABLE, Secret, _normalised, oracle, outside_secrets, searchable

DATA = TEST_DATA / "realworld"
CONFIGS = sorted((DATA / "configs").glob("*/*.cfg"))
PLATFORMS = ("ios", "eos", "nxos", "iosxr", "junos")
AUDITED = ("ios", "eos", "nxos", "iosxr", "junos")  # every platform has audit rules since issue 24

# -- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str  # also the device name
    platform: str
    running: str
    startup: str
    secrets: list[Secret]
    values: set[str]  # searchable values of running and of startup
    shown: str  # the text of both with secret values blanked


@dataclass(frozen=True)
class Corpus:
    cases: list[Case]

    def values(self, cases: list[Case] | None = None) -> set[str]:
        """Searchable values for an output that mixes devices: none written in any device's shown text."""
        everything_shown = "\n".join(c.shown for c in self.cases)
        return {v for c in (cases or self.cases) for v in c.values if v not in everything_shown}


# Secret lines a startup config held before someone changed them (issue 9, finding 5).
_OLD_SECRETS = {
    "cisco": ["snmp-server community OLDCOMMUNITY RO", "username bob password 0 hunter2", "enable secret 0 0ldEnableSecret"],
    "junos-set": ['set snmp community OLDCOMMUNITY authorization read-only',
                  'set system login user bob authentication encrypted-password "$6$0ldSalt$0ldHashValue"'],
    "junos-curly": ["snmp {", "    community OLDCOMMUNITY {", "        authorization read-only;", "    }", "}"],
}


def _startup(platform: str, running: str, secrets: list[Secret]) -> str:
    """Running without its secret lines, plus old secret lines: the diff shows both sides."""
    secret_lines = {s.line for s in secrets}
    kept = [line for i, line in enumerate(running.split("\n")) if i not in secret_lines]
    if platform != "junos":
        extra = _OLD_SECRETS["cisco"]
    elif re.search(r"^set ", running, re.MULTILINE):
        extra = _OLD_SECRETS["junos-set"]
    else:
        extra = _OLD_SECRETS["junos-curly"]
    return "\n".join(extra + kept)


def _device_name(path: Path) -> str:
    return f"{path.parent.name}-{re.sub(r'[^A-Za-z0-9_-]+', '-', path.stem)}".lower()


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    cases = []
    for path in CONFIGS:
        platform = path.parent.name
        running = path.read_text(encoding="utf-8")
        secrets = oracle(platform, running)
        startup = _startup(platform, running, secrets)
        startup_secrets = oracle(platform, startup)
        shown = outside_secrets(running, secrets) + "\n" + outside_secrets(startup, startup_secrets)
        values = searchable(running, secrets, shown) | searchable(startup, startup_secrets, shown)
        cases.append(Case(_device_name(path), platform, running, startup, secrets, values, shown))
    return Corpus(cases)


@pytest.fixture(scope="module")
def inventory_dir(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Nornir inventory of NAPALM mock devices, one per corpus config, as a real site's would be."""
    root = tmp_path_factory.mktemp("realworld")
    hosts = {}
    for number, case in enumerate(corpus.cases, start=1):
        device_dir = root / "devices" / case.name
        device_dir.mkdir(parents=True)
        (device_dir / "get_config.1").write_text(json.dumps({"running": case.running, "startup": case.startup, "candidate": ""}))
        hosts[case.name] = {
            "hostname": f"192.0.2.{number}",
            "platform": "mock",
            "data": {"os": case.platform, "role": "corpus", "site": case.platform},
            "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device_dir)}}}},
        }
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (inventory / "groups.yaml").write_text("---\n{}\n")
    (inventory / "defaults.yaml").write_text("---\n{}\n")
    return inventory


@pytest.fixture
def toolbox(inventory_dir: Path):
    tb = Toolbox(load_inventory(inventory_dir), build_gateway(NetworkConfig(inventory=inventory_dir)), load_rules())
    yield tb
    tb.gateway.close()


def _leaks(values: set[str], blob: str) -> list[str]:
    return sorted(v for v in values if v in blob)


def test_corpus_covers_every_platform_with_its_sources(corpus: Corpus) -> None:
    assert 40 <= len(corpus.cases) <= 90  # 80 before issue 24 added full NX-OS, IOS-XR and Junos configurations
    assert {c.platform for c in corpus.cases} == set(PLATFORMS)
    assert sum(p.stat().st_size for p in CONFIGS) < 3_000_000
    sources = (DATA / "SOURCES.md").read_text()
    assert all(f"`{p.name}`" in sources for p in CONFIGS)
    running_values = {c.name: searchable(c.running, c.secrets, c.shown) for c in corpus.cases}
    for platform in PLATFORMS:  # each platform brings real secrets, not just files
        assert sum(len(v) for name, v in running_values.items() if name.startswith(f"{platform}-")) >= 4, platform
    assert sum(len(c.secrets) for c in corpus.cases) >= 350 and sum(map(len, running_values.values())) >= 150


# -- the oracle against the maintained sanitizers ---------------------------------------------


def _changed_lines(before: str, after: str) -> set[int]:
    return {i for i, (a, b) in enumerate(zip(before.split("\n"), after.split("\n"), strict=False)) if a != b}


def _maintained_sanitizers(platform: str) -> list[tuple[str, str]]:
    """NAPALM's per-driver `get_config(sanitized=True)` filters and netutils' provided ones."""
    from napalm.base import constants as napalm_constants
    from netutils.constants import _PROVIDED_SANITIZE_FILTERS

    if platform == "junos":
        filters = {r"^(\s+community\s+)\w+(;.*|\s+{.*)$": r"\1<removed>\2", r'^(.*)"\$\d\$\S+"(;.*)$': r"\1<removed>\2"}
    elif platform == "eos":
        filters = napalm_constants.EOS_SANITIZE_FILTERS
    else:
        filters = napalm_constants.CISCO_SANITIZE_FILTERS
    return [*filters.items(), *((f["regex"], f["replace"]) for f in _PROVIDED_SANITIZE_FILTERS)]


# Lines NAPALM's filters rewrite although they hold no secret: an EOS shared-secret *profile name*,
# an SNMPv3 *user name* (`version 3 auth <user>`) and an NX-OS `source-interface`.
_SANITIZER_OVERREACH = re.compile(r"password shared-secret profile|snmp-server host \S+ .*version 3 |snmp-server host \S+ source-interface")


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_oracle_knows_every_line_the_maintained_sanitizers_rewrite(path: Path) -> None:
    platform, config = path.parent.name, path.read_text(encoding="utf-8")
    oracle_lines = {s.line for s in oracle(platform, config)}
    oracle_lines |= {i for i, line in enumerate(config.split("\n")) if _SANITIZER_OVERREACH.search(line)}
    for pattern, replacement in _maintained_sanitizers(platform):
        sanitized = re.sub(pattern, replacement, config, flags=re.MULTILINE)
        if sanitized.count("\n") != config.count("\n"):
            continue  # a filter that swallowed a line break cannot be compared line by line
        unknown = sorted(_changed_lines(config, sanitized) - oracle_lines)
        assert unknown == [], [config.split("\n")[i] for i in unknown]


# -- redact() itself --------------------------------------------------------------------------


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_redact_leaves_no_secret_and_touches_only_secret_lines(path: Path) -> None:
    platform, config = path.parent.name, path.read_text(encoding="utf-8")
    secrets = oracle(platform, config)
    out = redact(config)
    assert _leaks(searchable(config, secrets), out) == []
    assert out.count("\n") == config.count("\n")
    assert redact(out) == out
    assert contains_secret(out) == []
    # every secret line is changed, and nothing else is
    oracle_lines = {s.line for s in secrets if not _NOT_SEARCHABLE.match(s.value)}
    changed = _changed_lines(config, out)
    lines = config.split("\n")
    assert [lines[i] for i in sorted(oracle_lines - changed)] == []
    assert [lines[i] for i in sorted(changed - {s.line for s in secrets})] == []


# -- through the tools ------------------------------------------------------------------------


def _section_of(case: Case) -> str:
    """The top-level block (first two words) holding the first secret: what a user would ask for."""
    lines = case.running.split("\n")
    index = case.secrets[0].line if case.secrets else 0
    while index > 0 and (lines[index][:1].isspace() or not lines[index].strip()):
        index -= 1
    words = _normalised(lines[index]).split()
    if case.platform == "junos" and words[:1] != ["set"]:
        return f"set {words[0]}"  # hier_config reads Junos as `set` lines
    return " ".join(words[:2])


async def test_tools_return_no_secret_in_configs_sections_diffs_and_audits(toolbox: Toolbox, corpus: Corpus) -> None:
    failures = {}
    for case in corpus.cases:
        full = await toolbox.get_device_config(case.name)
        section = await toolbox.get_device_config(case.name, section=_section_of(case))
        scan = await toolbox.scan_security_vulnerabilities(case.name)
        assert full.ok and section.ok, (case.name, full.error, section.error)
        assert full.startup_differs and full.diff_vs_startup, case.name
        assert scan.ok if case.platform in AUDITED else scan.error.kind == "unsupported", (case.name, scan.error)
        blob = "\n".join(r.model_dump_json() for r in (full, section, scan))
        leaked = _leaks(case.values, blob) + _leaks({"OLDCOMMUNITY", "hunter2", "0ldEnableSecret", "0ldHashValue"}, blob)
        if leaked or contains_secret(blob):
            failures[case.name] = leaked or contains_secret(blob)
    assert failures == {}


async def test_a_secret_only_change_still_counts_as_unsaved(toolbox: Toolbox, corpus: Corpus, inventory_dir: Path) -> None:
    case = next(c for c in corpus.cases if c.name == "ios-napalm-ios-running")
    device_dir = inventory_dir.parent / "devices" / case.name
    rotated = case.running.replace("password 0 cisco", "password 0 r0tated")
    (device_dir / "get_config.1").write_text(json.dumps({"running": rotated, "startup": case.running, "candidate": ""}))
    try:
        result = await toolbox.get_device_config(case.name)
    finally:
        (device_dir / "get_config.1").write_text(json.dumps({"running": case.running, "startup": case.startup, "candidate": ""}))
    assert result.startup_differs is True and result.diff_vs_startup == []
    assert any("secret values differ" in o.message for o in result.observations)
    assert "r0tated" not in result.model_dump_json()


def test_custom_audit_rules_evidence_keeps_block_context(tmp_path: Path) -> None:
    """Issue 9, finding 6: evidence under `tacacs server` and `line vty` used to be redacted line by line."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [
        {"id": "tacacs-key-type-0", "title": "TACACS key in clear", "severity": "high", "reference": "local", "tags": ["cis"],
         "platforms": ["ios"], "check": {"kind": "each_forbid", "parent": [{"startswith": "tacacs server"}], "child": [{"startswith": "key 0"}]},
         "remediation": ["tacacs server <name>", " key 6 <key>"], "rationale": "clear keys leak"},
        {"id": "vty-password-type-0", "title": "VTY password in clear", "severity": "high", "reference": "local", "tags": ["cis"],
         "platforms": ["ios"], "check": {"kind": "each_forbid", "parent": [{"startswith": "line vty"}], "child": [{"startswith": "password 0"}]},
         "remediation": ["line vty 0 4", " no password"], "rationale": "clear passwords leak"},
    ]}))
    config = "tacacs server T1\n address ipv4 10.1.1.1\n key 0 Tac4csClear\nline vty 0 4\n password 0 VtyCl34r\n"
    report = audit_config("r1", "ios", config, load_rules(rules))
    evidence = {f.rule_id: f.evidence for f in report.findings}
    assert evidence == {"tacacs-key-type-0": ["tacacs server T1", " key 0 <redacted>"],
                        "vty-password-type-0": ["line vty 0 4", " password 0 <redacted>"]}


# -- through the CLI and the LLM prompts ------------------------------------------------------


def _config_file(tmp_path: Path, inventory: Path, **llm) -> Path:
    path = tmp_path / "noc.yml"
    retry = {"backoff_initial_s": 0.01, "backoff_max_s": 0.02, "jitter_s": 0.0}
    path.write_text(yaml.safe_dump({"network": {"inventory": str(inventory)}, "llm": llm, "resilience": {"retry": retry}}))
    return path


def test_noc_audit_json_over_the_corpus_leaks_nothing(runner, corpus: Corpus, inventory_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["--config", str(_config_file(tmp_path, inventory_dir)), "audit", "--all", "--json"])
    assert result.exit_code in (0, 1), result.output
    devices = json.loads(result.stdout)["devices"]
    assert len(devices) == len(corpus.cases)
    assert sum(1 for d in devices if d.get("findings")) >= 20  # the audited platforms really were audited
    assert _leaks(corpus.values(), result.output) == []
    assert "OLDCOMMUNITY" not in result.output and "hunter2" not in result.output


def test_noc_ask_json_over_the_corpus_leaks_nothing(runner, corpus: Corpus, inventory_dir: Path, tmp_path: Path) -> None:
    chosen = [c for c in corpus.cases if c.platform in ("ios", "nxos", "junos")][:6]
    names = [c.name for c in chosen]
    question = f"show the running config and compare it with startup on {', '.join(names)}"
    result = runner.invoke(cli, ["--config", str(_config_file(tmp_path, inventory_dir)), "ask", question, "--json", "-q"])
    assert result.exit_code in (0, 1), result.output
    answer = json.loads(result.stdout)
    assert "config" in answer["specialists"] and "<redacted>" in result.output  # configs were read and shown
    assert _leaks(corpus.values(chosen), result.output) == [] and "hunter2" not in result.output


def test_prompts_to_claude_carry_no_secret(runner, fake_anthropic, corpus: Corpus, inventory_dir: Path, tmp_path: Path) -> None:
    """The config specialist reads every corpus config (and a section and the diff); the security
    specialist audits them: nothing the loopback Messages API receives holds a secret value."""
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="config", specialists=["config", "security"], devices=[], reasoning="review")))
    api.script("planner", text(PlanOut(reasoning="review", steps=[
        PlanStepOut(id="s1", agent="config", instruction="show configs", devices=[], depends_on=[]),
        PlanStepOut(id="s2", agent="security", instruction="audit", devices=[], depends_on=[])])))
    reads = [("get_device_config", {"device": c.name}) for c in corpus.cases]
    sections = [("get_device_config", {"device": c.name, "section": _section_of(c)}) for c in corpus.cases]
    scans = [("scan_security_vulnerabilities", {"device": c.name}) for c in corpus.cases if c.platform in AUDITED]
    report = {"summary": "reviewed", "findings": [FindingOut(text="configs reviewed", severity="info")], "recommendations": [], "confidence": 0.9}
    api.script("specialist:config", tool_use(*reads), tool_use(*sections), text(ConfigReport(**report, generated_config=[])))
    api.script("specialist:security", tool_use(*scans), text(SecurityReport(**report, risk_scores={})))
    api.script("coordinator", text(GapList(gaps=[])))
    api.script("synthesis", text(SynthesisOut(summary="Reviewed.", conflicts=[])))
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url}
    config = _config_file(tmp_path, inventory_dir, router_margin=100, tool_result_max_chars=200_000, max_tool_steps=4)
    result = runner.invoke(cli, ["--config", str(config), "ask", "review every configuration", "--json", "-q"], env=env)
    assert result.exit_code in (0, 1), result.output
    sent = json.dumps(api.requests)
    assert len(api.requests_for("specialist:config")) == 3
    assert sent.count("<redacted>") > 500  # the configs really were in the prompts
    assert _leaks(corpus.values(), sent) == []
    assert "OLDCOMMUNITY" not in sent and "hunter2" not in sent
