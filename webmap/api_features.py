"""OGC API – Features (Part 1: Core, GeoJSON) so planners can add the layers in QGIS.

Served twice: at the root (/collections, /conformance; / itself is the map for people and
gives the landing page only to clients asking for JSON) and under /ogc (/ogc landing page,
/ogc/collections...), because clients such as QGIS and GDAL append /collections to the
address they are given. Links stay under the prefix of the request. Coordinates are CRS84.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, url_for

from webmap.errors import ApiError, bad_request, not_found
from webmap.features import Collection
from webmap.language import t
from webmap.ogc_query import (
    COMMON_PARAMETERS,
    ITEMS_PARAMETERS,
    check_known,
    parse_datetime,
    select,
    temporal_extent,
)
from webmap.openapi import OPENAPI_MEDIA_TYPE, openapi_document

bp = Blueprint("features", __name__)  # registered at / (name "features") and /ogc ("ogc")
landing_bp = Blueprint("ogc_landing", __name__)

GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON_SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
# Besides f and lang, every OGC resource accepts (checks and ignores) datetime: GDAL
# repeats the query of the address it is given (OAPIF:https://host/ogc?datetime=...) on
# the landing page, the API description and the collections too.
META_PARAMETERS = (*COMMON_PARAMETERS, "datetime")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
SITES_RETRY_AFTER_S = 10  # the background step takes ~2-9 s on the real data
COLLECTION_IDS = ("councils", "sectors", "venues", "workshops", "population", "sites",
                  "isochrones", "activities", "proposals")


def _json(body: Any, mimetype: str = "application/json", status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype=mimetype)


def _collections() -> dict[str, Collection]:
    from webmap.agenda_data import activities_collection  # sessions move with the clock
    from webmap.features import proposals_collection  # supports change between moderations
    from webmap.map_builder import PROPOSALS_KEY

    store = current_app.extensions["culturamap"]
    return {**store.cache["collections"], "activities": activities_collection(),
            "proposals": proposals_collection(store.cache.get(PROPOSALS_KEY))}


def _check_meta_parameters() -> None:
    """400 for a parameter no OGC resource declares; a datetime must still be valid."""
    check_known(request.args, META_PARAMETERS)
    parse_datetime(request.args.get("datetime"))


def _not_while_updating(collection_id: str) -> None:
    """The sites of a just-edited inventory are computed in the background: say so (503,
    Retry-After) rather than serve an empty collection as if no site were suggested."""
    if collection_id == "sites" and current_app.extensions["culturamap"].sites_pending:
        error = ApiError(503, "sites_updating")
        response = error.response()
        response.headers["Retry-After"] = str(SITES_RETRY_AFTER_S)
        abort(response)


def _get_collection(collection_id: str) -> Collection:
    collection = _collections().get(collection_id)
    if collection is None:
        raise not_found("unknown_collection", id=collection_id)
    return collection


def _link(href: str, rel: str, mtype: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": mtype}
    if title:
        link["title"] = title
    return link


def _href(endpoint: str, **values: Any) -> str:
    """A link to an endpoint: the configured ``public_url`` + path, else the path alone.

    WHY never the Host header: a forged Host would otherwise end up in every link that a
    shared cache or a client stores (cache poisoning, links to another site)."""
    base = current_app.extensions["culturamap"].settings.public_url
    return base + url_for(endpoint, **values)


def _url(endpoint: str, **values: Any) -> str:
    """Link to an endpoint under the same prefix (/ or /ogc) as this request."""
    name = request.blueprint if request.blueprint in ("features", "ogc") else "features"
    return _href(f"{name}.{endpoint}", **values)


def landing_page(prefix: str = "features") -> Response:
    """The landing page of the API at / (prefix "features") or at /ogc (prefix "ogc")."""
    own = _href("ogc_landing.landing") if prefix == "ogc" else _href("pages.index")
    return _json(
        {
            "title": t("ogc.title"),
            "description": t("ogc.description"),
            "links": [
                _link(own, "self", "application/json"),
                _link(_href("pages.index"), "alternate", "text/html"),
                _link(_href("ogc_landing.api"), "service-desc",
                      OPENAPI_MEDIA_TYPE, t("ogc.service_desc")),
                _link(_href("pages.about"), "service-doc", "text/html",
                      t("ogc.service_doc")),
                _link(_href(f"{prefix}.conformance"), "conformance",
                      "application/json"),
                _link(_href(f"{prefix}.collections"), "data",
                      "application/json"),
            ],
        }
    )


@landing_bp.get("/ogc/")
@landing_bp.get("/ogc")  # registered first: url_for gives /ogc
def landing() -> Response:
    _check_meta_parameters()
    return landing_page("ogc")


@landing_bp.get("/ogc/api")
def api() -> Response:
    """The OpenAPI description (rel service-desc); /api is taken by the access API."""
    _check_meta_parameters()
    root = current_app.extensions["culturamap"].settings.public_url + request.script_root
    queryables = {cid: _collections()[cid].queryables.schemas for cid in COLLECTION_IDS}
    document = openapi_document(
        t("ogc.title"), t("ogc.description"), [root + "/ogc", root + "/"], COLLECTION_IDS,
        DEFAULT_LIMIT, MAX_LIMIT, queryables,
    )
    return _json(document, OPENAPI_MEDIA_TYPE)


@bp.get("/conformance")
def conformance() -> Response:
    _check_meta_parameters()
    return _json({"conformsTo": CONFORMANCE})


def _collection_meta(collection: Collection) -> dict[str, Any]:
    cid = collection.id
    meta = {
        "id": cid,
        "title": t(f"layer.{cid}"),
        "description": t(f"ogc.collection.{cid}"),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(_url("collection", collection_id=cid), "self",
                  "application/json"),
            _link(_url("items", collection_id=cid), "items",
                  GEOJSON, t(f"layer.{cid}")),
            _link(_url("queryables", collection_id=cid), QUERYABLES_REL, JSON_SCHEMA),
        ],
    }
    extent: dict[str, Any] = {}
    if collection.bbox is not None:  # an empty collection has no extent
        extent["spatial"] = {"bbox": [collection.bbox], "crs": CRS84}
    temporal = temporal_extent(cid, collection.features)
    if temporal is not None:
        extent["temporal"] = temporal
    if extent:
        meta["extent"] = extent
    return meta


@bp.get("/collections/collections")  # GDAL/QGIS given .../collections append /collections
@bp.get("/collections")  # registered last: url_for gives /collections
def collections() -> Response:
    """The layers. Its links also name the API description and the conformance classes,
    so that .../collections given to GDAL or QGIS as the service address works: they read
    it as the landing page and ask .../collections/collections for the layers."""
    _check_meta_parameters()
    items = [_collection_meta(_collections()[cid]) for cid in COLLECTION_IDS]
    return _json(
        {
            "links": [
                _link(_url("collections"), "self", "application/json"),
                _link(_href("ogc_landing.api"), "service-desc", OPENAPI_MEDIA_TYPE,
                      t("ogc.service_desc")),
                _link(_url("conformance"), "conformance", "application/json"),
            ],
            "collections": items,
        }
    )


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    collection = _get_collection(collection_id)
    _check_meta_parameters()
    return _json(_collection_meta(collection))


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    """The properties that items can be filtered on with name=value (Part 3, Queryables)."""
    collection = _get_collection(collection_id)
    _check_meta_parameters()
    schema = collection.queryables.json_schema(
        _url("queryables", collection_id=collection_id), t(f"layer.{collection_id}"))
    return _json(schema, JSON_SCHEMA)


def _int_param(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"invalid_{name}", value=raw) from None
    if value < low or (high is not None and value > high):
        raise bad_request(f"invalid_{name}", value=raw)
    return value


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """bbox=minx,miny,maxx,maxy in CRS84 degrees; with heights (minx,miny,minz,maxx,maxy,maxz,
    allowed by OGC API – Features) the heights are ignored: the layers are flat."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise bad_request("invalid_bbox", value=raw) from None
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise bad_request("invalid_bbox", value=raw)
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise bad_request("invalid_bbox", value=raw)
    return minx, miny, maxx, maxy


def _check_format_and_crs() -> None:
    fmt = request.args.get("f")
    if fmt not in (None, "", "json", "geojson"):
        raise bad_request("invalid_format", value=fmt)
    bbox_crs = request.args.get("bbox-crs")
    if bbox_crs not in (None, "", CRS84):
        raise bad_request("invalid_bbox_crs", value=bbox_crs)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    collection = _get_collection(collection_id)
    _not_while_updating(collection_id)
    filterable = collection.queryables
    check_known(request.args, (*ITEMS_PARAMETERS, *filterable.schemas))
    _check_format_and_crs()
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param("offset", 0, 0, None)
    bbox = parse_bbox(request.args.get("bbox"))
    when = parse_datetime(request.args.get("datetime"))
    wanted = filterable.filters(request.args)
    selected = select(collection.features, collection.select(bbox), wanted, collection_id, when)
    page = selected[offset : offset + limit]

    def page_url(new_offset: int, new_limit: int = limit) -> str:
        args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
        return _url("items",
            collection_id=collection_id,
            limit=new_limit,
            offset=new_offset,
            **args,
        )

    links = [
        _link(page_url(offset), "self", GEOJSON),
        _link(_url("collection", collection_id=collection_id),
              "collection", "application/json"),
    ]
    if offset + limit < len(selected):
        links.append(_link(page_url(offset + limit), "next", GEOJSON))
    if offset > 0:
        before = max(0, offset - limit)  # the page just before this one, never overlapping it
        links.append(_link(page_url(before, offset - before), "prev", GEOJSON))
    body = {
        "type": "FeatureCollection",
        "numberMatched": len(selected),
        "numberReturned": len(page),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "features": [collection.features[i] for i in page],
    }
    return _json(body, GEOJSON)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    collection = _get_collection(collection_id)
    _not_while_updating(collection_id)
    _check_meta_parameters()
    _check_format_and_crs()
    position = collection.positions.get(feature_id)
    if position is None:
        raise not_found("unknown_feature", id=feature_id, collection=collection_id)
    feature = dict(collection.features[position])
    feature["links"] = [
        _link(
            _url("item", collection_id=collection_id, feature_id=feature_id),
            "self",
            GEOJSON,
        ),
        _link(_url("collection", collection_id=collection_id),
              "collection", "application/json"),
    ]
    return _json(feature, GEOJSON)
