"""The security specialist (hardening, compliance and attack evidence): `spec.yaml` declares it, `rules.py` is its offline analyst."""
