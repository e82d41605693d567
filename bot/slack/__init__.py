"""Slack surface: the Bolt app's front door, the Web API client and its pace, live progress in threads, and Block Kit views."""
