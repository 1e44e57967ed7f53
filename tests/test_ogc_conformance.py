"""OGC API – Features conformance beyond the core reads (issue 12, item 8): datetime
(Part 1, 7.15.4), unknown parameters (400), queryables and name=value filters (Part 1,
7.15.5; Part 3), the OpenAPI 3.0 class with a document that validates, and /collections
as a service root. Expected answers come from the fixture files (geopandas) or are worked
out by hand in the comments, never from the code under test."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from openapi_spec_validator import validate

from geo.layers import load_all
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for
from webmap.ogc_query import select

GEOJSON = "application/geo+json"
# Workshops of the fixture and their days; Chile is at UTC-4 from 5 April 2026 (the
# first Sunday of April) to 6 September 2026, so every day below starts at 04:00Z.
WORKSHOP_DAYS = {"T-1": "2026-04-11", "T-2": "2026-04-25", "T-3": "2026-05-09",
                 "T-4": "2026-05-23", "T-5": "2026-06-06", "T-6": "2026-06-20"}


@pytest.fixture(scope="module")
def layers():
    return load_all(FIXTURE_DATA_DIR)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache")).test_client()


def ids(client, query, collection="workshops"):
    response = client.get(f"/collections/{collection}/items?limit=1000&{query}")
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"])
    return {f["id"] for f in body["features"]}


def error_of(response, status=400):
    assert response.status_code == status, response.data
    assert response.content_type == "application/json"
    return response.get_json()


def test_fixture_workshop_days_are_the_ones_worked_out_by_hand(layers):
    assert {r.id: str(r.date)[:10] for r in layers.workshops.itertuples()} == WORKSHOP_DAYS


# --- datetime --------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("2026-04-11T04:00:00Z", {"T-1"}),  # exactly the local midnight starting 11 April
    ("2026-04-11T03:59:59Z", set()),  # one second before: still 10 April in Chile
    ("2026-04-12T03:59:59.999999Z", {"T-1"}),  # the last instant of 11 April
    ("2026-04-12T04:00:00Z", set()),  # the next day has begun (the day's end is excluded)
    ("2026-04-11T00:00:00-04:00", {"T-1"}),  # the same instant with an offset
    ("2026-04-11t04:00:00z", {"T-1"}),  # lower case T and Z (RFC 3339, 5.6 NOTE)
    ("2026-04-11", {"T-1"}),  # a date: that whole day
    ("2026-04-11T", {"T-1"}),  # a date as GDAL's OAPIF driver sends it
    ("../2026-04-11T04:00:00Z", {"T-1"}),  # open start, end exactly on the day's start
    ("/2026-04-11T03:59:59Z", set()),  # open start (empty), ending before it
    ("2026-06-21T03:59:59Z/..", {"T-6"}),  # open end, from the last instant of 20 June
    ("2026-06-21T04:00:00Z/", set()),  # open end (empty), from 21 June
    ("2026-04-25/2026-05-09", {"T-2", "T-3"}),  # dates: both whole days included
    ("2026-04-25T/2026-05-09T", {"T-2", "T-3"}),  # GDAL's form of the same range
    ("2026-04-26T04:00:00Z/2026-05-09T04:00:00Z", {"T-3"}),  # end exactly on T-3's start
    ("2026-04-11T05:00:00Z/2026-04-11T05:00:00Z", {"T-1"}),  # an interval of one instant
    ("2020-01-01T00:00:00Z/2030-01-01T00:00:00Z", set(WORKSHOP_DAYS)),
])
def test_datetime_selects_the_workshops_whose_day_meets_it(client, value, expected):
    assert ids(client, f"datetime={value}") == expected


@pytest.mark.parametrize("value", [
    "2026-04-11T10:00:00",  # no offset: not an RFC 3339 date-time
    "2026-04-11 10:00:00Z",  # a space instead of T
    "2026-04-11T24:00:00Z", "2026-02-30T00:00:00Z", "2026-04-11T10:00:00+24:00",
    "2026-4-11", "yesterday", "..", "../..", "/", "2026-04-11/2026-04-12/2026-04-13",
    "2026-05-01T00:00:00Z/2026-04-30T23:59:59Z",  # ends before it starts
    "2026-04-12/2026-04-11",
])
def test_malformed_datetime_is_400_naming_it(client, value):
    for collection in ("workshops", "venues"):
        body = error_of(client.get(f"/collections/{collection}/items",
                                   query_string={"datetime": value}))
        assert body["error"] == "invalid_datetime" and value in body["detail"]


def test_collections_without_days_accept_a_datetime_and_keep_every_feature(client, layers):
    # Part 1, /req/core/fc-time-response C: features without a temporal geometry match
    for name in ("councils", "venues", "population"):
        expected = set(getattr(layers, name)["id"])
        assert ids(client, "datetime=1999-01-01T00:00:00Z", name) == expected
    assert len(ids(client, "datetime=2026-04-11", "sites")) == 3  # the fixture's 3 sites
    assert len(ids(client, "datetime=1999-01-01T00:00:00Z/..", "venues")) == 43


def test_a_feature_without_a_day_matches_any_datetime():
    from webmap.ogc_query import parse_datetime

    features = [{"properties": {"date": None}}, {"properties": {"date": "2026-04-11"}}]
    far = parse_datetime("1990-01-01T00:00:00Z")
    assert select(features, [0, 1], {}, "workshops", far) == [0]


def test_workshops_publish_their_temporal_extent(client):
    extent = client.get("/collections/workshops").get_json()["extent"]
    # from the start of 11 April to the end of 20 June, Chile time (UTC-4)
    assert extent["temporal"]["interval"] == [["2026-04-11T04:00:00Z", "2026-06-21T04:00:00Z"]]
    assert "temporal" not in client.get("/collections/venues").get_json()["extent"]


# --- unknown parameters ----------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/collections/venues/items", "/ogc/collections/venues/items", "/collections",
    "/ogc/collections", "/conformance", "/ogc", "/ogc/api", "/collections/venues",
    "/collections/venues/queryables", "/collections/venues/items/V-001",
    "/collections/collections",
])
def test_unknown_parameters_are_400_naming_them(client, path):
    body = error_of(client.get(f"{path}?zeta=1&alpha=2"))
    assert body["error"] == "unknown_parameter"
    assert "alpha, zeta" in body["detail"]
    for declared in ("f=json", "lang=en", "datetime=2026-04-11T00:00:00Z"):
        assert client.get(f"{path}?{declared}").status_code == 200, (path, declared)


def test_a_queryable_of_another_collection_is_unknown(client):
    assert client.get("/collections/sites/items?rank=1").status_code == 200
    body = error_of(client.get("/collections/venues/items?rank=1"))
    assert "rank" in body["detail"]
    # the parameters the app's own pages and browser tests send keep working
    for query in ("limit=1", "limit=50&offset=600", "bbox=-71.4,-30.1,-71.2,-29.9&f=geojson",
                  "bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84&lang=es"):
        assert client.get(f"/collections/venues/items?{query}").status_code == 200, query


def test_meta_resources_still_check_the_datetime_they_ignore(client):
    body = error_of(client.get("/ogc/collections?datetime=soon"))
    assert body["error"] == "invalid_datetime"


# --- queryables and name=value filters -------------------------------------------------


def test_queryables_are_a_json_schema_of_the_simple_properties(client, layers):
    response = client.get("/collections/venues/queryables")
    assert response.status_code == 200
    assert response.content_type == "application/schema+json"
    schema = response.get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "/collections/venues/queryables"
    assert set(schema["properties"]) == {"id", "name", "category", "address", "source"}
    assert all(p["type"] == "string" for p in schema["properties"].values())
    councils = client.get("/collections/councils/queryables").get_json()["properties"]
    assert councils["residents"]["type"] == "integer" and councils["name"]["type"] == "string"
    # figures with decimals are no use in an equality filter: not queryable
    assert "mean_time_min" not in councils and "share_within_15min" not in councils
    workshops = client.get("/collections/workshops/queryables").get_json()["properties"]
    assert workshops["date"] == {"title": "date", "type": "string", "format": "date"}
    links = client.get("/collections/venues").get_json()["links"]
    queryables = [link for link in links
                  if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    assert queryables[0]["href"] == "/collections/venues/queryables"
    error_of(client.get("/collections/rivers/queryables"), 404)


def test_every_feature_validates_against_its_collections_queryables(client):
    for name in ("councils", "sectors", "venues", "workshops", "population", "sites"):
        schema = client.get(f"/collections/{name}/queryables").get_json()
        schema = {**schema, "additionalProperties": True}  # decimals are not queryable
        for feature in client.get(f"/collections/{name}/items?limit=1000").get_json()[
                "features"]:
            props = {k: v for k, v in feature["properties"].items() if v is not None}
            jsonschema.validate(props, schema)


def test_string_filter_equals_the_layer_rows(client, layers):
    venues = layers.venues
    for category in sorted(set(venues["category"])):
        expected = set(venues.loc[venues["category"] == category, "id"])
        assert ids(client, f"category={category}", "venues") == expected
    assert ids(client, "category=Library", "venues") == set()  # exact, case included
    assert len(ids(client, "category=", "venues")) == len(venues)  # empty: no filter


@pytest.mark.parametrize("rank,count", [(0, 0), (1, 1), (3, 1), (4, 0), ("%2B2", 1)])
def test_integer_filter_on_each_limit_of_the_ranks(client, rank, count):
    # the fixture suggests three sites, ranked 1 to 3 (%2B2: +2, a signed integer)
    found = ids(client, f"rank={rank}", "sites")
    assert len(found) == count


@pytest.mark.parametrize("value", ["1.0", "one", "1e0", "2 "])
def test_integer_filter_with_a_value_of_another_type_is_400(client, value):
    body = error_of(client.get("/collections/sites/items", query_string={"rank": value}))
    assert body["error"] == "invalid_filter" and "rank" in body["detail"]


def test_filters_combine_with_bbox_datetime_and_paging(client, layers):
    venues = layers.venues
    schools = venues[venues["category"] == "school"]
    box = schools.total_bounds  # the schools' own extent: every school intersects it
    query = "category=school&bbox={},{},{},{}".format(*box)
    assert ids(client, query, "venues") == set(schools["id"])
    page = client.get("/collections/venues/items?category=school&limit=2").get_json()
    assert page["numberMatched"] == len(schools) and page["numberReturned"] == 2
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(following).query)["category"] == ["school"]
    rest = client.get(following).get_json()
    assert {f["properties"]["category"] for f in rest["features"]} == {"school"}
    both = "venue_id=V-011&datetime=2026-04-11"
    expected = set(layers.workshops.loc[layers.workshops["venue_id"] == "V-011", "id"]) & {"T-1"}
    assert ids(client, both) == expected


# --- OpenAPI 3.0 and conformance ------------------------------------------------------


def test_conformance_lists_oas30_and_queryables(client):
    conforms = client.get("/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" in conforms
    assert ("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters"
            in conforms)


def test_the_openapi_document_validates_and_declares_datetime_and_the_filters(client):
    doc = client.get("/ogc/api").get_json()
    validate(doc)  # openapi-spec-validator: a valid OpenAPI 3.0 document
    generic = {p["name"] for p in doc["paths"]["/collections/{collectionId}/items"]["get"]
               ["parameters"]}
    assert {"datetime", "bbox", "limit", "offset", "f", "lang"} <= generic
    venues = {p["name"]: p for p in doc["paths"]["/collections/venues/items"]["get"]
              ["parameters"]}
    queryables = client.get("/collections/venues/queryables").get_json()["properties"]
    assert set(queryables) <= set(venues)
    assert venues["category"]["in"] == "query" and venues["category"]["style"] == "form"
    assert venues["category"]["explode"] is False


# --- /collections as a service root ----------------------------------------------------


def test_collections_answers_as_a_landing_page_and_under_itself(client):
    listing = client.get("/collections").get_json()
    rels = {link["rel"]: link["href"] for link in listing["links"]}
    assert rels["service-desc"] == "/ogc/api" and rels["conformance"] == "/conformance"
    again = client.get("/collections/collections").get_json()
    assert [c["id"] for c in again["collections"]] == [c["id"] for c in listing["collections"]]
    assert client.get("/ogc/collections/collections").status_code == 200
