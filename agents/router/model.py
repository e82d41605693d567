"""The fitted router as plain numbers, and how a question is scored with them.

Why a home-made artefact instead of a pickled scikit-learn pipeline: routing happens on every
request and in the Slack listener's access check, and importing scikit-learn (with SciPy) takes
about a second; a linear model is only a table of weights. So training (agents/router/train.py)
uses scikit-learn and exports the weights; routing needs only the standard library: a dict from
feature to row, one float32 array, a few multiply-adds per feature of the question (well under a
millisecond). A pickle would also tie the cache to one scikit-learn version and execute code on
load; this file is data.

Layout of an artefact file: 8 bytes of header length, the JSON header (labels, temperatures, the
per-label calibration and join probability, biases, sizes, data hash), the vocabulary ('\n'-joined features), then float32 rows, one per
feature: idf, the primary head's weights (one per label), the membership heads' weights.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path

from agents.router.features import featurise

MAGIC = b"NOCRT1\n"


@dataclass(frozen=True)
class Scores:
    """What the model says about one question: calibrated probabilities."""

    primary: dict[str, float]  # softmax over the labels: which specialist should lead (sums to 1)
    membership: dict[str, float]  # per label, independently: does the question need this specialist
    join: float = 0.5  # a specialist other than the primary joins at this membership probability


@dataclass
class RouterModel:
    labels: list[str]
    vocabulary: dict[str, int]
    weights: array  # type: ignore[type-arg]  # float32, len(vocabulary) * (1 + 2 * len(labels))
    primary_bias: list[float]
    membership_bias: list[float]
    primary_temperature: float
    membership_temperature: float
    data_hash: str
    # Per-label Platt scaling of the membership logits, fitted on out-of-fold logits (train.py):
    # each secondary head gets its own slope and offset, where one temperature fitted them all.
    membership_scale: list[float] | None = None
    membership_shift: list[float] | None = None
    join_probability: float = 0.5  # chosen on out-of-fold data (train.py JOIN_EXTRAS_BUDGET)

    @property
    def row(self) -> int:
        return 1 + 2 * len(self.labels)

    def scores(self, question: str) -> Scores:
        """Sublinear tf-idf over the known features, L2-normalised, then the two linear heads."""
        n, row, w = len(self.labels), self.row, self.weights
        found: list[tuple[int, float]] = []
        for feature, count in featurise(question).items():
            j = self.vocabulary.get(feature)
            if j is not None:
                found.append((j, (1.0 + math.log(count)) * w[j * row]))
        norm = math.sqrt(sum(v * v for _, v in found)) or 1.0
        primary = list(self.primary_bias)
        member = list(self.membership_bias)
        for j, v in found:
            base = j * row
            x = v / norm
            for k in range(n):
                primary[k] += x * w[base + 1 + k]
                member[k] += x * w[base + 1 + n + k]
        scale = self.membership_scale or [1.0] * n
        shift = self.membership_shift or [0.0] * n
        member = [(a * z + b) / self.membership_temperature for z, a, b in zip(member, scale, shift, strict=True)]
        return Scores(primary=dict(zip(self.labels, _softmax([z / self.primary_temperature for z in primary]), strict=True)),
                      membership={lab: _sigmoid(z) for lab, z in zip(self.labels, member, strict=True)}, join=self.join_probability)

    # -- storage -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = json.dumps({"labels": self.labels, "features": len(self.vocabulary), "primary_bias": self.primary_bias,
                             "membership_bias": self.membership_bias, "primary_temperature": self.primary_temperature,
                             "membership_temperature": self.membership_temperature, "data_hash": self.data_hash,
                             "membership_scale": self.membership_scale, "membership_shift": self.membership_shift,
                             "join_probability": self.join_probability}).encode()
        vocab = "\n".join(sorted(self.vocabulary, key=self.vocabulary.__getitem__)).encode()
        weights = self.weights
        if sys.byteorder != "little":
            weights = array("f", weights)
            weights.byteswap()
        return MAGIC + struct.pack("<II", len(header), len(vocab)) + header + vocab + weights.tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "RouterModel":
        if not blob.startswith(MAGIC):
            raise ValueError("not a router model file")
        at = len(MAGIC)
        header_len, vocab_len = struct.unpack_from("<II", blob, at)
        at += 8
        header = json.loads(blob[at:at + header_len])
        at += header_len
        features = blob[at:at + vocab_len].decode().split("\n") if vocab_len else []
        at += vocab_len
        weights = array("f")
        weights.frombytes(blob[at:])
        if sys.byteorder != "little":
            weights.byteswap()
        labels = list(header["labels"])
        if len(features) != header["features"] or len(weights) != len(features) * (1 + 2 * len(labels)):
            raise ValueError("router model file is truncated or inconsistent")
        return cls(labels=labels, vocabulary={f: i for i, f in enumerate(features)}, weights=weights,
                   primary_bias=list(header["primary_bias"]), membership_bias=list(header["membership_bias"]),
                   primary_temperature=float(header["primary_temperature"]),
                   membership_temperature=float(header["membership_temperature"]), data_hash=str(header["data_hash"]),
                   membership_scale=_floats(header.get("membership_scale"), len(labels)),
                   membership_shift=_floats(header.get("membership_shift"), len(labels)),
                   join_probability=float(header.get("join_probability", 0.5)))

    def save(self, path: Path) -> None:
        """Write atomically: a reader (another replica starting) never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(self)}.tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "RouterModel":
        return cls.from_bytes(path.read_bytes())


def _floats(value: object, n: int) -> list[float] | None:
    """A per-label list from the header (None in artefacts written before it existed)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n:
        raise ValueError("router model file has a malformed per-label calibration")
    return [float(v) for v in value]


def _softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
