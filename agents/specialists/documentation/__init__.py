"""The documentation specialist (runbooks and incident reports): `spec.yaml` declares it, `rules.py` is its offline analyst."""
