"""Fixtures shared by every test; helper functions live in ``tests.support``.

The shipped data folder (``geo.schema.DATA_DIR``) is read-only for tests: a test that edits
data works on a copy (``shipped_copy``). The walking network cache of a test session goes
to one temporary folder, so no test writes into the checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.layers import Layers, load_all
from geo.schema import DATA_DIR
from tests.support.layers import copy_shipped_data


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One network cache folder for the whole session."""
    return tmp_path_factory.mktemp("network-cache")


@pytest.fixture(scope="session")
def shipped_layers() -> Layers:
    """The shipped layers, loaded once (do not modify them)."""
    return load_all(DATA_DIR)


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped data folder, safe to edit."""
    return copy_shipped_data(tmp_path / "data")
