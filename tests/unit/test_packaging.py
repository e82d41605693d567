"""Every data file the code reads at run time is packaged: a non-editable install (README's run
command) must not lose the router's training data, lab fixtures, rules, runbooks or notes."""

from __future__ import annotations

import tomllib
from pathlib import PurePosixPath

from tests.harness.paths import ROOT


def test_every_non_python_file_under_the_packages_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for package, globs in patterns.items():
        base = ROOT / package
        for path in base.rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            rel = PurePosixPath(path.relative_to(base).as_posix())
            if not any(rel.full_match(g) if hasattr(rel, "full_match") else _match(rel, g) for g in globs):
                missing.append(f"{package}/{rel}")
    assert missing == [], f"add these to [tool.setuptools.package-data]: {missing[:10]}"


def _match(rel: PurePosixPath, glob: str) -> bool:
    """setuptools' glob semantics for the patterns we use: `**/` matches any depth, including none."""
    import fnmatch

    text = str(rel)
    if glob.startswith("**/"):
        return fnmatch.fnmatch(text, glob[3:]) or fnmatch.fnmatch(text, glob)
    if glob.endswith("/**/*"):
        return text.startswith(glob[:-5] + "/")
    return fnmatch.fnmatch(text, glob)
