"""Keeping answers coming when things fail: pools, breakers, retries, budgets, concurrency."""
