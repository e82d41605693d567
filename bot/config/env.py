"""Settings from the environment: `NOC_<SECTION>__<KEY>` variables over the YAML file, and
secrets given as files (`<NAME>_FILE`, as Kubernetes and Docker mount secrets).

Why: a container is configured by its environment, and the store URL carries a password that
must not live in a ConfigMap. The nested form is pydantic-settings' (`NOC_STORE__URL`,
`NOC_ACCESS__OPERATOR__USERS='["U1"]'`: a list, mapping or whole section is JSON); its
`EnvSettingsSource` reads the variables, `bot.config.settings` merges them over the file and validates
the whole. `env_layer` also remembers which variable gave which setting, so an error names the
variable and never shows its value.

`*_FILE` (hand-written; pydantic-settings' secrets_dir is a different convention): for every
variable named NOC_*, SLACK_* or ANTHROPIC_* (and the device credential variables the
configuration names), `NAME_FILE=/run/secrets/x` gives NAME the file's content, stripped of
surrounding whitespace. Setting both NAME and NAME_FILE to different values is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, create_model
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

from agents.safe_yaml import YamlInputError, read_text_file

PREFIX = "NOC_"
DELIMITER = "__"
FILE_SUFFIX = "_FILE"
SECRET_PREFIXES = ("NOC_", "SLACK_", "ANTHROPIC_")
NOT_SECRETS = frozenset({"NOC_CONFIG"})  # a path: NOC_CONFIG_FILE must not replace it by the file's text
MAX_SECRET_BYTES = 64 * 1024


class EnvError(ValueError):
    """A variable that cannot be used; the message names it and never shows its value."""


# --- *_FILE ---------------------------------------------------------------------------------


def secret_files(environ: Mapping[str, str], setting_vars: Iterable[str] = (), also: Iterable[str] = ()) -> dict[str, str]:
    """The variables `NAME_FILE` stands for: {NAME: content of the file}.

    `setting_vars` are names that are settings themselves (NOC_AUDIT__RULES_FILE is a path, not
    a secret file); `also` are further NAMEs allowed besides the prefixes (device credentials)."""
    settings_names = {n.upper() for n in setting_vars}
    extra = set(also)
    resolved: dict[str, str] = {}
    for var, where in environ.items():
        if not var.endswith(FILE_SUFFIX) or var.upper() in settings_names:
            continue
        name = var[: -len(FILE_SUFFIX)]
        if not name or name in NOT_SECRETS or not (name.startswith(SECRET_PREFIXES) or name in extra):
            continue
        if not where.strip():
            raise EnvError(f"{var} is set but empty (it should name a file holding {name})")
        try:
            value = read_text_file(Path(where), max_bytes=MAX_SECRET_BYTES).strip()
        except FileNotFoundError:
            raise EnvError(f"{var}: file {where} not found") from None
        except YamlInputError as exc:
            raise EnvError(f"{var}: {exc}") from None
        if not value:
            raise EnvError(f"{var}: file {where} is empty")
        if environ.get(name) not in (None, "", value):
            raise EnvError(f"both {name} and {var} are set (to different values); set one of them")
        resolved[name] = value
    return resolved


def apply_secret_files(model: type[BaseModel], also: Iterable[str] = ()) -> list[str]:
    """Put what `*_FILE` variables stand for into this process's environment, for the code that
    reads os.environ itself (Slack tokens, the Anthropic key, NOC_ALERT_TOKEN, device
    passwords). A variable that is a setting of `model` itself (NOC_AUDIT__RULES_FILE) is not
    one. Returns the names set."""
    named = [var for var, path in setting_variables(os.environ, model).items() if _resolves(model, path)]
    resolved = secret_files(os.environ, named, also)
    os.environ.update(resolved)
    return sorted(resolved)


# --- NOC_<SECTION>__<KEY> -------------------------------------------------------------------


class _EnvBase(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_nested_delimiter=DELIMITER, case_sensitive=False, extra="ignore")


class _Source(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def _shape(model: type[BaseModel]) -> type[BaseSettings]:
    fields: dict[str, Any] = {name: (field.annotation, None) for name, field in model.model_fields.items()}
    return create_model(f"{model.__name__}FromEnv", __base__=_EnvBase, **fields)


def setting_variables(environ: Mapping[str, str], model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """{variable: setting path} for the NOC_<SECTION>... variables that name a section of `model`."""
    sections = set(model.model_fields)
    found: dict[str, tuple[str, ...]] = {}
    for var in environ:
        if not var.upper().startswith(PREFIX):
            continue
        path = tuple(var[len(PREFIX):].lower().split(DELIMITER))
        if path[0] in sections:
            found[var] = path
    return found


def env_layer(environ: Mapping[str, str], model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The settings the environment gives, as the nested dict the YAML file would, and
    {variable: setting path} for naming them in errors. `*_FILE` variables count as the
    variable they stand for."""
    named = [var for var, path in setting_variables(environ, model).items() if _resolves(model, path)]
    files = secret_files(environ, named)
    merged = {**environ, **files}
    consumed = {name + FILE_SUFFIX for name in files}
    variables = {var: path for var, path in setting_variables(merged, model).items() if var not in consumed}
    for var in variables:  # an empty value is "unset" to pydantic-settings; say so instead of ignoring it
        if merged[var] == "":
            raise EnvError(f"{var} is set but empty; unset it to use the file's or the default value")
    shape = _shape(model)
    try:
        values = _Source(shape, {v: merged[v] for v in variables})()
    except SettingsError:
        raise EnvError(_undecodable(shape, merged, variables)) from None
    # an error about a setting that came from a file names the *_FILE variable the operator set
    return values, {(var + FILE_SUFFIX if var in files else var): path for var, path in variables.items()}


def _undecodable(shape: type[BaseSettings], environ: Mapping[str, str], variables: Mapping[str, Any]) -> str:
    """Which variable pydantic-settings could not decode (one at a time, to name it)."""
    for var in sorted(variables):
        try:
            _Source(shape, {var: environ[var]})()
        except SettingsError:
            return f"{var}: not valid JSON (a list, mapping or whole section is given as JSON, e.g. '[\"U123\"]')"
    return "a NOC_ variable could not be read"


def _resolves(model: type[BaseModel], path: tuple[str, ...]) -> bool:
    """Whether `path` names a setting of `model` (anything under a mapping-valued setting does)."""
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return True
        field = current.model_fields.get(part)
        if field is None:
            return False
        current = field.annotation
    return True


def variable_for(loc: tuple[Any, ...], variables: Mapping[str, tuple[str, ...]]) -> str | None:
    """The variable that set the setting at `loc` (the longest matching path), or None."""
    key = tuple(str(p).lower() for p in loc)
    best: tuple[int, str] | None = None
    for var, path in variables.items():
        if key[: len(path)] == path and (best is None or len(path) > best[0]):
            best = (len(path), var)
    return best[1] if best else None


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`; mappings are merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
