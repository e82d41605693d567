"""Serving `noc run` over HTTP: the Slack endpoint's server, request-body checks, health and metrics endpoints, access logs."""
