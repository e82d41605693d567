"""Slack Block Kit views: one module per message kind, over a shared layout.

`layout` knows Slack's limits and flows blocks into as many messages as needed; `text` holds the
escaping and cutting every view uses; `answer`, `details`, `audit`, `help`, `status` and `error`
each build one kind of message. `bot.slack.blocks` re-exports the public names other modules import.
"""
