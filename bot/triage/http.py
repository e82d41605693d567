"""The alert endpoints: POST /alerts/alertmanager (Alertmanager webhook, version 4) and
POST /alerts/generic (see `payloads.GenericAlert`).

Authentication is `Authorization: Bearer $NOC_ALERT_TOKEN`, compared in constant time; without
the variable the endpoints are closed (401 says why). Bodies over 256 KiB are refused (413),
anything that is not strict JSON (bot.http_input) of the documented shape is 400 with the reason,
logged on one line. An accepted notification is stored first and answered 202; the thread and the
investigation follow in the background. When the store cannot keep it the answer is 503, which
Alertmanager retries.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.http_input import BodyRejected, decode_json, header_text, read_body
from bot.triage.intake import AlertTriage
from bot.triage.payloads import AlertGroup, AlertmanagerPayload, GenericAlert, from_alertmanager, from_generic

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)

TOKEN_ENV = "NOC_ALERT_TOKEN"
MAX_BODY = 256 * 1024


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _reject(request: web.Request, status: int, reason: str, *, log_it: bool = True) -> web.Response:
    """The answer to a refused notification, and its one log line (a wrong token is routine noise:
    INFO; a body our own Alertmanager sent and we refused deserves a WARNING)."""
    if log_it:
        log.log(logging.WARNING if status == 400 else logging.INFO, "rejected a request to %s: %d %s", request.path, status, reason)
    return web.json_response({"error": reason}, status=status)


def add_alert_routes(web_app: web.Application, triage: AlertTriage, spawn: Callable[[Awaitable[Any], str], object]) -> None:
    def endpoint(model: type[M], convert: Callable[[M], AlertGroup]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            token = os.environ.get(TOKEN_ENV, "")
            given = header_text(request, "Authorization")  # None: not UTF-8, so not our token
            if not token:
                return _reject(request, 401, f"alert intake is closed: {TOKEN_ENV} is not set")
            if given is None or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _reject(request, 401, "missing or wrong bearer token")
            try:
                data = decode_json(await read_body(request, MAX_BODY), replace_unstorable=True)  # an alert is never lost to a character
            except BodyRejected as exc:
                return _reject(request, exc.status, exc.reason, log_it=not exc.logged)
            try:
                group = convert(model.model_validate(data))
            except ValidationError as exc:
                return _reject(request, 400, _problem(exc))
            try:  # stored before the 202: what is accepted is never lost (bot.triage.intake)
                inbox_id = await triage.accept(group)
            except Exception as exc:
                log.error("alert %s not accepted: the store cannot keep it (%s)", group.name, type(exc).__name__)
                return web.json_response({"error": "the store is unavailable; send it again"}, status=503)
            spawn(triage.receive(group, inbox_id), f"alert-intake:{group.key}")
            return web.json_response({"status": "accepted", "group": group.key, "alert": group.name}, status=202)
        return handle

    web_app.router.add_post("/alerts/alertmanager", endpoint(AlertmanagerPayload, from_alertmanager))
    web_app.router.add_post("/alerts/generic", endpoint(GenericAlert, from_generic))
