"""Slash commands: /noc <question> | help | inventory [refresh], /noc-audit <device|all> [cis|pci|soc2], /noc-health.

One /noc listener picks help, inventory or a question by the words (not Bolt matchers: Bolt
builds every keyword argument it could inject for each matcher it asks, about 30 us a time on
the ack path). Each command acks first, inline with the request (handlers.app): help
and usage answers ride on the ack; everything else runs after it (bot.slack.ack_first):
authorise, post a root message in the channel, and hand the work to a tracked job that threads
everything under that root.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import operations
from bot.access import Role
from bot.inventory_ops import describe
from bot.origin import Origin
from bot.questions import inventory_words, is_help
from bot.runtime import Runtime
from bot.slack.blocks import render_help
from bot.slack.views.text import code_span, cut, escape
from handlers.common import Body, tell_through_response_url

COMMANDS = [
    ("/noc <question>", "Ask the NOC agents anything: `/noc why is the branch office slow?`"),
    ("@noc <question>", "The same in a channel or thread; follow-up questions in the thread use the earlier answer"),
    ("/noc-audit <device|all> [cis|pci|soc2]", "Audit device configuration, worst findings first (operator)"),
    ("/noc-health", "Health report: alerts, every device worst first, what changed, agent health"),
    ("/noc inventory [refresh]", "Where the devices come from and how fresh; `refresh` reads the source of truth now (operator)"),
    ("/noc help", "This help"),
]
TAGS = ("cis", "pci", "soc2")


def _text(command: Body) -> str:
    return str(command.get("text") or "").strip()


def _audit_target(names: list[str], text: str) -> tuple[list[str], list[str], str] | str:
    """(devices, tags, target) of `/noc-audit <device|all> [tags]`, or the usage answer."""
    words = text.lower().split()
    usage = f"Usage: `/noc-audit {escape('<device|all>')} [cis|pci|soc2]`. Devices: {escape(', '.join(names))}"
    target = words[0] if words else ""
    unknown_words = [w for w in words[1:] if w not in TAGS]
    if not target or unknown_words:
        return usage if not unknown_words else f"Unknown option {escape(', '.join(unknown_words))}. {usage}"
    if target != "all" and target not in {n.lower() for n in names}:
        return f"Unknown device `{code_span(target)}`. {usage}"
    devices = names if target == "all" else [n for n in names if n.lower() == target]
    return devices, [w for w in words[1:] if w in TAGS], target


def acked_empty(command: Body) -> bool:
    """The commands acked with nothing before any work (handlers.app tells the front door):
    `/noc` but its help, `/noc-health`. `/noc-audit` may answer its usage on the ack."""
    name = command.get("command")
    return name == "/noc-health" or (name == "/noc" and not is_help(_text(command)))


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def noc(ack: AsyncAck, command: Body, client: AsyncWebClient, respond: AsyncRespond) -> None:
        text = _text(command)
        if is_help(text):
            await ack(blocks=render_help(COMMANDS), text="noc help")
            return
        await ack()
        if (words := inventory_words(text)) is not None:
            runtime.acks.start(_inventory(runtime, command, respond, refresh=words[1:] == ["refresh"]), name="/noc inventory")
        else:
            runtime.acks.start(_question(runtime, command, client, respond), name="/noc")

    app.command("/noc")(noc)

    async def audit(ack: AsyncAck, command: Body, client: AsyncWebClient, respond: AsyncRespond) -> None:
        target = _audit_target(runtime.toolbox.inventory.names, _text(command))
        if isinstance(target, str):
            await ack(text=target)  # the usage, on the ack
            return
        await ack()
        runtime.acks.start(_audit(runtime, target, command, client, respond), name="/noc-audit")

    app.command("/noc-audit")(audit)

    async def health(ack: AsyncAck, command: Body, client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        runtime.acks.start(_health(runtime, command, client, respond), name="/noc-health")

    app.command("/noc-health")(health)


async def _question(runtime: Runtime, command: Body, client: AsyncWebClient, respond: AsyncRespond) -> None:
    """`/noc <question>` after its ack: route and authorise once, post the thread root, answer."""
    await runtime.after_acks()
    user, channel = command["user_id"], command["channel_id"]
    trigger = command.get("trigger_id") or None  # its journal key (bot.durability.recovery): settled once its row is written
    try:
        admitted = await runtime.intake.admit(_text(command), user=user, channel=channel, command="/noc")
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
    runtime.spawn(runtime.answer_question(request, origin, required_role=needed), name=f"/noc:{root['ts']}")

async def _audit(runtime: Runtime, target: tuple[list[str], list[str], str], command: Body, client: AsyncWebClient,
                 respond: AsyncRespond) -> None:
    devices, tags, name = target
    user, channel = command["user_id"], command["channel_id"]
    scope = f" ({', '.join(t.upper() for t in tags)})" if tags else ""
    origin = await _open_thread(runtime, client, respond, "/noc-audit", user, channel,
                                runtime.settings.access.command_role("/noc-audit"),
                                f"<@{user}> requested an audit of {escape(name)}{scope}")
    if origin is not None:
        runtime.spawn(operations.run_audit(runtime, devices, tags, origin), name=f"/noc-audit:{origin.thread_ts}")


async def _health(runtime: Runtime, command: Body, client: AsyncWebClient, respond: AsyncRespond) -> None:
    user, channel = command["user_id"], command["channel_id"]
    origin = await _open_thread(runtime, client, respond, "/noc-health", user, channel,
                                runtime.settings.access.command_role("/noc-health"),
                                f"<@{user}> requested a network health report")
    if origin is not None:
        runtime.spawn(operations.run_health(runtime, origin), name=f"/noc-health:{origin.thread_ts}")


async def _open_thread(runtime: Runtime, client: AsyncWebClient, respond: AsyncRespond, command: str, user: str, channel: str,
                       needed: Role, text: str) -> Origin | None:
    """Authorise a slash command and post its root message; the thread's origin, or None when
    denied. A failure after the ack (Slack or the store down) reaches the user via response_url."""
    await runtime.after_acks()
    try:
        if not await runtime.intake.authorise(user=user, channel=channel, command=command, needed=needed):
            return None
        root = await client.chat_postMessage(channel=channel, text=text)
    except Exception as exc:
        await tell_through_response_url(respond, command, exc)
        return None
    return Origin(source="slash", user=user, channel=channel, thread_ts=root["ts"])


async def _inventory(runtime: Runtime, command: Body, respond: AsyncRespond, *, refresh: bool) -> None:
    """`/noc inventory`: the source and its freshness (viewer); `refresh` reads it now (operator).
    Acked at once; the answer goes to the asker only, through the response_url, once the read ends."""
    await runtime.after_acks()
    user, channel = command["user_id"], command["channel_id"]
    name = "/noc inventory refresh" if refresh else "/noc inventory"
    try:
        if not await runtime.intake.authorise(user=user, channel=channel, command=name, needed=runtime.settings.access.command_role(name)):
            return
        result = await runtime.inventory.refresh() if refresh else None
        text = describe(runtime.inventory.status())
        if result is not None:
            text = (":white_check_mark: Refreshed: " if result.ok else ":x: ") + result.summary() + "\n" + text
        await respond(response_type="ephemeral", text=text)
    except Exception as exc:
        await tell_through_response_url(respond, name, exc)
