"""Where the fitted router lives between runs, and the rule that keeps it true to the data.

Every artefact carries the hash of the training data and the training code it was built from. A
process computes the hash of the data it ships (a few hundred kilobytes read, about a
millisecond) and uses, in order:

1. the **shipped** model, `agents/router/router-model.bin`, package data built from the
   specialists' examples as committed (`python -m agents.router --ship` rewrites it; a test checks
   its hash against the data). Why shipped: training takes 10-20 s of CPU, and every fresh
   install, container and pod paid it on its first question (issue 26);
2. the cached model `router-<hash>.bin` in the cache directory, built earlier on this machine;
3. a model built now, which happens only when someone added or edited specialists' examples
   (or keywords, or the training code): it says so on stderr at WARNING, then caches it.

So an artefact can never be used for data it was not built from: an edited data file has a new
hash, and an artefact with another hash is simply not used.

Cache location: `$NOC_CACHE_DIR`, else `$XDG_CACHE_HOME/noc-chatops`, else `~/.cache/noc-chatops`;
without a writable cache a model built at run time is rebuilt on every start, with a warning.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from agents.catalogue import Catalogue, catalogue
from agents.router.dataset import data_hash, load_examples
from agents.router.model import RouterModel

log = logging.getLogger(__name__)

CACHE_ENV = "NOC_CACHE_DIR"
_lock = threading.Lock()
_loaded: dict[str, RouterModel] = {}
_shipped: tuple[Catalogue, str] | None = None  # the specialists' catalogue and the digest of its data
SHIPPED_PATH = Path(__file__).resolve().parent / "router-model.bin"


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "noc-chatops"


def artefact_path(digest: str) -> Path:
    return cache_dir() / f"router-{digest}.bin"


def load_model(data_dir: Path | None = None) -> RouterModel:
    """The model for the data as it is now: from memory, from the cache, or built (and cached)."""
    digest = data_hash(data_dir) if data_dir is not None else _shipped_digest()
    model = _loaded.get(digest)
    if model is not None:
        return model
    with _lock:
        model = _loaded.get(digest)
        if model is None:
            model = (_from_shipped(digest) if data_dir is None else None) or _from_cache(digest) or _build(data_dir, digest)
            _loaded.clear()
            _loaded[digest] = model
    return model


def loaded_digest() -> str | None:
    """The data hash of the model this process has loaded, None before the first load (readiness)."""
    return next(iter(_loaded), None)


def _shipped_digest() -> str:
    """The digest of the specialists' own data, computed once per catalogue. Why: `predict` runs for
    every routed question on the event loop, and hashing the files each time (resolving, reading
    and hashing them: about 1 ms) was a third of the wall time of a burst of 200 Slack requests.
    A data file edited while the process runs is picked up by the next process."""
    global _shipped
    current = catalogue()
    shipped = _shipped
    if shipped is None or shipped[0] is not current:
        shipped = _shipped = (current, data_hash())
    return shipped[1]


def shipped_model() -> RouterModel | None:
    """The model shipped in the package, whatever data it was built from (None if absent)."""
    try:
        return RouterModel.load(SHIPPED_PATH)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("shipped router model %s unreadable (%s)", SHIPPED_PATH, exc)
        return None


def _from_shipped(digest: str) -> RouterModel | None:
    model = shipped_model()
    return model if model is not None and model.data_hash == digest else None


def _from_cache(digest: str) -> RouterModel | None:
    path = artefact_path(digest)
    try:
        model = RouterModel.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("router model %s unreadable (%s); rebuilding it", path, exc)
        return None
    return model if model.data_hash == digest else None


def _build(data_dir: Path | None, digest: str) -> RouterModel:
    from agents.router.train import build_model  # scikit-learn: only when there is something to build

    log.warning("the specialists' examples (or the router's keywords or training code) differ from what the shipped "
                "router model was built from: training router model %s from %s now (10-20 s of CPU; cached for later "
                "starts; `python -m agents.router --ship` updates the shipped model)", digest, data_dir or "the specialist folders")
    model = build_model(load_examples(data_dir), digest)
    path = artefact_path(digest)
    try:
        model.save(path)
    except OSError as exc:
        log.warning("router model not cached at %s (%s); it will be rebuilt at the next start", path, exc)
    return model
