"""Scenario tests: a user's path end to end (the Slack app over HTTP or Socket Mode, `noc` commands,
`noc run` processes, bench scripts, real PostgreSQL, Prometheus, Alertmanager, Nautobot and MCP servers)."""
