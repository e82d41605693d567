"""The health report: the daily job's, `/noc-health`'s and `noc health`'s, one and the same.

`build.build_report` gathers it (network sweep, changes, agent health from the store, alerts)
into `model.HealthReport`; `blocks` and `text` render it for Slack and for files and terminals;
`post.ReportPublisher` posts it with its chart (`chart`). Scheduling lives in `bot.scheduler`,
live alerts in `bot.report.live_alerts`.
"""
