"""The alert a monitoring system would send for a lab scenario, as an Alertmanager webhook
(version 4) body: so the triage flow can be tried with `noc lab alert SCENARIO` and no
Alertmanager. The alert names the scenario's first affected device and carries its description."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from agents.lab import Scenario


def alert_name(scenario: Scenario) -> str:
    return "NocLab" + "".join(part.capitalize() for part in scenario.name.split("-"))


def scenario_payload(scenario: Scenario, status: str = "firing") -> dict[str, Any]:
    device = scenario.affected[0] if scenario.affected else (scenario.unreachable[0] if scenario.unreachable else "")
    labels = {"alertname": alert_name(scenario), "severity": "warning", "job": "noc-lab", **({"device": device} if device else {})}
    alert = {"status": status, "labels": labels, "annotations": {"summary": scenario.description},
             "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
             "fingerprint": scenario.name}
    return {"version": "4", "groupKey": f'{{}}:{{alertname="{labels["alertname"]}"}}', "truncatedAlerts": 0, "status": status,
            "receiver": "noc-chatops", "groupLabels": {"alertname": labels["alertname"]}, "commonLabels": labels,
            "commonAnnotations": alert["annotations"], "externalURL": "", "alerts": [alert]}


def send(url: str, token: str, payload: dict[str, Any], timeout: float = 10.0) -> tuple[int, str]:
    """POST the payload to a running bot; (status, body). Raises OSError when nothing listens."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
