"""The answer eval suite: questions with the facts a signed-off answer must state, as data.

Each case (one YAML file under the repository's `evals/`) names a network (a lab scenario, or a
fixture network built from recorded real device output), the question, and what the answer must
and must not say. The runner asks the same Supervisor `noc ask` uses and scores each answer per
category, so a change to routing, rules or synthesis shows up as a score, not as an anecdote.
"""
