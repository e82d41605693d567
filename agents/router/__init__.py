"""The learned router: which specialists a question needs, with calibrated probabilities.

`predict(question)` is all routing needs. The model is built from the labelled questions in each
specialist's folder (`agents/specialists/<name>/examples.txt`; agents/router/train.py,
scikit-learn) the first time it is needed and cached as a small file named by the hash of the
data, the keywords and the training code (agents/router/cache.py); later starts load that file in
milliseconds without importing scikit-learn. See README.md here for adding examples and
`noc eval-routing` for measuring the router.
"""

from __future__ import annotations

from agents.router.cache import load_model
from agents.router.model import RouterModel, Scores


def predict(question: str) -> Scores:
    """Calibrated probabilities for one question (the caller cuts it to the size limit)."""
    return load_model().scores(question)


__all__ = ["RouterModel", "Scores", "load_model", "predict"]
