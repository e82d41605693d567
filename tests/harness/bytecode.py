"""Bytecode for the test session, whatever PYTHONDONTWRITEBYTECODE says.

The suite starts about eighty Python processes (`noc run`, `noc ask`, `noc mcp serve`...) beside
two workers per core, and each imports a few hundred of the project's modules. Where the
environment forbids writing bytecode (container images often set PYTHONDONTWRITEBYTECODE), every
one of them compiled the project from source again, and every worker rewrote every test module's
assertions again (pytest caches that as bytecode too): about half of a worker's collection time
and a third of a second per process. So the process that starts the workers compiles the project
once (only what changed since the last run) and the workers may cache their rewritten tests; the
processes the tests start write nothing, they read what is there. The files land in the
checkout's `__pycache__` folders, which git ignores."""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

PACKAGES = ("agents", "bot", "handlers", "tests")


def compile_project(root: Path) -> None:
    """Compile the project's packages and allow this process to write bytecode."""
    allow_bytecode()
    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=2, workers=0)


def allow_bytecode() -> None:
    sys.dont_write_bytecode = False
