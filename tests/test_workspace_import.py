"""Importing venues from CSV/GeoJSON in the workspace, on SQLite and PostgreSQL: a preview
that lists every row's problems, then everything or nothing (also when it crashes)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from sqlalchemy import func, select

from tests.support.workspace import crash_on_second_row, db_of, page_token, upload
from webmap.workspace.models import Change, Venue, Workshop

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
def app(workspace):
    """The workspace app of tests/conftest.py (both backends, ana and root)."""
    return workspace


def _state(app) -> tuple:
    with db_of(app).session() as session:
        venues = tuple(session.execute(select(Venue.id, Venue.name, Venue.version, Venue.lon)
                                       .order_by(Venue.id)))
        changes = session.scalar(select(func.count()).select_from(Change))
    return venues, changes


def test_preview_lists_every_row_problem_and_writes_nothing(app, planner):
    before = _state(app)
    response = upload(planner, "espacios.csv", BAD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "elemento/feature 2 (id NEW-2): fuera del área de Coquimbo" in html
    assert "elemento/feature 3 (id NEW-3): categoría desconocida «bibliotek»" in html
    assert "elemento/feature 4 (id NEW-1): id duplicado «NEW-1»" in html
    assert 'id="import-apply"' not in html  # nothing to confirm
    # even asking to apply directly is refused: the server checks again
    assert upload(planner, "espacios.csv", BAD_CSV, step="apply").status_code == 400
    assert _state(app) == before


def test_a_latin1_file_is_refused_with_the_loader_message(app, planner):
    response = upload(planner, "espacios.csv", BAD_CSV.replace("Bien", "Peñuelas")
                       .encode("cp1252"))
    assert "no está en UTF-8" in response.get_data(as_text=True)


def test_preview_then_apply_adds_and_updates_with_history(app, planner):
    before = _state(app)
    preview = upload(planner, "espacios.csv", GOOD_CSV)
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
    with db_of(app).session() as session:
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
    calls = crash_on_second_row(monkeypatch)
    with pytest.raises(RuntimeError, match="power cut"):
        upload(planner, "espacios.csv", GOOD_CSV, step="apply")
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
    response = upload(planner, "capa.geojson", json.dumps(collection), step="apply")
    assert response.status_code == 200, response.get_data(as_text=True)
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(32719, 4326, always_xy=True).transform(
        270000.0, 6682000.0)
    with db_of(app).session() as session:
        venue = session.get(Venue, "UTM-1")
        assert venue.lon == pytest.approx(lon, abs=1e-9)
        assert venue.lat == pytest.approx(lat, abs=1e-9)


# --- workshops -------------------------------------------------------------------------------

WORKSHOPS_GOOD = (
    "id,title,date,venue_id,councils,source,lon,lat,attendance,minutes\n"
    "TI-1,Taller en la biblioteca,2026-05-02,V-001,JV-01;JV-02,acta 2026,,,25,Se pidió luz\n"
    "TI-2,Taller en la plaza,2026-05-09,,JV-03,acta 2026,-71.3300,-29.9700,,\n"
    "T-1,Taller micro-barrial 1 (corregido),2026-04-11,V-011,JV-08,acta 2026,,,12,\n"
)
WORKSHOPS_BAD = (
    "id,title,date,venue_id,councils,source,lon,lat,attendance\n"
    "TI-1,Bien,2026-05-02,,JV-01,acta,-71.33,-29.97,10\n"
    "TI-2,Junta inventada,2026-05-02,,JV-01;JV-99,acta,-71.33,-29.97,\n"
    "TI-3,Espacio inventado,2026-05-02,V-999,JV-01,acta,-71.33,-29.97,\n"
    "TI-4,Fecha mala,2026-13-45,,JV-01,acta,-71.33,-29.97,\n"
    "TI-5,Fuera,2026-05-02,,JV-01,acta,-72.90,-29.97,\n"
    "TI-6,Asistencia mala,2026-05-02,,JV-01,acta,-71.33,-29.97,muchos\n"
)


def _workshop_state(app) -> tuple:
    with db_of(app).session() as session:
        rows = tuple(session.execute(select(Workshop.id, Workshop.title, Workshop.version,
                                            Workshop.attendance).order_by(Workshop.id)))
        changes = session.scalar(select(func.count()).select_from(Change))
    return rows, changes


def test_workshop_preview_lists_every_row_problem_and_writes_nothing(app, planner):
    before = _workshop_state(app)
    response = upload(planner, "talleres.csv", WORKSHOPS_BAD, layer="workshops")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("elemento/feature 2 (id TI-2): «councils» nombra juntas de vecinos que no "
            "existen: JV-99") in html
    assert ("elemento/feature 3 (id TI-3): «venue_id» = «V-999» no existe en la capa de "
            "espacios culturales") in html
    assert ("elemento/feature 4 (id TI-4): «date» = &#39;2026-13-45&#39; no es una fecha "
            "válida") in html
    assert "elemento/feature 5 (id TI-5): fuera del área de Coquimbo" in html
    assert "elemento/feature 6 (id TI-6): «attendance» = &#39;muchos&#39; no es un número" in html
    assert "elemento/feature 1 " not in html  # the good row has no problem
    assert 'id="import-apply"' not in html
    assert upload(planner, "talleres.csv", WORKSHOPS_BAD, step="apply",
                  layer="workshops").status_code == 400
    assert _workshop_state(app) == before


def test_workshop_import_writes_every_row_with_one_history_row_each(app, planner):
    _, changes_before = _workshop_state(app)
    preview = upload(planner, "talleres.csv", WORKSHOPS_GOOD, layer="workshops")
    html = preview.get_data(as_text=True)
    assert 'id="import-apply"' in html and 'name="layer" value="workshops"' in html
    rows = re.findall(r"<tr><td>(\d)</td><td>([^<]+)</td>.*?<td>(agregar|actualizar)</td></tr>",
                      html)
    assert rows == [("1", "TI-1", "agregar"), ("2", "TI-2", "agregar"),
                    ("3", "T-1", "actualizar")]
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    applied = planner.post("/planificar/importar", data={
        "csrf_token": page_token(planner), "step": "apply", "layer": "workshops",
        "filename": "talleres.csv", "content": content})
    assert applied.status_code == 200, applied.get_data(as_text=True)
    assert "3 taller(es) importados" in applied.get_data(as_text=True)
    with db_of(app).session() as session:
        first = session.get(Workshop, "TI-1")
        venue = session.get(Venue, "V-001")
        assert (first.lon, first.lat) == (venue.lon, venue.lat)  # place from its venue
        assert (first.attendance, first.minutes, first.councils) == (25, "Se pidió luz",
                                                                     "JV-01;JV-02")
        second = session.get(Workshop, "TI-2")
        assert (second.lon, second.lat, second.venue_id, second.attendance) == \
            (-71.33, -29.97, None, None)
        updated = session.get(Workshop, "T-1")
        assert (updated.title, updated.councils, updated.version) == \
            ("Taller micro-barrial 1 (corregido)", "JV-08", 2)
        imported = session.scalars(select(Change).where(Change.action == "import")).all()
        assert sorted(c.record_id for c in imported) == ["T-1", "TI-1", "TI-2"]
        assert all(c.kind == "workshop" for c in imported)
        assert next(c for c in imported if c.record_id == "T-1").before["councils"] == \
            "JV-08;JV-10;JV-16;JV-17"
        total = session.scalar(select(func.count()).select_from(Change))
    assert total == changes_before + 3
    served = {f["id"] for f in
              planner.get("/ogc/collections/workshops/items?limit=1000").json["features"]}
    assert {"TI-1", "TI-2", "T-1"} <= served


def test_a_crash_in_the_middle_of_a_workshop_import_leaves_the_database_as_before(
        app, planner, monkeypatch):
    before = _workshop_state(app)
    calls = crash_on_second_row(monkeypatch)
    with pytest.raises(RuntimeError, match="power cut"):
        upload(planner, "talleres.csv", WORKSHOPS_GOOD, step="apply", layer="workshops")
    assert calls["n"] == 2
    assert _workshop_state(app) == before


def test_workshop_geojson_is_imported(app, planner):
    feature = {"type": "Feature", "properties": {
        "id": "TG-1", "title": "Taller GeoJSON", "date": "2026-06-01", "venue_id": None,
        "councils": "JV-02", "source": "QGIS", "attendance": 8},
        "geometry": {"type": "Point", "coordinates": [-71.33, -29.97]}}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    response = upload(planner, "talleres.geojson", text, step="apply", layer="workshops")
    assert response.status_code == 200, response.get_data(as_text=True)
    with db_of(app).session() as session:
        workshop = session.get(Workshop, "TG-1")
        assert (workshop.title, workshop.attendance, workshop.lon) == ("Taller GeoJSON", 8,
                                                                      -71.33)
