"""The brain of noc-chatops: models, supervisor, specialists, tools and the embedded lab.

Nothing in this package imports from `bot` or `handlers`; progress leaves through the one
`Observer` protocol (agents/progress.py) so the same agents serve the terminal and Slack. The
engine is built in one place, `agents.engine.build_engine`; `agents.testing` is the kit for
testing it and your own specialists (a scripted model, a recording observer).
"""
