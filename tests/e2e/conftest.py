"""Tests of the project run as its users run it: served on a port, in a browser, installed by
pip, fuzzed by schemathesis. Each is marked `e2e`, so `pytest -m "not e2e"` is the quick run."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Called with every collected item, wherever it lives: mark only those under this folder.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
