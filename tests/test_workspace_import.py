"""Importing venues from CSV/GeoJSON in the workspace, on SQLite and PostgreSQL: a preview
that lists every row's problems, then everything or nothing (also when it crashes)."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests.support.layers import copy_fixture_data
from tests.support.workspace import page_token, sign_in, workspace_app
from webmap.workspace import imports
from webmap.workspace.models import Change, Venue

GOOD_CSV = (
    "id,name,category,address,source,lon,lat\n"
    "NEW-1,Biblioteca importada,library,Calle 9,planilla 2026,-71.3300,-29.9700\n"
    "V-001,Biblioteca Demo 1 (renovada),library,Calle Demo 3 #205,planilla 2026,"
    "-71.312102,-29.981979\n"
    "NEW-2,Museo importado,museum,,planilla 2026,\"-71,3250\",\"-29,9750\"\n"
)
BAD_CSV = (
    "id,name,category,address,source,lon,lat\n"
    "NEW-1,Bien,library,,planilla,-71.33,-29.97\n"
    "NEW-2,Fuera,library,,planilla,-72.90,-29.97\n"
    "NEW-3,Rara,bibliotek,,planilla,-71.33,-29.97\n"
    "NEW-1,Repetida,museum,,planilla,-71.33,-29.97\n"
)


@pytest.fixture
def app(tmp_path, session_cache, database_url):
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache, database_url)
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.fixture
def planner(app):
    client = app.test_client()
    sign_in(client)
    return client


def _db(app):
    return app.extensions["culturamap_workspace"].db


def _upload(client, name: str, text: str | bytes, step: str = "preview"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    token = page_token(client)
    return client.post("/planificar/importar", content_type="multipart/form-data",
                       data={"csrf_token": token, "step": step,
                             "file": (io.BytesIO(data), name)})


def _state(app) -> tuple:
    with _db(app).session() as session:
        venues = tuple(session.execute(select(Venue.id, Venue.name, Venue.version, Venue.lon)
                                       .order_by(Venue.id)))
        changes = session.scalar(select(func.count()).select_from(Change))
    return venues, changes


def test_preview_lists_every_row_problem_and_writes_nothing(app, planner):
    before = _state(app)
    response = _upload(planner, "espacios.csv", BAD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "elemento/feature 2 (id NEW-2): fuera del área de Coquimbo" in html
    assert "elemento/feature 3 (id NEW-3): categoría desconocida «bibliotek»" in html
    assert "elemento/feature 4 (id NEW-1): id duplicado «NEW-1»" in html
    assert 'id="import-apply"' not in html  # nothing to confirm
    # even asking to apply directly is refused: the server checks again
    assert _upload(planner, "espacios.csv", BAD_CSV, step="apply").status_code == 400
    assert _state(app) == before


def test_a_latin1_file_is_refused_with_the_loader_message(app, planner):
    response = _upload(planner, "espacios.csv", BAD_CSV.replace("Bien", "Peñuelas")
                       .encode("cp1252"))
    assert "no está en UTF-8" in response.get_data(as_text=True)


def test_preview_then_apply_adds_and_updates_with_history(app, planner):
    before = _state(app)
    preview = _upload(planner, "espacios.csv", GOOD_CSV)
    html = preview.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d)</td><td>([^<]+)</td>.*?<td>(agregar|actualizar)</td></tr>",
                      html)
    assert rows == [("1", "NEW-1", "agregar"), ("2", "V-001", "actualizar"),
                    ("3", "NEW-2", "agregar")]
    assert _state(app) == before  # a preview writes nothing
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    assert base64.b64decode(content).decode("utf-8") == GOOD_CSV
    applied = planner.post("/planificar/importar", data={
        "csrf_token": page_token(planner), "step": "apply", "filename": "espacios.csv",
        "content": content})
    assert applied.status_code == 200
    assert "3 espacio(s) importados" in applied.get_data(as_text=True)
    with _db(app).session() as session:
        assert session.get(Venue, "V-001").name == "Biblioteca Demo 1 (renovada)"
        assert session.get(Venue, "V-001").version == 2
        assert (session.get(Venue, "NEW-2").lon, session.get(Venue, "NEW-2").lat) == \
            (-71.325, -29.975)
        imported = session.scalars(select(Change).where(Change.action == "import")).all()
        assert sorted(c.record_id for c in imported) == ["NEW-1", "NEW-2", "V-001"]
    served = {f["id"] for f in
              planner.get("/ogc/collections/venues/items?limit=1000").json["features"]}
    assert {"NEW-1", "NEW-2", "V-001"} <= served


def test_a_crash_in_the_middle_of_an_import_leaves_the_database_as_before(app, planner,
                                                                        monkeypatch):
    before = _state(app)
    calls = {"n": 0}
    real = imports.record_change

    def crash_on_the_second_row(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the first row is already written in the transaction
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "record_change", crash_on_the_second_row)
    with pytest.raises(RuntimeError, match="power cut"):
        _upload(planner, "espacios.csv", GOOD_CSV, step="apply")
    assert calls["n"] == 2
    assert _state(app) == before
    served = {f["id"] for f in
              planner.get("/ogc/collections/venues/items?limit=1000").json["features"]}
    assert "NEW-1" not in served


def test_geojson_in_utm_is_reprojected(app, planner):
    feature = {"type": "Feature", "properties": {
        "id": "UTM-1", "name": "Centro en UTM", "category": "cultural_centre", "address": None,
        "source": "QGIS"}, "geometry": {"type": "Point", "coordinates": [270000.0, 6682000.0]}}
    collection = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::32719"}}, "features": [feature]}
    response = _upload(planner, "capa.geojson", json.dumps(collection), step="apply")
    assert response.status_code == 200, response.get_data(as_text=True)
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(32719, 4326, always_xy=True).transform(
        270000.0, 6682000.0)
    with _db(app).session() as session:
        venue = session.get(Venue, "UTM-1")
        assert venue.lon == pytest.approx(lon, abs=1e-9)
        assert venue.lat == pytest.approx(lat, abs=1e-9)
