"""`python -m agents.router`: say which router model the shipped data uses and where it comes from.

`--ship` trains the model on the specialists' examples as they are now and writes it over the
shipped artefact (agents/router/router-model.bin, package data): run it after adding or editing
examples, and commit the file. `--check` exits 1 when the shipped artefact was built from other
data than the specialists' examples as they are now (CI runs the same check as a test).
"""

from __future__ import annotations

import argparse
import sys

from agents.router.cache import SHIPPED_PATH, artefact_path, load_model, shipped_model
from agents.router.dataset import data_hash, load_examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.router", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--ship", action="store_true", help="train on the examples now and write the shipped artefact")
    group.add_argument("--check", action="store_true", help="exit 1 if the shipped artefact is stale")
    args = parser.parse_args(argv)
    digest = data_hash()
    shipped = shipped_model()
    if args.check:
        if shipped is None or shipped.data_hash != digest:
            found = shipped.data_hash if shipped else "missing"
            print(f"shipped router model is stale ({found}, the data is {digest}): run python -m agents.router --ship",
                  file=sys.stderr)
            return 1
        print(f"shipped router model {digest} matches the specialists' examples")
        return 0
    if args.ship:
        from agents.router.train import build_model  # scikit-learn: only here

        model = build_model(load_examples(), digest)
        model.save(SHIPPED_PATH)
        print(f"router model {digest}: {len(model.vocabulary)} features, written to {SHIPPED_PATH}")
        return 0
    model = load_model()
    where = SHIPPED_PATH if shipped is not None and shipped.data_hash == digest else artefact_path(digest)
    print(f"router model {model.data_hash}: {len(model.vocabulary)} features, {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
