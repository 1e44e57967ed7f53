"""Benchmark of the walking network derived from the census 2024 block outlines.

    .venv/bin/python benchmarks/bench_block_network.py

Derives the network from the shared blocks file cold (no cache) and prints: derivation
time, nodes, edges, street km, connectors and their km, the share of urban Coquimbo's
residents in the largest connected piece (urban = a block's representative point inside one
of the municipality's urban sectors), the pieces left apart, the ratio network / straight
distance on 500 random block pairs of the largest piece (fixed seed), and the cache-load
time. Draws docs/block_network.png and records the figures in
benchmarks/results/block_network.txt. Targets: derivation < 60 s on 2 cores, a median
detour ratio in 1.2-1.4 like a real street grid.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from scipy.sparse.csgraph import connected_components

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo import METRIC_CRS, WEB_CRS  # noqa: E402
from geo.block_network import (  # noqa: E402
    CONNECTOR,
    STREET,
    BlockNetworkParams,
    derive_block_network,
    load_block_network,
    resident_figures,
)

SHARED = REPO.parent / "shared" / "data"
BLOCKS = SHARED / "population" / "manzanas_censo2024_4102.geojson"
SECTORS = SHARED / "boundaries" / "sectores_municipales_4102.geojson"
PNG = REPO / "docs" / "block_network.png"
RESULTS = REPO / "benchmarks" / "results" / "block_network.txt"
PAIRS = 500
SEED = 20240
ZOOM = (-71.338, -71.320, -29.984, -29.966)  # Parte Alta around lon -71.33, lat -29.975


def urban_mask(blocks: gpd.GeoDataFrame) -> np.ndarray:
    """Blocks whose representative point lies inside a municipal urban sector."""
    sectors = gpd.read_file(SECTORS).to_crs(METRIC_CRS)
    pts = blocks.to_crs(METRIC_CRS).geometry.representative_point()
    hit = shapely.STRtree(sectors.geometry.values).query(pts.values, predicate="within")[0]
    mask = np.zeros(len(blocks), dtype=bool)
    mask[hit] = True
    return mask


def detour_ratios(derived, blocks: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(network / straight ratio, straight m) for PAIRS random block pairs of the largest
    piece, each block at its representative point snapped onto its nearest edge."""
    net = derived.network
    pts = shapely.get_coordinates(
        blocks.to_crs(METRIC_CRS).geometry.representative_point().values
    )
    snap = net.snap_edges(pts)
    labels = connected_components(net.graph, directed=False)[1][snap.u]
    idx = np.flatnonzero(labels == np.bincount(labels).argmax())
    rng = np.random.default_rng(SEED)
    a = rng.choice(idx, PAIRS)
    b = rng.choice(idx, PAIRS)
    same = a == b
    b[same] = rng.choice(idx, int(same.sum()))
    d = net.distances_snapped(snap.take(a), snap.take(b))[np.arange(PAIRS), np.arange(PAIRS)]
    straight = np.hypot(*(pts[a] - pts[b]).T)
    ok = straight > 0
    return d[ok] / straight[ok], straight[ok]


def other_pieces(derived, blocks: gpd.GeoDataFrame, urban: np.ndarray) -> list[str]:
    """One line per piece other than the largest: residents, blocks, where (lon/lat)."""
    net = derived.network
    pts = blocks.to_crs(METRIC_CRS).geometry.representative_point()
    snap = net.snap_edges(shapely.get_coordinates(pts.values))
    labels = connected_components(net.graph, directed=False)[1][snap.u]
    people = blocks["n_per"].to_numpy(dtype=float)
    per = np.bincount(labels, weights=people)
    big = int(per.argmax())
    rows = []
    for c in np.argsort(-per):
        if c == big or per[c] == 0 and not (labels == c).any():
            continue
        sel = labels == c
        lon, lat = np.asarray(blocks.geometry[sel].union_all().centroid.coords[0])
        rows.append(f"      piece: {int(per[c]):6d} residents, {int(sel.sum()):3d} blocks "
                    f"({int(urban[sel].sum())} in urban sectors), centre lon {lon:.3f} "
                    f"lat {lat:.3f}")
    return rows


def draw(derived, blocks: gpd.GeoDataFrame) -> None:
    """Overview of the city and a zoom on the Parte Alta: blocks, streets, connectors."""
    lines = derived.lines.to_crs(WEB_CRS)
    streets, conns = lines[lines["kind"] == STREET], lines[lines["kind"] == CONNECTOR]
    fig, axes = plt.subplots(1, 2, figsize=(18, 9.5), gridspec_kw={"width_ratios": [1.5, 1]})
    views = [
        (axes[0], (-71.385, -71.225, -30.035, -29.930), 0.25, 1.0,
         "Urban Coquimbo: walking network derived from census 2024 block outlines"),
        (axes[1], ZOOM, 0.7, 1.6, "Zoom: Parte Alta (lon -71.33, lat -29.975)"),
    ]
    for ax, (x0, x1, y0, y1), lw, clw, title in views:
        blocks.plot(ax=ax, color="#eee3cf", edgecolor="#c8b48f", linewidth=0.15)
        streets.plot(ax=ax, color="#2b2b2b", linewidth=lw)
        conns.plot(ax=ax, color="#d6006f", linewidth=clw, linestyle=(0, (3, 2)))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)))
        ax.set_title(title, fontsize=11)
        ax.tick_params(labelsize=7)
    axes[0].add_patch(plt.Rectangle((ZOOM[0], ZOOM[2]), ZOOM[1] - ZOOM[0], ZOOM[3] - ZOOM[2],
                                    fill=False, edgecolor="#0072B2", linewidth=1.2))
    handles = [
        plt.Rectangle((0, 0), 1, 1, facecolor="#eee3cf", edgecolor="#c8b48f"),
        plt.Line2D([], [], color="#2b2b2b", linewidth=1.2),
        plt.Line2D([], [], color="#d6006f", linewidth=1.6, linestyle=(0, (3, 2))),
    ]
    labels = [
        "census 2024 blocks (INE)",
        "derived street centre line (gap between blocks)",
        f"connector across land without blocks (cost x {BlockNetworkParams().connector_detour})",
    ]
    axes[0].legend(handles, labels, loc="lower left", fontsize=8, framealpha=0.9)
    fig.text(0.01, 0.01, "No street layer: streets are modelled as the centre lines of the "
             "gaps between census blocks; connectors are straight guesses.", fontsize=8)
    fig.tight_layout()
    PNG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PNG, dpi=110)
    plt.close(fig)


def main() -> None:
    if not BLOCKS.is_file():
        sys.exit(f"census blocks not found: {BLOCKS}")
    params = BlockNetworkParams()
    print(f"block network from {BLOCKS.name} ({os.cpu_count()} cores)")
    print(f"    params: {params}")
    t0 = time.perf_counter()
    blocks = gpd.read_file(BLOCKS)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    derived = derive_block_network(blocks, params)
    t_derive = time.perf_counter() - t0
    s = derived.stats
    print(f"    read {len(blocks)} blocks                  {t_read:8.2f} s")
    print(f"    derive (cold, no cache)              {t_derive:8.2f} s   (target < 60 s)")
    print(f"    nodes {s['nodes']}, edges {s['edges']}, streets {s['total_km']:.1f} km")
    print(f"    pieces before connectors {s['components_before_connectors']}, connectors "
          f"{s['connectors']} ({s['connectors_km']:.2f} km), pieces after {s['components']}")
    urban = urban_mask(blocks)
    u = resident_figures(derived.network, blocks, mask=urban)
    print(f"    all blocks: {s['residents_total']} residents, largest piece "
          f"{s['residents_largest']} ({s['residents_largest_share']:.2%})")
    print(f"    urban Coquimbo ({int(urban.sum())} blocks in the municipal sectors): "
          f"{u['residents_total']} residents, largest piece {u['residents_largest']} "
          f"({u['residents_largest_share']:.2%}; target >= 97%)")
    before = s["residents_largest_share_before_connectors"]
    print(f"    largest piece before connectors: {before:.2%} of all residents")
    print("    pieces apart from the largest (after connectors):")
    for row in other_pieces(derived, blocks, urban):
        print(row)
    ratio, straight = detour_ratios(derived, blocks)
    p10, p50, p90 = np.percentile(ratio, [10, 50, 90])
    far = ratio[straight >= 1000]
    print(f"    detour ratio network/straight, {len(ratio)} random block pairs (seed {SEED}): "
          f"median {p50:.3f}, p10 {p10:.3f}, p90 {p90:.3f}")
    print(f"      pairs >= 1 km apart ({len(far)}): median {np.median(far):.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        load_block_network(BLOCKS, cache_dir=Path(tmp), params=params)
        t_first = time.perf_counter() - t0
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            load_block_network(BLOCKS, cache_dir=Path(tmp), params=params)
            times.append(time.perf_counter() - t0)
    print(f"    load_block_network: first call (read + derive + write) {t_first:6.2f} s, "
          f"from cache median {np.median(times) * 1000:.0f} ms")
    draw(derived, blocks)
    print(f"    picture: {PNG.relative_to(REPO)}")


class Tee(io.StringIO):
    """Prints as it goes and keeps a copy for the results file."""

    def __init__(self, out) -> None:
        super().__init__()
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text)
        self.out.flush()
        return super().write(text)


if __name__ == "__main__":
    tee = Tee(sys.stdout)
    with redirect_stdout(tee):
        main()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(tee.getvalue(), encoding="utf-8")
