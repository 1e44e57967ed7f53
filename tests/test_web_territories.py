"""The two territory levels and the focus area on the web: API, map page, reports, OGC.

Oracles: the per-block download (access-demand CSV) aggregated here with pandas, and the
sectors file's own residents; never the figures of the code under test read back.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache")).test_client()


@pytest.fixture(scope="module")
def blocks(client) -> pd.DataFrame:
    text = client.get("/descargas/access-demand.csv").get_data(as_text=True)
    table = pd.DataFrame(list(csv.DictReader(io.StringIO(text))))
    table["residents"] = table["residents"].astype(float)
    table["time_min"] = pd.to_numeric(table["time_min"])
    return table


def test_sectors_api_gives_the_residents_weighted_figures_of_their_blocks(client, blocks):
    body = client.get("/api/sectors").get_json()
    assert body["threshold_min"] == 15
    by_id = {s["id"]: s for s in body["sectors"]}
    assert sorted(by_id) == ["parte-alta", "sindempart"]
    for sid, group in blocks.groupby("sector_id"):
        within = group.loc[group["time_min"] <= 15, "residents"].sum() / group["residents"].sum()
        assert by_id[sid]["residents"] == int(group["residents"].sum())
        assert by_id[sid]["share_within_threshold"] == pytest.approx(within)
        assert {"lon", "lat", "gap_rank", "mean_time_min"} <= set(by_id[sid])
    one = client.get("/api/sectors/sindempart").get_json()
    assert one["residents"] == by_id["sindempart"]["residents"]


def test_unknown_sector_is_a_json_404(client):
    response = client.get("/api/sectors/nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_sector"


def test_area_api_puts_the_focus_area_beside_the_whole_area(client, blocks):
    body = client.get("/api/area").get_json()
    focus, area = body["focus"], body["area"]
    assert focus["name"] == "Parte Alta" and focus["sectors"] == ["parte-alta"]
    parte_alta = blocks[blocks["sector_id"] == "parte-alta"]
    assert focus["residents"] == int(parte_alta["residents"].sum())
    assert area["residents"] == int(blocks["residents"].sum())
    within = blocks.loc[blocks["time_min"] <= 15, "residents"].sum() / blocks["residents"].sum()
    assert area["share_within_threshold"] == pytest.approx(within)


def test_map_page_switches_level_and_says_the_focus_first(client, blocks):
    units = client.get("/").get_data(as_text=True)
    sectors = client.get("/?nivel=sectores").get_data(as_text=True)
    assert "Sectores municipales: brecha de acceso" in sectors
    assert "Unidades vecinales: brecha de acceso" not in sectors
    assert "Unidades vecinales: brecha de acceso" in units
    assert '"level": "sectors"' in sectors and "/reportes/sector/{id}.html" in sectors
    # the focus headline, before the whole area's
    parte_alta = blocks[blocks["sector_id"] == "parte-alta"]
    share = parte_alta.loc[parte_alta["time_min"] <= 15, "residents"].sum() / parte_alta[
        "residents"].sum()
    residents = f"{int(parte_alta['residents'].sum()):,}".replace(",", ".")
    headline = (f"Área foco (Parte Alta): el {round(share * 100)} % de sus {residents} "
                "residentes vive a 15 minutos")
    assert headline in units
    assert units.index("focus-figure") < units.index('id="area-figure"')
    assert 'aria-current="page"' in sectors
    # an unknown level is the units' page (and no new cached page per typo)
    assert client.get("/?nivel=barrios").get_data(as_text=True) == units


def test_english_level_switch(client):
    page = client.get("/?level=sectors&lang=en").get_data(as_text=True)
    assert "Municipal sectors: access gap" in page
    assert re.search(r"Focus area \(Parte Alta\): \d+ % of its [\d,]+ residents", page)


def test_sector_report_and_the_area_report_focus_column(client, blocks):
    report = client.get("/reportes/sector/sindempart.html?lang=es")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    sindempart = blocks[blocks["sector_id"] == "sindempart"]
    residents = int(sindempart["residents"].sum())
    assert re.search(rf'data-figure="residents" data-scope="council" data-value="{residents}"',
                     html)
    assert "Acceso a la cultura: sector Sindempart" in html
    assert client.get("/reportes/sector/nowhere.html").status_code == 404
    assert client.get("/reportes/sector/sindempart.txt").status_code == 400
    area = client.get("/reportes/parte-alta.html").get_data(as_text=True)
    focus_residents = int(blocks.loc[blocks["sector_id"] == "parte-alta", "residents"].sum())
    assert f'data-scope="focus" data-value="{focus_residents}"' in area
    assert 'id="sector-ranking"' in area and "/reportes/sector/sindempart.html" in area
    downloads = client.get("/descargas").get_data(as_text=True)
    assert 'data-sector-report="parte-alta"' in downloads


def test_sector_pdf_is_a_pdf(client):
    response = client.get("/reportes/sector/parte-alta.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_ogc_sectors_collection(client):
    items = client.get("/collections/sectors/items?f=json").get_json()
    assert [f["id"] for f in items["features"]] == ["parte-alta", "sindempart"]
    props = items["features"][0]["properties"]
    assert props["residents"] > 0 and "gap_rank" in props


def test_new_downloads_list_sectors_and_zones(client):
    for layer in ("sectors", "zones", "access-sectors"):
        response = client.get(f"/descargas/{layer}.geojson")
        assert response.status_code == 200, layer
        assert response.get_json()["features"], layer
