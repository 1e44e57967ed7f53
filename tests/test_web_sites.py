"""The "where a new workshop would help most" sites in the web app: OGC collection "sites",
/api/sites?k=N, the SITES_K setting, the map layer and the about page. The figures served
are checked against a brute-force search over every k-subset of the candidates (``oracle``:
coverage read from walking times of the travel model, itself checked against networkx in
tests/test_network.py), never against geo.siting run again; the web layers (API, OGC, map,
reports, downloads) are then checked to show one and the same suggestion."""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import pytest
import shapely

from geo.access import AccessParams, analyse, points_xy
from geo.layers import load_all
from geo.network import load_network
from geo.schema import CULTURAL_CATEGORIES, HOST_CATEGORIES
from geo.settings import SITES_K_RANGE, load_settings
from geo.siting import MAX_K, MIN_K, suggest_sites
from tests.support.data import FIXTURE_DATA_DIR, FIXTURE_OSM
from tests.support.network import walking
from tests.support.web import app_for
from webmap.config import ConfigError
from webmap.features import sites_collection

GEOJSON = "application/geo+json"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    """The shipped data analysed here, without the web app (cultural offerings counted)."""
    layers = load_all(FIXTURE_DATA_DIR)
    network = load_network(FIXTURE_OSM, cache_dir=tmp_path_factory.mktemp("net"))
    result = analyse(layers, AccessParams(), walking(network))
    return layers, network, result


@pytest.fixture(scope="module")
def expected(analysis):
    layers, network, result = analysis
    return {k: suggest_sites(result, layers, walking(network), k=k) for k in (3, 5)}


@pytest.fixture(scope="module")
def oracle(analysis):
    """Brute force: the best total of uncovered residents any k candidates bring within
    15 minutes, by trying every k-subset (k = 3: 2,600 subsets; k = 5: 65,780)."""
    layers, network, result = analysis
    travel = walking(network)
    demand = travel.snap(points_xy(result.demand))
    venues = layers.venues
    offer = venues[venues["category"].isin(CULTURAL_CATEGORIES)]
    hosts = venues[venues["category"].isin(HOST_CATEGORIES)].reset_index(drop=True)
    nearest = travel.minutes(travel.snap(points_xy(offer)), demand).min(axis=0)
    residents = result.demand["residents"].to_numpy(dtype=float)
    weight = np.where(nearest <= 15 + 1e-9, 0.0, residents)
    covers = travel.minutes(travel.snap(points_xy(hosts)), demand).T <= 15 + 1e-9
    rows = np.flatnonzero(covers.any(axis=1) & (weight > 0))
    covers, weight = covers[rows], weight[rows]
    ids = list(hosts["id"])

    def cover(chosen: list[str]) -> float:
        cols = [ids.index(c) for c in chosen]
        return float(weight[covers[:, cols].any(axis=1)].sum()) if cols else 0.0

    best = {k: max(cover([ids[j] for j in s]) for s in combinations(range(len(ids)), k))
            for k in (3, 5)}
    return {"best": best, "cover": cover, "uncovered": float(np.where(
        nearest <= 15 + 1e-9, 0.0, residents).sum())}


def assert_optimal(sites: list[dict], oracle: dict, k: int) -> None:
    """The served sites reach the brute-force best, and each row's gain is its own."""
    ids = [s["id"] for s in sites]
    assert oracle["cover"](ids) == oracle["best"][k] > 0
    for i, s in enumerate(sites):
        gain = oracle["cover"](ids[: i + 1]) - oracle["cover"](ids[:i])
        assert s["newly_covered"] == gain, s
        assert s["cumulative_covered"] == oracle["cover"](ids[: i + 1])


def error_of(response, status, code):
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["error"] == code and body["detail"]
    return body


def test_api_sites_default_k_is_the_brute_force_optimum(client, oracle):
    body = client.get("/api/sites").get_json()
    assert body["k"] == 3 and len(body["sites"]) == 3
    assert body["uncovered_residents"] == oracle["uncovered"]
    assert body["newly_covered"] == oracle["best"][3]
    assert_optimal(body["sites"], oracle, 3)


def test_api_sites_default_k_shows_the_siting_table(client, expected):
    body = client.get("/api/sites").get_json()
    want = expected[3]
    assert body["k"] == 3 and len(body["sites"]) == len(want) == 3
    assert body["uncovered_residents"] == want.attrs["uncovered_residents"]
    assert body["newly_covered"] == want.attrs["newly_covered"] == want["newly_covered"].sum()
    assert body["counted_categories"] == ["library", "cultural_centre", "theatre", "museum"]
    for got, (_, row) in zip(body["sites"], want.iterrows(), strict=True):
        assert got["rank"] == row["rank"] and got["id"] == row["candidate_id"]
        assert got["name"] == row["name"] and got["category"] == row["category"]
        assert got["newly_covered"] == row["newly_covered"]
        assert got["cumulative_covered"] == row["cumulative_covered"]
        assert [c["id"] for c in got["councils"]] == row["councils"].split(";")
        assert all(c["name"].startswith("Junta") for c in got["councils"])
        assert got["lon"] == round(row.geometry.x, 6)  # six decimals: ~0.1 m, as documented
        assert got["lat"] == round(row.geometry.y, 6)
    # rank 1 brings the most residents; the cumulative column adds up
    gains = [s["newly_covered"] for s in body["sites"]]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    assert body["sites"][-1]["cumulative_covered"] == sum(gains)
    assert {s["category"] for s in body["sites"]} <= {"community_hall", "school", "other"}


def test_api_sites_other_k_is_computed_on_demand_and_kept(app, client, expected, oracle):
    body = client.get("/api/sites?k=5").get_json()
    want = expected[5]
    assert body["k"] == 5
    assert_optimal(body["sites"], oracle, 5)
    assert [s["id"] for s in body["sites"]] == list(want["candidate_id"])
    assert [s["newly_covered"] for s in body["sites"]] == list(want["newly_covered"])
    store = app.extensions["culturamap"]
    assert store.sites_for(5) is store.sites_for(5)  # cached, not recomputed
    assert store.sites_for(3) is store.sites  # the default k was computed once, at start


@pytest.mark.parametrize("k", ["0", "11", "-1", "x", "2.5", "3e0", "1,2"])
def test_api_sites_bad_k_is_400_naming_the_range(client, k):
    body = error_of(client.get(f"/api/sites?k={k}&lang=en"), 400, "invalid_sites_k")
    assert "1" in body["detail"] and "10" in body["detail"] and k in body["detail"]


def test_sites_collection_lists_the_sites_best_first(client, expected):
    collections = {c["id"]: c for c in client.get("/collections").get_json()["collections"]}
    assert "sites" in collections
    meta = client.get("/collections/sites?lang=es").get_json()
    assert meta["id"] == "sites" and meta["title"] == "Dónde un nuevo taller ayudaría más"
    page = client.get("/collections/sites/items")
    assert page.status_code == 200 and page.content_type == GEOJSON
    body = page.get_json()
    want = expected[3]
    assert body["numberMatched"] == body["numberReturned"] == len(want)
    props = [f["properties"] for f in body["features"]]
    assert [p["rank"] for p in props] == [1, 2, 3]
    assert [f["id"] for f in body["features"]] == list(want["candidate_id"])
    assert [p["newly_covered"] for p in props] == list(want["newly_covered"])
    assert [p["cumulative_covered"] for p in props] == list(want["cumulative_covered"])
    assert [p["councils"] for p in props] == list(want["councils"])
    minx, miny, maxx, maxy = meta["extent"]["spatial"]["bbox"][0]
    for f in body["features"]:
        x, y = f["geometry"]["coordinates"]
        assert minx <= x <= maxx and miny <= y <= maxy


def test_sites_items_paging_bbox_and_fid(client, expected):
    want = expected[3]
    second = client.get("/collections/sites/items?limit=1&offset=1").get_json()
    assert [f["properties"]["rank"] for f in second["features"]] == [2]
    assert {link["rel"] for link in second["links"]} >= {"next", "prev"}
    first = want.geometry.iloc[0]
    box = shapely.box(first.x - 1e-4, first.y - 1e-4, first.x + 1e-4, first.y + 1e-4)
    bbox = ",".join(f"{v:.6f}" for v in box.bounds)
    hits = client.get(f"/collections/sites/items?bbox={bbox}").get_json()["features"]
    assert [f["id"] for f in hits] == [want["candidate_id"].iloc[0]]
    one = client.get(f"/ogc/collections/sites/items/{want['candidate_id'].iloc[0]}")
    assert one.status_code == 200 and one.get_json()["properties"]["rank"] == 1
    # a venue that exists but is not a suggested site, and an id that does not exist
    library = "V-001"
    assert library not in set(want["candidate_id"])
    error_of(client.get(f"/collections/sites/items/{library}"), 404, "unknown_feature")
    error_of(client.get("/collections/sites/items/nothing"), 404, "unknown_feature")


def test_an_empty_sites_collection_has_no_extent(expected):
    empty = sites_collection(expected[3].iloc[0:0])
    assert empty.features == [] and empty.bbox is None and empty.select(None) == []


def test_map_page_has_the_switchable_sites_layer_and_legend(client, expected):
    es = client.get("/?lang=es").get_data(as_text=True)
    assert "Dónde un nuevo taller ayudaría más" in es
    assert "culturamap.siteMarker" in es and "culturamap.bindSite" in es
    assert 'data-layer="sites" hidden' in es
    covered = f"{expected[3].attrs['newly_covered']:,}".replace(",", ".")
    assert f"estos 3 lugares dejarían a {covered} de los" in es
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "Where a new workshop would help most" in en
    assert f"{expected[3].attrs['newly_covered']:,}" in en


def test_about_page_describes_the_sites_layer_and_api(client):
    es = client.get("/acerca?lang=es").get_data(as_text=True)
    assert "Dónde un nuevo taller ayudaría más" in es and "/api/sites?k=3" in es
    assert "los 3 lugares" in es
    en = client.get("/about?lang=en").get_data(as_text=True)
    assert "Where a new workshop would help most" in en and "the 3 places" in en


def test_sites_k_setting_file_then_environment(tmp_path):
    config = tmp_path / "culturamap.toml"
    config.write_text("sites_k = 4\n")
    env = {"CULTURAMAP_CONFIG": str(config)}
    assert load_settings(environ={}).sites_k == 3
    assert load_settings(environ=env).sites_k == 4
    env["CULTURAMAP_SITES_K"] = "6"
    assert load_settings(environ=env).sites_k == 6
    assert SITES_K_RANGE == (MIN_K, MAX_K)


@pytest.mark.parametrize("value", ["0", "11", "2.5", "many", ""])
def test_bad_sites_k_stops_the_start_with_a_clear_error(value):
    with pytest.raises(ConfigError, match="SITES_K|sites_k"):
        load_settings(environ={"CULTURAMAP_SITES_K": value})


def test_bad_sites_k_in_config_file_names_the_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("sites_k = 2.5\n")
    with pytest.raises(ConfigError, match=r"c\.toml.*sites_k"):
        load_settings(environ={"CULTURAMAP_CONFIG": str(config)})
    config.write_text("sites_k = true\n")
    with pytest.raises(ConfigError, match="sites_k"):
        load_settings(environ={"CULTURAMAP_CONFIG": str(config)})


def test_app_serves_the_configured_number_of_sites(tmp_path, analysis):
    layers, network, result = analysis
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", SITES_K=2)
    client = app.test_client()
    body = client.get("/api/sites").get_json()
    want = suggest_sites(result, layers, walking(network), k=2)
    assert body["k"] == 2 and [s["id"] for s in body["sites"]] == list(want["candidate_id"])
    items = client.get("/collections/sites/items").get_json()
    assert items["numberMatched"] == len(want)
    assert "/api/sites?k=2" in client.get("/acerca").get_data(as_text=True)
    # the area report and the downloads show the same sites as the map, not a k of their own
    report = client.get("/reportes/parte-alta.html").get_data(as_text=True)
    assert re.findall(r'data-site="([^"]+)"', report) == list(want["candidate_id"])
    download = client.get("/descargas/sites.csv").get_data(as_text=True)
    assert len(download.strip().splitlines()) == 1 + len(want)


def test_map_sites_equal_the_downloaded_sites_layer(client):
    """The map layer and the downloads/reports show the same suggestion (same k, same run)."""
    import csv
    import io

    download = client.get("/descargas/sites.csv")
    assert download.status_code == 200, "the reports blueprint serves /descargas"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    api = client.get("/api/sites").get_json()["sites"]
    assert [(r["candidate_id"], int(r["newly_covered"])) for r in rows] == [
        (s["id"], s["newly_covered"]) for s in api
    ]
