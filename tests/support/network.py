"""Hand-made street networks and layers, drawn in metres, for tests with known answers.

Coordinates are offsets in metres from a point inside Parte Alta (EPSG:32719); they are
written as OpenStreetMap XML / EPSG:4326 layers and read back through the real loaders.
Kept out of conftest.py on purpose: other test modules own that file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import Transformer
from shapely.geometry import Point, box

from geo import METRIC_CRS, WEB_CRS
from geo.layers import Layers
from geo.network import WalkNetwork, load_network

ORIGIN = (275_000.0, 6_680_000.0)  # EPSG:32719, inside the synthetic Parte Alta
_TO_WEB = Transformer.from_crs(METRIC_CRS, WEB_CRS, always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return _TO_WEB.transform(ORIGIN[0] + x, ORIGIN[1] + y)


def write_osm(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: Iterable[Sequence[int]],
    highway: str = "residential",
) -> Path:
    """An OSM XML file: ``nodes`` id -> (x, y) metres, ``ways`` lists of node ids."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (x, y) in nodes.items():
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{nid}" lat="{lat:.9f}" lon="{lon:.9f}" version="1"/>')
    for wid, way in enumerate(ways, start=1):
        refs = "".join(f'<nd ref="{n}"/>' for n in way)
        lines.append(f'  <way id="{wid}" version="1">{refs}<tag k="highway" v="{highway}"/></way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(tmp_path: Path, nodes: dict, ways: Iterable[Sequence[int]]) -> WalkNetwork:
    osm = write_osm(tmp_path / "streets.osm", nodes, ways)
    return load_network(osm, cache_dir=tmp_path / "cache", memo=False)


def _gdf(rows: list[dict], geoms: list, columns: list[str]) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, columns=columns, geometry=geoms, crs=METRIC_CRS)
    return gdf.to_crs(WEB_CRS)


def shift(geom):
    from shapely.affinity import translate

    return translate(geom, ORIGIN[0], ORIGIN[1])


def make_layers(
    councils: list[tuple[str, tuple[float, float, float, float]]],
    venues: list[tuple[str, str, float, float]],
    blocks: list[tuple[str, int, float, float]],
) -> Layers:
    """Layers from metres: councils (id, box), venues (id, category, x, y), blocks
    (id, residents, x, y) as 10 m squares centred on (x, y) (their representative point)."""
    c_rows = [
        {"id": cid, "name": f"Junta {cid}", "code": cid, "sector": "test", "population": None,
         "source": "test"}
        for cid, _b in councils
    ]
    c_geoms = [shift(box(*b)) for _cid, b in councils]
    v_rows = [
        {"id": vid, "name": f"Lugar {vid}", "category": cat, "address": "", "source": "test"}
        for vid, cat, _x, _y in venues
    ]
    v_geoms = [shift(Point(x, y)) for *_r, x, y in venues]
    b_rows = [{"id": bid, "residents": int(res), "source": "test"} for bid, res, _x, _y in blocks]
    b_geoms = [shift(box(x - 5, y - 5, x + 5, y + 5)) for *_r, x, y in blocks]
    return Layers(
        councils=_gdf(c_rows, c_geoms, ["id", "name", "code", "sector", "population", "source"]),
        venues=_gdf(v_rows, v_geoms, ["id", "name", "category", "address", "source"]),
        workshops=_gdf([], [], ["id", "title", "date", "venue_id", "councils", "source"]),
        population=_gdf(b_rows, b_geoms, ["id", "residents", "source"]),
        manifest={"synthetic": True, "notice_es": "prueba", "notice_en": "test"},
    )


def straight_street(x0: float, x1: float, step: float = 50.0) -> tuple[dict, list]:
    """One street along y = 0 from x0 to x1 with a node every ``step`` metres."""
    xs = np.arange(x0, x1 + step / 2, step)
    nodes = {i + 1: (float(x), 0.0) for i, x in enumerate(xs)}
    return nodes, [list(nodes)]


def metric_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Offsets in metres from ORIGIN of point geometries (any CRS)."""
    g = gdf.to_crs(METRIC_CRS).geometry
    return np.column_stack([g.x - ORIGIN[0], g.y - ORIGIN[1]])


def direct_network(nodes: dict[int, tuple[float, float]], edges: Iterable[tuple[int, int]]):
    """A :class:`WalkNetwork` straight from metres (offsets from ORIGIN), WITHOUT the 50 m
    splitting of the OSM loader: long streets stay one segment, so a test can tell edge
    snapping from node snapping."""
    from geo.network import csr_from_edges

    ids = np.array(list(nodes), dtype=np.int64)
    xy = np.array([nodes[i] for i in ids], dtype=float) + ORIGIN
    pos = {int(i): k for k, i in enumerate(ids)}
    u = np.array([pos[a] for a, _b in edges])
    v = np.array([pos[b] for _a, b in edges])
    graph = csr_from_edges(len(ids), u, v, np.hypot(*(xy[u] - xy[v]).T))
    return WalkNetwork(ids, xy, graph, source="test")


def walking(network: WalkNetwork, walking_speed_kmh: float = 4.5):
    """The street-network travel model over a test network (fixture-sized)."""
    from geo.travel import NetworkTravelModel

    return NetworkTravelModel(network, walking_speed_kmh)
