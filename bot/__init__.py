"""Runtime of noc-chatops: settings, the `noc` CLI and (later) the Slack app, scheduler and store."""
