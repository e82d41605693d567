"""Alert-driven triage: monitoring systems post alerts, each firing alert group becomes a thread
in the alerts channel that the supervisor investigates at once (see `intake`, `payloads`)."""
