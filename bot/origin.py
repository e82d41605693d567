"""Where a request came from: the Slack surface, the person, the thread it is answered in.

Its own module so that whoever starts a request (the listeners, alert triage, re-runs) names its
origin without importing the runtime that answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.durability.lifecycle import Where


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
