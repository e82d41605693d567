"""The config specialist (show, generate, validate and compare configuration): `spec.yaml` declares it, `rules.py` is its offline analyst."""
