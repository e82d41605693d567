"""A rolling restart loses no request (issue 26): two `noc run` replicas on one PostgreSQL store
are replaced one after the other, as the Deployment's RollingUpdate does (maxUnavailable 0), while
questions keep arriving. A replica told to stop (SIGTERM) closes its listener at once, so the load
balancer sends new requests to the other one, and finishes the requests it had acked before it
exits (server.shutdown_grace_s)."""

from __future__ import annotations

import signal
import urllib.request

import pytest

from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
    post_signed,
)
from tests.harness.processes import SECRET, answers, free_port, launch, wait_healthz

pytestmark = pytest.mark.slow  # four `noc run` processes stopped one by one: the fault suites' step in CI


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def ask(fake, port: int, question: str) -> str:
    event = app_mention_event(question)
    status, _ = post_signed(f"http://127.0.0.1:{port}/slack/events", event, SECRET)
    assert status == 200
    return event["event"]["ts"]


def test_replacing_both_replicas_one_after_the_other_answers_every_question(fake_slack, tmp_path, pg_url):
    ports = [free_port(), free_port()]
    old = [launch(fake_slack, tmp_path, f"old{i}", port, pg_url) for i, port in enumerate(ports)]
    new = []
    asked: list[str] = []
    try:
        for proc, port in zip(old, ports, strict=True):
            wait_healthz(port, proc)
            assert ready(port)
        for step in range(2):
            # a question lands on the replica about to be replaced, and one on the other
            asked.append(ask(fake_slack, ports[step], f"why is the branch office slow? (step {step}, leaving replica)"))
            old[step].send_signal(signal.SIGTERM)
            asked.append(ask(fake_slack, ports[1 - step], f"why is the branch office slow? (step {step}, other replica)"))
            assert old[step].wait(timeout=60) == 0, old[step].stderr.read()
            # its successor takes the place (same port) and is ready before the next replica goes
            new.append(launch(fake_slack, tmp_path, f"new{step}", ports[step], pg_url))
            wait_healthz(ports[step], new[step])
            assert ready(ports[step])
        asked.append(ask(fake_slack, ports[0], "why is the branch office slow? (after the rollout)"))
        for ts in asked:
            fake_slack.wait_for(lambda s, ts=ts: answers(s, ts), timeout=60)
        assert [len(answers(fake_slack, ts)) for ts in asked] == [1] * len(asked)  # each answered, once
        interrupted = [m for m in fake_slack.bot_messages() if "interrupted" in (m.get("text") or "").lower()]
        assert interrupted == []
    finally:
        for proc in old + new:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=60) for proc in old + new]
    assert codes == [0] * len(codes), [p.stderr.read() for p in old + new]
