"""`python -m agents.router`: build (or find) the router model for the shipped data and say where
it is, e.g. in a container image build so that no replica builds it at its first question."""

from __future__ import annotations

from agents.router.cache import artefact_path, load_model


def main() -> None:
    model = load_model()
    print(f"router model {model.data_hash}: {len(model.vocabulary)} features, {artefact_path(model.data_hash)}")


if __name__ == "__main__":
    main()
