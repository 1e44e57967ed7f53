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


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "Bad request (the detail says which parameter)", 404: "Not found"}
    return {str(code): _json_response(names[code], "exception") for code in codes}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str,
               required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **extra}


def openapi_document(title: str, description: str, servers: list[str],
                     collection_ids: tuple[str, ...], default_limit: int,
                     max_limit: int) -> dict[str, Any]:
    """A minimal, valid OpenAPI 3.0.3 document; ``servers`` first is the one asked."""
    collection_id = _parameter("collectionId", "path", {"type": "string",
                                                        "enum": list(collection_ids)},
                               "Collection identifier", required=True)
    feature_id = _parameter("featureId", "path", {"type": "string"},
                            "Feature identifier (the layer's id column)", required=True)
    fmt = _parameter("f", "query", {"type": "string", "enum": ["json", "geojson"]},
                     "Output format (GeoJSON only)")
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
        fmt,
    ]

    def get(summary: str, operation_id: str, ok: dict[str, Any],
            parameters: list[dict[str, Any]] | None = None, errors: tuple[int, ...] = ()):
        operation: dict[str, Any] = {"summary": summary, "operationId": operation_id,
                                     "responses": {"200": ok, **_errors(*errors)}}
        if parameters:
            operation["parameters"] = parameters
        return {"get": operation}

    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": url} for url in servers],
        "paths": {
            "/": get("Landing page", "getLandingPage",
                     _json_response("Links to the API description, conformance and data",
                                    "links")),
            "/conformance": get("Conformance classes", "getConformance",
                                _json_response("Conformance classes", "conformance")),
            "/collections": get("Collections", "getCollections",
                                _json_response("The layers served", "collections")),
            "/collections/{collectionId}": get(
                "One collection", "describeCollection",
                _json_response("The collection's metadata and extent", "collection"),
                [collection_id], (404,)),
            "/collections/{collectionId}/items": get(
                "Features of a collection", "getFeatures",
                _json_response("A page of features", "featureCollection", GEOJSON),
                items_parameters, (400, 404)),
            "/collections/{collectionId}/items/{featureId}": get(
                "One feature", "getFeature",
                _json_response("The feature", "feature", GEOJSON),
                [collection_id, feature_id, fmt], (400, 404)),
        },
        "components": {"schemas": _schemas()},
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
        "exception": {"type": "object", "required": ["error", "detail"],
                      "properties": {"error": {"type": "string"},
                                     "detail": {"type": "string"}}},
    }
