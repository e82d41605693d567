"""The fitted router as plain numbers, and how a question is scored with them.

Why a home-made artefact instead of a pickled scikit-learn pipeline: routing happens on every
request and in the Slack listener's access check, and importing scikit-learn (with SciPy) takes
about a second; a linear model is only a table of weights. So training (agents/router/train.py)
uses scikit-learn and exports the weights; routing needs only the standard library: a dict from
feature to row, one float32 array, a few multiply-adds per feature of the question (well under a
millisecond). A pickle would also tie the cache to one scikit-learn version and execute code on
load; this file is data.

Layout of an artefact file: 8 bytes of header length, the JSON header (labels, temperatures,
biases, sizes, data hash), the vocabulary ('\n'-joined features), then float32 rows, one per
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
        return Scores(primary=dict(zip(self.labels, _softmax([z / self.primary_temperature for z in primary]), strict=True)),
                      membership={lab: _sigmoid(z / self.membership_temperature) for lab, z in zip(self.labels, member, strict=True)})

    # -- storage -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = json.dumps({"labels": self.labels, "features": len(self.vocabulary), "primary_bias": self.primary_bias,
                             "membership_bias": self.membership_bias, "primary_temperature": self.primary_temperature,
                             "membership_temperature": self.membership_temperature, "data_hash": self.data_hash}).encode()
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
                   membership_temperature=float(header["membership_temperature"]), data_hash=str(header["data_hash"]))

    def save(self, path: Path) -> None:
        """Write atomically: a reader (another replica starting) never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(self)}.tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "RouterModel":
        return cls.from_bytes(path.read_bytes())


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
