"""Progress as Slack's AI-app surface shows it: a thread status and a streamed message of tasks.

Why: Slack gives agent apps two things a status message cannot: `assistant.threads.setStatus`
("is checking BGP on edge-rtr-01...") and a streamed reply (`chat.startStream` / `appendStream` /
`stopStream`) whose plan and task updates Slack renders as a live checklist. Each specialist step
is a task (pending -> in progress -> complete or error) and so is each device read.

Rules that keep it safe:
- Appends are coalesced to at most one call per interval (the same pace as status edits), and
  each append stays under Slack's per-append size limit. Under load the stream's start and its
  appends queue for the channel's token behind answers (bot.slack.pace), in the background, as
  the status message does (bot.slack.sink); a stream not started by the time the answer is ready
  is not started at all.
- Streams in channels need the recipient user and team; without them, or when Slack refuses
  the stream (or it expires), the sink falls back to the coalesced `chat.update` status message
  of `SlackThreadSink`, replaying what was shown, so nothing is lost.
- The thread status is always cleared at the end: after the answer, after a failure, after a
  cancellation (`clear_status`, called from the runtime's `finally`). A status call Slack
  refuses (a channel thread that is not an assistant thread) turns status off for the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agents.models import Answer
from agents.progress import Planned, ProgressEvent, StepFinished, StepStarted, ToolCalled
from bot.slack.blocks import RenderedAnswer, render_answer
from bot.slack.pace import ANSWER, PROGRESS, Turn, in_turn
from bot.slack.sink import SlackThreadSink
from bot.slack.views.status import progress_line
from bot.slack.views.text import escape

log = logging.getLogger(__name__)

APPEND_LIMIT = 11000  # Slack's markdown_text limit per append is 12,000 characters
_TASK_STATUS = {"success": "complete", "partial": "complete", "failure": "error"}


class SlackStreamSink(SlackThreadSink):
    def __init__(self, *args: Any, recipient_user: str | None = None, recipient_team: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipient_user = recipient_user
        self.recipient_team = recipient_team
        self.stream_ts: str | None = None
        self.streaming = False
        self.opening = True  # until the stream started, or was refused (then status edits)
        self.status_on = True
        self._pending: list[dict[str, Any]] = []
        self._steps: dict[str, str] = {}  # step id -> task title
        self._status_at = float("-inf")

    # -- the thread status ----------------------------------------------------------------

    async def set_status(self, text: str, *, pace: bool = False) -> None:
        """Set the thread status; `pace` drops updates closer than the interval (Slack rate limits)."""
        if not self.status_on or (pace and self.clock() - self._status_at < self.interval_s):
            return
        self._status_at = self.clock()
        try:
            await self.client.assistant_threads_setStatus(channel_id=self.channel, thread_ts=self.thread_ts, status=text)
        except Exception:
            self.status_on = False  # not an assistant thread, or no scope: progress still streams
            log.info("thread status not available in %s; continuing without it", self.channel)

    async def clear_status(self) -> None:
        """Always called at the end, whatever happened (the runtime's finally)."""
        if self.status_on:
            await self.set_status("")

    async def post_answer(self, answer: Answer) -> RenderedAnswer:
        """The final answer, with the platform's feedback buttons (the AI-app surface)."""
        await self.close_status()
        rendered = render_answer(answer, request_id=answer.request_id, platform_feedback=True)
        await self.post_rendered(rendered)
        return rendered

    # -- the stream -----------------------------------------------------------------------

    async def start(self, first_line: str) -> None:
        await self.set_status("is working on it...")
        await super().start(first_line)

    async def _open(self) -> None:
        try:
            response = await in_turn(self._open_turn, lambda: self.client.chat_startStream(
                channel=self.channel, thread_ts=self.thread_ts, recipient_user_id=self.recipient_user,
                recipient_team_id=self.recipient_team, task_display_mode="plan",
                chunks=[{"type": "plan_update", "title": self.lines[0][:200]}]))
            self.stream_ts, self.streaming = response["ts"], True
        except Exception:
            log.info("streaming refused in %s; falling back to status edits", self.channel, exc_info=True)
            self.opening = False
            self._open_turn = Turn(self._open_turn.priority)
            await super()._open()
            return
        finally:
            self.opening = False
        self._last_update = self.clock()
        if self._dirty or self._pending:  # events arrived while it was being started
            await self._coalesce()

    def _ready(self) -> bool:
        return self.streaming or super()._ready()

    async def emit(self, event: ProgressEvent) -> None:
        if not self.streaming and not self.opening:
            await super().emit(event)
            return
        line = progress_line(event)
        if line is not None:
            self.lines.append(line)
        chunks = self._chunks(event)
        if isinstance(event, StepStarted):
            await self.set_status(f"is running {event.agent}: {escape(event.instruction[:80])}...", pace=True)
        elif isinstance(event, ToolCalled) and event.device:
            await self.set_status(f"is checking {event.tool.replace('_', ' ')} on {escape(event.device)}...", pace=True)
        if not chunks:
            return
        self._pending += chunks
        await self._coalesce()

    def _chunks(self, event: ProgressEvent) -> list[dict[str, Any]]:
        """The stream's plan and task updates for `event`, their texts escaped: a device name, an
        instruction or a step summary may carry text from outside that must stay text."""
        return [{k: escape(v) if k in _TEXT_FIELDS and isinstance(v, str) else v for k, v in chunk.items()}
                for chunk in self._raw_chunks(event)]

    def _raw_chunks(self, event: ProgressEvent) -> list[dict[str, Any]]:
        if isinstance(event, Planned):
            chunks: list[dict[str, Any]] = [{"type": "plan_update", "title": f"Plan ({event.mode}): "
                                   + ", ".join(s.split(":", 1)[-1] for s in event.steps)[:200]}]
            for step in event.steps:
                sid, _, agent = step.partition(":")
                self._steps[sid] = f"{agent} ({sid})"
                chunks.append({"type": "task_update", "id": sid, "title": self._steps[sid], "status": "pending"})
            return chunks
        if isinstance(event, StepStarted):
            title = self._steps.setdefault(event.step, f"{event.agent} ({event.step})")
            return [{"type": "task_update", "id": event.step, "title": title, "status": "in_progress",
                     "details": event.instruction[:300] or None}]
        if isinstance(event, ToolCalled):
            target = f" on {event.device}" if event.device else ""
            return [{"type": "task_update", "id": f"{event.agent}:{event.tool}:{event.device or '-'}",
                     "title": f"{event.agent}: {event.tool}{target}", "status": "complete" if event.ok else "error"}]
        if isinstance(event, StepFinished):
            title = self._steps.setdefault(event.step, f"{event.agent} ({event.step})")
            return [{"type": "task_update", "id": event.step, "title": title, "status": _TASK_STATUS.get(event.status, "complete"),
                     "output": (event.summary or event.status)[:APPEND_LIMIT // 4]}]
        return []

    async def _flush(self, done: bool = False, turn: Turn | None = None) -> None:
        ts = self.stream_ts  # set whenever `streaming` is
        if not self.streaming or ts is None:
            await super()._flush(done, turn)
            return
        failed = False
        turn = turn or Turn(PROGRESS)
        async with self._lock:
            batch, self._pending = self._pending, []
            self._dirty = False
            self._last_update = self.clock()
            try:
                if batch:
                    await in_turn(turn, lambda: self.client.chat_appendStream(channel=self.channel, ts=ts, chunks=_fit(batch)))
                if done:
                    await in_turn(turn, lambda: self.client.chat_stopStream(channel=self.channel, ts=ts))
                    self.streaming = False
            except asyncio.CancelledError:
                self._pending[:0] = batch  # dropped before it was sent: the next append carries it
                self._dirty = True
                raise
            except Exception:
                log.info("stream in %s refused or expired; falling back to status edits", self.channel, exc_info=True)
                self.streaming, failed = False, True
            self._last_update = self.clock()
        if failed:
            await self._fall_back(done)

    async def _fall_back(self, done: bool) -> None:
        """Replay what the stream showed as the classic status message, then go on editing it."""
        lines = self.lines
        self.lines = [lines[0] if lines else "Working on it"]
        self._open_turn = Turn(ANSWER if done else PROGRESS)  # at the end it is part of the answer
        await SlackThreadSink._open(self)
        self.lines = lines
        self._dirty = True
        await SlackThreadSink._flush(self, done, Turn(ANSWER if done else PROGRESS))


_TEXT_FIELDS = frozenset({"title", "details", "output", "text", "markdown_text"})


def _fit(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one append under Slack's size limit: texts are cut, the newest updates win."""
    out, size = [], 0
    for chunk in reversed(chunks):
        cost = sum(len(str(v)) for v in chunk.values())
        if size + cost > APPEND_LIMIT:
            break
        out.append(chunk)
        size += cost
    return list(reversed(out))
