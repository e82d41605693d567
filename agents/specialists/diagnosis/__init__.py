"""The diagnosis specialist (root cause across layers 1-3 and the control plane): `spec.yaml` declares it, `rules.py` is its offline analyst."""
