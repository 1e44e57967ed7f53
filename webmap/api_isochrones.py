"""Walking-time areas and equity over HTTP: /api/isochrone from a point or a venue
(GeoJSON), the isochrones of every cultural venue as an OGC API – Features collection, and
the equity figures by social group (/api/area/equity, /api/councils/<id>/equity).

The view only validates and asks the prepared :class:`geo.isochrones.IsochroneIndex`
(one Dijkstra and one buffer per band per request); the index is built on first use and
kept in the store.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import geopandas as gpd
import numpy as np
from flask import Blueprint, Response, current_app, request

from geo import METRIC_CRS
from geo.access import points_xy
from geo.equity import EquityResult
from geo.isochrones import (
    MAX_BANDS,
    MAX_MINUTES,
    MAX_SNAP_M,
    MIN_MINUTES,
    REACH_M,
    Isochrone,
    IsochroneError,
    IsochroneIndex,
    OffNetworkError,
    check_bands,
    default_bands,
)
from webmap.errors import ApiError, bad_request, not_found
from webmap.features import Collection
from webmap.geometry import rounded_geojson
from webmap.language import t
from webmap.ogc_query import Queryables
from webmap.store import MapStore, _clean

bp = Blueprint("isochrones", __name__, url_prefix="/api")

API_DECIMALS = 6  # like the OGC collections (~0.1 m)
GEOJSON = "application/geo+json"
_lock = threading.Lock()


def isochrone_index(store: MapStore) -> IsochroneIndex:
    """The store's isochrone index, built once (thread-safe)."""
    index = store.cache.get("isochrone_index")
    if index is None:
        with _lock:
            index = store.cache.get("isochrone_index")
            if index is None:
                index = IsochroneIndex(store.travel, store.layers)
                store.cache["isochrone_index"] = index
    return index


def equity_of(store: MapStore) -> EquityResult:
    """The study's equity figures (geo.equity), computed on first ask (~0.2 s), then kept."""
    return store.study.equity


def popup_equity(store: MapStore, council_id: str) -> dict[str, Any] | None:
    """The few equity figures a council's popup shows: share within the threshold of
    income quintiles 1 and 5 and the concentration index (None without census groups)."""
    figures = equity_of(store).councils.get(council_id)
    if figures is None:
        return None
    head = figures["headline"]
    if head["share_q1"] is None and head["share_q5"] is None:
        return None
    return {"share_q1": head["share_q1"], "share_q5": head["share_q5"],
            "ci": head["concentration_index_time_nse"]}


def band_features(iso: Isochrone, id_prefix: str | None = None,
                  extra: dict[str, Any] | None = None) -> list[tuple[dict[str, Any], Any]]:
    """(GeoJSON feature, EPSG:4326 geometry) per band, largest first (the drawing order);
    an unreached band (the street is farther than the band) has a null geometry and zero
    residents."""
    frame = iso.frame()
    out = []
    for _, row in frame.iterrows():
        minutes = float(row["minutes"])
        minutes = int(minutes) if minutes.is_integer() else minutes
        props: dict[str, Any] = {**(extra or {}), "minutes": minutes}
        props.update({k: _clean(row[k]) for k in frame.columns
                      if k not in ("minutes", "geometry")})
        geom = row.geometry
        empty = geom is None or geom.is_empty
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": None if empty else rounded_geojson(geom, API_DECIMALS),
            "properties": props,
        }
        if id_prefix is not None:
            feature["id"] = f"{id_prefix}-{minutes}"
            props = {"id": feature["id"], **props}
            feature["properties"] = props
        out.append((feature, None if empty else geom))
    return out


def build_isochrone_collection(store: MapStore) -> Collection:
    """The walking areas of every counted cultural venue as an OGC collection: features
    ``<venue id>-<minutes>`` (the settings' thresholds), venue by venue, largest first."""
    bands = default_bands(store.settings.thresholds_min)
    index = isochrone_index(store)
    venues = store.layers.venues.reset_index(drop=True)
    venues = venues[venues["category"].isin(store.counted_categories)]
    features: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for (_, venue), xy in zip(venues.iterrows(), points_xy(venues), strict=True):
        try:
            iso = index.from_point(xy, bands)
        except OffNetworkError:  # a venue far from every street: no walking area to draw
            continue
        extra = {"venue_id": str(venue["id"]), "venue_name": str(venue["name"]),
                 "category": str(venue["category"])}
        for feature, geom in band_features(iso, str(venue["id"]), extra):
            if geom is not None:
                features.append(feature)
                geoms.append(geom)
    return Collection(id="isochrones", features=features,
                      geometries=np.asarray(geoms, dtype=object),
                      positions={f["id"]: i for i, f in enumerate(features)})


class LazyIsochrones:
    """The isochrone collection, built on first use instead of at start: with every venue
    counted (``categories=all``: 154 on the real data, ~0.1 s each) it would add seconds
    to every start. Same interface as :class:`webmap.features.Collection`."""

    id = "isochrones"

    def __init__(self, store: MapStore) -> None:
        self._store = store
        self._built: Collection | None = None
        self._lock = threading.Lock()

    def _collection(self) -> Collection:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = build_isochrone_collection(self._store)
        return self._built

    @property
    def features(self) -> list[dict[str, Any]]:
        return self._collection().features

    @property
    def geometries(self) -> np.ndarray:
        return self._collection().geometries

    @property
    def positions(self) -> dict[str, int]:
        return self._collection().positions

    @property
    def bbox(self) -> list[float] | None:
        return self._collection().bbox

    def select(self, bbox: tuple[float, float, float, float] | None) -> list[int]:
        return self._collection().select(bbox)

    @property
    def queryables(self) -> Queryables:
        """Declared without building the bands (seconds on the real data): the text
        properties that build_isochrone_collection gives every band."""
        return Queryables(self.id, {name: {"type": "string"} for name in
                                    ("id", "venue_id", "venue_name", "category")})


def isochrone_collection(store: MapStore) -> LazyIsochrones:
    return LazyIsochrones(store)


def _store() -> MapStore:
    return current_app.extensions["culturamap"]


def _number(name: str, low: float, high: float) -> float:
    raw = request.args.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"invalid_{name}", value=raw) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise bad_request(f"invalid_{name}", value=raw)
    return value


def _bands(store: MapStore) -> tuple[float, ...]:
    raw = request.args.get("minutes")
    if raw is None or raw.strip() == "":
        return default_bands(store.settings.thresholds_min)
    parts = [p for p in raw.split(",") if p.strip()]
    if len(set(parts)) > MAX_BANDS:
        raise bad_request("too_many_bands", value=raw, max=MAX_BANDS)
    try:
        return check_bands(parts)
    except IsochroneError:
        raise bad_request("invalid_minutes", value=raw, low=f"{MIN_MINUTES:g}",
                          high=f"{MAX_MINUTES:g}", max=MAX_BANDS) from None


def _origin(store: MapStore) -> tuple[np.ndarray, dict[str, Any]]:
    """The point asked for (EPSG:32719) and how to describe it: a venue or lat/lon."""
    venue_id = request.args.get("venue", "").strip()
    has_point = any(request.args.get(k, "").strip() for k in ("lat", "lon"))
    if venue_id and has_point or not venue_id and not has_point:
        raise bad_request("isochrone_origin")
    if venue_id:
        venues = store.layers.venues
        rows = venues[venues["id"].astype(str) == venue_id]
        if rows.empty:
            raise not_found("unknown_venue", id=venue_id)
        point = rows.geometry.iloc[0]
        described = {"venue_id": venue_id, "venue_name": str(rows["name"].iloc[0]),
                     "lon": round(point.x, 6), "lat": round(point.y, 6)}
        return points_xy(rows)[0], described
    for name in ("lat", "lon"):
        if not request.args.get(name, "").strip():
            raise bad_request(f"missing_{name}")
    lat = _number("lat", -90, 90)
    lon = _number("lon", -180, 180)
    minx, miny, maxx, maxy = store.extent
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        raise bad_request("outside_area")
    xy = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs="EPSG:4326").to_crs(METRIC_CRS)
    return np.array([xy.x.iloc[0], xy.y.iloc[0]]), {"lon": lon, "lat": lat}


@bp.get("/isochrone")
def isochrone() -> Response:
    """Nested walking areas (GeoJSON FeatureCollection, largest band first)."""
    store = _store()
    bands = _bands(store)
    xy, origin = _origin(store)
    try:
        iso = isochrone_index(store).from_point(xy, bands)
    except OffNetworkError as exc:
        raise ApiError(422, "off_network", distance=f"{exc.snap_m:.0f}",
                       max=f"{MAX_SNAP_M:.0f}") from None
    body = {
        "type": "FeatureCollection",
        "origin": {**origin, "snap_m": round(iso.snap_m, 1)},
        "minutes": [int(b) if b.is_integer() else b for b in bands],
        "walking_speed_kmh": store.settings.walking_speed_kmh,
        "reach_m": REACH_M,
        "bands": "nested",
        "method": t("isochrone.method", reach=f"{REACH_M:g}"),
        "features": [f for f, _g in band_features(iso)],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, mimetype=GEOJSON)


def _equity_json(body: dict[str, Any]) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, mimetype="application/json")


@bp.get("/area/equity")
def area_equity() -> Response:
    """The whole area's figures by socio-economic and age group, with the headline."""
    return _equity_json(equity_of(_store()).area)


@bp.get("/councils/<council_id>/equity")
def council_equity(council_id: str) -> Response:
    result = equity_of(_store())
    figures = result.councils.get(council_id)
    if figures is None:
        raise not_found("unknown_council", id=council_id)
    return _equity_json({**figures, "method": result.area["method"]})
