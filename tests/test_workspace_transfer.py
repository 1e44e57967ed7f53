"""Export of every editable layer (CSV with lon/lat, GeoJSON) and import of proposals and
juntas, on SQLite and PostgreSQL: a preview listing every row's problems and writing
nothing, then all or nothing (also when it crashes half-way); an export imports back."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from tests.support.workspace import crash_on_second_row, db_of, upload
from webmap.workspace.models import Change, Junta, Proposal, Venue

PROPOSALS_GOOD = (
    "id,workshop_id,text,councils\n"
    ",T-1,Luminarias en la plaza,JV-08;JV-10\n"
    ",T-1,\"Talleres de muralismo; con vecinos\",JV-16\n"
)
PROPOSALS_BAD = (
    "id,workshop_id,text,councils\n"
    ",T-1,Bien,JV-08\n"
    ",T-404,Taller que no existe,JV-08\n"
    ",T-1,,JV-08\n"
    ",T-1,Unidad desconocida,JV-99\n"
    "77,T-1,Id que no existe,JV-08\n"
)
JUNTAS_GOOD = (
    "id,name,council_id,sede_venue_id,contact,lon,lat\n"
    ",Junta Las Rosas,JV-02,V-001,secretaria +56 9 1111 2222,,\n"
    ",Junta El Llano,JV-08,,,-71.3250,-29.9750\n"
)


@pytest.fixture
def app(workspace):
    return workspace


def _state(app) -> tuple:
    with db_of(app).session() as session:
        proposals = tuple(session.execute(select(Proposal.id, Proposal.text, Proposal.version)
                                          .order_by(Proposal.id)))
        juntas = tuple(session.execute(select(Junta.id, Junta.name).order_by(Junta.id)))
        venues = session.scalar(select(func.count()).select_from(Venue))
        changes = session.scalar(select(func.count()).select_from(Change))
    return proposals, juntas, venues, changes


def test_proposal_preview_lists_every_row_problem_and_writes_nothing(app, planner):
    before = _state(app)
    response = upload(planner, "propuestas.csv", PROPOSALS_BAD, layer="proposals")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    problems = html.split('id="problems"')[1].split("</div>")[0]
    for row in ("elemento/feature 2", "elemento/feature 3", "elemento/feature 4",
                "elemento/feature 5"):
        assert row in problems, row
    assert "elemento/feature 1 " not in problems  # the good row has no problem
    assert "T-404" in problems and "JV-99" in problems and "n.º 77" in problems
    assert 'id="import-apply"' not in html  # nothing to confirm
    applied = upload(planner, "propuestas.csv", PROPOSALS_BAD, step="apply", layer="proposals")
    assert applied.status_code == 400
    assert _state(app) == before


def test_proposals_import_all_with_history_and_export_back(app, planner):
    before = _state(app)
    applied = upload(planner, "propuestas.csv", PROPOSALS_GOOD, step="apply", layer="proposals")
    assert applied.status_code == 200
    assert "2 propuesta(s) importadas" in applied.get_data(as_text=True)
    with db_of(app).session() as session:
        stored = session.execute(select(Proposal.text, Proposal.councils)
                                 .order_by(Proposal.id)).all()
        imported = session.scalars(select(Change).where(Change.action == "import")).all()
    assert [tuple(r) for r in stored] == [("Luminarias en la plaza", "JV-08;JV-10"),
                                          ("Talleres de muralismo; con vecinos", "JV-16")]
    assert [c.kind for c in imported] == ["proposal", "proposal"]
    assert _state(app)[3] == before[3] + 2

    exported = planner.get("/planificar/exportar/proposals.csv")
    assert exported.status_code == 200
    assert "no-store" in exported.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [r["text"] for r in rows] == ["Luminarias en la plaza",
                                         "Talleres de muralismo; con vecinos"]
    # each proposal at its workshop's point (T-1 of the fixture)
    assert {(r["lon"], r["lat"]) for r in rows} == {("-71.33204", "-29.984473")}
    # the exported file, edited, updates the same proposals (ids kept), nothing added
    rows[0]["text"] = "Luminarias LED en la plaza"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    changes = _state(app)[3]
    again = upload(planner, "propuestas.csv", out.getvalue(), step="apply", layer="proposals")
    assert again.status_code == 200
    assert _state(app)[3] == changes + 1  # the unchanged row is no change: no history row
    with db_of(app).session() as session:
        texts = session.scalars(select(Proposal.text).order_by(Proposal.id)).all()
        versions = session.scalars(select(Proposal.version).order_by(Proposal.id)).all()
    assert texts == ["Luminarias LED en la plaza", "Talleres de muralismo; con vecinos"]
    assert versions == [2, 1]


def test_a_crash_in_the_middle_of_a_proposal_import_leaves_the_database_as_before(
        app, planner, monkeypatch):
    before = _state(app)
    calls = crash_on_second_row(monkeypatch)
    with pytest.raises(RuntimeError, match="power cut"):
        upload(planner, "propuestas.csv", PROPOSALS_GOOD, step="apply", layer="proposals")
    assert calls["n"] == 2
    assert _state(app) == before


def test_juntas_import_with_a_new_sede_and_export_keeps_the_private_contact(app, planner):
    before = _state(app)
    preview = upload(planner, "juntas.csv", JUNTAS_GOOD, layer="juntas")
    assert 'id="import-apply"' in preview.get_data(as_text=True)
    assert _state(app) == before
    applied = upload(planner, "juntas.csv", JUNTAS_GOOD, step="apply", layer="juntas")
    assert applied.status_code == 200
    assert "2 junta(s) importadas" in applied.get_data(as_text=True)
    _, juntas, venues, _ = _state(app)
    assert [name for _, name in juntas] == ["Junta Las Rosas", "Junta El Llano"]
    assert venues == before[2] + 1  # El Llano's point became a community-hall venue
    geojson = json.loads(planner.get("/planificar/exportar/juntas.geojson").get_data())
    by_name = {f["properties"]["name"]: f for f in geojson["features"]}
    assert by_name["Junta Las Rosas"]["properties"]["contact"] == "secretaria +56 9 1111 2222"
    assert by_name["Junta El Llano"]["geometry"]["coordinates"] == pytest.approx(
        [-71.325, -29.975])
    # the public never gets it
    anonymous = app.test_client().get("/planificar/exportar/juntas.csv")
    assert anonymous.status_code == 302 and "/entrar" in anonymous.headers["Location"]


def test_a_junta_row_with_a_point_outside_the_area_is_refused_with_the_venue_rule(
        app, planner):
    before = _state(app)
    bad = JUNTAS_GOOD.replace("-71.3250,-29.9750", "-72.9000,-29.9750")
    response = upload(planner, "juntas.csv", bad, step="apply", layer="juntas")
    assert response.status_code == 400
    problems = response.get_data(as_text=True).split('id="problems"')[1]
    assert "elemento/feature 2" in problems
    assert _state(app) == before


@pytest.mark.parametrize("layer", ["venues", "workshops"])
def test_venues_and_workshops_export_as_csv_and_geojson_with_the_same_records(
        app, planner, layer):
    served = {f["id"]: f for f in
              planner.get(f"/ogc/collections/{layer}/items?limit=1000").json["features"]}
    table = list(csv.DictReader(io.StringIO(
        planner.get(f"/planificar/exportar/{layer}.csv").get_data(as_text=True))))
    geojson = json.loads(planner.get(f"/planificar/exportar/{layer}.geojson").get_data())
    assert {r["id"] for r in table} == set(served)
    assert {f["properties"]["id"] for f in geojson["features"]} == set(served)
    for row in table:
        lon, lat = served[row["id"]]["geometry"]["coordinates"]
        assert float(row["lon"]) == pytest.approx(lon, abs=1e-6)
        assert float(row["lat"]) == pytest.approx(lat, abs=1e-6)
    # the exported CSV imports back as a preview with no problem, every row an update
    again = upload(planner, f"{layer}.csv",
                   planner.get(f"/planificar/exportar/{layer}.csv").get_data(as_text=True),
                   layer=layer)
    html = again.get_data(as_text=True)
    assert 'id="problems"' not in html, html.split('id="problems"')[1][:500]
    assert html.count("<td>actualizar</td>") == len(table)


def test_residents_proposals_are_neither_exported_nor_overwritten_by_an_import(app, planner):
    with db_of(app).session() as session:
        resident = Proposal(workshop_id=None, text="Una plaza con sombra", councils="JV-08",
                            retired=False)
        session.add(resident)
        session.flush()
        resident_id = resident.id
    rows = list(csv.DictReader(io.StringIO(
        planner.get("/planificar/exportar/proposals.csv").get_data(as_text=True))))
    assert str(resident_id) not in {r["id"] for r in rows}
    before = _state(app)
    response = upload(planner, "propuestas.csv",
                      f"id,workshop_id,text,councils\n{resident_id},T-1,Otra cosa,JV-08\n",
                      step="apply", layer="proposals")
    assert response.status_code == 400
    assert f"la propuesta n.º {resident_id} es de vecinos" in response.get_data(as_text=True)
    assert _state(app) == before
