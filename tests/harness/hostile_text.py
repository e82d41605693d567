"""A hostile corpus of Slack markup, and the check that none of it is live in what the bot posted.

Slack turns `<...>` in mrkdwn (and in a message's top-level `text`) into mentions, broadcasts and
links: `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^S…>`, `<@U…>`, `<#C…>`,
`<https://…|label>`, `<!date^…^…^link|…>`. Escaping `&`, `<` and `>` is what keeps text from
outside as text (Slack's "Formatting text for app surfaces", "Escaping text"); and with
`link_names`/`parse=full` Slack would turn bare `@here` into a broadcast again.

The corpus is built from forms x disguises, not from the bot's output: every base form is wrapped
in each disguise (code spans, emphasis, zero-width and bidi characters, already-escaped and
double-escaped entities, numeric entities, unicode lookalikes, line breaks), and each entry carries
a marker (`HX<n>`) so a test can prove the text did reach Slack.

`live_markup(calls, allowed)` walks every string a Web API call carried and reports each ASCII `<`
that opens anything but an allowed sequence (the bot's own `<@asker>`), and any `link_names` or
`parse=full`. An ASCII `<` from the corpus can only reach Slack unescaped, so finding none (with the
markers present) means nothing from the corpus became markup.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

BASE_FORMS = (
    "<!channel>", "<!here>", "<!everyone>", "<!here|@here>", "<!channel|channel>", "<!everyone|everyone>",
    "<!subteam^S0EVIL01>", "<!subteam^S0EVIL01|@noc-oncall>", "<!date^1392734382^{date}^https://evil.example/d|Feb 18>",
    "<@U0EVIL01>", "<@W0EVIL02|ceo>", "<@U0EVIL03|>", "<#C0EVIL01>", "<#C0EVIL02|general>",
    "<https://evil.example/login|Reset your SSO password>", "<http://10.0.0.1/x>", "<mailto:help@evil.example|NOC support>",
    "<slack://open?team=T0EVIL&id=C0EVIL|open>", "<tel:+15550100|call the NOC>", "<javascript:alert(1)|x>",
    "<www.evil.example|docs>", "<https://evil.example>",
)

DISGUISES = (
    "{}",
    "`{}`",
    "```{}```",
    "*{}*",
    "_{}_ ~{}~",
    "see {} now",
    "{}\u200b",
    "\u202e{}\u202c",
    "\u2066{}\u2069",
    "({}).",
    "&lt;{}&gt;",
    "&amp;{}",
    "\n{}\n",
    "\"{}\"",
)

# Disguises that are not ASCII markup (lookalikes, entities, bare words): harmless unless
# something decodes them, which is what this checks by carrying them through.
LOOKALIKES = (
    "\uff1c!channel\uff1e", "\ufe64!here\ufe65", "\u2039!everyone\u203a", "\u27e8@U0EVIL04\u27e9", "\u3008#C0EVIL03\u3009",
    "&lt;!here&gt;", "&amp;lt;!channel&amp;gt;", "&#60;!here&#62;", "&#x3c;@U0EVIL05&#x3e;", "\\u003c!channel\\u003e",
    "%3C!here%3E", "@here", "@channel", "@everyone", "<\u200b!here>", "<!ch\nannel>", "< !here >", "<<!here>>",
    "<!here", "!here>", "<@U0EVIL06", "\u0000<!here>",
)


def corpus() -> list[str]:
    """Every entry, each with its own marker HX<n> so its arrival can be checked."""
    entries = [d.replace("{}", f) for f, d in itertools.product(BASE_FORMS, DISGUISES)] + list(LOOKALIKES)
    return [f"HX{n} {e}" for n, e in enumerate(entries)]


def chunks(entries: list[str], size: int) -> Iterator[str]:
    """The entries joined into texts of at most `size` characters (payload fields are cut)."""
    current = ""
    for entry in entries:
        if current and len(current) + 1 + len(entry) > size:
            yield current
            current = ""
        current = f"{current} {entry}" if current else entry
    if current:
        yield current


MARKER = re.compile(r"HX\d+")
# What the bot itself may post: a mention of a user the test names (e.g. the asker).
_ANGLE = re.compile(r"<[^<>]*>?")
# Fields that are identifiers, not text Slack renders.
_ID_KEYS = frozenset({"channel", "channel_id", "ts", "thread_ts", "token", "action_id", "block_id", "value", "user", "message",
                      "user_id", "team", "recipient_user_id", "recipient_team_id", "file", "files", "id", "type", "url"})
TEXT_METHODS = frozenset({
    "chat.postMessage", "chat.update", "chat.postEphemeral", "chat.startStream", "chat.appendStream", "chat.stopStream",
    "views.publish", "assistant.threads.setStatus", "assistant.threads.setTitle", "assistant.threads.setSuggestedPrompts",
    "files.completeUploadExternal",
})


def _strings(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, str):
        if key not in _ID_KEYS:
            yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, key)


def posted_strings(calls: Iterable[Any]) -> list[str]:
    """Every renderable string of every call that puts text in front of people."""
    return [s for c in calls if c.method in TEXT_METHODS for s in _strings(c.args)]


def live_markup(calls: Iterable[Any], allowed: Iterable[str] = ()) -> list[str]:
    """Each live mention/broadcast/link sequence (or markup-enabling option) the calls carried."""
    calls = list(calls)
    ok = set(allowed)
    found: list[str] = []
    for c in calls:
        if c.method not in TEXT_METHODS:
            continue
        if c.args.get("link_names") not in (None, False, 0, "0", "false"):
            found.append(f"{c.method}: link_names={c.args['link_names']!r}")
        if str(c.args.get("parse", "none")).lower() not in ("none", ""):
            found.append(f"{c.method}: parse={c.args['parse']!r}")
        for s in _strings(c.args):
            for m in _ANGLE.finditer(s):
                if m.group(0) not in ok:
                    found.append(f"{c.method}: {m.group(0)!r} in {s[max(0, m.start() - 40): m.end() + 40]!r}")
    return found


def markers_seen(calls: Iterable[Any]) -> set[str]:
    return {m for s in posted_strings(calls) for m in MARKER.findall(s)}
