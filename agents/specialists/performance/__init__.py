"""The performance specialist (utilisation, drops and capacity): `spec.yaml` declares it, `rules.py` is its offline analyst."""
