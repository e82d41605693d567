"""Slash commands: /noc <question> | help, /noc-audit <device|all> [cis|pci|soc2], /noc-health.

Each acks at once (Slack allows 3 s), posts a root message in the channel and hands the work to
a tracked background job that threads everything under that root.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import operations
from bot.inventory_ops import describe
from bot.origin import Origin
from bot.slack.blocks import render_help
from bot.slack.views.text import code_span, cut, escape
from handlers.common import runtime_of, tell_through_response_url

COMMANDS = [
    ("/noc <question>", "Ask the NOC agents anything: `/noc why is the branch office slow?`"),
    ("@noc <question>", "The same in a channel or thread; follow-up questions in the thread use the earlier answer"),
    ("/noc-audit <device|all> [cis|pci|soc2]", "Audit device configuration, worst findings first (operator)"),
    ("/noc-health", "Health report: alerts, every device worst first, what changed, agent health"),
    ("/noc inventory [refresh]", "Where the devices come from and how fresh; `refresh` reads the source of truth now (operator)"),
    ("/noc help", "This help"),
]
TAGS = ("cis", "pci", "soc2")


def acks_plainly(body: dict) -> bool:
    """The commands whose listener acks with nothing before anything else (handlers.app acks them
    in a middleware): /noc with a question and /noc-health. Help and usage answers ride on the ack."""
    command, text = body.get("command"), str(body.get("text") or "").strip()
    return command == "/noc-health" or (command == "/noc" and bool(text) and text.lower() != "help" and not _inventory_words(text))


def _inventory_words(text: str) -> list[str] | None:
    """`inventory` or `inventory refresh` (the subcommand's words), else None (a question)."""
    words = text.lower().split()
    return words if words[:1] == ["inventory"] and words[1:] in ([], ["refresh"]) else None


def register(app: AsyncApp) -> None:
    @app.command("/noc")
    async def noc(ack, command, context, client, respond):
        text = (command.get("text") or "").strip()
        if not text or text.lower() == "help":
            await ack(blocks=render_help(COMMANDS), text="noc help")
            return
        if _inventory_words(text) is not None:
            await _inventory(ack, command, runtime_of(context), respond, refresh=text.lower().split()[1:] == ["refresh"])
            return
        await ack()
        runtime = runtime_of(context)
        await runtime.after_acks()
        user, channel = command["user_id"], command["channel_id"]
        trigger = command.get("trigger_id") or None  # its journal key (bot.durability.recovery): settled once its row is written
        try:
            admitted = await runtime.admit_with_role(text, user=user, channel=channel, command="/noc")
            if admitted is None:
                runtime.settle(trigger)
                return
            request, needed = admitted
            root = await client.chat_postMessage(channel=channel, text=f"<@{user}> asked: {cut(escape(request.question), 2900)}")
        except Exception as exc:  # after the ack the only way left to reach the user is the response_url
            runtime.settle(trigger)
            await tell_through_response_url(respond, "/noc", exc)
            return
        origin = Origin(source="slash", user=user, channel=channel, thread_ts=root["ts"], team=command.get("team_id"),
                        event_id=trigger)
        runtime.spawn(runtime.answer_question(request, origin, required_role=needed),
                      name=f"/noc:{root['ts']}")

    @app.command("/noc-audit")
    async def noc_audit(ack, command, context, client, respond):
        runtime = runtime_of(context)
        words = (command.get("text") or "").lower().split()
        known = runtime.toolbox.inventory.names
        usage = f"Usage: `/noc-audit {escape('<device|all>')} [cis|pci|soc2]`. Devices: {escape(', '.join(known))}"
        target = words[0] if words else ""
        tags = [w for w in words[1:] if w in TAGS]
        unknown_words = [w for w in words[1:] if w not in TAGS]
        if not target or unknown_words:
            await ack(text=usage if not unknown_words else f"Unknown option {escape(', '.join(unknown_words))}. {usage}")
            return
        if target != "all" and target not in {n.lower() for n in known}:
            await ack(text=f"Unknown device `{code_span(target)}`. {usage}")
            return
        await ack()
        user, channel = command["user_id"], command["channel_id"]
        devices = known if target == "all" else [n for n in known if n.lower() == target]
        scope = f" ({', '.join(t.upper() for t in tags)})" if tags else ""
        origin = await _open_thread(runtime, client, respond, "/noc-audit", user, channel, runtime.settings.access.command_role("/noc-audit"),
                                    f"<@{user}> requested an audit of {escape(target)}{scope}")
        if origin is not None:
            runtime.spawn(operations.run_audit(runtime, devices, tags, origin), name=f"/noc-audit:{origin.thread_ts}")

    @app.command("/noc-health")
    async def noc_health(ack, command, context, client, respond):
        await ack()
        runtime = runtime_of(context)
        user, channel = command["user_id"], command["channel_id"]
        origin = await _open_thread(runtime, client, respond, "/noc-health", user, channel, runtime.settings.access.command_role("/noc-health"),
                                    f"<@{user}> requested a network health report")
        if origin is not None:
            runtime.spawn(operations.run_health(runtime, origin), name=f"/noc-health:{origin.thread_ts}")


async def _open_thread(runtime, client, respond, command: str, user: str, channel: str, needed: str, text: str) -> Origin | None:
    """Authorise a slash command and post its root message; the thread's origin, or None when
    denied. A failure after the ack (Slack or the store down) reaches the user via response_url."""
    await runtime.after_acks()
    try:
        if not await runtime.authorise(user=user, channel=channel, command=command, needed=needed):
            return None
        root = await client.chat_postMessage(channel=channel, text=text)
    except Exception as exc:
        await tell_through_response_url(respond, command, exc)
        return None
    return Origin(source="slash", user=user, channel=channel, thread_ts=root["ts"])


async def _inventory(ack, command: dict, runtime, respond, *, refresh: bool) -> None:
    """`/noc inventory`: the source and its freshness (viewer); `refresh` reads it now (operator).
    Acked at once; the answer goes to the asker only, through the response_url, once the read ends."""
    await ack()
    user, channel = command["user_id"], command["channel_id"]
    name = "/noc inventory refresh" if refresh else "/noc inventory"
    try:
        if not await runtime.authorise(user=user, channel=channel, command=name, needed=runtime.settings.access.command_role(name)):
            return
        result = await runtime.inventory.refresh() if refresh else None
        text = describe(runtime.inventory.status())
        if result is not None:
            text = (":white_check_mark: Refreshed: " if result.ok else ":x: ") + result.summary() + "\n" + text
        await respond(response_type="ephemeral", text=text)
    except Exception as exc:
        await tell_through_response_url(respond, name, exc)
