"""Loopback Jira REST API v2 for issues used as change records
(https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/).

`POST /rest/api/2/issue` -> 201 `{"id", "key", "self"}` (400 `{"errorMessages": [], "errors":
{field: message}}` without project, issue type or summary); `GET /rest/api/2/issue/{key}?fields=status`
-> `{"id", "key", "fields": {"status": {"name", "id"}}}` (404 `{"errorMessages": ["Issue does not
exist or you do not have permission to see it."], "errors": {}}`); `POST .../comment` -> 201;
`GET .../transitions` -> `{"transitions": [{"id", "name", "to"}]}`; `POST .../transitions` -> 204.
Basic auth (e-mail and API token). A test moves an issue as a change manager would (`set_status`).
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.loopback import LoopbackServer

TRANSITIONS = [{"id": "11", "name": "Approve", "to": {"name": "Approved"}},
               {"id": "31", "name": "Done", "to": {"name": "Done"}}]


def _missing(message: str, status: int = 404) -> web.Response:
    return web.json_response({"errorMessages": [message], "errors": {}}, status=status)


class FakeJira(LoopbackServer):
    name = "fake-jira"

    def __init__(self, user: str = "noc-bot@example.net", token: str = "jira-api-token-0123") -> None:
        super().__init__()
        self.user, self.token = user, token
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[str]] = {}
        self.down = False
        self._lock = threading.Lock()

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/rest/api/2/issue", self._create)
        app.router.add_get("/rest/api/2/issue/{key}", self._read)
        app.router.add_post("/rest/api/2/issue/{key}/comment", self._comment)
        app.router.add_get("/rest/api/2/issue/{key}/transitions", self._transitions)
        app.router.add_post("/rest/api/2/issue/{key}/transitions", self._transition)
        return app

    def set_status(self, key: str, status: str) -> None:
        with self._lock:
            self.issues[key]["status"] = status

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                                      "errors": {}}, status=401)
        return None

    async def _create(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        fields = (await request.json()).get("fields") or {}
        errors = {name: f"{label} is required." for name, label in (("project", "project"), ("issuetype", "issue type"),
                                                                     ("summary", "You must specify a summary of the issue."))
                  if not fields.get(name)}
        if errors:
            return web.json_response({"errorMessages": [], "errors": errors}, status=400)
        with self._lock:
            issue_id = str(10000 + len(self.issues))
            key = f"{fields['project']['key']}-{len(self.issues) + 1}"
            self.issues[key] = {"id": issue_id, "key": key, "fields": fields, "status": "Awaiting approval"}
            self.comments[key] = []
        return web.json_response({"id": issue_id, "key": key, "self": f"{self.url}/rest/api/2/issue/{issue_id}"}, status=201)

    async def _read(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        with self._lock:
            issue = self.issues.get(request.match_info["key"])
            if issue is None:
                return _missing("Issue does not exist or you do not have permission to see it.")
            return web.json_response({"id": issue["id"], "key": issue["key"],
                                      "fields": {"status": {"name": issue["status"], "id": "1"}}})

    async def _comment(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        body = await request.json()
        with self._lock:
            if request.match_info["key"] not in self.issues:
                return _missing("Issue does not exist or you do not have permission to see it.")
            self.comments[request.match_info["key"]].append(str(body.get("body", "")))
        return web.json_response({"id": "20001", "body": body.get("body", "")}, status=201)

    async def _transitions(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        return web.json_response({"expand": "transitions", "transitions": TRANSITIONS})

    async def _transition(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        wanted = str(((await request.json()).get("transition") or {}).get("id"))
        found = next((t for t in TRANSITIONS if t["id"] == wanted), None)
        with self._lock:
            if request.match_info["key"] not in self.issues:
                return _missing("Issue does not exist or you do not have permission to see it.")
            if found is None:
                return web.json_response({"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."],
                                          "errors": {}}, status=400)
            self.issues[request.match_info["key"]]["status"] = found["to"]["name"]
        return web.Response(status=204)


@pytest.fixture(name="fake_jira")
def fake_jira_fixture():
    server = FakeJira().start()
    yield server
    server.stop()
