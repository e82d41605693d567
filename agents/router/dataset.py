"""The labelled questions the router learns from, and the hash that names the model built on them.

The data lives in each specialist's folder, `agents/specialists/<name>/examples.txt`, one question
a line; the folder names the question's primary specialist and `+<specialist>` words in front of
the question add further specialists (see `agents/router/README.md`). Plain text rather than
JSON so that adding an example is typing a line. A directory of `<name>.txt` files can stand in
for the folders (tests and experiments train on a subset that way).

The hash covers every data file, the specialists' keyword patterns (features of the model) and
the source of the features and the training recipe, so a
model artefact is found only when it was built from exactly this data by exactly this code:
change a line and the next start builds (or finds) the model for the new hash. Nothing can drift.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from agents.catalogue import catalogue
from agents.models import Specialist

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


def labels() -> tuple[Specialist, ...]:
    """The classes the model learns: every specialist in the catalogue, in its order."""
    return tuple(Specialist(name) for name in catalogue().names)


def example_files(directory: Path | None = None) -> dict[Specialist, Path]:
    """Each specialist's examples: its folder's examples.txt, or `<name>.txt` in `directory`."""
    if directory is not None:
        return {s: directory / f"{s.value}.txt" for s in labels() if (directory / f"{s.value}.txt").is_file()}
    found = {s: catalogue()[s.value].examples_file for s in labels()}
    return {s: path for s, path in found.items() if path is not None}


def data_files(directory: Path | None = None) -> list[Path]:
    return list(example_files(directory).values())


def parse_line(line: str, primary: Specialist, source: str) -> Example | None:
    """One data line: `[+specialist ...] question`; blank lines and `#` comments give None."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    needed = {primary}
    while text.startswith("+"):
        word, _, rest = text.partition(" ")
        try:
            needed.add(Specialist(word[1:]))
        except ValueError:
            names = ", ".join(s.value for s in labels())
            raise DatasetError(f"{source}: '{word}' is not a specialist (use +{' +'.join(names.split(', '))})") from None
        text = rest.strip()
    if not text:
        raise DatasetError(f"{source}: a line with labels but no question")
    return Example(question=text, primary=primary, labels=frozenset(needed), source=source)


def load_examples(directory: Path | None = None) -> list[Example]:
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for primary, path in example_files(directory).items():
        name = path.name if directory is not None else f"{primary.value}/{path.name}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            example = parse_line(line, primary, f"{name}:{n}")
            if example is None:
                continue
            key = example.question.lower()
            if key in seen:
                raise DatasetError(f"{example.source}: the same question is already at {seen[key]}")
            seen[key] = example.source
            examples.append(example)
    if not examples:
        raise DatasetError(f"no training questions under {directory or 'the specialist folders'}")
    return examples


def data_hash(directory: Path | None = None) -> str:
    """Hash of the recipe's source, the keyword patterns and every data file (specialist and bytes)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [here / name for name in RECIPE_FILES]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    patterns = {name: spec.routing.keywords for name, spec in catalogue().specs.items()}
    digest.update(json.dumps(patterns, sort_keys=True).encode() + b"\0")
    for specialist, path in example_files(directory).items():
        digest.update(specialist.value.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
