"""Regenerate the Slack screenshots in this folder: `python docs/render_blocks.py`.

README shows what a user sees in Slack; a hand-drawn mock-up would drift from the code, so this
script renders the real thing. On the embedded lab (scenario `wan-congestion`) it asks the
supervisor "why is the branch office slow?", renders the answer with `bot.slack.blocks.render_answer`,
chooses the assistant thread's suggested prompts with `bot.slack.suggestions.PromptChooser`, and
builds the App Home view with `bot.report.home.read_home` + `bot.report.home_view.render_home` over a
throwaway store holding a daily report of the lab and a few requests. One breaker is opened by
hand so the breakers section has something to show. The Block Kit JSON is then turned into a
static HTML page with a minimal Slack-like stylesheet (mrkdwn bold, italics, code, links and
emoji converted) and photographed with headless Chromium:

    slack-answer.png   the assistant thread: suggested prompts, the question, the answer
    slack-home.png     the App Home tab

Needs `chromium` on PATH (Debian: `apt-get install chromium fonts-noto-color-emoji fonts-lato`);
nothing else (no Slack, no API key). Not used by the tests or CI.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from agents.config import NetworkConfig
from agents.models import Request, Specialist
from agents.progress import NullSink
from agents.resilience.guard import Resilience
from agents.supervisor import Supervisor
from agents.tools import build_toolbox
from bot.config.settings import Settings, StoreConfig
from bot.report.build import ReportSources, build_report
from bot.report.home import read_home
from bot.report.home_view import render_home
from bot.slack.blocks import render_answer
from bot.slack.suggestions import PromptChooser
from bot.store import Store

HERE = Path(__file__).resolve().parent
QUESTION = "why is the branch office slow?"
USER, OTHER = "U0ALICE", "U0BOB"
WIDTH = 860

EMOJI = {
    "red_circle": "🔴", "large_orange_circle": "🟠", "large_yellow_circle": "🟡", "large_blue_circle": "🔵",
    "white_circle": "⚪", "white_check_mark": "✅", "warning": "⚠️", "x": "❌", "mag": "🔍", "wrench": "🔧",
    "thumbsup": "👍", "thumbsdown": "👎", "repeat": "🔁", "bar_chart": "📊", "electric_plug": "🔌",
    "speech_balloon": "💬", "hourglass_flowing_sand": "⏳", "grey_question": "❔", "shield": "🛡️",
    "books": "📚", "memo": "📝", "link": "🔗", "information_source": "ℹ️", "no_entry": "⛔",
}

CSS = """
body { margin: 0; background: #fff; font: 15px/1.46668 Lato, 'Liberation Sans', sans-serif; color: #1d1c1d; }
.chrome { background: #3f0e40; color: #fff; padding: 10px 20px; font-weight: 700; font-size: 15px; }
.chrome span { opacity: .7; font-weight: 400; margin-left: 8px; }
.tabs { border-bottom: 1px solid #ddd; padding: 0 20px; display: flex; gap: 22px; }
.tabs div { padding: 10px 0; color: #616061; font-weight: 700; font-size: 14px; }
.tabs .on { color: #1d1c1d; border-bottom: 2px solid #1264a3; }
.pane { padding: 12px 20px 24px; }
.msg { display: flex; gap: 8px; padding: 8px 0; }
.avatar { width: 36px; height: 36px; border-radius: 6px; flex: none; display: flex; align-items: center;
          justify-content: center; color: #fff; font-weight: 900; font-size: 14px; }
.bot .avatar { background: #1d3557; } .user .avatar { background: #e8912d; }
.who { font-weight: 900; } .badge { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700;
       padding: 1px 3px; border-radius: 2px; margin-left: 4px; vertical-align: 2px; }
.when { color: #616061; font-size: 12px; margin-left: 6px; }
.body { flex: 1; min-width: 0; }
.block { margin: 4px 0; }
.header { font-size: 18px; font-weight: 900; margin: 8px 0 4px; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 24px; }
.divider { border-top: 1px solid #ddd; margin: 12px 0; }
.context { color: #616061; font-size: 12px; }
.actions button { font: 700 13px Lato, sans-serif; background: #fff; border: 1px solid #bbb; border-radius: 4px;
                  padding: 4px 12px; margin: 4px 8px 0 0; color: #1d1c1d; }
code { font: 12px 'DejaVu Sans Mono', monospace; color: #c01343; background: #f6f6f6; border: 1px solid #ddd;
       border-radius: 3px; padding: 1px 3px; }
pre { font: 12px/1.5 'DejaVu Sans Mono', monospace; background: #f8f8f8; border: 1px solid #ddd; border-radius: 4px;
      padding: 8px; margin: 4px 0; white-space: pre-wrap; }
a { color: #1264a3; text-decoration: none; }
.prompts { border: 1px solid #ddd; border-radius: 8px; padding: 10px 14px; margin: 6px 0 10px; }
.prompts .t { color: #616061; font-size: 13px; margin-bottom: 6px; }
.prompts span { display: inline-block; border: 1px solid #bbb; border-radius: 14px; padding: 3px 12px;
                margin: 3px 6px 3px 0; font-size: 13px; font-weight: 700; }
"""


# -- mrkdwn and Block Kit to HTML -------------------------------------------------------------


def mrkdwn(text: str) -> str:
    """Slack mrkdwn to HTML. The text is already Slack-escaped (`&amp;`, `&lt;`, `&gt;`), which is
    valid HTML, so only Slack's own markup (`<url|label>`, `*bold*`, backticks...) is rewritten."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"```\n?(.*?)```", lambda m: keep(f"<pre>{m.group(1)}</pre>"), text, flags=re.S)
    text = re.sub(r"`([^`\n]+)`", lambda m: keep(f"<code>{m.group(1)}</code>"), text)
    text = re.sub(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>", r'<a href="\1">\2</a>', text)
    text = re.sub(r"<((?:https?|mailto):[^|>]+)>", r'<a href="\1">\1</a>', text)
    text = re.sub(r"<#([A-Z0-9]+)(?:\|([^>]+))?>", lambda m: f"<a>#{m.group(2) or 'noc'}</a>", text)
    text = re.sub(r"<@([A-Z0-9]+)(?:\|[^>]+)?>", r"<a>@\1</a>", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w])_(?=\S)([^_\n]+?)_(?![\w])", r"<i>\1</i>", text)
    text = re.sub(r"(?<![\w~])~(?=\S)([^~\n]+?)~(?![\w~])", r"<s>\1</s>", text)
    text = re.sub(r":([a-z0-9_+-]+):", lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = text.replace("\n", "<br>")
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def plain(obj: dict[str, Any]) -> str:
    text = obj.get("text", "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text)
    text = html.escape(text, quote=False)
    return re.sub(r":([a-z0-9_+-]+):", lambda m: EMOJI.get(m.group(1), m.group(0)), text) if obj.get("emoji") else text


def block_html(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "header":
        return f'<div class="block header">{plain(block["text"])}</div>'
    if kind == "divider":
        return '<div class="divider"></div>'
    if kind == "context":
        return '<div class="block context">' + " ".join(plain(e) for e in block["elements"] if "text" in e) + "</div>"
    if kind == "actions":
        buttons = "".join(f"<button>{plain(e['text'])}</button>" for e in block["elements"] if e.get("type") == "button")
        return f'<div class="block actions">{buttons}</div>'
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(f"<div>{plain(block['text'])}</div>")
        if block.get("fields"):
            parts.append('<div class="fields">' + "".join(f"<div>{plain(f)}</div>" for f in block["fields"]) + "</div>")
        return f'<div class="block">{"".join(parts)}</div>'
    return f'<div class="block context">[{html.escape(kind)} block]</div>'


def message_html(who: str, blocks: list[dict[str, Any]] | None = None, text: str = "", *, bot: bool = True,
                 when: str = "09:41") -> str:
    body = "".join(block_html(b) for b in blocks) if blocks else f"<div>{mrkdwn(text)}</div>"
    badge = '<span class="badge">APP</span>' if bot else ""
    return (f'<div class="msg {"bot" if bot else "user"}"><div class="avatar">{who[0].upper()}</div><div class="body">'
            f'<span class="who">{html.escape(who)}</span>{badge}<span class="when">{when}</span>{body}</div></div>')


def page(title: str, tabs: list[str], active: str, content: str) -> str:
    tab_html = "".join(f'<div class="{"on" if t == active else ""}">{t}</div>' for t in tabs)
    return (f'<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head><body>'
            f'<div class="chrome">{html.escape(title)}</div><div class="tabs">{tab_html}</div>'
            f'<div class="pane">{content}</div></body></html>')


def answer_page(prompts: list[dict[str, str]], blocks: list[dict[str, Any]]) -> str:
    chips = "".join(f"<span>{html.escape(p['title'])}</span>" for p in prompts)
    content = (f'<div class="prompts"><div class="t">Try asking about your network:</div>{chips}</div>'
               + message_html("alice", text=QUESTION, bot=False, when="09:41")
               + message_html("noc", blocks, when="09:41"))
    return page("noc  ·  AI assistant thread", ["Chat", "History", "About"], "Chat", content)


def home_page(view: dict[str, Any]) -> str:
    content = "".join(block_html(b) for b in view["blocks"])
    return page("noc", ["Home", "Messages", "About"], "Home", content)


# -- the lab data ---------------------------------------------------------------------------------


async def build(workdir: Path) -> tuple[list[dict[str, str]], list[dict[str, Any]], dict[str, Any]]:
    settings = Settings(network=NetworkConfig(scenario="wan-congestion"),
                        store=StoreConfig(url=f"sqlite:///{workdir / 'noc.db'}"))
    toolbox = build_toolbox(settings.network, settings.audit, settings.thresholds)
    resilience = Resilience(settings.resilience)
    supervisor = Supervisor(toolbox, settings.engine, resilience=resilience)
    store = await Store.from_config(settings.store).open()
    try:
        prompts = await PromptChooser(toolbox).prompts()
        answer = await supervisor.run(Request.from_text(QUESTION), NullSink())
        day = datetime.now(timezone.utc).date().isoformat()
        await build_report(ReportSources(settings, store, toolbox, resilience), kind="daily", day=day)
        asked = [(USER, QUESTION), (USER, "Audit branch-rtr-01"), (OTHER, "is bgp up on edge-rtr-01?"),
                 (USER, "Is anything wrong with the network right now?")]
        for i, (user, question) in enumerate(asked):
            done = answer if i == 0 else await supervisor.run(Request.from_text(question, role="operator"), NullSink())
            await store.record_answer(done, source="dm", user=user, channel="D0NOC", thread_ts=f"{time.time():.6f}")
        resilience.pools[Specialist.diagnosis].instances[-1].breaker.record_failure("auth")
        view = render_home(await read_home(store, resilience, settings, USER))
    finally:
        await store.close()
        toolbox.gateway.close()
    return prompts, render_answer(answer).blocks, view


def screenshot(chromium: str, html_file: Path, png: Path, workdir: Path) -> None:
    """Photograph the page tall, then crop the empty space below it."""
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={workdir / 'profile'}", f"--screenshot={png}", f"--window-size={WIDTH},4000",
                    html_file.as_uri()], check=True, capture_output=True, timeout=120)
    with Image.open(png) as shot:
        image = shot.convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, (255, 255, 255))).getbbox()
    bottom = min(image.height, (box[3] if box else image.height) + 24)
    image.crop((0, 0, image.width, bottom)).save(png, optimize=True)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        sys.exit("needs chromium on PATH (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prompts, answer_blocks, view = asyncio.run(build(workdir))
        for name, text in (("slack-answer", answer_page(prompts, answer_blocks)), ("slack-home", home_page(view))):
            html_file = workdir / f"{name}.html"
            html_file.write_text(text, encoding="utf-8")
            screenshot(chromium, html_file, HERE / f"{name}.png", workdir)
            print(f"wrote {name}.png")


if __name__ == "__main__":
    main()
