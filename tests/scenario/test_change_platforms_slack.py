"""Changes on the multi-vendor edge through Slack (issue 24): the user's path, on the loopback Slack API.

An operator asks for a change on the Junos router; the config specialist renders it from the Junos
(`set` form) template, the bot proposes it in the thread, a second operator approves with the
button, and it is committed with Junos' commit confirmed, post-checked and confirmed. The same
question for the NX-OS leaf is reviewed and refused in the thread, because no NAPALM NX-OS driver
can commit with a revert timer: nobody is asked to approve a change that could not undo itself.
"""

from __future__ import annotations

import json

import pytest

from agents.lab import device_fixture_dir
from agents.lab.stateful import has_pending
from agents.tools.junos_set import to_set_form
from bot.config.settings import RoleGrants
from tests.fakes.anthropic_api import fake_anthropic  # noqa: F401
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.changes import SECOND, ask, ask_as_operator, click, proposals, the_change, thread_text
from tests.harness.slack_bot import OPERATOR


@pytest.fixture
def bot_options():
    """Two operators on a lab put back as shipped around each test (the scenario comes from each test)."""
    return {"operator": RoleGrants(users=[OPERATOR, SECOND]), "reset_lab": True}


def running(device: str) -> str:
    return json.loads((device_fixture_dir("healthy", device) / "get_config.1").read_text())["running"]


@pytest.mark.parametrize("bot", ["healthy"], indirect=True)
async def test_a_junos_route_asked_in_slack_is_approved_committed_confirmed_and_in_the_config(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack, "add a static route to 172.20.0.0/16 via 10.0.5.0 on peer-rtr-01")
    body = json.dumps(message["blocks"])
    assert "route 172.20.0.0/16 next-hop 10.0.5.0" in body and "[edit routing-options static]" in body
    proposal = await the_change(bot)
    assert proposal.os == "junos" and proposal.kind == "static_route" and proposal.state == "pending"
    assert proposal.lines == ["set routing-options static route 172.20.0.0/16 next-hop 10.0.5.0"]

    assert "Approved" in await click(bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(bot)
    assert done.state == "confirmed", done.reason
    steps = [e["step"] for e in await bot.runtime.store.change_events(done.id)]
    assert steps == ["proposed", "approved", "merge", "commit", "post-check", "confirmed"]
    assert "revert timer" in thread_text(fake_slack, thread_ts)
    assert "set routing-options static route 172.20.0.0/16 next-hop 10.0.5.0" in to_set_form(running("peer-rtr-01")).lines
    assert not has_pending(device_fixture_dir("healthy", "peer-rtr-01"))


@pytest.mark.parametrize("bot", ["healthy"], indirect=True)
async def test_multivendor_questions_are_rated_or_refused_in_the_thread(bot, fake_slack):
    before = running("dc-leaf-02")
    ts, text = await ask(bot, fake_slack, "configure Ethernet1/3 as an access port in vlan 210 on dc-leaf-02")
    assert "switchport access vlan 210" in text and "cannot commit with a revert timer" in text
    assert not proposals(fake_slack, ts) and running("dc-leaf-02") == before  # no Approve button, nothing applied
    ts, text = await ask(bot, fake_slack, "add a default route via 198.51.100.1 on peer-rtr-01")
    assert "critical" in text and "replaces the default route" in text and proposals(fake_slack, ts)
    ts, text = await ask(bot, fake_slack, "configure TenGigE0/0/0/2 as an access port in vlan 10 on pe-rtr-01")
    assert "IOS-XR routers have no switchports" in text and not proposals(fake_slack, ts)
    states = {p.device: (p.state, p.risk) for p in await bot.runtime.store.changes()}
    assert states["peer-rtr-01"] == ("pending", "critical") and states["dc-leaf-02"][0] == "refused", states
