"""The change proposal after an answer, as one registered post-answer hook (issue 23).

The answer job (bot.runtime) knows nothing of changes: it runs the hooks registered on it once an
answer is posted and stored. This hook asks the change desk to turn an operator's answer with a
configuration remediation into a proposal in its thread; a failed proposal is logged and said in
that thread, never raised into the answer job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from agents.models import Answer, Request
from bot.changes.desk import ChangeDesk
from bot.origin import Origin

log = logging.getLogger(__name__)

# Says a failure in the request's thread: (origin, request id, what failed).
TellFailure = Callable[[Origin, str, str], Awaitable[None]]


class ProposeChange:
    """Post-answer hook: the answer's remediation becomes a change proposal (bot.changes.desk)."""

    def __init__(self, desk: ChangeDesk, tell_failure: TellFailure) -> None:
        self.desk = desk
        self.tell_failure = tell_failure

    async def __call__(self, answer: Answer, request: Request, origin: Origin) -> None:
        try:
            await self.desk.offer(answer, request, origin.channel, origin.thread_ts)
        except Exception:  # the answer is out; a failed proposal is logged and said in the thread
            log.exception("could not propose a change for %s", answer.request_id)
            await self.tell_failure(origin, answer.request_id, "proposing the change failed")
