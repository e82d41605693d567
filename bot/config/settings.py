"""The configuration: one YAML document, with NOC_<SECTION>__<KEY> variables over it, validated
by pydantic.

`load_settings` is the only way in. It turns every problem (missing file, broken YAML, repeated
key, unknown key, wrong type or value, a bad variable) into one `ConfigError` whose message names
the file and the field, or the variable, and what to do, so the CLI can print it and exit 2
instead of showing a traceback. Secrets are not part of the file; they come from environment
variables (or files named by *_FILE variables, bot.config.env), and no message shows a
variable's value or a URL's password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agents.access import Role
from agents.catalogue import CatalogueError, configure
from agents.changes.config import ChangesConfig
from agents.config import AuditConfig, EngineConfig, LLMConfig, NetworkConfig, ResilienceConfig, StrictModel, ThresholdsConfig
from agents.lab import scenario_names
from agents.network.sources.config import InventoryConfig
from agents.safe_yaml import YamlInputError, load_yaml_file
from agents.tools.mcp_config import McpServerConfig
from agents.tools.roles import DEFAULT_TOOL_ROLES
from bot.config.env import EnvError, deep_merge, env_layer, variable_for
from bot.config.integrations import AlertmanagerConfig, JiraConfig, PagerDutyConfig, ServiceNowConfig
from bot.config.mcp import McpServeConfig
from bot.config.secret_mask import mask_credentials

CONFIG_ENV = "NOC_CONFIG"


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file. Never carries a
    credential: a URL password quoted back is masked (bot.config.secret_mask)."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_credentials(message))


class RoleGrants(StrictModel):
    """Who holds a role: Slack user ids, user group ids (S...) and channel ids; shell wildcards allowed."""

    users: list[str] = []
    usergroups: list[str] = []
    channels: list[str] = []


# The role each Slack command and button needs (what a user may do, beside the tools' roles, which
# say what data they may see). `access.command_roles` overrides any of them; the change approver,
# the pager and alert triage have their own settings (changes.approver_role, changes.requester_role, pagerduty.page_role,
# alerts.triage_role). A question (@noc, /noc <question>) needs the role of its specialists'
# core tools (spec.yaml access.core_tools).
DEFAULT_COMMAND_ROLES: dict[str, Role] = {
    "/noc-audit": "operator",
    "/noc-health": "viewer",
    "/noc inventory": "viewer",
    "/noc inventory refresh": "operator",
    "feedback": "viewer",
}


def _only_known(value: dict[str, Role], known: Mapping[str, Role], what: str, listed: str) -> dict[str, Role]:
    """A role override names only what has a default role: a typo is reported, not ignored."""
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(unknown)}; {listed}: {', '.join(known)}")
    return value


class AccessConfig(StrictModel):
    """Roles are cumulative: admin includes operator, operator includes viewer.

    `tool_roles` overrides the role a tool needs (defaults: each tool declaration's `role`, `agents.tools.roles.DEFAULT_TOOL_ROLES`:
    configuration and the security audit need operator, everything else viewer).
    """

    viewer: RoleGrants = RoleGrants(users=["*"])
    operator: RoleGrants = RoleGrants()
    admin: RoleGrants = RoleGrants()
    usergroup_cache_s: float = Field(300.0, ge=0)
    tool_roles: dict[str, Role] = {}
    command_roles: dict[str, Role] = {}  # over DEFAULT_COMMAND_ROLES

    @field_validator("command_roles")
    @classmethod
    def _known_commands(cls, value: dict[str, Role]) -> dict[str, Role]:
        return _only_known(value, DEFAULT_COMMAND_ROLES, "command(s)", "commands")

    def command_role(self, command: str) -> Role:
        """The role `command` needs: the configured one, else the default (admin for an unknown command: closed)."""
        return self.command_roles.get(command) or DEFAULT_COMMAND_ROLES.get(command, "admin")

    @field_validator("tool_roles")
    @classmethod
    def _known_tools(cls, value: dict[str, Role]) -> dict[str, Role]:
        return _only_known(value, DEFAULT_TOOL_ROLES, "tool(s)", "tools")


class SlackConfig(StrictModel):
    """Slack behaviour. Tokens and the signing secret come only from the environment."""

    api_url: str | None = None  # SLACK_API_URL overrides; default Slack's
    status_update_interval_s: float = Field(1.0, ge=0.0, le=60)
    max_rate_limit_retries: int = Field(3, ge=0, le=10)
    # A computed answer that Slack refuses (500, ok:false, 429s beyond the retries) is posted again
    # with exponential backoff, this many attempts in all, starting at post_backoff_s.
    post_attempts: int = Field(6, ge=1, le=20)
    post_backoff_s: float = Field(1.0, ge=0.0, le=60)
    # How a person's request shows progress: a streamed task list plus a thread status (Slack's
    # AI-app surface; falls back to edits when refused), or one status message edited in place.
    progress: Literal["stream", "edit"] = "stream"
    # Slack's pace per channel, shared by every request of the process (bot.slack.pace): posts,
    # edits and stream calls into one channel take a token; tokens accrue at channel_rate_per_s,
    # at most channel_burst saved up. Answers go before progress, which is coalesced meanwhile.
    channel_rate_per_s: float = Field(1.0, gt=0, le=100)
    channel_burst: int = Field(4, ge=1, le=100)
    socket_ping_interval_s: float = Field(10.0, gt=0, le=60)  # Socket Mode: how often the link is checked, a lost one replaced


class ServerConfig(StrictModel):
    host: str = "0.0.0.0"
    port: int = Field(3000, ge=0, le=65535)
    # On SIGTERM running requests get this long to finish; the rest are marked interrupted.
    shutdown_grace_s: float = Field(20.0, ge=0, le=600)


class StoreConfig(StrictModel):
    """Where requests, agent runs, audit events, the token budget and the rest are kept.

    `sqlite:///path` is the embedded default (created on first run, one process);
    `postgresql://user:password@host/db` lets several replicas share de-duplication, the budget,
    breaker history and request leases. `lease_s` is how long a request may go without renewing
    its lease before a restart calls it interrupted; rows older than `retention_days` are deleted.
    """

    url: str = Field("sqlite:///noc.db", pattern=r"^(sqlite:///.+|postgres(ql)?(\+asyncpg)?://.+)")
    retention_days: int = Field(90, ge=1, le=3650)
    lease_s: float = Field(60.0, ge=5, le=3600)
    # Each process beats every heartbeat_s and sweeps the leases of processes that missed
    # dead_after_beats beats in a row (bot.durable): a quick restart strands no request.
    heartbeat_s: float = Field(3.0, ge=0.2, le=300)
    dead_after_beats: int = Field(3, ge=2, le=100)
    # Where this host's processes journal acked events and delayed writes (bot.durability.journal); unset:
    # beside an SQLite store, else $XDG_STATE_HOME/noc-chatops/journal.
    journal_dir: str | None = Field(None, min_length=1)
    # How long a record write retries a locked or unreachable store before it waits in the outbox (bot.durability.outbox).
    write_patience_s: float = Field(30.0, ge=0.1, le=600)
    # Pooled connections to PostgreSQL (half of them write group-commit batches side by side,
    # bot.store.group_commit). Unset: sized from resilience.max_concurrent_requests when the settings
    # are built (`store_pool_size`). SQLite keeps its own small pool: it has one writer.
    pool_size: int | None = Field(None, ge=2, le=500)

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        """A host part that is not host[:port] is a mistake here, not a ValueError at start-up."""
        from urllib.parse import urlsplit

        try:
            _ = urlsplit(value).port  # raises on a port that is not a number
        except ValueError as exc:
            raise ValueError(f"not a database URL ({exc}); e.g. postgresql://user@host:5432/db") from None
        return value


class ReportConfig(StrictModel):
    """The daily health report that `noc run` posts (bot.scheduler); off until `channel` is set.

    `cron` is a five-field crontab read in `timezone`, so "0 9 * * *" stays 09:00 local across
    daylight saving changes. A run missed (bot down, machine asleep) by less than
    `misfire_grace_s` runs late, once; one missed by more is skipped and logged.
    """

    channel: str | None = Field(None, min_length=1)
    cron: str = "0 9 * * *"
    timezone: str = "UTC"
    misfire_grace_s: int = Field(3600, ge=0, le=7 * 86400)
    daily_cost_alert_usd: float = Field(200.0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as Europe/Berlin or UTC)") from None
        return value

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from bot.config.crontab import crontab_trigger

        try:
            crontab_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"not a crontab expression ({exc}); five fields, e.g. '0 9 * * *' for 09:00 every day") from None
        return value


class AlertsConfig(StrictModel):
    """Live alerts (bot.report.live_alerts): a breaker opening, an agent under the success-rate floor.

    `channel` defaults to `report.channel`; with neither, alerts are only stored. An agent is
    judged over the last hour once it has at least `min_runs` runs there, so one failed run at
    night is not "0% success".
    """

    channel: str | None = Field(None, min_length=1)
    min_success_rate: float = Field(0.95, ge=0, le=1)
    min_runs: int = Field(5, ge=1, le=10000)
    # Alert-driven triage (bot.triage): POST /alerts/alertmanager and /alerts/generic.
    max_investigations_per_minute: int = Field(10, ge=1, le=600)
    flap_window_s: float = Field(3600.0, ge=0, le=7 * 86400)  # a group firing again this soon after resolving is a flap
    triage_role: Role = "viewer"  # the role investigations run with: the alerts channel is read by many


def store_pool_size(max_concurrent_requests: int) -> int:
    """Connections for a request limit: an admitted request uses one at a time (its writes, its
    thread's context), and four more serve the acks' claims, heartbeats, reports and lookups."""
    return max_concurrent_requests + 4


class Settings(StrictModel):
    network: NetworkConfig = NetworkConfig()
    inventory: InventoryConfig = InventoryConfig()  # where the devices come from: file, netbox, nautobot
    audit: AuditConfig = AuditConfig()
    thresholds: ThresholdsConfig = ThresholdsConfig()
    engine: EngineConfig = EngineConfig()
    llm: LLMConfig = LLMConfig()
    resilience: ResilienceConfig = ResilienceConfig()
    slack: SlackConfig = SlackConfig()
    access: AccessConfig = AccessConfig()
    server: ServerConfig = ServerConfig()
    store: StoreConfig = StoreConfig()
    report: ReportConfig = ReportConfig()
    alerts: AlertsConfig = AlertsConfig()
    changes: ChangesConfig = ChangesConfig()
    mcp: McpServeConfig = McpServeConfig()  # `noc mcp serve` (bot/mcp_server)
    mcp_servers: list[McpServerConfig] = []  # a team's MCP servers as toolsets (agents/tools/mcp_toolsets.py)
    alertmanager: AlertmanagerConfig = AlertmanagerConfig()  # bot.integrations: silences, incidents, records
    pagerduty: PagerDutyConfig = PagerDutyConfig()
    servicenow: ServiceNowConfig = ServiceNowConfig()
    jira: JiraConfig = JiraConfig()

    @model_validator(mode="after")
    def _store_pool_from_request_limit(self) -> Settings:
        if self.store.pool_size is None:
            self.store.pool_size = store_pool_size(self.resilience.max_concurrent_requests)
        return self


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `path`, else $NOC_CONFIG, else the built-in defaults (the embedded lab), with
    NOC_<SECTION>__<KEY> variables (and their *_FILE forms) over them (bot.config.env)."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(CONFIG_ENV):
        path = environ[CONFIG_ENV]
    try:
        from_env, variables = env_layer(environ, Settings)
    except EnvError as exc:
        raise ConfigError(str(exc)) from None
    path = None if path is None else Path(path)
    raw = deep_merge(_read(path) if path is not None else {}, from_env)
    label = _Labels(path, variables)
    _configure_specialists(raw, path, label)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, Settings, label)) from None
    return _checked(_resolve_paths(settings, path.parent if path else Path.cwd(), label), label)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = load_yaml_file(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except YamlInputError as exc:
        raise ConfigError(str(exc)) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (network, audit, ...), not {type(raw).__name__}")
    return raw


class _Labels:
    """How an error names a setting: the variable that gave it, else `file: section.key`."""

    def __init__(self, path: Path | None, variables: Mapping[str, tuple[str, ...]]) -> None:
        self.path, self.variables = path, variables

    def env(self, *loc: Any) -> str | None:
        return variable_for(loc, self.variables)

    def __call__(self, dotted: str) -> str:
        var = self.env(*dotted.split("."))
        if var is not None:
            return var
        return f"{self.path}: {dotted}" if self.path else dotted


def _configure_specialists(raw: dict[str, Any], path: Path | None, label: _Labels) -> None:
    """Discover the specialists first (engine.specialist_paths, relative to the file): the rest of
    the file names them (llm.specialists, resilience.pools) and is validated against them."""
    engine = raw.get("engine")
    if not isinstance(engine, dict):
        engine = {}
    paths = engine.get("specialist_paths") or []
    if not isinstance(paths, list):
        raise ConfigError(f"{label('engine.specialist_paths')} must be a list of folders")
    base = path.parent if path and not label.env("engine", "specialist_paths") else Path.cwd()
    try:
        configure([p if Path(p).is_absolute() else base / p for p in map(Path, map(str, paths))])
    except CatalogueError as exc:
        raise ConfigError(f"{label('engine.specialist_paths')}: {exc}") from None


def _checked(settings: Settings, label: _Labels) -> Settings:
    """Cross-field checks pydantic cannot do alone (they need the lab's scenario list)."""
    net = settings.network
    if net.inventory is None and net.scenario not in scenario_names():
        raise ConfigError(f"{label('network.scenario')}: unknown scenario '{net.scenario}' (known: {', '.join(scenario_names())})")
    if net.inventory is not None and not net.inventory.is_dir():
        raise ConfigError(f"{label('network.inventory')}: {net.inventory} is not a directory with hosts.yaml/groups.yaml/defaults.yaml")
    if net.runbooks is not None and not net.runbooks.is_dir():
        raise ConfigError(f"{label('network.runbooks')}: {net.runbooks} is not a directory of runbooks (*.md)")
    if settings.audit.rules_file is not None and not settings.audit.rules_file.is_file():
        raise ConfigError(f"{label('audit.rules_file')}: {settings.audit.rules_file} does not exist")
    for agent, pool in settings.resilience.pools.items():  # a pool instance's tier is one of llm.tiers
        for i, inst in enumerate(pool.instances):
            if inst.tier is not None and inst.tier not in settings.llm.tiers:
                raise ConfigError(f"{label(f'resilience.pools.{agent}')}.instances[{i}]: tier '{inst.tier}' is not in llm.tiers "
                                  f"({', '.join(settings.llm.tiers)})")
    if settings.changes.require_record == "servicenow" and not (settings.servicenow.url and settings.servicenow.user):
        raise ConfigError(f"{label('changes.require_record')}: servicenow needs servicenow.url and servicenow.user")
    if settings.changes.require_record == "jira" and not (settings.jira.url and settings.jira.project):
        raise ConfigError(f"{label('changes.require_record')}: jira needs jira.url and jira.project")
    if settings.changes.silence == "required" and not settings.alertmanager.url:
        raise ConfigError(f"{label('changes.silence')}: required needs alertmanager.url (where the silences go)")
    return settings


def _resolve_paths(settings: Settings, base: Path, label: _Labels) -> Settings:
    """Relative paths in the file are relative to the file (from a variable, to the working
    directory), not to wherever the command runs."""
    def resolved(value: Path, *loc: str) -> Path:
        return value if value.is_absolute() or label.env(*loc) else base / value

    if settings.network.inventory is not None:
        settings.network.inventory = resolved(settings.network.inventory, "network", "inventory")
    if settings.network.runbooks is not None:
        settings.network.runbooks = resolved(settings.network.runbooks, "network", "runbooks")
    if settings.audit.rules_file is not None:
        settings.audit.rules_file = resolved(settings.audit.rules_file, "audit", "rules_file")
    settings.engine.specialist_paths = [resolved(p, "engine", "specialist_paths") for p in settings.engine.specialist_paths]
    return settings


def _describe(exc: ValidationError, model: type[BaseModel], label: _Labels) -> str:
    """The first problem first; further ones counted, since one fix at a time is how files get edited."""
    errors = exc.errors()
    messages = [_describe_one(err, model, label) for err in errors]
    more = f" (and {len(messages) - 1} more problem{'s' if len(messages) > 2 else ''}: {'; '.join(messages[1:])})" if len(messages) > 1 else ""
    return messages[0] + more


def _describe_one(err: Any, model: type[BaseModel], label: _Labels) -> str:
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) or "(top level)"
    var = label.env(*loc)
    where = f"{var} ({field})" if var else label(field)
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"{where}: unknown key" + (f" (allowed here: {', '.join(allowed)})" if allowed else "")
    got = err.get("input")
    # A value from a variable is never shown back: it may be a secret (NOC_STORE__URL carries a password).
    shown = f" (got {got!r})" if got is not None and not var and not isinstance(got, (dict, list)) else ""
    return f"{where}: {err['msg']}{shown}"


def _allowed_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    current: Any = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []
