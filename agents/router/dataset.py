"""The labelled questions the router learns from, and the hash that names the model built on them.

The data lives in `data/<specialist>.txt`, one question a line; the file names the question's
primary specialist and `+<specialist>` words in front of the question add further specialists
(see `data/README.md`). Plain text rather than JSON so that adding an example is typing a line.

The hash covers every data file and the source of the features and the training recipe, so a
model artefact is found only when it was built from exactly this data by exactly this code:
change a line and the next start builds (or finds) the model for the new hash. Nothing can drift.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from agents.models import Specialist

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS: tuple[Specialist, ...] = (Specialist.diagnosis, Specialist.config, Specialist.security, Specialist.performance,
                                  Specialist.documentation)
# The code whose change changes the model: its source is hashed with the data.
RECIPE_FILES = ("features.py", "keywords.py", "train.py")


class DatasetError(ValueError):
    """A training file that cannot be read as questions: says which file and line."""


@dataclass(frozen=True)
class Example:
    question: str
    primary: Specialist
    labels: frozenset[Specialist]  # the primary and every other specialist the question needs
    source: str  # "file:line", for error messages and evaluation reports


def data_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.txt") if p.stem in {s.value for s in LABELS})


def parse_line(line: str, primary: Specialist, source: str) -> Example | None:
    """One data line: `[+specialist ...] question`; blank lines and `#` comments give None."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    labels = {primary}
    while text.startswith("+"):
        word, _, rest = text.partition(" ")
        try:
            labels.add(Specialist(word[1:]))
        except ValueError:
            names = ", ".join(s.value for s in LABELS)
            raise DatasetError(f"{source}: '{word}' is not a specialist (use +{' +'.join(names.split(', '))})") from None
        text = rest.strip()
    if not text:
        raise DatasetError(f"{source}: a line with labels but no question")
    return Example(question=text, primary=primary, labels=frozenset(labels), source=source)


def load_examples(directory: Path = DATA_DIR) -> list[Example]:
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for path in data_files(directory):
        primary = Specialist(path.stem)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            example = parse_line(line, primary, f"{path.name}:{n}")
            if example is None:
                continue
            key = example.question.lower()
            if key in seen:
                raise DatasetError(f"{example.source}: the same question is already at {seen[key]}")
            seen[key] = example.source
            examples.append(example)
    if not examples:
        raise DatasetError(f"no training questions under {directory}")
    return examples


def data_hash(directory: Path = DATA_DIR) -> str:
    """Hash of the recipe's source and every data file (name and bytes)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [here / name for name in RECIPE_FILES] + data_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
