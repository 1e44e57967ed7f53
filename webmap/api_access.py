"""Walking-access API: nearest cultural offerings from a point, one council's figures, and
where new workshops would help most (/api/sites).

The leader's view calls /api/nearest on every tap, so the view does nothing but validate
and ask the prebuilt index (geo.access.NearestIndex); all heavy work happened at start.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Blueprint, Response, current_app, request

from geo.schema import category_ids
from geo.settings import SITES_K_RANGE
from geo.siting import SitingError
from webmap.errors import bad_request, not_found
from webmap.store import MapStore, _clean

bp = Blueprint("access", __name__, url_prefix="/api")

DEFAULT_LIMIT, MAX_LIMIT = 10, 50
SITES_K_MIN, SITES_K_MAX = SITES_K_RANGE


def _store() -> MapStore:
    return current_app.extensions["culturamap"]


def _json(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def _coordinate(name: str, low: float, high: float) -> float:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        raise bad_request(f"missing_{name}")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"invalid_{name}", value=raw) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise bad_request(f"invalid_{name}", value=raw)
    return value


def parse_categories(raw_values: list[str]) -> list[str] | None:
    """category=library,theatre or repeated category=...; empty means every category."""
    wanted = [c.strip() for raw in raw_values for c in raw.split(",") if c.strip()]
    known = category_ids()
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise bad_request("invalid_category", value=", ".join(unknown), known=", ".join(known))
    return sorted(set(wanted)) or None


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw.strip() == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("invalid_nearest_limit", value=raw, max=MAX_LIMIT) from None
    if not 1 <= value <= MAX_LIMIT:
        raise bad_request("invalid_nearest_limit", value=raw, max=MAX_LIMIT)
    return value


@bp.get("/nearest")
def nearest() -> Response:
    store = _store()
    lat = _coordinate("lat", -90, 90)
    lon = _coordinate("lon", -180, 180)
    categories = parse_categories(request.args.getlist("category"))
    limit = _limit()
    minx, miny, maxx, maxy = store.extent
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        raise bad_request("outside_area")
    results = store.nearest_records(lon, lat, categories, limit)
    return _json(
        {
            "query": {"lat": lat, "lon": lon, "category": categories, "limit": limit},
            "walking_speed_kmh": store.settings.walking_speed_kmh,
            "results": results,
        }
    )


@bp.get("/councils")
def councils() -> Response:
    store = _store()
    points = store.cache["council_points"]
    return _json(
        {
            "threshold_min": store.threshold_min,
            "councils": [
                {**store.council_figures(cid), "lon": lon, "lat": lat}
                for cid, (lon, lat) in points.items()
            ],
        }
    )


def _territory(level: str, territory_id: str) -> Response:
    """One territory of ``level`` with its figures and a point inside it; 404 if unknown."""
    store = _store()
    figures = store.council_figures(territory_id, level)
    if figures is None:
        kind = "unknown_sector" if level == "sectors" else "unknown_council"
        raise not_found(kind, id=territory_id)
    points = store.cache["sector_points" if level == "sectors" else "council_points"]
    lon, lat = points[territory_id]
    return _json({**figures, "threshold_min": store.threshold_min, "lon": lon, "lat": lat})


@bp.get("/councils/<council_id>")
def council(council_id: str) -> Response:
    return _territory("councils", council_id)


@bp.get("/sectors")
def sectors() -> Response:
    """The municipal sectors (second territory level) with the same figures as councils."""
    store = _store()
    return _json(
        {
            "threshold_min": store.threshold_min,
            "sectors": [
                {**store.council_figures(sid, "sectors"), "lon": lon, "lat": lat}
                for sid, (lon, lat) in store.cache["sector_points"].items()
            ],
        }
    )


@bp.get("/sectors/<sector_id>")
def sector(sector_id: str) -> Response:
    return _territory("sectors", sector_id)


@bp.get("/area")
def area() -> Response:
    """The whole area's figures and the focus area's (its sectors; null without focus)."""
    store = _store()
    share = store.share_column

    def summary(figures: dict[str, Any]) -> dict[str, Any]:
        out = {k: _clean(v) for k, v in figures.items() if k != share}
        out["share_within_threshold"] = _clean(figures.get(share))
        return out

    return _json(
        {
            "threshold_min": store.threshold_min,
            "area": summary(store.area),
            "focus": summary(store.focus) if store.focus else None,
        }
    )


def _sites_k(default: int) -> int:
    raw = request.args.get("k")
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("invalid_sites_k", value=raw, low=SITES_K_MIN, high=SITES_K_MAX) from None
    if not SITES_K_MIN <= value <= SITES_K_MAX:
        raise bad_request("invalid_sites_k", value=raw, low=SITES_K_MIN, high=SITES_K_MAX)
    return value


def _clean_tree(value: Any) -> Any:
    """Nested dicts of counts, JSON-ready."""
    if isinstance(value, dict):
        return {str(k): _clean_tree(v) for k, v in value.items()}
    return _clean(value)


def site_record(row: Any, council_names: dict[str, str]) -> dict[str, Any]:
    ids = [c for c in str(row.councils or "").split(";") if c]
    return {
        "rank": int(row.rank),
        "id": str(row.candidate_id),
        "name": str(row.name),
        "category": str(row.category),
        "newly_covered": _clean(row.newly_covered),
        "cumulative_covered": _clean(row.cumulative_covered),
        "councils": [{"id": c, "name": council_names.get(c, c)} for c in ids],
        "lon": round(float(row.geometry.x), 6),
        "lat": round(float(row.geometry.y), 6),
    }


@bp.get("/sites")
def sites() -> Response:
    """Where k (1..10, default SITES_K) new workshops would bring the most residents within
    walking reach; rank 1 adds the most. Other k are computed on first ask, then kept."""
    store = _store()
    k = _sites_k(store.sites_k)
    try:
        table = store.sites_for(k)
    except SitingError as exc:  # e.g. fewer candidate venues than k in this data set
        raise bad_request("sites_unavailable", reason=str(exc)) from None
    names = dict(zip(store.layers.councils["id"], store.layers.councils["name"], strict=True))
    attrs = table.attrs
    return _json(
        {
            "k": k,
            "threshold_min": store.threshold_min,
            "walking_speed_kmh": store.settings.walking_speed_kmh,
            "counted_categories": list(store.counted_categories),
            "candidates": _clean(attrs.get("candidates")),
            "uncovered_residents": _clean(attrs.get("uncovered_residents")),
            "newly_covered": _clean(attrs.get("newly_covered")),
            "group_weights": attrs.get("group_weights") or {},
            "newly_covered_by_group": _clean_tree(attrs.get("newly_covered_by_group") or {}),
            "sites": [
                site_record(row, names)
                for row in table.sort_values("rank").itertuples(index=False)
            ],
        }
    )
