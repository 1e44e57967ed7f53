"""After one venue edit every public surface shows the new inventory: the map page, /cerca,
the JSON API, the OGC collections, the reports and the downloads. The oracle is the same
venue written into the venues FILE of a copy of the data and served without the workspace
(SQLite; the backends are compared by the other workspace tests). While the suggested
sites are recomputed in the background the pages say so instead of serving the old ones.
"""

from __future__ import annotations

import json

import pytest

from tests.support.layers import copy_fixture_data
from tests.support.web import app_for
from tests.support.workspace import page_token, point_in_worst_council, sqlite_url
from webmap.store import SITES_PENDING
from webmap.workspace.refresh import finish, rebuilt_store

NAME = "Biblioteca Surfaces Nueva"
VENUE = {"name": NAME, "category": "library", "address": "Calle 1",
         "source": "visita a terreno 2026"}


@pytest.fixture
def database_url(tmp_path):
    return sqlite_url(tmp_path)


def _oracle(tmp_path, session_cache, lon: float, lat: float):
    files = copy_fixture_data(tmp_path / "files")
    path = files / "venues" / "venues.geojson"
    fc = json.loads(path.read_text("utf-8"))
    fc["features"].append({"type": "Feature", "properties": {"id": "CM-001", **VENUE},
                           "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    path.write_text(json.dumps(fc), "utf-8")
    return app_for(files, session_cache).test_client()


def _by_id(collection: dict) -> dict:
    return {f["id"]: f for f in collection["features"]}


def _add_at(workspace, planner, lon: float, lat: float) -> None:
    added = planner.post("/planificar/espacios", json={**VENUE, "lon": lon, "lat": lat},
                         headers={"X-CSRFToken": page_token(planner)})
    assert added.status_code == 201, added.json
    workspace.extensions["culturamap_last_refresh"].wait(60)


def test_every_surface_reflects_one_venue_edit(workspace, workspace_data, planner, tmp_path,
                                               session_cache):
    public = workspace.test_client()
    council, point = point_in_worst_council(workspace, workspace_data)
    lon, lat = round(point.x, 6), round(point.y, 6)
    figures_before = public.get("/descargas/access-councils.csv").data
    report_before = public.get(f"/reportes/{council}.html").get_data(as_text=True)
    assert NAME not in public.get("/").get_data(as_text=True)
    _add_at(workspace, planner, lon, lat)
    oracle = _oracle(tmp_path, session_cache, lon, lat)

    # the map page: the venue is on it, and its figures are the oracle's
    page = public.get("/").get_data(as_text=True)
    assert NAME in page
    # /cerca for the council: the new venue is in the answer, as the oracle's
    cerca = public.get(f"/cerca?junta={council}").get_data(as_text=True)
    assert NAME in cerca
    assert NAME in oracle.get(f"/cerca?junta={council}").get_data(as_text=True)
    # the JSON API and the OGC collections
    for path in ("/api/councils", f"/api/councils/{council}", "/api/area", "/api/sites",
                 f"/api/nearest?lat={lat}&lon={lon}"):
        assert public.get(path).json == oracle.get(path).json, path
    for name in ("venues", "councils", "sites"):  # the database lists venues by id
        path = f"/ogc/collections/{name}/items?limit=1000"
        assert _by_id(public.get(path).json) == _by_id(oracle.get(path).json), path
    # the reports: the council's page changed and says what the oracle's says
    report = public.get(f"/reportes/{council}.html").get_data(as_text=True)
    assert report != report_before
    assert report == oracle.get(f"/reportes/{council}.html").get_data(as_text=True)
    # the downloads: the inventory and the figures
    for layer in ("venues", "access-councils", "sites"):
        mine = public.get(f"/descargas/{layer}.csv")
        assert mine.status_code == 200, layer
        assert sorted(mine.data.splitlines()) == sorted(
            oracle.get(f"/descargas/{layer}.csv").data.splitlines()), layer
    assert NAME in public.get("/descargas/venues.csv").get_data(as_text=True)
    assert public.get("/descargas/access-councils.csv").data != figures_before


def test_while_the_sites_are_recomputed_the_pages_say_so(workspace, planner):
    """Step one of a refresh alone (no background step yet): the store is marked."""
    app = workspace
    old = app.extensions["culturamap"]
    store, timings = rebuilt_store(old, app.extensions["culturamap_workspace"].db)
    assert store.sites_pending
    app.extensions["culturamap"] = store
    public = app.test_client()
    page = public.get("/").get_data(as_text=True)
    assert "se están recalculando" in page
    sites = public.get("/ogc/collections/sites/items")
    assert sites.status_code == 503 and sites.headers["Retry-After"] == "10"
    assert sites.json["error"] == "sites_updating"
    assert public.get("/ogc/collections/sites/items?lang=en").json["detail"].startswith(
        "The suggested sites are being recalculated")
    finish(store, timings)  # the background step, run here
    assert not store.sites_pending and SITES_PENDING not in store.cache
    page = public.get("/").get_data(as_text=True)  # the page made meanwhile was dropped
    assert "se están recalculando" not in page
    ready = public.get("/ogc/collections/sites/items")
    assert ready.status_code == 200
    assert len(ready.json["features"]) == len(store.sites)
