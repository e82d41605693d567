"""Loopback PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/).

`POST /v2/enqueue` with the documented validation and answers: 202 `{"status": "success",
"message": "Event processed", "dedup_key": ...}`; 400 `{"status": "invalid event", "message":
"Event object is invalid", "errors": [...]}` for a wrong routing key (32 characters), action,
or a trigger without `payload.summary`, `payload.source` or a known `payload.severity`. Incidents
follow the documented de-duplication: a trigger with the dedup key of an open incident adds to
it; acknowledge and resolve act on the open incident of that key (and are dropped without one);
after a resolve the same key opens a new incident. `fail(n)` answers the next n events 500.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.loopback import LoopbackServer

SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class Incident:
    dedup_key: str
    status: str  # triggered, acknowledged, resolved
    events: list[dict[str, Any]] = field(default_factory=list)


class FakePagerDuty(LoopbackServer):
    name = "fake-pagerduty"

    def __init__(self, routing_key: str = "R0UTINGKEY0123456789abcdef012345") -> None:
        super().__init__()
        self.routing_key = routing_key
        self.incidents: list[Incident] = []
        self.events: list[dict[str, Any]] = []  # every accepted event, in order
        self._failures = 0
        self._lock = threading.Lock()

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/enqueue", self._enqueue)
        return app

    def fail(self, times: int = 1) -> None:
        with self._lock:
            self._failures = times

    def open_incident(self, dedup_key: str) -> Incident | None:
        with self._lock:
            return next((i for i in reversed(self.incidents) if i.dedup_key == dedup_key and i.status != "resolved"), None)

    def incidents_for(self, dedup_key: str) -> list[Incident]:
        with self._lock:
            return [i for i in self.incidents if i.dedup_key == dedup_key]

    async def _enqueue(self, request: web.Request) -> web.Response:
        with self._lock:
            if self._failures:
                self._failures -= 1
                return web.json_response({"status": "error", "message": "internal error"}, status=500)
        try:
            event = await request.json()
        except ValueError:
            return web.json_response({"status": "invalid event", "message": "Event object is invalid", "errors": ["invalid JSON"]}, status=400)
        errors = self._problems(event)
        if errors:
            return web.json_response({"status": "invalid event", "message": "Event object is invalid", "errors": errors}, status=400)
        action = event["event_action"]
        key = event.get("dedup_key") or uuid.uuid4().hex
        with self._lock:
            self.events.append(event)
            open_ = next((i for i in reversed(self.incidents) if i.dedup_key == key and i.status != "resolved"), None)
            if action == "trigger":
                if open_ is None:
                    open_ = Incident(key, "triggered")
                    self.incidents.append(open_)
                open_.events.append(event)
            elif open_ is not None:
                open_.status = "acknowledged" if action == "acknowledge" else "resolved"
                open_.events.append(event)
        return web.json_response({"status": "success", "message": "Event processed", "dedup_key": key}, status=202)

    def _problems(self, event: Any) -> list[str]:
        if not isinstance(event, dict):
            return ["Event must be a JSON object"]
        errors = []
        if event.get("routing_key") != self.routing_key:
            errors.append("'routing_key' is invalid" if event.get("routing_key") else "'routing_key' is missing or blank")
        if event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
        if event.get("event_action") != "trigger" and not event.get("dedup_key"):
            errors.append("'dedup_key' is missing or blank")
        if len(str(event.get("dedup_key") or "")) > 255:
            errors.append("'dedup_key' must be at most 255 characters")
        if event.get("event_action") == "trigger":
            payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
            for name in ("summary", "source"):
                if not payload.get(name):
                    errors.append(f"'payload.{name}' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
        return errors


@pytest.fixture(name="fake_pagerduty")
def fake_pagerduty_fixture():
    server = FakePagerDuty().start()
    yield server
    server.stop()
