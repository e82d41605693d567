"""The NOC's other systems (issue 28): Alertmanager silences around changes, PagerDuty incidents
from answers and alerts, ServiceNow change records gating changes. Every outbound call goes
through `outbound.Outbound`, which audits it and never raises: a system that is down is told in
the thread and, where the request must not be lost, kept for a retry."""
