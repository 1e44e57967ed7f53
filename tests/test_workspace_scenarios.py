"""What-if scenarios in the planner workspace (SQLite): a signed-in planner makes, runs,
lists, compares and prints scenarios; the public and forged forms are refused; and a venue
added through the form on a block's street point gives that block its snap distance (the
independent check of tests/test_scenarios.py, through the web route)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo.access import points_xy
from tests.support.workspace import csrf_token, sqlite_url
from tests.test_scenarios import WALK, lonlat_of

PAGE = "/planificar/escenarios"


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: scenarios keep nothing in the database."""
    return sqlite_url(tmp_path)


@pytest.fixture
def app(workspace):
    """The workspace app of tests/conftest.py (both backends, ana and root)."""
    return workspace


def _token(client) -> str:
    return csrf_token(client.get(PAGE).get_data(as_text=True))


def _run(client, name: str, *, lonlat: tuple[float, float] | None = None,
         close: list[str] = (), token: str | None = None, **extra: str):
    form = {"name": name, "csrf_token": token if token is not None else _token(client),
            "close": list(close), **extra}
    if lonlat is not None:
        form.update({"add_name_1": "Biblioteca <b>hipotética</b>", "add_category_1": "library",
                     "add_lon_1": repr(lonlat[0]), "add_lat_1": repr(lonlat[1])})
    return client.post(PAGE, data=form)


def _saved_dir(app):
    return app.extensions["culturamap_workspace"].settings.data_dir / "scenarios"


def _street_point_of_a_block(app):
    """A block whose point snaps well inside a street segment, some metres off it (as in
    tests/test_scenarios.py), and that snap."""
    study = app.extensions["culturamap"].study
    demand = study.access.demand
    snap = study.travel.snap(points_xy(demand))
    ok = (snap.to_u > 5) & (snap.to_v > 5) & (snap.snap_m > 5)
    i = int(np.flatnonzero(ok)[0])
    return str(demand["id"].iloc[i]), snap.take(np.array([i]))


def test_a_venue_added_on_a_blocks_street_gives_it_its_snap_distance(app, planner):
    block, snap = _street_point_of_a_block(app)
    response = _run(planner, "Calle de la manzana", lonlat=lonlat_of(snap.xy))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PAGE}/calle-de-la-manzana")
    saved = json.loads((_saved_dir(app) / "calle-de-la-manzana.json").read_text("utf-8"))
    rows = [f["properties"] for f in saved["changed_blocks"]["features"]
            if str(f["properties"]["id"]) == block]
    assert len(rows) == 1
    assert rows[0]["time_after"] == pytest.approx(snap.snap_m[0] / WALK, abs=1e-6)
    page = planner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Biblioteca &lt;b&gt;hipotética&lt;/b&gt;" in page  # escaped
    assert "<b>hipotética" not in page


def test_run_list_compare_and_pdf(app, planner):
    block, snap = _street_point_of_a_block(app)
    venues = app.extensions["culturamap"].layers.venues
    closed = str(venues["id"].iloc[0])
    assert _run(planner, "Abrir uno", lonlat=lonlat_of(snap.xy)).status_code == 302
    assert _run(planner, "Cerrar uno", close=[closed]).status_code == 302
    listing = planner.get(PAGE).get_data(as_text=True)
    assert 'data-scenario="abrir-uno"' in listing and 'data-scenario="cerrar-uno"' in listing

    shown = planner.get(f"{PAGE}/cerrar-uno")
    assert shown.status_code == 200
    assert closed in shown.get_data(as_text=True)
    for cid in app.extensions["culturamap"].layers.councils["id"]:
        assert f'data-council="{cid}"' in shown.get_data(as_text=True)

    side = planner.get(f"{PAGE}/comparar?s=abrir-uno&s=cerrar-uno")
    assert side.status_code == 200
    html = side.get_data(as_text=True)
    assert "Abrir uno" in html and "Cerrar uno" in html and "residents newly within" in html
    assert planner.get(f"{PAGE}/comparar?s=abrir-uno").status_code == 400  # one is not a pair

    pdf = planner.get(f"{PAGE}/abrir-uno.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert planner.get(f"{PAGE}/no-existe").status_code == 404
    assert planner.get(f"{PAGE}/..%2F..%2Fsettings.pdf").status_code == 404


def test_bad_scenarios_are_refused_with_the_reason_and_nothing_saved(app, planner):
    response = _run(planner, "Nada")  # adds and closes nothing
    assert response.status_code == 400
    assert "adds and closes nothing" in response.get_data(as_text=True)
    outside = _run(planner, "Fuera", lonlat=(-70.0, -10.0))
    assert outside.status_code == 400
    assert "inside" in outside.get_data(as_text=True)
    unknown = _run(planner, "Cierre raro", close=["NO-SUCH-VENUE"])
    assert unknown.status_code == 400
    assert not _saved_dir(app).exists() or not list(_saved_dir(app).glob("*.json"))


def test_the_public_and_forged_forms_are_refused(app, planner):
    public = app.test_client()
    for path in (PAGE, f"{PAGE}/x", f"{PAGE}/x.pdf", f"{PAGE}/comparar?s=a&s=b"):
        response = public.get(path)
        assert response.status_code == 302 and "/entrar" in response.headers["Location"]
    assert public.post(PAGE, data={"name": "x"}).status_code in (302, 400)
    assert public.get(PAGE, headers={"Accept": "application/json"}).status_code == 401
    _block, snap = _street_point_of_a_block(app)
    forged = _run(planner, "Sin token", lonlat=lonlat_of(snap.xy), token="")
    assert forged.status_code == 400
    assert not _saved_dir(app).exists()


def test_a_decimal_comma_is_read_as_a_point(app, planner):
    lon, lat = -71.3235, -29.9730
    typed = {"add_name_1": "Coma", "add_category_1": "library",
             "add_lon_1": "-71,3235", "add_lat_1": "-29,9730"}
    assert _run(planner, "Coma decimal", **typed).status_code == 302
    saved = json.loads((_saved_dir(app) / "coma-decimal.json").read_text("utf-8"))
    assert (saved["add"][0]["lon"], saved["add"][0]["lat"]) == (lon, lat)


def test_the_plan_page_links_to_the_scenarios(planner):
    assert f'href="{PAGE}"' in planner.get("/planificar").get_data(as_text=True)


def test_a_second_scenario_with_a_saved_name_is_refused_and_the_first_kept(app, planner):
    """Saving under an existing name would silently replace the first scenario."""
    lonlat = (-71.3405, -29.9655)
    first = _run(planner, "Más talleres", lonlat=lonlat)
    assert first.status_code == 302 and first.headers["Location"].endswith("/mas-talleres")
    saved = (_saved_dir(app) / "mas-talleres.json").read_bytes()
    again = _run(planner, "Más talleres", lonlat=lonlat)
    assert again.status_code == 400
    assert "Ya hay un escenario guardado con el nombre «Más talleres»" in again.get_data(
        as_text=True)
    assert (_saved_dir(app) / "mas-talleres.json").read_bytes() == saved
