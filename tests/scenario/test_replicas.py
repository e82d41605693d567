"""Two `noc run` processes on one PostgreSQL database: Slack delivers the same event to both (a
retry landing on another replica behind the load balancer) and exactly one answers."""

from __future__ import annotations

import threading

from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
    post_signed,
)
from tests.harness.processes import SECRET, Stderr, answers, free_port, launch, stop, wait_healthz, wait_until


def test_two_replicas_one_event_one_answer(fake_slack, tmp_path, pg_url):
    ports = [free_port(), free_port()]
    procs = [launch(fake_slack, tmp_path, f"r{i}", port, pg_url) for i, port in enumerate(ports)]
    logs = [Stderr(p) for p in procs]
    try:
        for proc, port in zip(procs, ports, strict=False):
            wait_healthz(port, proc)
        event = app_mention_event("why is the branch office slow?")
        statuses: list[int] = []
        senders = [threading.Thread(target=lambda p=p: statuses.append(post_signed(f"http://127.0.0.1:{p}/slack/events", event, SECRET)[0]))
                   for p in ports]
        for t in senders:
            t.start()
        for t in senders:
            t.join(timeout=30)
        assert statuses == [200, 200]
        ts = event["event"]["ts"]
        fake_slack.wait_for(lambda s: answers(s, ts), timeout=60)
        # the other replica has met the event's claim and dropped it: no second answer is coming
        wait_until(lambda: any(f"duplicate delivery of {event['event_id']} ignored" in str(log) for log in logs),
                   what="one replica to drop the event the other claimed")
        assert len(answers(fake_slack, ts)) == 1
    finally:
        codes = [stop(p) for p in procs]
    assert codes == [0, 0], [str(log) for log in logs]
