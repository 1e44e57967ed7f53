"""Generate the SYNTHETIC demonstration data set shipped under data/.

Why this exists: ../shared/data/ holds no real layers yet (its README says the sources
are still being gathered) and the machine cannot download them. So that the software can
be built, tested and shown end to end, this script draws a clearly-labelled synthetic
"Parte Alta" at the real location of Coquimbo's upper town: 20 council territories,
census-like blocks with ~70,000 residents, cultural venues, the six workshop sites and a
walking street network written as OpenStreetMap XML. Every feature carries
source = "SINTÉTICO (demo)" and data/manifest.json says ``"synthetic": true`` so the web
map and the reports show a banner. Replace the files with the real ones when they arrive;
nothing else changes.

Run: ``python tools/make_demo_data.py [--out DIR]``; the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union

SEED = 2026
METRIC_CRS = "EPSG:32719"
WEB_CRS = "EPSG:4326"
SOURCE = "SINTÉTICO (demo)"
DATA = Path(__file__).resolve().parents[1] / "data"

# Centre of the synthetic study area: Coquimbo's Parte Alta, south-east of the old town.
CENTRE_LONLAT = (-71.322, -29.978)
HALF_WIDTH_M = 2300.0
HALF_HEIGHT_M = 1900.0
STREET_SPACING_M = 110.0
BLOCK_SIZE_M = 150.0
TOTAL_RESIDENTS = 70_000

CATEGORY_COUNTS = {
    "library": 3,
    "cultural_centre": 4,
    "theatre": 2,
    "museum": 1,
    "community_hall": 14,
    "school": 10,
    "plaza": 7,
    "other": 2,
}
CATEGORY_LABEL_ES = {
    "library": "Biblioteca",
    "cultural_centre": "Centro cultural",
    "theatre": "Teatro",
    "museum": "Museo",
    "community_hall": "Sede social",
    "school": "Escuela",
    "plaza": "Plaza",
    "other": "Espacio",
}


def _to_metric_origin() -> tuple[float, float]:
    centre = gpd.GeoSeries([Point(CENTRE_LONLAT)], crs=WEB_CRS).to_crs(METRIC_CRS)[0]
    return centre.x, centre.y


def _study_area(cx: float, cy: float, rng: np.random.Generator) -> Polygon:
    """An irregular, hill-shaped outline rather than a rectangle."""
    angles = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    radii = 1.0 + 0.08 * np.sin(3 * angles) + 0.04 * rng.standard_normal(angles.size)
    xs = cx + HALF_WIDTH_M * radii * np.cos(angles)
    ys = cy + HALF_HEIGHT_M * radii * np.sin(angles)
    return Polygon(zip(xs, ys, strict=True)).buffer(0)


def _councils(area: Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = area.bounds
    seeds = []
    while len(seeds) < 20:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.buffer(-250).contains(p) and all(p.distance(q) > 600 for q in seeds):
            seeds.append(p)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=area.envelope)
    polys = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.contains(seed))
        polys.append(cell.intersection(area))
    # Number councils west to east, north to south so ids read like a map.
    order = sorted(range(20), key=lambda i: (-round(seeds[i].y / 900), seeds[i].x))
    rows = []
    for n, i in enumerate(order, start=1):
        rows.append(
            {
                "id": f"JV-{n:02d}",
                "name": f"Junta de Vecinos Demo {n:02d}",
                "code": f"DEMO-UV-{n:02d}",
                "sector": "Parte Alta (demo)",
                "population": None,
                "source": SOURCE,
                "geometry": polys[i],
            }
        )
    return gpd.GeoDataFrame(rows, crs=METRIC_CRS)


def _density(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Residential density: dense near the old town (north-west), sparser uphill."""
    dx, dy = (x - cx) / HALF_WIDTH_M, (y - cy) / HALF_HEIGHT_M
    base = 1.2 - 0.35 * dx + 0.25 * dy
    bumps = 0.6 * np.exp(-((dx - 0.5) ** 2 + (dy + 0.4) ** 2) / 0.08)
    return np.clip(base + bumps, 0.15, None)


def _blocks(area: Polygon, cx: float, cy: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = area.bounds
    cells = []
    for x0 in np.arange(minx, maxx, BLOCK_SIZE_M):
        for y0 in np.arange(miny, maxy, BLOCK_SIZE_M):
            cell = box(x0, y0, x0 + BLOCK_SIZE_M, y0 + BLOCK_SIZE_M).intersection(area)
            if cell.area > 0.25 * BLOCK_SIZE_M**2:
                cells.append(cell)
    centroids = shapely.centroid(np.array(cells))
    weights = _density(shapely.get_x(centroids), shapely.get_y(centroids), cx, cy)
    weights *= rng.uniform(0.6, 1.4, weights.size) * np.array([c.area for c in cells])
    residents = np.floor(weights / weights.sum() * TOTAL_RESIDENTS).astype(int)
    residents[np.argsort(-weights)[: TOTAL_RESIDENTS - residents.sum()]] += 1
    return gpd.GeoDataFrame(
        {
            "id": [f"MZ-{i:04d}" for i in range(1, len(cells) + 1)],
            "residents": residents,
            "source": SOURCE,
        },
        geometry=cells,
        crs=METRIC_CRS,
    )


def _venues(area: Polygon, cx: float, cy: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Venues cluster toward the old town so that uphill councils show real gaps."""
    minx, miny, maxx, maxy = area.bounds
    rows = []
    n = 0
    for category, count in CATEGORY_COUNTS.items():
        placed = 0
        while placed < count:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            p = Point(x, y)
            downtown_bias = 0.55 - 0.4 * (x - cx) / HALF_WIDTH_M + 0.2 * (y - cy) / HALF_HEIGHT_M
            spread = category in {"community_hall", "school", "plaza"}
            if not area.buffer(-60).contains(p):
                continue
            if not spread and rng.uniform() > downtown_bias:
                continue
            n += 1
            placed += 1
            rows.append(
                {
                    "id": f"V-{n:03d}",
                    "name": f"{CATEGORY_LABEL_ES[category]} Demo {placed}",
                    "category": category,
                    "address": (
                        f"Calle Demo {int(rng.integers(1, 60))} #{int(rng.integers(100, 2000))}"
                    ),
                    "source": SOURCE,
                    "geometry": p,
                }
            )
    return gpd.GeoDataFrame(rows, crs=METRIC_CRS)


def _workshops(venues: gpd.GeoDataFrame, councils: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Six debate workshops hosted in community halls spread across the area."""
    halls = venues[venues.category == "community_hall"].copy()
    halls["council"] = [
        councils.loc[councils.distance(p).idxmin(), "id"] for p in halls.geometry
    ]
    chosen = halls.drop_duplicates("council").head(6)
    dates = ["2026-04-11", "2026-04-25", "2026-05-09", "2026-05-23", "2026-06-06", "2026-06-20"]
    rows = []
    for i, (_, hall) in enumerate(chosen.iterrows(), start=1):
        near = councils.assign(d=councils.distance(hall.geometry)).nsmallest(4, "d")
        rows.append(
            {
                "id": f"T-{i}",
                "title": f"Taller micro-barrial {i} (demo)",
                "date": dates[i - 1],
                "venue_id": hall["id"],
                "councils": ";".join(sorted(near["id"])),
                "source": SOURCE,
                "geometry": hall.geometry,
            }
        )
    return gpd.GeoDataFrame(rows, crs=METRIC_CRS)


def _street_lines(area: Polygon, rng: np.random.Generator) -> list[tuple[LineString, str]]:
    """A jittered street grid with two diagonal avenues and a ravine that cuts it."""
    minx, miny, maxx, maxy = area.buffer(150).bounds
    xs = np.arange(minx, maxx, STREET_SPACING_M)
    ys = np.arange(miny, maxy, STREET_SPACING_M)
    jitter = rng.normal(0, 12, (xs.size, ys.size, 2))
    nodes = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1) + jitter
    ravine = LineString(
        [(minx + 0.55 * (maxx - minx), maxy), (minx + 0.62 * (maxx - minx), miny)]
    ).buffer(45)
    bridges = [Point(minx + 0.58 * (maxx - minx), miny + f * (maxy - miny)) for f in (0.3, 0.75)]
    lines: list[tuple[LineString, str]] = []
    for i in range(xs.size):
        for j in range(ys.size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= xs.size or j + dj >= ys.size:
                    continue
                seg = LineString([nodes[i, j], nodes[i + di, j + dj]])
                if not seg.intersects(area):
                    continue
                if seg.intersects(ravine) and min(b.distance(seg) for b in bridges) > 80:
                    continue
                if rng.uniform() < 0.06:  # dead ends and missing links, as in real hills
                    continue
                kind = "residential" if rng.uniform() < 0.85 else "footway"
                lines.append((seg, kind))
    for a, b in (((0.05, 0.9), (0.5, 0.1)), ((0.3, 0.05), (0.95, 0.7))):
        start = (minx + a[0] * (maxx - minx), miny + a[1] * (maxy - miny))
        end = (minx + b[0] * (maxx - minx), miny + b[1] * (maxy - miny))
        avenue = LineString([start, end])
        if avenue.intersects(ravine):
            avenue = avenue.difference(ravine)
        parts = getattr(avenue, "geoms", [avenue])
        lines.extend((part, "primary") for part in parts)
    return lines


def _write_osm(lines: list[tuple[LineString, str]], path: Path) -> None:
    """Write the network as OSM XML, noding the lines where they cross or touch."""
    noded = unary_union([line for line, _ in lines])
    kinds = gpd.GeoDataFrame(
        {"kind": [k for _, k in lines]}, geometry=[line for line, _ in lines], crs=METRIC_CRS
    )
    segments = gpd.GeoDataFrame(geometry=list(noded.geoms), crs=METRIC_CRS)
    mids = segments.copy()
    mids["geometry"] = segments.interpolate(0.5, normalized=True)
    joined = gpd.sjoin_nearest(mids, kinds, how="left").groupby(level=0)["kind"].first()
    segments_ll = segments.to_crs(WEB_CRS)
    node_ids: dict[tuple[float, float], int] = {}
    node_xml, way_xml = [], []
    for seg_id, geom in enumerate(segments_ll.geometry, start=1):
        refs = []
        for lon, lat in geom.coords:
            key = (round(lon, 7), round(lat, 7))
            if key not in node_ids:
                node_ids[key] = len(node_ids) + 1
                node_xml.append(
                    f'  <node id="{node_ids[key]}" lat="{key[1]:.7f}" lon="{key[0]:.7f}" '
                    'version="1" visible="true"/>'
                )
            refs.append(node_ids[key])
        kind = joined.iloc[seg_id - 1]
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        way_xml.append(
            f'  <way id="{seg_id}" version="1" visible="true">{nd}'
            f'<tag k="highway" v={quoteattr(kind)}/><tag k="source" v={quoteattr(SOURCE)}/>'
            "</way>"
        )
    text = "\n".join(
        [
            "<?xml version='1.0' encoding='UTF-8'?>",
            '<osm version="0.6" generator="culturamap tools/make_demo_data.py (SYNTHETIC)">',
            *node_xml,
            *way_xml,
            "</osm>",
            "",
        ]
    )
    _atomic_write_text(path, text)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    out = gdf.to_crs(WEB_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-6)
    _atomic_write_text(path, out.to_json(drop_id=True, ensure_ascii=False, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic demo data set.")
    parser.add_argument("--out", type=Path, default=DATA, help="data folder (default: data/)")
    out = parser.parse_args(argv).out
    for sub in ("boundaries", "population", "venues", "workshops", "network"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cx, cy = _to_metric_origin()
    area = _study_area(cx, cy, rng)
    councils = _councils(area, rng)
    blocks = _blocks(area, cx, cy, rng)
    inside = gpd.sjoin(
        blocks.assign(geometry=blocks.representative_point()), councils[["id", "geometry"]],
        predicate="within", rsuffix="council",
    )
    councils["population"] = (
        councils["id"].map(inside.groupby("id_council")["residents"].sum()).fillna(0).astype(int)
    )
    venues = _venues(area, cx, cy, rng)
    workshops = _workshops(venues, councils)
    _write_geojson(councils, out / "boundaries" / "councils.geojson")
    _write_geojson(blocks, out / "population" / "blocks.geojson")
    _write_geojson(venues, out / "venues" / "venues.geojson")
    _write_geojson(workshops, out / "workshops" / "workshops.geojson")
    _write_osm(_street_lines(area, rng), out / "network" / "parte_alta.osm")
    print(
        f"councils={len(councils)} blocks={len(blocks)} residents={blocks.residents.sum()} "
        f"venues={len(venues)} workshops={len(workshops)}"
    )


if __name__ == "__main__":
    main()
