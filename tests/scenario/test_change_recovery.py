"""Changes left in flight are claimed through the store by exactly one replica, and a running
replica's scheduled sweep resolves one whose process is gone (the restart case is in
test_change_faults.py, with real processes).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.lab import device_fixture_dir
from agents.lab.stateful import has_pending
from bot.config.settings import RoleGrants
from bot.store import Store
from tests.fakes.anthropic_api import fake_anthropic  # noqa: F401
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.changes import DEVICE, SECOND, ask_as_operator, the_change, thread_text
from tests.harness.slack_bot import OPERATOR


@pytest.fixture
def bot_options():
    """Two operators on a lab put back as shipped around each test."""
    return {"operator": RoleGrants(users=[OPERATOR, SECOND]), "reset_lab": True}


async def _strand(bot, state: str, holder: str, lease_s: float):
    """A proposal another replica approved and left in `state`, its lease running for `lease_s`
    (negative: already run out)."""
    proposal = await the_change(bot)
    store = bot.runtime.store
    assert await store.transition(proposal, "pending", state, approver=SECOND, holder=holder, lease_s=60)
    assert await store.renew_change(proposal.id, holder, lease_s)
    return proposal


async def test_a_running_replica_resolves_a_change_whose_process_died(bot, fake_slack):
    thread_ts, _ = await ask_as_operator(bot, fake_slack)
    proposal = await the_change(bot)
    engine = bot.runtime.changes.engine
    dev = bot.runtime.toolbox.inventory.get(DEVICE)
    # the other replica committed with its revert timer, then died before storing `committed`
    await engine.device.commit(dev, proposal.lines, running_hash=proposal.running_hash, diff_hash=proposal.diff_hash, revert_in=300)
    assert has_pending(device_fixture_dir("wan-congestion", DEVICE))
    await _strand(bot, "applying", "replica-b:4242:dead", -1)

    await bot.runtime.scheduler.run_changes()
    final = await _final(bot, proposal.id)
    assert final.state == "confirmed", final.reason
    text = thread_text(fake_slack, thread_ts)
    assert "interrupted (applying)" in text and "has the approved result" in text and "*confirmed*" in text
    assert not has_pending(device_fixture_dir("wan-congestion", DEVICE))
    config = json.loads((device_fixture_dir("wan-congestion", DEVICE) / "get_config.1").read_text())["running"]
    assert "service-policy output WAN-EDGE-QOS" in config


async def test_a_change_whose_holder_is_alive_is_left_alone(bot, fake_slack):
    await ask_as_operator(bot, fake_slack)
    proposal = await _strand(bot, "applying", "replica-b:4242:alive", 300)
    events = len(await bot.runtime.store.change_events(proposal.id))
    await bot.runtime.scheduler.run_changes()
    await bot.settle()
    assert (await the_change(bot)).state == "applying"
    assert len(await bot.runtime.store.change_events(proposal.id)) == events


async def test_two_replicas_racing_claim_a_stranded_change_once(bot, fake_slack, tmp_path):
    await ask_as_operator(bot, fake_slack)
    proposal = await _strand(bot, "committed", "replica-c:1:dead", -1)
    stores = [await Store(f"sqlite:///{tmp_path / 'noc.db'}").open() for _ in range(2)]
    try:
        claims = await asyncio.gather(*(s.claim_stranded_changes(f"replica-{i}", 60) for i, s in enumerate(stores)))
        assert sorted(len(c) for c in claims) == [0, 1] and [p.id for c in claims for p in c] == [proposal.id]
        winner = next(i for i, c in enumerate(claims) if c)
        loser = stores[1 - winner]
        # the loser cannot move the change on (its writes are refused), and nor can the dead holder
        stranded = await stores[winner].change(proposal.id)
        stranded.state = "confirmed"
        assert not await loser.advance_change(stranded, f"replica-{1 - winner}", 60)
        assert not await loser.advance_change(stranded, "replica-c:1:dead", 60)
        assert await stores[winner].advance_change(stranded, f"replica-{winner}", 60)
    finally:
        for s in stores:
            await s.close()


async def _final(bot, change_id: str):
    async def settled():
        while True:
            p = await bot.runtime.store.change(change_id)
            if p is not None and p.state not in ("approved", "applying", "committed"):
                return p
            await bot.settle()
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(settled(), timeout=60)


async def test_an_approval_never_applied_is_resumed_only_within_its_decision_window(bot, fake_slack):
    """`approved` means nothing was sent to the device. Within the proposal's window the apply is
    resumed (guards and all); a row stranded past it (an old crash) is closed with nothing done."""
    now = [1_000_000.0]
    bot.runtime.changes.set_clock(lambda: now[0])
    thread_ts, _ = await ask_as_operator(bot, fake_slack)
    proposal = await _strand(bot, "approved", "replica-d:1:dead", -1)
    now[0] = proposal.expires_at + 1
    await bot.runtime.scheduler.run_changes()
    final = await _final(bot, proposal.id)
    assert final.state == "aborted" and "decision window has passed" in final.reason
    assert not has_pending(device_fixture_dir("wan-congestion", DEVICE))
    assert "service-policy output WAN-EDGE-QOS" not in json.loads(
        (device_fixture_dir("wan-congestion", DEVICE) / "get_config.1").read_text())["running"].split("interface GigabitEthernet0/0/1")[0]


async def test_an_approval_never_applied_is_resumed_within_its_window(bot, fake_slack):
    thread_ts, _ = await ask_as_operator(bot, fake_slack)
    proposal = await _strand(bot, "approved", "replica-e:1:dead", -1)
    await bot.runtime.scheduler.run_changes()
    final = await _final(bot, proposal.id)
    assert final.state == "confirmed", final.reason
    text = thread_text(fake_slack, thread_ts)
    assert "resuming it" in text and "*merge*" in text and "*confirmed*" in text


async def test_claims_are_exclusive_on_both_backends(store_url):
    """Several stranded changes, three replicas claiming at once, on SQLite and PostgreSQL: each
    change goes to exactly one, and a claimed change is not claimed again while its lease runs."""
    from agents.changes.models import ChangeProposal

    stores = [await Store(store_url).open() for _ in range(3)]
    try:
        ids = []
        for n in range(8):
            p = ChangeProposal(device=f"dev-{n}", os="ios", intent="test", expires_at=2e9)
            await stores[0].save_change(p)
            state = ("approved", "applying", "committed")[n % 3]
            assert await stores[0].transition(p, "pending", state, holder="gone", lease_s=60)
            assert await stores[0].renew_change(p.id, "gone", -1)
            ids.append(p.id)
        claims = await asyncio.gather(*(s.claim_stranded_changes(f"r{i}", 60) for i, s in enumerate(stores)))
        claimed = sorted(p.id for c in claims for p in c)
        assert claimed == sorted(ids)
        again = await asyncio.gather(*(s.claim_stranded_changes(f"r{i}", 60) for i, s in enumerate(stores)))
        assert [c for c in again if c] == []
    finally:
        for s in stores:
            await s.close()
