"""Loopback ServiceNow Table API for `change_request` (the documented REST shapes:
https://docs.servicenow.com/bundle/latest/page/integrate/inbound-rest/concept/c_TableAPI.html).

`POST /api/now/table/change_request` -> 201 `{"result": {...}}` with `sys_id` (32 hex),
`number` (CHG0030001...), `approval: requested`, `state: -5` (New); `GET .../{sys_id}`
(with `sysparm_fields`) -> 200 `{"result": {...}}` or 404; `PATCH .../{sys_id}` -> 200 with the
record, `work_notes` kept as a journal. Basic auth on every call (401 with ServiceNow's error
body otherwise). A test approves or rejects a record as a change manager would (`set_approval`);
`down` makes every call 503.
"""

from __future__ import annotations

import base64
import threading
import uuid
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.loopback import LoopbackServer

TABLE = "/api/now/table/change_request"


def _error(status: int, message: str, detail: str) -> web.Response:
    return web.json_response({"error": {"message": message, "detail": detail}, "status": "failure"}, status=status)


class FakeServiceNow(LoopbackServer):
    name = "fake-servicenow"

    def __init__(self, user: str = "noc.bot", password: str = "sn-pass-0123") -> None:
        super().__init__()
        self.user, self.password = user, password
        self.records: dict[str, dict[str, Any]] = {}
        self.work_notes: dict[str, list[str]] = {}
        self.down = False
        self._lock = threading.Lock()

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(TABLE, self._create)
        app.router.add_get(TABLE + "/{sys_id}", self._read)
        app.router.add_patch(TABLE + "/{sys_id}", self._update)
        return app

    def by_number(self, number: str) -> dict[str, Any]:
        with self._lock:
            return next(dict(r) for r in self.records.values() if r["number"] == number)

    def set_approval(self, number: str, approval: str) -> None:
        with self._lock:
            next(r for r in self.records.values() if r["number"] == number)["approval"] = approval

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.down:
            return web.Response(status=503, text="<html>Service Unavailable</html>")
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        if not isinstance(body, dict):
            return _error(400, "Invalid request body", "expected a JSON object")
        with self._lock:
            sys_id = uuid.uuid4().hex
            record = {k: str(v) for k, v in body.items() if k != "work_notes"}
            record.update(sys_id=sys_id, number=f"CHG{30001 + len(self.records):07d}", approval="requested", state="-5",
                          sys_class_name="change_request")
            self.records[sys_id] = record
            self.work_notes[sys_id] = [str(body["work_notes"])] if body.get("work_notes") else []
            return web.json_response({"result": dict(record)}, status=201)

    async def _read(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        with self._lock:
            record = self.records.get(request.match_info["sys_id"])
            if record is None:
                return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
            fields = [f for f in request.query.get("sysparm_fields", "").split(",") if f]
            return web.json_response({"result": {k: v for k, v in record.items() if not fields or k in fields}})

    async def _update(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        with self._lock:
            record = self.records.get(request.match_info["sys_id"])
            if record is None:
                return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
            if body.get("work_notes"):
                self.work_notes[record["sys_id"]].append(str(body["work_notes"]))
            record.update({k: str(v) for k, v in body.items() if k != "work_notes"})
            return web.json_response({"result": dict(record)})


@pytest.fixture(name="fake_servicenow")
def fake_servicenow_fixture():
    server = FakeServiceNow().start()
    yield server
    server.stop()
