"""Live progress in a Slack thread: one status message, edited as events arrive.

Edits are coalesced to at most one `chat.update` per interval per message (Slack allows about
one update per second per channel, and a run emits dozens of events); the last state is always
flushed. The final answer goes into the same thread as Block Kit, with overflow messages and
file uploads for what does not fit, so nothing is dropped.

Under load the channel's token bucket (bot.slack.pace) binds: progress calls (the status post
and its edits) queue behind answers. Then they go on in the background instead of holding the
work up, later events fold into the one pending edit, and when the answer is ready a status
post or edit still queued for its token is dropped (nothing was sent): the answer, and the final
edit of a status message that was shown, wait for their tokens as answers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from agents.models import Answer
from agents.progress import ProgressEvent
from bot.slack.blocks import RenderedAnswer, progress_line, render_answer, render_error, render_status
from bot.slack.pace import ANSWER, PROGRESS, Turn, in_turn
from bot.slack.views.layout import context, plain_text_of

# Slack's refusals of a message's content: sending it again cannot help, sending it otherwise can.
REFUSED_CONTENT = frozenset({"msg_blocks_too_long", "invalid_blocks", "msg_too_long"})


def refused_content(exc: BaseException) -> TypeGuard[SlackApiError]:
    return isinstance(exc, SlackApiError) and (exc.response or {}).get("error") in REFUSED_CONTENT

log = logging.getLogger(__name__)


class SlackThreadSink:
    """A ProgressSink that keeps one status message in a thread up to date."""

    def __init__(self, client: AsyncWebClient, channel: str, thread_ts: str, title: str, *,
                 interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 post_attempts: int = 6, post_backoff_s: float = 1.0) -> None:
        self.client = client
        self.sleep = sleep
        self.post_attempts = post_attempts
        self.post_backoff_s = post_backoff_s
        self.channel = channel
        self.thread_ts = thread_ts
        self.title = title
        self.interval_s = interval_s
        self.clock = clock
        self.lines: list[str] = []
        self.status_ts: str | None = None
        self._last_update = float("-inf")
        self._flusher: asyncio.Task[None] | None = None
        self._flush_turn = Turn(PROGRESS)
        self._opening: asyncio.Task[None] | None = None
        self._open_turn = Turn(PROGRESS)
        self._dirty = False
        self._lock = asyncio.Lock()
        self._progress_at: int | None = None  # the line `device_progress` rewrites
        self._pending_progress: asyncio.Future[None] | None = None

    async def start(self, first_line: str) -> None:
        """Post the status message; if it has to queue for the channel's token it is posted in the
        background, so the work does not wait for it. If Slack refuses it (500, ok:false, 429s
        beyond the retries), the work goes on without live progress: the answer is what matters,
        and it is posted with retries once Slack accepts it."""
        self.lines.append(first_line)
        self._open_turn = Turn(PROGRESS)
        self._opening = asyncio.create_task(self._open())
        await _unless_queued(self._opening, self._open_turn)

    async def _open(self) -> None:
        text, blocks = render_status(self.lines, title=self.title)
        try:
            response = await in_turn(self._open_turn, lambda: self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, text=text, blocks=blocks))
            self.status_ts = response["ts"]
        except Exception:
            log.warning("status message refused in %s; working without live progress", self.channel, exc_info=True)
            return
        self._last_update = self.clock()
        if self._dirty:  # events arrived while it was being posted
            await self._coalesce()

    def _ready(self) -> bool:
        """There is a message to edit."""
        return self.status_ts is not None

    async def emit(self, event: ProgressEvent) -> None:
        line = progress_line(event)
        if line is None:
            return
        self.lines.append(line)
        await self._coalesce()

    def device_progress(self, phase: str, done: int, total: int) -> None:
        """Every-device work (`/noc-audit all`): one line, "auditing 120/1,000 devices", rewritten
        in place and shown through the same coalesced edits, however many devices report."""
        line = f"{phase} {done}/{total} devices"
        if self._progress_at is None:
            self._progress_at = len(self.lines)
            self.lines.append(line)
        else:
            self.lines[self._progress_at] = line
        self._dirty = True  # a pending edit (or the status post still on its way) picks it up
        idle = self._pending_progress is None or self._pending_progress.done()
        if self._flusher is None and self._ready() and idle:
            self._pending_progress = asyncio.ensure_future(self._coalesce())

    async def _coalesce(self) -> None:
        """Something changed: flush now if the interval since the last edit has passed, else make
        sure one flush is scheduled for when it has (at most one edit per interval). An edit that
        has to queue for the channel's token goes on in the background; later changes fold into it."""
        self._dirty = True
        if self._flusher is not None or not self._ready():
            return
        wait = self.interval_s - (self.clock() - self._last_update)
        self._flush_turn = Turn(PROGRESS)
        self._flusher = asyncio.create_task(self._flush_later(max(wait, 0.0), self._flush_turn))
        if wait <= 0:
            await _unless_queued(self._flusher, self._flush_turn)

    async def _flush_later(self, delay: float, turn: Turn) -> None:
        try:
            if delay > 0:
                await self.sleep(delay)
            await self._flush(turn=turn)
        finally:
            self._flusher = None
        if self._dirty:  # changed while this edit was on its way
            await self._coalesce()

    async def _flush(self, done: bool = False, turn: Turn | None = None) -> None:
        async with self._lock:
            ts = self.status_ts
            if ts is None or (not self._dirty and not done):
                return
            self._dirty = False
            text, blocks = render_status(self.lines, title=self.title, done=done)
            self._last_update = self.clock()
            try:
                await in_turn(turn or Turn(PROGRESS), lambda: self.client.chat_update(
                    channel=self.channel, ts=ts, text=text, blocks=blocks))
            except asyncio.CancelledError:
                self._dirty = True  # dropped before it was sent: the next edit shows it
                raise
            except Exception:  # a lost progress edit must not lose the answer
                log.warning("status update failed in %s", self.channel, exc_info=True)
            self._last_update = self.clock()  # when the edit landed (after any Retry-After wait)

    async def close_status(self) -> None:
        """The final edit keeps the pace too: a status post or edit already sent is let finish (it
        may be honouring a 429's Retry-After), and the last edit waits out the interval since it.
        One still waiting for the interval or for its token is dropped (the final edit shows its
        lines; a status message never posted needs none). The final edit queues as an answer."""
        await _settle(self._opening, self._open_turn)
        if self._pending_progress is not None:  # a progress edit being scheduled: let it schedule, then settle it
            await asyncio.gather(self._pending_progress, return_exceptions=True)
        await _settle(self._flusher, self._flush_turn)
        wait = self.interval_s - (self.clock() - self._last_update)
        if wait > 0 and self._ready():
            await self.sleep(wait)
        await self._flush(done=True, turn=Turn(ANSWER))

    async def post_answer(self, answer: Answer) -> RenderedAnswer:
        await self.close_status()
        rendered = render_answer(answer, request_id=answer.request_id)
        await self.post_rendered(rendered)
        return rendered

    async def _deliver(self, call: Callable[[], Awaitable[object]]) -> None:
        """One Slack post, retried with exponential backoff: a computed answer is worth waiting
        for (each piece is retried on its own, so nothing is posted twice)."""
        async for attempt in AsyncRetrying(stop=stop_after_attempt(self.post_attempts), reraise=True,
                                           retry=retry_if_exception(lambda exc: not refused_content(exc)),
                                           wait=wait_exponential(multiplier=self.post_backoff_s, max=30 * self.post_backoff_s)):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.warning("retrying a post to %s (attempt %d)", self.channel, attempt.retry_state.attempt_number)
                await call()

    async def post_rendered(self, rendered: RenderedAnswer) -> None:
        await self._post_blocks(rendered.text, rendered.blocks, "answer.txt")
        for n, blocks in enumerate(rendered.overflow, start=2):
            await self._post_blocks("(continued)", blocks, f"answer-part-{n}.txt")
        for filename, title, content in rendered.attachments:
            await self._deliver(functools.partial(self.client.files_upload_v2, channel=self.channel,
                                                  thread_ts=self.thread_ts, content=content, filename=filename, title=title))

    async def _post_blocks(self, text: str, blocks: list[dict[str, Any]], filename: str) -> None:
        """One message of an answer. Should Slack refuse its content after all (a total-text limit
        lower than the one measured, a block it will not take), the same text goes as a file and
        a short message keeps the buttons: the answer is never lost to a refused post."""
        try:
            await self._deliver(lambda: self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts,
                                                                     text=text, blocks=blocks))
            return
        except Exception as exc:
            if not refused_content(exc):
                raise
            log.warning("Slack refused a message in %s (%s); sending it as a file", self.channel, exc.response.get("error"))
        note = context([f":paperclip: Slack would not take this message as it was; its text is attached as `{filename}`."])
        await self._deliver(lambda: self.client.files_upload_v2(channel=self.channel, thread_ts=self.thread_ts,
                                                                content=plain_text_of(blocks), filename=filename, title=filename))
        kept = [note, *(b for b in blocks if b.get("type") == "actions")]
        await self._deliver(lambda: self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts,
                                                                 text=text, blocks=kept))

    async def post_error(self, request_id: str, what_failed: str) -> None:
        try:
            await self.close_status()
        except Exception:
            log.warning("could not close the status message", exc_info=True)
        text, blocks = render_error(request_id, what_failed)
        await self._deliver(lambda: self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=text, blocks=blocks))


async def _unless_queued(task: asyncio.Task[None], turn: Turn) -> None:
    """Wait for `task` (a Slack call made as `turn`) unless it has to queue for its channel's token:
    then it goes on in the background and the caller goes on at once."""
    if task.done():
        return
    queued = asyncio.ensure_future(turn.queued.wait())
    try:
        await asyncio.wait({task, queued}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        queued.cancel()


async def _settle(task: asyncio.Task[None] | None, turn: Turn) -> None:
    """Let a progress call that may have reached Slack finish; drop one that cannot have."""
    if task is None or task.done():
        return
    if turn.cancellable:
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
