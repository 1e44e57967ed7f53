"""Inclusive limits and paging walks of the APIs (issue 15, point 5).

Each documented maximum is accepted and the next value refused, read from where the product
documents it (the OpenAPI description, the settings' range), with the numbers also written
out by hand so that a changed maximum is a visible decision. The OGC items paging walk
starts at an odd offset, follows every ``next`` and ``prev`` link and must visit each
feature exactly once.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from geo.layers import load_all
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for

NEAREST_MAX, SITES_K_MAX, ITEMS_MAX = 50, 10, 1000  # README: /api/nearest, k, OGC limit


@pytest.fixture(scope="module")
def layers():
    return load_all(FIXTURE_DATA_DIR)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache")).test_client()


def query_of(href: str) -> dict[str, int]:
    return {k: int(v[0]) for k, v in parse_qs(urlsplit(href).query).items()
            if k in ("limit", "offset")}


def get(client, href: str):
    parts = urlsplit(href)
    response = client.get(parts.path + ("?" + parts.query if parts.query else ""))
    assert response.status_code == 200, response.data
    return response.get_json()


# --- documented maxima: the maximum is accepted, one more refused -------------------------


def test_documented_maxima_are_the_ones_enforced(client):
    spec = client.get("/ogc/api").get_json()
    items = spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    schema = {p["name"]: p["schema"] for p in items if "name" in p}
    assert schema["limit"]["maximum"] == ITEMS_MAX and schema["limit"]["minimum"] == 1
    from geo.settings import SITES_K_RANGE

    assert SITES_K_RANGE == (1, SITES_K_MAX)


def test_nearest_accepts_limit_50_and_refuses_51(client, layers):
    here = {"lat": -29.978, "lon": -71.322}
    ok = client.get("/api/nearest", query_string={**here, "limit": NEAREST_MAX})
    assert ok.status_code == 200, ok.data
    body = ok.get_json()
    assert body["query"]["limit"] == 50
    assert len(body["results"]) == min(50, len(layers.venues))
    one = client.get("/api/nearest", query_string={**here, "limit": 1}).get_json()
    assert len(one["results"]) == 1
    for bad in (NEAREST_MAX + 1, 0):
        refused = client.get("/api/nearest", query_string={**here, "limit": bad})
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "invalid_nearest_limit"


def test_sites_accepts_k_1_and_10_and_refuses_0_and_11(client):
    for k in (1, SITES_K_MAX):
        response = client.get(f"/api/sites?k={k}")
        assert response.status_code == 200, response.data
        body = response.get_json()
        assert body["k"] == k
        assert 1 <= len(body["sites"]) <= k
    for k in (0, SITES_K_MAX + 1):
        response = client.get(f"/api/sites?k={k}")
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_sites_k"


def test_items_accepts_limit_1000_and_1_and_refuses_1001_and_0(client):
    full = client.get(f"/ogc/collections/population/items?limit={ITEMS_MAX}")
    assert full.status_code == 200
    assert full.get_json()["numberReturned"] == 634  # every fixture block, in one page
    one = client.get("/ogc/collections/population/items?limit=1").get_json()
    assert one["numberReturned"] == 1
    for bad in (ITEMS_MAX + 1, 0):
        response = client.get(f"/ogc/collections/population/items?limit={bad}")
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_limit"
    assert client.get("/ogc/collections/population/items?offset=0").status_code == 200
    assert client.get("/ogc/collections/population/items?offset=-1").status_code == 400


# --- paging walks -------------------------------------------------------------------------


def rels(page) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in page["links"]}


@pytest.mark.parametrize(("collection", "start", "limit"), [
    ("population", 7, 100),  # odd offset, several pages
    ("population", 3, 7),
    ("venues", 1, 2),
    ("population", 0, 634),  # exactly one full page: no next, no prev
    ("population", 0, 317),  # exactly two pages
])
def test_paging_walk_visits_every_feature_exactly_once(client, layers, collection, start, limit):
    want = list(getattr(layers, collection)["id"])
    first = get(client, f"/ogc/collections/{collection}/items?limit={limit}&offset={start}")
    seen: list[str] = []

    page, offset = first, start
    while True:  # forwards
        assert page["numberMatched"] == len(want)
        assert page["numberReturned"] == len(page["features"]) == min(limit, len(want) - offset)
        seen += [f["id"] for f in page["features"]]
        links = rels(page)
        if "next" not in links:
            assert offset + limit >= len(want)  # the last page has no next
            break
        nxt = query_of(links["next"])
        assert nxt["offset"] == offset + limit < len(want)
        offset = nxt["offset"]
        page = get(client, links["next"])

    page, offset = first, start
    while "prev" in rels(page):  # backwards from the first page reached
        prev = query_of(rels(page)["prev"])
        assert prev["offset"] >= 0 and prev["limit"] >= 1
        assert prev["offset"] + prev["limit"] == offset  # the page just before, no overlap
        offset = prev["offset"]
        page = get(client, rels(page)["prev"])
        seen = [f["id"] for f in page["features"]] + seen
    assert offset == 0  # only the first page lacks a prev link

    assert sorted(seen) == sorted(want) and len(seen) == len(set(seen))
    assert seen == want  # in the layer's order


def test_last_page_ending_exactly_at_the_end_has_no_next(client, layers):
    n = len(layers.population)  # 634 = 2 x 317
    page = get(client, f"/ogc/collections/population/items?limit=317&offset={n - 317}")
    assert page["numberReturned"] == 317
    assert "next" not in rels(page)
    assert query_of(rels(page)["prev"]) == {"offset": 0, "limit": 317}
    short = get(client, f"/ogc/collections/population/items?limit=318&offset={n - 317}")
    assert "next" not in rels(short)
    before_last = get(client, f"/ogc/collections/population/items?limit=317&offset={n - 318}")
    assert query_of(rels(before_last)["next"])["offset"] == n - 1


# --- the edges of each parameter, and what the error says ---------------------------------

HERE = {"lat": -29.978, "lon": -71.322}


def error(client, status: int, code: str, **query) -> str:
    response = client.get("/api/nearest", query_string={"lang": "en", **query})
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["error"] == code
    return body["detail"]


@pytest.mark.parametrize(("name", "edges", "beyond"), [
    ("lat", (-90, 90), (-90.0001, 90.0001)),
    ("lon", (-180, 180), (-180.0001, 180.0001)),
])
def test_coordinates_on_their_range_are_valid_and_just_beyond_are_not(client, name, edges,
                                                                      beyond):
    for value in edges:  # a valid latitude/longitude, only outside the mapped area
        assert "outside" in error(client, 400, "outside_area", **{**HERE, name: value})
    for value in beyond:
        detail = error(client, 400, f"invalid_{name}", **{**HERE, name: value})
        assert f"'{value}'" in detail


def test_empty_parameters_are_missing_or_default(client):
    assert "is missing" in error(client, 400, "missing_lat", lat="", lon=HERE["lon"])
    assert "is missing" in error(client, 400, "missing_lon", lat=HERE["lat"], lon="  ")
    assert "'north'" in error(client, 400, "invalid_lat", lat="north", lon=HERE["lon"])
    body = client.get("/api/nearest", query_string={**HERE, "limit": ""}).get_json()
    assert body["query"]["limit"] == 10 and len(body["results"]) == 10  # the default
    body = client.get("/api/sites", query_string={"k": " "}).get_json()
    assert body["k"] == 3  # the SITES_K default


def test_errors_name_the_value_and_the_allowed_range(client):
    assert "from 1 to 50 (got '51')" in error(client, 400, "invalid_nearest_limit", **HERE,
                                              limit=51)
    assert "from 1 to 50 (got 'ten')" in error(client, 400, "invalid_nearest_limit", **HERE,
                                               limit="ten")
    detail = error(client, 400, "invalid_category", **HERE, category="opera,library,zoo")
    assert "opera, zoo" in detail
    assert "library, cultural_centre, theatre, museum" in detail
    sites = client.get("/api/sites?k=11&lang=en").get_json()
    assert "from 1 to 10 (got '11')" in sites["detail"]


def test_json_is_compact_utf8_and_carries_the_addresses(tmp_path, layers):
    """Names are sent as UTF-8 (not \\u escapes), without padding, and each result keeps its
    venue's address."""
    from tests.support.web import NASTY_NAME, make_nasty_data

    data, venue_id = make_nasty_data(tmp_path)
    client = app_for(data, tmp_path / "cache").test_client()
    response = client.get("/api/nearest", query_string={**HERE, "limit": NEAREST_MAX})
    raw = response.data
    assert "Peñuelas".encode() in raw and b"\\u00f1" not in raw
    assert b'", "' not in raw and b'": ' not in raw
    results = response.get_json()["results"]
    assert NASTY_NAME in [r["name"] for r in results] and venue_id in [r["id"] for r in results]
    addresses = dict(zip(layers.venues["id"], layers.venues["address"], strict=True))
    for r in results:
        if r["id"] != venue_id:
            assert r["address"] == addresses[r["id"]], r["id"]
    councils = client.get("/api/councils").data
    assert "Peñuelas".encode() in councils and b"\\u00f1" not in councils


def test_trusted_proxies_accepts_0_to_3_and_refuses_4_and_minus_1(tmp_path):
    """The documented range of trusted_proxies (README): 0 and 3 accepted, from the
    environment too; 4, -1 and a fraction refused naming the setting."""
    from geo.settings import ConfigError, Settings, load_settings
    from tests.support.data import FIXTURE_DATA_DIR

    assert Settings(data_dir=FIXTURE_DATA_DIR, trusted_proxies=0).trusted_proxies == 0
    assert Settings(data_dir=FIXTURE_DATA_DIR, trusted_proxies="3").trusted_proxies == 3
    env = {"CULTURAMAP_DATA_DIR": str(FIXTURE_DATA_DIR), "CULTURAMAP_TRUSTED_PROXIES": "1"}
    assert load_settings(environ=env).trusted_proxies == 1
    for bad in (4, -1, "1.5"):
        with pytest.raises(ConfigError, match="^trusted_proxies "):
            Settings(data_dir=FIXTURE_DATA_DIR, trusted_proxies=bad)
