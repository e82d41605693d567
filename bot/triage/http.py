"""The alert endpoints: POST /alerts/alertmanager (Alertmanager webhook, version 4) and
POST /alerts/generic (see `payloads.GenericAlert`).

Authentication is `Authorization: Bearer $NOC_ALERT_TOKEN`, compared in constant time; without
the variable the endpoints are closed (401 says why). Bodies over 256 KiB are refused (413),
anything that is not valid JSON of the documented shape is 400 with the reason. An accepted
notification is stored first and answered 202; the thread and the investigation follow in the
background. When the store cannot keep it the answer is 503, which Alertmanager retries.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.triage.payloads import AlertGroup, AlertmanagerPayload, GenericAlert, from_alertmanager, from_generic

log = logging.getLogger(__name__)

TOKEN_ENV = "NOC_ALERT_TOKEN"
MAX_BODY = 256 * 1024


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def add_alert_routes(web_app: web.Application, triage: Any, spawn: Callable[[Any, str], Any]) -> None:
    def endpoint(model: type[BaseModel], convert: Callable[[Any], AlertGroup]):
        async def handle(request: web.Request) -> web.Response:
            token = os.environ.get(TOKEN_ENV, "")
            given = request.headers.get("Authorization", "")
            if not token:
                return web.json_response({"error": f"alert intake is closed: {TOKEN_ENV} is not set"}, status=401)
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.json_response({"error": "missing or wrong bearer token"}, status=401)
            if (request.content_length or 0) > MAX_BODY:
                return web.json_response({"error": f"body over {MAX_BODY} bytes"}, status=413)
            raw = await request.content.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                return web.json_response({"error": f"body over {MAX_BODY} bytes"}, status=413)
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                return web.json_response({"error": f"body is not JSON: {str(exc)[:200]}"}, status=400)
            try:
                group = convert(model.model_validate(data))
            except ValidationError as exc:
                return web.json_response({"error": _problem(exc)}, status=400)
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
