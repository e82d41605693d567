"""The brain of noc-chatops: models, supervisor, specialists, tools and the embedded lab.

Nothing in this package imports from `bot` or `handlers`; progress leaves through the
`ProgressSink` protocol so the same agents serve the terminal and Slack.
"""
