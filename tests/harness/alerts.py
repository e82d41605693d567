"""Alertmanager webhooks into the running bot: the token, the alerts channel, a real-shaped
payload (Alertmanager's webhook format, version 4, as its documentation gives it:
prometheus.io/docs/alerting/latest/configuration/#webhook_config, Apache-2.0) and the thread
roots the bot opens for it."""

from __future__ import annotations

import json

import aiohttp

TOKEN = "alert-token-0123456789"
CHANNEL = "C0NOCALERTS"

# Two alerts of one group, as Alertmanager sends them (docs' example shape, network labels).
BGP_DOWN = {
    "version": "4",
    "groupKey": '{}/{severity="critical"}:{alertname="BGPSessionDown"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "noc-chatops",
    "groupLabels": {"alertname": "BGPSessionDown"},
    "commonLabels": {"alertname": "BGPSessionDown", "severity": "critical", "job": "snmp", "instance": "branch-rtr-01:161"},
    "commonAnnotations": {"summary": "BGP session to the edge is down"},
    "externalURL": "http://alertmanager.example.net:9093",
    "alerts": [
        {"status": "firing",
         "labels": {"alertname": "BGPSessionDown", "severity": "critical", "job": "snmp", "instance": "branch-rtr-01:161",
                    "peer_address": "172.16.100.1"},
         "annotations": {"summary": "BGP session to the edge is down", "description": "bgpPeerState is idle(1)"},
         "startsAt": "2026-11-27T02:14:05.114Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=bgpPeerState", "fingerprint": "5b2c0f4c0b1e4f7a"},
        {"status": "firing",
         "labels": {"alertname": "BGPSessionDown", "severity": "critical", "job": "snmp", "instance": "edge-rtr-01:161",
                    "peer_address": "172.16.100.2"},
         "annotations": {"summary": "BGP session to the branch is down"},
         "startsAt": "2026-11-27T02:14:07.530Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=bgpPeerState", "fingerprint": "9d1e7a2b3c4d5e6f"},
    ],
}


async def send(bot, body, *, path: str = "alertmanager", token: str | None = TOKEN, raw: bytes | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token is not None else {})}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{bot.url}/alerts/{path}", data=raw if raw is not None else json.dumps(body), headers=headers) as r:
            return r.status, await r.json(content_type=None)


def roots(fake) -> list[dict]:
    return [m for m in fake.bot_messages(CHANNEL) if not m.get("thread_ts") or m.get("thread_ts") == m.get("ts")]
