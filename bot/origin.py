"""Where a request came from, and the small answering interface the services depend on.

Its own module so that whoever starts a request (the listeners, alert triage, re-runs) names its
origin, and asks for an answer, without importing the runtime that answers it (issue 23: triage
and the change desk depend on `Answering` and `AnswerHook`, not on `bot.runtime.Runtime`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.durability.lifecycle import Where

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from agents.models import Answer, Request
    from bot.access import Role
    from bot.config.settings import Settings
    from bot.store import Store


@dataclass
class Origin:
    """Where a request came from and where its thread is."""

    source: str  # mention | dm | slash | rerun
    user: str | None
    channel: str
    thread_ts: str
    event_id: str | None = None  # the Slack event that started it (its retries are de-duplicated on it)
    team: str | None = None  # the workspace: a streamed reply in a channel names its recipient user and team
    assistant_thread: bool = False  # a thread of the Messages tab: its first question becomes its title

    @property
    def where(self) -> Where:
        return Where(self.source, self.user, self.channel, self.thread_ts, self.event_id)


class AnswerHook(Protocol):
    """What runs once an answer is posted and stored (a change proposal, a page): registered on
    the answer job (`Runtime.after_answer`), never inlined in it. A hook says its own failures in
    the thread; one that raises is logged and the next hook still runs."""

    async def __call__(self, answer: Answer, request: Request, origin: Origin) -> None: ...


class AlertIncidents(Protocol):
    """The incident side of an alert investigation (bot.integrations.incidents.IncidentDesk)."""

    async def after_alert(self, answer: Answer | None, group: Any, channel: str, thread_ts: str) -> None: ...

    async def alert_resolved(self, known: dict[str, Any]) -> None: ...


class Answering(Protocol):
    """The little of the runtime a service that starts requests needs (alert triage): answer a
    request in a thread, run a tracked job, and the settings, store and Slack client it shares."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def client(self) -> AsyncWebClient: ...

    @property
    def incidents(self) -> AlertIncidents: ...

    def spawn(self, job: Awaitable[Any], name: str) -> asyncio.Task[Any]: ...

    async def answer_question(self, request: Request, origin: Origin, *, required_role: Role = "viewer") -> Answer | None: ...
