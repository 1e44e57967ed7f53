"""Fixtures shared by every test; helper functions live in ``tests.support``.

Tests read the SYNTHETIC fixture data set (``tests.support.data.FIXTURE_DATA_DIR``), never
the shipped data folder ``data/``, whose content changes with each real data release. The
fixture folder is read-only for tests: a test that edits data works on a copy
(``fixture_copy``). The walking network cache of a test session goes to one temporary
folder, so no test writes into the checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.layers import Layers, load_all
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.layers import copy_fixture_data


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One network cache folder for the whole session."""
    return tmp_path_factory.mktemp("network-cache")


@pytest.fixture(scope="session")
def fixture_layers() -> Layers:
    """The fixture layers, loaded once (do not modify them)."""
    return load_all(FIXTURE_DATA_DIR)


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture data folder, safe to edit."""
    return copy_fixture_data(tmp_path / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """An empty workspace database on each backend (see tests.support.workspace)."""
    from tests.support.workspace import database_url_for

    yield from database_url_for(request.param, tmp_path)


@pytest.fixture
def workspace_data(tmp_path: Path) -> Path:
    """The data folder of the ``workspace`` app: a private fixture copy (a module that needs
    other data overrides this fixture)."""
    return copy_fixture_data(tmp_path / "data")


@pytest.fixture
def workspace(workspace_data: Path, session_cache: Path, database_url: str):
    """The web app with the planner workspace on, its own database on each backend, and the
    accounts ``ana`` (planner) and ``root`` (admin) of tests.support.workspace."""
    from tests.support.workspace import workspace_app

    app = workspace_app(workspace_data, session_cache, database_url)
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.fixture
def planner(workspace):
    """A test client of ``workspace`` signed in as the planner ``ana``."""
    from tests.support.workspace import sign_in

    client = workspace.test_client()
    assert sign_in(client).status_code == 302
    return client
