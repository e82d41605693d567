"""A credential typed into a question: people paste config lines into chat ("I set neighbor
10.0.0.2 password 7 ..."). The intake redacts the question once, so the thread's echo, the answer,
the stored request and the answer document never carry it (the model's prompt already got the
redacted text; tests/unit/test_redact.py holds the forms)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.slack_api import app_mention_event, fake_slack, slash_command  # noqa: F401
from tests.harness.slack_bot import OPERATOR

SECRETS = ("0822455D0A16", "s3cr3tC0mm", "Tr1ckyEnable!")
QUESTION = ("why is bgp down on edge-rtr-01? I set neighbor 10.0.0.2 password 7 0822455D0A16, "
            "snmp-server community s3cr3tC0mm RO and enable secret 0 Tr1ckyEnable! this morning")


@pytest.mark.parametrize("surface", ["slash", "mention"])
async def test_a_secret_typed_into_a_question_reaches_neither_slack_nor_the_store(bot, fake_slack, surface):
    body = slash_command("/noc", QUESTION, user=OPERATOR) if surface == "slash" else \
        app_mention_event(QUESTION, user=OPERATOR)
    status, _ = await bot.post(body)
    assert status == 200
    await bot.settle()
    posted = json.dumps(fake_slack.bot_messages())
    assert "why is bgp down on edge-rtr-01" in posted or surface == "mention"  # the slash echo, redacted
    rows = await bot.runtime.store.requests()
    assert len(rows) == 1 and rows[0]["status"] == "answered"
    answer, _ = await bot.runtime.store.answer(rows[0]["id"])
    stored = json.dumps(rows, default=str) + answer.model_dump_json()
    assert "<redacted>" in rows[0]["question"]
    for secret in SECRETS:
        assert secret not in posted and secret not in stored, secret
