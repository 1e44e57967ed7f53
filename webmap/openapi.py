"""The OpenAPI 3.0 description of the OGC API – Features served by webmap.api_features.

WHY: OGC API – Features clients (and people) look for a ``service-desc`` link on the
landing page to learn which paths and query parameters exist. The document lists only
what is really served; the same paths answer at the root and under /ogc (two servers).
"""

from __future__ import annotations

from typing import Any

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"


def _json_response(description: str, schema: str, mtype: str = "application/json") -> dict:
    return {"description": description,
            "content": {mtype: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


DATETIME_DESCRIPTION = (
    "A date-time (RFC 3339, e.g. 2026-04-11T18:00:00-04:00) or an interval start/end, "
    "either end open with '..' or nothing (2026-04-01T00:00:00Z/..). A date alone "
    "(2026-04-11, or 2026-04-11T as GDAL sends it) is that whole day in Chile time. Only "
    "features whose day meets it are selected; features without a day (and collections "
    "without days: all but workshops) always match. Malformed, or an end before the start: "
    "400.")


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "Bad request (the detail says which parameter)", 404: "Not found"}
    return {str(code): _json_response(names[code], "exception") for code in codes}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str,
               required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **extra}


def openapi_document(title: str, description: str, servers: list[str],
                     collection_ids: tuple[str, ...], default_limit: int,
                     max_limit: int,
                     queryables: dict[str, dict[str, dict[str, str]]] | None = None,
                     ) -> dict[str, Any]:
    """A valid OpenAPI 3.0.3 document; ``servers`` first is the one asked. ``queryables``
    ({collection: {property: JSON schema}}) gives each collection's items path its own
    filter parameters (Part 1, 7.15.5): a parameter not declared here is answered 400."""
    queryables = queryables or {}
    collection_id = _parameter("collectionId", "path", {"type": "string",
                                                        "enum": list(collection_ids)},
                               "Collection identifier", required=True)
    feature_id = _parameter("featureId", "path", {"type": "string"},
                            "Feature identifier (the layer's id column)", required=True)
    fmt = _parameter("f", "query", {"type": "string", "enum": ["json", "geojson"]},
                     "Output format (GeoJSON only)")
    lang = _parameter("lang", "query", {"type": "string", "enum": ["es", "en"]},
                      "Language of titles, descriptions and error messages (es-CL default)")
    datetime = _parameter("datetime", "query", {"type": "string"}, DATETIME_DESCRIPTION,
                          style="form", explode=False)
    ignored_datetime = _parameter(
        "datetime", "query", {"type": "string"},
        "Checked like the datetime of items (400 if malformed) and otherwise ignored, so "
        "that clients repeating their query on every request (GDAL: "
        "OAPIF:https://host/ogc?datetime=...) work.", style="form", explode=False)
    meta = [fmt, lang, ignored_datetime]
    items_parameters = [
        collection_id,
        _parameter("bbox", "query",
                   {"type": "array", "minItems": 4, "maxItems": 6,
                    "items": {"type": "number"}},
                   "minx,miny,maxx,maxy in CRS84 degrees (6 numbers with heights: the "
                   "heights are ignored)", style="form", explode=False),
        _parameter("bbox-crs", "query",
                   {"type": "string", "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]},
                   "CRS of bbox (CRS84 only)"),
        _parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": max_limit,
                                      "default": default_limit},
                   "Number of features per page", style="form", explode=False),
        _parameter("offset", "query", {"type": "integer", "minimum": 0, "default": 0},
                   "Index of the first feature of the page (the next/prev links use it)"),
        datetime, fmt, lang,
    ]

    def get(summary: str, operation_id: str, ok: dict[str, Any],
            parameters: list[dict[str, Any]] | None = None, errors: tuple[int, ...] = ()):
        operation: dict[str, Any] = {"summary": summary, "operationId": operation_id,
                                     "responses": {"200": ok, **_errors(*errors)}}
        if parameters:
            operation["parameters"] = parameters
        return {"get": operation}

    def own_items(cid: str) -> dict[str, Any]:
        """The items of one collection, with a name=value parameter per queryable."""
        filters = [_parameter(name, "query", schema,
                              f"Only features whose {name} equals this value",
                              style="form", explode=False)
                   for name, schema in queryables.get(cid, {}).items()]
        return get(f"Features of {cid}", f"getFeatures_{cid}",
                   _json_response("A page of features", "featureCollection", GEOJSON),
                   items_parameters[1:] + filters, (400,))

    document = {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": url} for url in servers],
        "paths": {
            "/": get("Landing page", "getLandingPage",
                     _json_response("Links to the API description, conformance and data",
                                    "links"), meta, (400,)),
            "/conformance": get("Conformance classes", "getConformance",
                                _json_response("Conformance classes", "conformance"),
                                meta, (400,)),
            "/collections": get("Collections", "getCollections",
                                _json_response("The layers served", "collections"),
                                meta, (400,)),
            "/collections/collections": get(
                "The same collections, for clients given .../collections as the service "
                "address (they append /collections)", "getCollectionsFromCollections",
                _json_response("The layers served", "collections"), meta, (400,)),
            "/collections/{collectionId}": get(
                "One collection", "describeCollection",
                _json_response("The collection's metadata and extent", "collection"),
                [collection_id, *meta], (400, 404)),
            "/collections/{collectionId}/queryables": get(
                "The properties the items can be filtered on (name=value)", "getQueryables",
                _json_response("A JSON Schema of the queryable properties", "queryables",
                               "application/schema+json"),
                [collection_id, *meta], (400, 404)),
            "/collections/{collectionId}/items": get(
                "Features of a collection", "getFeatures",
                _json_response("A page of features", "featureCollection", GEOJSON),
                items_parameters, (400, 404)),
            **{f"/collections/{cid}/items": own_items(cid) for cid in collection_ids},
            "/collections/{collectionId}/items/{featureId}": get(
                "One feature", "getFeature",
                _json_response("The feature", "feature", GEOJSON),
                [collection_id, feature_id, *meta], (400, 404)),
        },
        "components": {"schemas": _schemas()},
    }
    document["paths"].update(isochrone_paths(servers[-1].rstrip("/") or "/"))
    document["components"]["schemas"]["equity"] = {"type": "object",
                                                   "required": ["residents", "headline"]}
    return document


def isochrone_paths(root: str) -> dict[str, Any]:
    """The walking-area and equity endpoints (webmap.api_isochrones). They live at the
    root only, not under /ogc: each path names its own server."""
    from geo.isochrones import MAX_BANDS, MAX_MINUTES, MIN_MINUTES

    server = [{"url": root}]
    unprocessable = {"422": _json_response("The point is too far from every street",
                                           "exception")}

    def op(summary: str, operation_id: str, ok: dict, parameters: list, errors: dict):
        return {"servers": server, "get": {"summary": summary, "operationId": operation_id,
                                           "parameters": parameters,
                                           "responses": {"200": ok, **errors}}}

    number = {"type": "number"}
    return {
        "/api/isochrone": op(
            "Nested walking-time areas from a point or a venue (largest band first), with "
            "the residents of each band by their block's own walking time and group",
            "getIsochrone",
            _json_response("The bands", "featureCollection", GEOJSON),
            [_parameter("lat", "query", number, "Latitude (EPSG:4326); with lon"),
             _parameter("lon", "query", number, "Longitude (EPSG:4326); with lat"),
             _parameter("venue", "query", {"type": "string"}, "A venue id instead of lat/lon"),
             _parameter("minutes", "query",
                        {"type": "array", "minItems": 1, "maxItems": MAX_BANDS,
                         "items": {"type": "number", "minimum": MIN_MINUTES,
                                   "maximum": MAX_MINUTES}},
                        "Band limits in minutes (default: the share thresholds)",
                        style="form", explode=False)],
            {**_errors(400, 404), **unprocessable}),
        "/api/area/equity": op(
            "Access figures of the whole area by GSE class, income quintile and age group, "
            "with the Q5-Q1 gap and the concentration index", "getAreaEquity",
            _json_response("The figures and the method", "equity"), [], {}),
        "/api/councils/{councilId}/equity": op(
            "The same figures for one council", "getCouncilEquity",
            _json_response("The figures and the method", "equity"),
            [_parameter("councilId", "path", {"type": "string"}, "Council id", required=True)],
            _errors(404)),
    }


def _schemas() -> dict[str, Any]:
    link = {"type": "object", "required": ["href", "rel"],
            "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                           "type": {"type": "string"}, "title": {"type": "string"}}}
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    collection = {"type": "object", "required": ["id", "links"],
                  "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                 "description": {"type": "string"}, "links": links,
                                 "extent": {"type": "object"},
                                 "crs": {"type": "array", "items": {"type": "string"}}}}
    feature = {"type": "object", "required": ["type", "geometry", "properties"],
               "properties": {"type": {"type": "string", "enum": ["Feature"]},
                              "id": {"type": "string"},
                              "geometry": {"type": "object", "nullable": True},
                              "properties": {"type": "object", "nullable": True},
                              "links": links}}
    return {
        "link": link,
        "links": {"type": "object", "required": ["links"],
                  "properties": {"title": {"type": "string"},
                                 "description": {"type": "string"}, "links": links}},
        "conformance": {"type": "object", "required": ["conformsTo"],
                        "properties": {"conformsTo": {"type": "array",
                                                      "items": {"type": "string"}}}},
        "collection": collection,
        "collections": {"type": "object", "required": ["links", "collections"],
                        "properties": {"links": links,
                                       "collections": {
                                           "type": "array",
                                           "items": {"$ref": "#/components/schemas/collection"}}}},
        "feature": feature,
        "featureCollection": {
            "type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/feature"}},
                           "links": links,
                           "numberMatched": {"type": "integer", "minimum": 0},
                           "numberReturned": {"type": "integer", "minimum": 0},
                           "timeStamp": {"type": "string", "format": "date-time"}}},
        "queryables": {"type": "object", "required": ["type", "properties"],
                       "properties": {"$schema": {"type": "string"},
                                      "$id": {"type": "string"},
                                      "type": {"type": "string", "enum": ["object"]},
                                      "properties": {"type": "object"}}},
        "exception": {"type": "object", "required": ["error", "detail"],
                      "properties": {"error": {"type": "string"},
                                     "detail": {"type": "string"}}},
    }
