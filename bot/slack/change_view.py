"""How a change proposal and its steps look in Slack.

The diff shown is the proposal's redacted diff (agents.tools.redact ran on it before it was
stored); it goes in a code block, or into a file when it is too long for one message.
"""

from __future__ import annotations

from typing import Any

from agents.changes.models import ChangeProposal
from bot.slack.views.layout import button, context, fields, header, section
from bot.slack.views.text import code_block, code_span, cut, escape, pct

APPROVE, REJECT = "noc_change_approve", "noc_change_reject"
MAX_INLINE_DIFF = 2500  # characters of diff in the message; more goes into a file
_STEP_MARK = {"confirmed": ":white_check_mark:", "rolled_back": ":leftwards_arrow_with_hook:", "aborted": ":no_entry:",
              "needs_attention": ":rotating_light:", "rejected": ":x:", "expired": ":hourglass:", "approved": ":ballot_box_with_check:"}


def diff_text(proposal: ChangeProposal) -> str:
    return "\n".join(proposal.diff)


def render_proposal(proposal: ChangeProposal, *, diff_in_file: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The approval message: diff, pre-checks, risk and confidence, and the two buttons."""
    p = proposal
    refused = p.state == "refused"
    title = f"Change {'refused' if refused else 'proposal'} {p.id}: {escape(p.kind or 'change')} on {escape(p.device)}"
    checks = "\n".join(f"{':white_check_mark:' if c.ok else ':x:'} *{escape(c.name)}*: {escape(c.detail)}" for c in p.prechecks)
    blocks: list[dict[str, Any]] = [
        header(title),
        section(f"*Intent:* {escape(p.intent)}"),
        fields([f"*Risk:* {':rotating_light: ' if p.risk == 'critical' else ''}{p.risk}", f"*Confidence:* {pct(p.confidence)} ({escape(p.automation)})",
                f"*Requested by:* {f'<@{p.requester}>' if p.requester else 'unknown'}", f"*Kind:* {escape(p.kind or '-')}"]),
    ]
    if p.risk_reasons:
        blocks.append(section(f"*Why {p.risk} risk:* " + escape("; ".join(p.risk_reasons))))
    if p.diff and not diff_in_file:
        blocks.append(section("*Diff* (redacted)\n" + code_block(p.diff)))
    elif p.diff:
        blocks.append(section(f"*Diff* (redacted): {len(p.diff)} lines, attached as a file below"))
    if p.impact:  # beside the diff: what it will do to the traffic and sessions it touches
        blocks.append(section(cut("*Impact* (predicted from the device's current counters and tables)\n"
                                  + "\n".join(f"• {escape(line.strip())}" for line in p.impact), 2900)))
    if checks:
        blocks.append(section("*Pre-checks*\n" + checks))
    if refused:
        blocks.append(section(f":no_entry: *Refused before anyone was asked:* {escape(p.reason)}"))
    else:
        blocks.append(context([f"Needs an approver who is not the requester. Expires <!date^{int(p.expires_at)}^{{time}}|in time>. "
                               f"After approval: merge, compare with this diff ({code_span(p.diff_hash[:8])}), commit with a "
                               f"revert timer, post-check ({escape(', '.join(p.checks))}), then confirm or roll back."]))
        blocks.append({"type": "actions", "block_id": f"change:{p.id}", "elements": [
            {**button("Approve", APPROVE, p.id), "style": "primary"},
            {**button("Reject", REJECT, p.id), "style": "danger"},
        ]})
    return f"{title} ({p.state})", blocks


def render_step(proposal: ChangeProposal, step: str, detail: str, actor: str | None = None) -> str:
    mark = _STEP_MARK.get(step, ":gear:")
    who = f" by <@{actor}>" if actor else ""
    return f"{mark} Change {proposal.id} on {escape(proposal.device)}: *{escape(step)}*{who}: {escape(detail)}"


def render_decided(proposal: ChangeProposal) -> list[dict[str, Any]]:
    """The approval message once decided: same content, buttons replaced by the outcome."""
    _, blocks = render_proposal(proposal)
    blocks = [b for b in blocks if b.get("type") != "actions"]
    who = f" by <@{proposal.approver}>" if proposal.approver else ""
    outcome = proposal.state.replace("_", " ") + who
    if proposal.state == "expired":
        outcome = (f"expired at <!date^{int(proposal.expires_at)}^{{date_short_pretty}} {{time}}|its expiry> without a decision: "
                   "it can no longer be approved or rejected; propose it again if it is still needed")
    blocks.append(context([f"{_STEP_MARK.get(proposal.state, ':gear:')} {outcome}"]))
    return blocks
