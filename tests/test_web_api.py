"""Flask test-client tests of the JSON APIs: OGC API – Features, /api/nearest, /api/councils."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely

from geo import METRIC_CRS
from geo.layers import load_all
from geo.schema import CATEGORIES, CULTURAL_CATEGORIES
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for

GEOJSON = "application/geo+json"


@pytest.fixture(scope="module")
def layers():
    return load_all(FIXTURE_DATA_DIR)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))
    return app.test_client()


def error_of(response, status):
    assert response.status_code == status, response.data
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "detail"}
    assert body["detail"] and body["error"]
    return body


# --- OGC API – Features -------------------------------------------------------------------


def test_landing_page_links_to_conformance_and_collections(client):
    body = client.get("/ogc").get_json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["conformance"].endswith("/conformance")
    assert rels["data"].endswith("/collections")
    assert rels["self"].endswith("/ogc")


def test_api_under_ogc_keeps_its_links_under_ogc(client):
    landing = client.get("/ogc").get_json()
    data = next(link["href"] for link in landing["links"] if link["rel"] == "data")
    assert data == "/ogc/collections"
    assert client.get("/ogc/").status_code == 200
    collections = client.get("/ogc/collections").get_json()["collections"]
    items = next(link["href"] for link in collections[0]["links"] if link["rel"] == "items")
    assert items.startswith("/ogc/collections/")
    page = client.get("/ogc/collections/population/items?limit=50").get_json()
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert following.startswith("/ogc/collections/population/items?")
    assert "offset=50" in following
    assert client.get("/ogc/collections/venues/items/V-001").get_json()["id"] == "V-001"
    error_of(client.get("/ogc/collections/rivers/items"), 404)


def test_root_answers_json_clients_with_the_landing_page(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.content_type == "application/json"
    assert any(link["rel"] == "data" for link in response.get_json()["links"])
    assert client.get("/?f=json").get_json()["links"]
    html = client.get("/", headers={"Accept": "text/html,application/json;q=0.9"})
    assert html.content_type.startswith("text/html")


def test_conformance_declares_core_and_geojson(client):
    conforms = client.get("/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms


def test_collections_list_the_layers_and_sites_with_their_extent(client, layers):
    body = client.get("/collections").get_json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert set(by_id) == {"councils", "sectors", "venues", "workshops", "population", "sites",
                          "isochrones", "activities", "proposals"}
    minx, miny, maxx, maxy = by_id["venues"]["extent"]["spatial"]["bbox"][0]
    for point in layers.venues.geometry:
        assert minx - 1e-6 <= point.x <= maxx + 1e-6 and miny - 1e-6 <= point.y <= maxy + 1e-6
    for collection in by_id.values():
        assert any(link["rel"] == "items" for link in collection["links"])
        one = client.get(f"/collections/{collection['id']}").get_json()
        assert one["id"] == collection["id"]


@pytest.mark.parametrize(
    "name, count",
    [("councils", 20), ("venues", 43), ("workshops", 6), ("population", 634)],
)
def test_items_count_matches_the_layer_file(client, layers, name, count):
    response = client.get(f"/collections/{name}/items?limit=1000")
    assert response.status_code == 200
    assert response.content_type == GEOJSON
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(getattr(layers, name)) == count
    assert body["numberReturned"] == len(body["features"]) == count
    ids = [f["id"] for f in body["features"]]
    assert ids == list(getattr(layers, name)["id"])


def test_items_paging_with_next_and_prev_links(client):
    first = client.get("/collections/population/items").get_json()
    assert first["numberReturned"] == 100  # default limit
    links = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in links and "offset=100" in links["next"]
    second = client.get(links["next"].replace("http://localhost", "")).get_json()
    assert second["features"][0]["id"] == "MZ-0101"
    last = client.get("/collections/population/items?limit=100&offset=600").get_json()
    rels = {link["rel"] for link in last["links"]}
    assert last["numberReturned"] == 34 and "next" not in rels and "prev" in rels
    beyond = client.get("/collections/population/items?offset=5000").get_json()
    assert beyond["numberReturned"] == 0 and beyond["numberMatched"] == 634


def test_bbox_returns_exactly_the_features_that_intersect_it(client, layers):
    venue = layers.venues.geometry.iloc[5]
    box = (venue.x - 0.004, venue.y - 0.003, venue.x + 0.004, venue.y + 0.003)
    query = ",".join(str(v) for v in box)
    body = client.get(f"/collections/venues/items?bbox={query}").get_json()
    got = {f["id"] for f in body["features"]}
    expected = set(layers.venues[layers.venues.intersects(shapely.box(*box))]["id"])
    assert got == expected and layers.venues["id"].iloc[5] in got
    assert body["numberMatched"] == len(expected) < len(layers.venues)
    blocks = client.get(f"/collections/population/items?bbox={query}&limit=1000").get_json()
    expected_blocks = layers.population[layers.population.intersects(shapely.box(*box))]
    assert blocks["numberMatched"] == len(expected_blocks)


def test_item_by_id_and_unknown_ids(client, layers):
    response = client.get("/collections/venues/items/V-003")
    assert response.status_code == 200 and response.content_type == GEOJSON
    feature = response.get_json()
    row = layers.venues[layers.venues["id"] == "V-003"].iloc[0]
    assert feature["properties"]["name"] == row["name"]
    assert feature["properties"]["category"] == row["category"]
    assert feature["geometry"]["coordinates"] == pytest.approx([row.geometry.x, row.geometry.y])
    error_of(client.get("/collections/venues/items/V-999"), 404)
    error_of(client.get("/collections/rivers/items"), 404)
    error_of(client.get("/collections/rivers"), 404)


def test_council_items_carry_access_figures(client, layers):
    body = client.get("/collections/councils/items").get_json()
    props = {f["id"]: f["properties"] for f in body["features"]}
    assert sum(p["residents"] for p in props.values()) == layers.population["residents"].sum()
    # venue counts agree with an independent point-in-polygon count of cultural offerings
    joined = gpd.sjoin(layers.venues, layers.councils[["id", "geometry"]], predicate="within")
    offerings = joined[joined["category"].isin(CULTURAL_CATEGORIES)]
    counts = offerings.groupby("id_right").size()
    libraries = joined[joined["category"] == "library"].groupby("id_right").size()
    for cid, p in props.items():
        assert p["venues_total"] == counts.get(cid, 0)
        assert p["venues_library"] == libraries.get(cid, 0)
        assert 0 <= p["share_within_15min"] <= 1
    assert sorted(p["gap_rank"] for p in props.values()) == list(range(1, 21))


@pytest.mark.parametrize(
    "query, error",
    [
        ("bbox=1,2,3", "invalid_bbox"),
        ("bbox=a,b,c,d", "invalid_bbox"),
        ("bbox=-71.3,-29.9,-71.4,-29.8", "invalid_bbox"),  # minx > maxx
        ("bbox=-71.3,-95,-71.2,-29.8", "invalid_bbox"),
        ("bbox=nan,1,2,3", "invalid_bbox"),
        ("limit=0", "invalid_limit"),
        ("limit=1001", "invalid_limit"),
        ("limit=ten", "invalid_limit"),
        ("offset=-1", "invalid_offset"),
        ("offset=1.5", "invalid_offset"),
        ("f=xml", "invalid_format"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:32719", "invalid_bbox_crs"),
    ],
)
def test_bad_item_parameters_get_400(client, query, error):
    body = error_of(client.get(f"/collections/venues/items?{query}"), 400)
    assert body["error"] == error


# --- /api/nearest ---------------------------------------------------------------------------

ORIGIN = {"lat": -29.9805, "lon": -71.3240}


def crow_distance_m(layers, lon, lat, venue_id):
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(METRIC_CRS)[0]
    venue = layers.venues[layers.venues["id"] == venue_id].to_crs(METRIC_CRS).geometry.iloc[0]
    return point.distance(venue)


def test_nearest_is_sorted_and_never_shorter_than_a_straight_line(client, layers):
    body = client.get("/api/nearest", query_string={**ORIGIN, "limit": 43}).get_json()
    results = body["results"]
    assert len(results) == 43
    distances = [r["dist_m"] for r in results]
    assert distances == sorted(distances)
    speed = body["walking_speed_kmh"] * 1000 / 60
    for r in results:
        assert r["dist_m"] + 1 >= crow_distance_m(layers, ORIGIN["lon"], ORIGIN["lat"], r["id"])
        assert r["time_min"] == pytest.approx(r["dist_m"] / speed, abs=0.06)
        assert set(r) == {"id", "name", "category", "address", "dist_m", "time_min", "lon", "lat"}
    # the nearest by walking is among the few nearest in a straight line
    crow = sorted(layers.venues["id"], key=lambda v: crow_distance_m(layers, ORIGIN["lon"],
                                                                     ORIGIN["lat"], v))
    assert results[0]["id"] in crow[:5]


def test_nearest_filters_by_category_and_limits(client, layers):
    one = client.get("/api/nearest", query_string={**ORIGIN, "category": "library"}).get_json()
    libraries = layers.venues[layers.venues["category"] == "library"]
    assert {r["id"] for r in one["results"]} == set(libraries["id"])
    two = client.get(
        "/api/nearest", query_string={**ORIGIN, "category": "school,plaza", "limit": 3}
    ).get_json()
    assert len(two["results"]) == 3
    assert {r["category"] for r in two["results"]} <= {"school", "plaza"}
    repeated = client.get(
        f"/api/nearest?lat={ORIGIN['lat']}&lon={ORIGIN['lon']}&category=school&category=plaza"
        "&limit=3"
    ).get_json()
    assert repeated["results"] == two["results"]
    default = client.get("/api/nearest", query_string=ORIGIN).get_json()
    assert len(default["results"]) == 10


@pytest.mark.parametrize(
    "query, error",
    [
        ("lon=-71.32", "missing_lat"),
        ("lat=-29.98", "missing_lon"),
        ("lat=abc&lon=-71.32", "invalid_lat"),
        ("lat=-95&lon=-71.32", "invalid_lat"),
        ("lat=-29.98&lon=nan", "invalid_lon"),
        ("lat=-29.98&lon=inf", "invalid_lon"),
        ("lat=-29.98&lon=-71.32&category=cinema", "invalid_category"),
        ("lat=-29.98&lon=-71.32&limit=0", "invalid_nearest_limit"),
        ("lat=-29.98&lon=-71.32&limit=51", "invalid_nearest_limit"),
        ("lat=-29.98&lon=-71.32&limit=many", "invalid_nearest_limit"),
        ("lat=-33.45&lon=-70.66", "outside_area"),  # Santiago
        ("lat=-71.32&lon=-29.98", "outside_area"),  # swapped lat/lon
    ],
)
def test_bad_nearest_parameters_get_400(client, query, error):
    body = error_of(client.get(f"/api/nearest?{query}"), 400)
    assert body["error"] == error


def test_error_details_follow_the_language(client):
    es = error_of(client.get("/api/nearest?lat=-33.45&lon=-70.66&lang=es"), 400)
    en = error_of(client.get("/api/nearest?lat=-33.45&lon=-70.66&lang=en"), 400)
    assert "fuera" in es["detail"] and "outside" in en["detail"]
    bad = error_of(client.get("/api/nearest?lat=-29.98&lon=-71.32&category=cinema&lang=en"), 400)
    assert "cinema" in bad["detail"] and all(c in bad["detail"] for c in CATEGORIES)


# --- /api/councils ---------------------------------------------------------------------------


def test_council_figures(client, layers):
    body = client.get("/api/councils/JV-07").get_json()
    assert body["id"] == "JV-07"
    assert body["name"] == layers.councils.set_index("id").loc["JV-07", "name"]
    offerings = [body["venues_by_category"][c] for c in CULTURAL_CATEGORIES]
    assert sum(offerings) == body["venues_total"]
    assert 0 <= body["share_within_threshold"] <= 1 and 1 <= body["gap_rank"] <= 20
    assert body["threshold_min"] == 15
    council = layers.councils[layers.councils["id"] == "JV-07"].geometry.iloc[0]
    assert council.contains(shapely.Point(body["lon"], body["lat"]))
    error_of(client.get("/api/councils/JV-99"), 404)


def test_council_list(client):
    body = client.get("/api/councils").get_json()
    assert len(body["councils"]) == 20
    ranks = sorted(c["gap_rank"] for c in body["councils"])
    assert ranks == list(range(1, 21))
    worst = min(body["councils"], key=lambda c: c["gap_rank"])
    best_share = max(c["share_within_threshold"] for c in body["councils"])
    assert worst["share_within_threshold"] <= best_share
    assert all(not math.isnan(c["lon"]) for c in body["councils"])


def test_json_apis_are_readable_from_other_sites(client):
    for url in ("/collections/venues/items", "/api/nearest?lat=-29.98&lon=-71.32", "/ogc"):
        assert client.get(url).headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/cerca").headers


def test_unknown_api_paths_and_methods(client):
    error_of(client.get("/api/unknown"), 404)
    body = error_of(client.post("/api/nearest?lat=-29.98&lon=-71.32"), 405)
    assert body["error"] == "method_not_allowed"


# --- OpenAPI description (service-desc) and bbox with heights -------------------------


def test_landing_pages_link_the_openapi_description_and_the_docs(client):
    for landing in (client.get("/ogc").get_json(),
                    client.get("/", headers={"Accept": "application/json"}).get_json()):
        links = {link["rel"]: link for link in landing["links"]}
        desc = links["service-desc"]
        assert desc["href"] == "/ogc/api"
        assert desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
        doc = links["service-doc"]
        assert doc["href"] in ("/acerca", "/about")
        assert doc["type"] == "text/html"
        page = client.get(doc["href"].removeprefix("http://localhost"))
        assert page.status_code == 200 and 'id="openapi-link"' in page.get_data(as_text=True)
    about = client.get("/acerca").get_data(as_text=True)
    assert 'rel="service-desc"' in about and 'href="/ogc/api"' in about


def test_openapi_document_describes_the_paths_that_really_answer(client):
    response = client.get("/ogc/api")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.oai.openapi+json;version=3.0")
    doc = response.get_json()
    assert doc["openapi"].startswith("3.0.")
    assert doc["info"]["title"] and doc["info"]["version"]
    servers = [s["url"] for s in doc["servers"]]
    assert servers == ["/ogc", "/"]
    assert set(doc["paths"]) == {
        "/", "/conformance", "/collections", "/collections/{collectionId}",
        "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
        "/api/isochrone", "/api/area/equity", "/api/councils/{councilId}/equity",
        "/collections/collections", "/collections/{collectionId}/queryables",
        *(f"/collections/{c}/items" for c in ("councils", "sectors", "venues", "workshops",
                                              "population", "sites", "isochrones",
                                              "activities", "proposals")),
    }
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        operation = item["get"]
        assert operation["responses"]["200"]["description"]
        for response_spec in operation["responses"].values():  # every $ref resolves
            for media in response_spec["content"].values():
                assert media["schema"]["$ref"].removeprefix("#/components/schemas/") in schemas
        params = {p["name"]: p for p in operation.get("parameters", [])}
        for name in (n.strip("{}") for n in path.split("/") if n.startswith("{")):
            assert params[name]["in"] == "path" and params[name]["required"] is True
        # fill the path with real ids and call it under both servers: it answers
        ids = {"collectionId": "venues", "featureId": "V-001", "councilId": "JV-01"}
        concrete = path.format(**ids) + ("?venue=V-001" if path == "/api/isochrone" else "")
        own = [s["url"] for s in item.get("servers", [])]  # a path served at the root only
        assert own in ([], ["/"])  # links are relative without public_url
        for prefix in ("/ogc", "") if not own else ("",):
            url = (prefix + concrete) if concrete != "/" else (prefix or "/")
            answer = client.get(url, headers={"Accept": "application/json"})
            assert answer.status_code == 200, url
    items = {p["name"]: p for p in doc["paths"]["/collections/{collectionId}/items"]["get"]
             ["parameters"]}
    assert {"bbox", "limit", "offset", "collectionId"} <= set(items)
    assert items["limit"]["schema"]["maximum"] == 1000
    assert set(items["collectionId"]["schema"]["enum"]) == {
        c["id"] for c in client.get("/collections").get_json()["collections"]}
    error_of(client.get("/ogc/api/nope"), 404)


def test_bbox_with_heights_ignores_them(client, layers):
    venue = layers.venues.geometry.iloc[5]
    box = (venue.x - 0.004, venue.y - 0.003, venue.x + 0.004, venue.y + 0.003)
    flat = client.get("/collections/venues/items?bbox={},{},{},{}".format(*box)).get_json()
    with_z = client.get(
        "/collections/venues/items?bbox={},{},-100,{},{},2500".format(*box)).get_json()
    assert [f["id"] for f in with_z["features"]] == [f["id"] for f in flat["features"]]
    assert with_z["numberMatched"] == flat["numberMatched"] < len(layers.venues)
    for bad in ("1,2,3,4,5", "1,2,3,4,5,6,7", "-71.3,-29.9,0,-71.4,-29.8,1"):  # minx > maxx
        error_of(client.get(f"/collections/venues/items?bbox={bad}"), 400)
