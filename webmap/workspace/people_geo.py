"""Where people's records meet the map: the council under a click, a council's neighbours
and sector, and each council's access gap and socio-economic group (for the planners).

Why from the served store: the councils and the figures are the ones the map shows; the
geometry work (a few polygons) is done once per store and kept in its cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely import STRtree
from shapely.geometry import Point

from geo import METRIC_CRS
from geo.equity import GSE_ORDER
from webmap.store import MapStore

CACHE_KEY = "people_geo"
NEIGHBOUR_GAP_M = 50.0  # councils closer than this (metres) are neighbours


@dataclass
class PeopleGeo:
    names: dict[str, str]
    points: dict[str, tuple[float, float]]  # a point inside each council (lon, lat)
    neighbours: dict[str, set[str]]
    sector_of: dict[str, str]
    _tree: STRtree
    _ids: list[str]

    def council_at(self, lon: float, lat: float) -> str | None:
        hits = self._tree.query(Point(lon, lat), predicate="intersects")
        return self._ids[int(hits[0])] if len(hits) else None


def people_geo(store: MapStore) -> PeopleGeo:
    if CACHE_KEY not in store.cache:
        councils = store.layers.councils
        ids = [str(i) for i in councils["id"]]
        metric = councils.geometry.to_crs(METRIC_CRS)
        tree_m = STRtree(list(metric))
        neighbours = {cid: set() for cid in ids}
        for i, geom in enumerate(metric):
            for j in tree_m.query(geom.buffer(NEIGHBOUR_GAP_M), predicate="intersects"):
                if int(j) != i:
                    neighbours[ids[i]].add(ids[int(j)])
        inner = metric.representative_point()
        sectors = store.layers.sectors
        sector_of = {}
        if sectors is not None and len(sectors):
            sectors_m = sectors.geometry.to_crs(METRIC_CRS)
            for cid, point in zip(ids, inner, strict=True):
                inside = [str(s) for s, g in zip(sectors["id"], sectors_m, strict=True)
                          if g.contains(point)]
                if inside:
                    sector_of[cid] = inside[0]
        points = store.cache.get("council_points") or {}
        store.cache[CACHE_KEY] = PeopleGeo(
            names=dict(zip(ids, map(str, councils["name"]), strict=True)),
            points={str(k): v for k, v in points.items()}, neighbours=neighbours,
            sector_of=sector_of, _tree=STRtree(list(councils.geometry)), _ids=ids)
    return store.cache[CACHE_KEY]


def sector_names(store: MapStore) -> dict[str, str]:
    sectors = store.layers.sectors
    if sectors is None:
        return {}
    return dict(zip(map(str, sectors["id"]), map(str, sectors["name"]), strict=True))


def council_context(store: MapStore) -> dict[str, dict[str, Any]]:
    """Per council: share within the threshold, mean walk, and the GSE class most of its
    residents belong to (geo.equity), for reading residents' voices against the gaps."""
    equity = store.study.equity.councils
    out = {}
    for _, row in store.councils.iterrows():
        cid = str(row["id"])
        share = row.get(store.share_column)
        mean = row.get("mean_time_min")
        by_gse = (equity.get(cid) or {}).get("by_gse") or {}
        counted = [(g, (by_gse.get(g) or {}).get("residents") or 0) for g in GSE_ORDER]
        counted = [(g, r) for g, r in counted if r]
        main = max(counted, key=lambda gr: gr[1])[0] if counted else None
        out[cid] = {"id": cid, "name": str(row["name"]),
                    "share": None if share is None or share != share else float(share),
                    "mean_time_min": None if mean is None or mean != mean else float(mean),
                    "main_gse": main}
    return out
