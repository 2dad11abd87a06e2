"""What the distribution is made of, copied apart from the checkout: setuptools leaves build/
and egg-info folders where it builds, and the two test passes must not build in one folder."""

import shutil
from pathlib import Path

from tests.servers import ROOT

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def copy_sources(destination: Path) -> Path:
    """The files the wheel and the sdist are built from, copied into destination."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, destination)
    shutil.copytree(ROOT / "memories", destination / "memories", ignore=IGNORED)
    return destination
