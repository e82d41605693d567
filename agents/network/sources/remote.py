"""Reading the devices from NetBox (pynetbox) or Nautobot (pynautobot), with the configured filters.

Both clients page through the list for us (NetBox's and Nautobot's `next` links, `limit` and
`offset`); the filters become the APIs' own query parameters, so a 2,000-device source sends only
the devices the bot should see. A failed read raises `SourceError` with a message safe to log and
show: the URL without any user:password part, the HTTP status and the server's `detail`, never
the token.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests

from agents.network.inventory import Inventory, InventoryError
from agents.network.live import Loaded
from agents.network.sources.config import ENV_NAME, InventoryConfig
from agents.network.sources.records import map_records


class SourceError(InventoryError):
    """The source of truth could not be read (unreachable, refused, malformed); safe to show."""


def shown_url(url: str) -> str:
    """A URL without credentials in it, for logs and health."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def api_token(config: InventoryConfig) -> str:
    token = os.environ.get(config.token_env, "").strip()
    if not token:
        # The name is shown only because config validation holds it to a variable name's shape.
        shown = config.token_env if ENV_NAME.match(config.token_env) else "named in inventory.token_env"
        raise SourceError(f"inventory: no API token for {config.source} (set the environment variable {shown})")
    return token


class _TimedSession(requests.Session):
    """A requests session with a default timeout: neither client sets one, and a hung source of
    truth must fail the refresh (keeping the last good inventory), not hang it for ever."""

    def __init__(self, timeout_s: float, verify: bool) -> None:
        super().__init__()
        self._timeout_s = timeout_s
        self.verify = verify

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout_s)
        return super().request(method if isinstance(method, str) else method.decode(), url, *args, **kwargs)


def load_netbox(config: InventoryConfig) -> Loaded:
    """Devices from NetBox's /api/dcim/devices/ (site, role, tag: slugs; status: values)."""
    import pynetbox  # imported on use: the lab and file inventories do without it

    api = pynetbox.api(str(config.url), token=api_token(config))
    api.http_session = _TimedSession(config.timeout_s, config.verify_tls)
    params = _params(config, site="site", role="role", tag="tag", status="status")
    params["exclude"] = "config_context"  # NetBox's advice for large lists: the rendered context is the heavy part
    return _inventory(config, lambda: api.dcim.devices.filter(**params), pynetbox.RequestError)


def load_nautobot(config: InventoryConfig) -> Loaded:
    """Devices from Nautobot's /api/dcim/devices/ (location, role, tags, status: names), with
    depth=1 so the platform's network_driver and the primary IPs' addresses come in the same list."""
    import pynautobot

    api = pynautobot.api(str(config.url), token=api_token(config), verify=config.verify_tls)
    api.http_session = _TimedSession(config.timeout_s, config.verify_tls)
    params = _params(config, site="location", role="role", tag="tags", status="status")
    params["depth"] = 1

    def read() -> Iterable[Any]:
        if "status" in params:  # status names as Nautobot spells them: `active` in the file finds `Active`
            names = {str(s.name).lower(): str(s.name) for s in api.extras.statuses.all()}
            params["status"] = [names.get(v.lower(), v) for v in params["status"]]
        return api.dcim.devices.filter(**params)  # type: ignore[no-any-return]

    return _inventory(config, read, pynautobot.RequestError)


def _params(config: InventoryConfig, **names: str) -> dict[str, Any]:
    f = config.filters
    given = {"site": f.site, "role": f.role, "tag": f.tag, "status": f.status}
    return {names[key]: values for key, values in given.items() if values}


def _inventory(config: InventoryConfig, read: Callable[[], Iterable[Any]], request_error: type[Exception]) -> Loaded:
    where = f"{config.source} {shown_url(str(config.url))}"
    try:
        records = [dict(record) for record in read()]
    except request_error as exc:
        raise SourceError(f"inventory: {where} refused the device list: {_refusal(exc)}") from None
    except requests.RequestException as exc:
        raise SourceError(f"inventory: {where} is unreachable ({type(exc).__name__})") from None
    except ValueError as exc:  # a body that is not the API's JSON (a proxy's error page)
        raise SourceError(f"inventory: {where} answered with something that is not its API ({type(exc).__name__})") from None
    mapped = map_records(records, config)
    return Loaded(Inventory(mapped.devices), skipped=mapped.skipped)


def _refusal(exc: Exception) -> str:
    """`HTTP 403: Invalid token` from the client's error: the status and the API's own detail."""
    response = getattr(exc, "req", None)
    status = getattr(response, "status_code", None)
    detail = ""
    try:
        body = response.json() if response is not None else None
        if isinstance(body, Mapping):
            detail = str(body.get("detail") or "")
    except ValueError:
        pass
    return f"HTTP {status}" + (f": {detail[:200]}" if detail else "")
