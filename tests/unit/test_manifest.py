"""manifest.yml installs everything the code uses, in the shape Slack's app manifest schema requires."""

from __future__ import annotations

import re

import yaml

from tests.harness.paths import ROOT

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
CODE = "\n".join(p.read_text() for p in [*(ROOT / "handlers").glob("*.py"), *(ROOT / "bot").rglob("*.py")])


def test_top_level_shape():
    assert set(MANIFEST) <= {"_metadata", "display_information", "features", "oauth_config", "settings", "functions", "workflows", "outgoing_domains"}
    info = MANIFEST["display_information"]
    assert 1 <= len(info["name"]) <= 35 and len(info.get("description", "")) <= 140
    bot_user = MANIFEST["features"]["bot_user"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", bot_user["display_name"])


def test_slash_commands_match_the_handlers():
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    handled = set(re.findall(r'\bapp\.command\("(/[a-z-]+)"\)', CODE))  # as a decorator or called
    assert commands == handled == {"/noc", "/noc-audit", "/noc-health"}
    for c in MANIFEST["features"]["slash_commands"]:
        assert len(c["description"]) <= 100 and c["command"].startswith("/") and len(c["command"]) <= 32


def test_events_interactivity_and_socket_mode():
    settings = MANIFEST["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "app_home_opened", "assistant_thread_started", "assistant_thread_context_changed"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_scopes_cover_every_api_call_and_event():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {"app_mentions:read", "im:history", "commands", "chat:write"}
    calls = set(re.findall(r"(?<!\w)client\.(\w+)\(", CODE))  # a Slack client, not judge_client or http_client
    scope_for = {"chat_postMessage": "chat:write", "chat_update": "chat:write", "chat_postEphemeral": "chat:write",
                 "files_upload_v2": "files:write", "usergroups_users_list": "usergroups:read", "reactions_add": "reactions:write",
                 "assistant_threads_setSuggestedPrompts": "assistant:write", "assistant_threads_setStatus": "assistant:write",
                 "assistant_threads_setTitle": "assistant:write", "chat_startStream": "chat:write",
                 "chat_appendStream": "chat:write", "chat_stopStream": "chat:write",
                 "views_publish": None, "auth_test": None, "chat_getPermalink": None}  # these three need no scope
    needed |= {scope_for[c] for c in calls if scope_for.get(c)}
    assert calls <= set(scope_for), f"add the scope for {calls - set(scope_for)}"
    assert needed <= scopes, needed - scopes


def test_every_subscribed_event_has_a_listener():
    handled = set(re.findall(r'\bapp\.event\("([a-z_]+)"\)', CODE))  # as a decorator or called
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert event.split(".")[0] in handled, f"{event} is subscribed but no listener handles it"


def test_app_home_and_assistant_view_are_enabled_for_what_the_code_publishes():
    features = MANIFEST["features"]
    home = features["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False  # people type their questions there
    assert "views_publish(" in CODE and '"type": "home"' in (ROOT / "bot" / "report" / "home_view.py").read_text()
    assistant = features["assistant_view"]
    assert 1 <= len(assistant["assistant_description"]) <= 1000
    prompts = assistant["suggested_prompts"]
    assert 1 <= len(prompts) <= 4 and all(p["title"] and p["message"] for p in prompts)
    assert "assistant:write" in MANIFEST["oauth_config"]["scopes"]["bot"]
    assert {"assistant_thread_started", "message.im"} <= set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
