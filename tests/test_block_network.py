"""The walking network derived from census-block outlines (geo.block_network).

Most tests use a SMALL SYNTHETIC FIXTURE, drawn in metres: a 4 x 4 grid of square blocks
80 m wide separated by 12 m streets, so the street centre lines are known by hand
(x or y = 86, 178, 270 m from the grid's corner). One test reads the real census 2024
blocks of the shared data folder; without that file it skips locally and fails in CI
(tests/support/needs.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components
from shapely.geometry import box

from geo import METRIC_CRS, WEB_CRS
from geo.block_network import (
    CONNECTOR,
    STREET,
    BlockNetworkParams,
    derive_block_network,
    load_block_network,
    resident_figures,
)
from geo.network import NetworkError, default_cache_dir
from tests.support.needs import require_outside_input

BLOCK = 80.0  # block side (m)
STREET_W = 12.0  # street width (m)
PITCH = BLOCK + STREET_W
GRID_W = 4 * BLOCK + 3 * STREET_W  # 356 m
ORIGIN = (275_000.0, 6_680_000.0)  # EPSG:32719, inside Coquimbo
CENTRE_LINES = [BLOCK + STREET_W / 2 + k * PITCH for k in range(3)]  # 86, 178, 270

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_BLOCKS = SHARED / "population" / "manzanas_censo2024_4102.geojson"
SECTORS = SHARED / "boundaries" / "sectores_municipales_4102.geojson"


def grid_blocks(x0: float = 0.0, n: int = 4, residents: int = 100) -> list[dict]:
    """Fixture rows: an n x n grid of square blocks whose lower-left corner is at x0, 0."""
    rows = []
    for i in range(n):
        for j in range(n):
            x, y = ORIGIN[0] + x0 + i * PITCH, ORIGIN[1] + j * PITCH
            rows.append({"id": f"{x0:.0f}-{i}-{j}", "n_per": residents,
                         "geometry": box(x, y, x + BLOCK, y + BLOCK)})
    return rows


def as_layer(rows: list[dict]) -> gpd.GeoDataFrame:
    """Written in EPSG:4326 like the real file, so the derivation's reprojection is used."""
    return gpd.GeoDataFrame(rows, crs=METRIC_CRS).to_crs(WEB_CRS)


def local(xy: np.ndarray) -> np.ndarray:
    return np.asarray(xy) - np.array(ORIGIN)


def walk(net, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Network walk between two fixture points (metres from the grid corner)."""
    pa = net.snap_edges(np.array([a]) + ORIGIN)
    pb = net.snap_edges(np.array([b]) + ORIGIN)
    return float(net.distances_snapped(pa, pb)[0, 0])


@pytest.fixture(scope="module")
def grid():
    return derive_block_network(as_layer(grid_blocks()))


def test_crossings_lie_on_the_street_centre_lines(grid):
    net = grid.network
    degree = np.diff(net.graph.indptr)
    crossings = local(net.xy[degree >= 3])
    expected = np.array([(x, y) for x in CENTRE_LINES for y in CENTRE_LINES])
    assert len(crossings) == 9  # 3 x 3 inner crossings, no others
    for e in expected:
        assert np.hypot(*(crossings - e).T).min() < 1.0
    # every street vertex lies on a centre line (within 1 m) or on a short stub past the grid
    xy = local(net.xy)
    on_line = np.min(np.abs(xy[:, :, None] - np.array(CENTRE_LINES)), axis=2).min(axis=1) < 1.0
    outside = (xy < 0).any(axis=1) | (xy > GRID_W).any(axis=1)
    assert (on_line | outside).all()


def test_grid_is_one_piece_without_connectors(grid):
    assert grid.stats["components"] == 1
    assert grid.stats["connectors"] == 0
    assert set(grid.lines["kind"]) == {STREET}
    assert grid.lines.crs == METRIC_CRS
    assert grid.stats["residents_total"] == 16 * 100
    assert grid.stats["residents_largest_share"] == 1.0
    # 6 inner streets of 356 m; each of the 12 street mouths ends within a couple of metres
    # of the grid's edge (the Voronoi ridge of the last two corners runs off to infinity)
    assert 6 * GRID_W - 12 * 2.0 <= grid.stats["total_km"] * 1000 <= 6 * GRID_W + 12 * 6.0


def test_edges_are_short_and_symmetric(grid):
    g = grid.network.graph
    assert (g != g.T).nnz == 0
    assert g.data.max() <= BlockNetworkParams().max_segment_m + 1e-6


def test_walks_follow_the_centre_lines_manhattan(grid):
    net = grid.network
    # points on centre lines: up x=86 from y=40 to the crossing (46), along y=86 to x=270
    # (184), up x=270 to y=316 (230): the Manhattan distance by hand, 460 m
    assert walk(net, (86.0, 40.0), (270.0, 316.0)) == pytest.approx(460.0, abs=2.0)
    # opposite corners of the central block (92, 92) and (172, 172), each moved 1 m along
    # its edge so that the nearest street is unique: (93, 92) is 6 m from y=86, (172, 171)
    # 6 m from x=178. Walk 6 m to (93, 86), 85 m along y=86 to the crossing (178, 86),
    # 85 m up x=178 to (178, 171), 6 m to the corner: 182 m
    assert walk(net, (93.0, 92.0), (172.0, 171.0)) == pytest.approx(182.0, abs=2.0)
    # across the grid, (81, 80) -> 6 m to (81, 86), along y=86 to x=270 (189 m), up x=270
    # to y=275 (189 m), 6 m to (276, 275): 390 m
    assert walk(net, (81.0, 80.0), (276.0, 275.0)) == pytest.approx(390.0, abs=3.0)


def two_grids(gap: float) -> gpd.GeoDataFrame:
    return as_layer(grid_blocks(0.0) + grid_blocks(GRID_W + gap, residents=50))


def node_gap(derived) -> float:
    """Shortest straight distance between nodes of the two grids (brute force)."""
    xy = local(derived.network.xy)
    west, east = xy[xy[:, 0] < GRID_W + 10], xy[xy[:, 0] >= GRID_W + 10]
    d = np.hypot(west[:, None, 0] - east[None, :, 0], west[:, None, 1] - east[None, :, 1])
    return float(d.min())


def test_two_grids_300_m_apart_are_bridged_by_one_connector():
    """Spanning forest only (connector_stretch = inf): exactly one bridge."""
    params = BlockNetworkParams(max_connector_m=500.0, connector_detour=1.5,
                                connector_stretch=float("inf"))
    derived = derive_block_network(two_grids(300.0), params)
    assert derived.stats["components_before_connectors"] == 2
    assert derived.stats["components"] == 1
    assert derived.stats["connectors"] == 1
    conn = derived.lines[derived.lines["kind"] == CONNECTOR]
    assert len(conn) == 1
    length = float(conn["length_m"].iloc[0])
    assert length == pytest.approx(conn.geometry.iloc[0].length)
    assert length == pytest.approx(node_gap(derived))  # the closest nodes of the two grids
    assert 300.0 - 2 * 6.0 <= length <= 300.0 + 2 * 2.0  # street ends near each grid's edge
    assert float(conn["cost_m"].iloc[0]) == pytest.approx(1.5 * length)
    assert connector_weight(derived, conn.geometry.iloc[0]) == pytest.approx(1.5 * length)
    assert derived.stats["connectors_km"] == pytest.approx(length / 1000, abs=1e-3)
    assert derived.stats["residents_largest_share"] == 1.0


def connector_weight(derived, line) -> float:
    """The graph weight between the two end nodes of a connector line."""
    a, b = shapely.get_coordinates(line)
    net = derived.network
    ia = int(np.argmin(np.hypot(*(net.xy - a).T)))
    ib = int(np.argmin(np.hypot(*(net.xy - b).T)))
    return float(net.graph[ia, ib])


def test_second_bridge_when_the_first_forces_a_long_detour():
    """Default stretch 2: no street runs along a grid's edge, so from the street mouth at
    y=270 the walk to grid B over the bridge at y=86 is 85 + 184 + 85 m on each side plus
    1.5 x 302 m = 1161 m, more than 2 x the 453 m a bridge there costs: a second bridge.
    The bridge at y=178 (mouth 92 m from y=86, same 250 m square) is not needed."""
    derived = derive_block_network(two_grids(300.0))
    conn = derived.lines[derived.lines["kind"] == CONNECTOR]
    ys = sorted(round(float(local(shapely.get_coordinates(g))[:, 1].mean())) for g in conn.geometry)
    assert ys == [86, 270]
    for line, length in zip(conn.geometry, conn["length_m"], strict=True):
        assert connector_weight(derived, line) == pytest.approx(1.5 * length)
    assert derived.stats["components"] == 1


def test_connector_threshold_is_inclusive():
    blocks = two_grids(300.0)
    apart = derive_block_network(blocks, BlockNetworkParams(max_connector_m=100.0))
    msf = {"connector_stretch": float("inf")}
    assert apart.stats["components"] == 2  # 300 m > 100 m: not bridged
    assert apart.stats["connectors"] == 0
    assert apart.stats["residents_largest_share"] == pytest.approx(1600 / 2400, abs=1e-4)
    gap = node_gap(apart)
    exact = derive_block_network(blocks, BlockNetworkParams(max_connector_m=gap, **msf))
    assert exact.stats["connectors"] == 1  # a gap exactly on the limit is bridged
    just_below = derive_block_network(blocks,
                                      BlockNetworkParams(max_connector_m=gap - 0.01, **msf))
    assert just_below.stats["connectors"] == 0


def test_gap_wider_than_the_limit_stays_apart():
    derived = derive_block_network(two_grids(700.0), BlockNetworkParams(max_connector_m=500.0))
    assert derived.stats["connectors"] == 0
    assert derived.stats["components"] == 2
    n, _ = connected_components(derived.network.graph, directed=False)
    assert n == 2


def test_three_pieces_in_a_row_get_two_connectors_not_three():
    rows = grid_blocks(0.0) + grid_blocks(GRID_W + 200) + grid_blocks(2 * (GRID_W + 200))
    derived = derive_block_network(as_layer(rows),
                                   BlockNetworkParams(connector_stretch=float("inf")))
    assert derived.stats["connectors"] == 2  # minimum spanning forest over the pieces
    assert derived.stats["components"] == 1


def test_touching_blocks_share_a_lot_line_not_a_street():
    # two blocks sharing an edge (x = 80) beside a third across a 12 m street
    rows = [
        {"n_per": 1, "geometry": box(*ORIGIN, ORIGIN[0] + 80, ORIGIN[1] + 80)},
        {"n_per": 1, "geometry": box(ORIGIN[0] + 80, ORIGIN[1], ORIGIN[0] + 160,
                                     ORIGIN[1] + 80)},
        {"n_per": 1, "geometry": box(ORIGIN[0], ORIGIN[1] + 92, ORIGIN[0] + 160,
                                     ORIGIN[1] + 172)},
    ]
    derived = derive_block_network(as_layer(rows))
    xy = local(derived.network.xy)
    assert np.abs(xy[:, 1] - 86.0).max() < 1.0  # only the street between the rows
    assert not ((np.abs(xy[:, 0] - 80.0) < 1.0) & (xy[:, 1] < 75.0)).any()


def test_cache_round_trip_and_errors(tmp_path):
    path = tmp_path / "blocks.geojson"
    as_layer(grid_blocks()).to_file(path, driver="GeoJSON")
    cache = tmp_path / "cache"
    first = load_block_network(path, cache_dir=cache)
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 2 and all(f.startswith("blocknet-blocks-") for f in files)
    t0 = time.perf_counter()
    again = load_block_network(path, cache_dir=cache)
    assert time.perf_counter() - t0 < 1.0
    assert again.stats == first.stats
    assert np.array_equal(again.network.xy, first.network.xy)
    assert (again.network.graph != first.network.graph).nnz == 0
    assert again.network.source_hash == first.network.source_hash != ""
    assert list(again.lines["kind"]) == list(first.lines["kind"])
    assert again.lines.geometry.geom_equals_exact(first.lines.geometry, 1e-9).all()
    # other parameters: another cache entry, never the old one
    load_block_network(path, cache_dir=cache, params=BlockNetworkParams(max_connector_m=450.0))
    assert len(list(cache.iterdir())) == 4
    # a damaged cache is derived again
    for f in cache.iterdir():
        f.write_bytes(b"not a zip")
    assert load_block_network(path, cache_dir=cache).stats == first.stats

    with pytest.raises(NetworkError, match="missing.geojson: census blocks file not found"):
        load_block_network(tmp_path / "missing.geojson", cache_dir=cache)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(NetworkError, match="bad.geojson: cannot be read"):
        load_block_network(bad, cache_dir=cache)
    one = tmp_path / "one.geojson"
    as_layer(grid_blocks(n=1)).to_file(one, driver="GeoJSON")
    with pytest.raises(NetworkError, match="one.geojson: .*at least two polygon blocks"):
        load_block_network(one, cache_dir=cache)


def test_invalid_params_are_refused():
    with pytest.raises(ValueError):
        BlockNetworkParams(sample_m=0)
    with pytest.raises(ValueError):
        BlockNetworkParams(connector_detour=0.9)
    with pytest.raises(ValueError):
        BlockNetworkParams(stub_clearance_m=50.0, max_clearance_m=40.0)
    with pytest.raises(ValueError):
        BlockNetworkParams(connector_stretch=0.0)
    assert BlockNetworkParams(connector_stretch=float("inf")).connector_stretch == float("inf")


def urban_mask(blocks: gpd.GeoDataFrame) -> np.ndarray:
    """Blocks of urban Coquimbo: representative point inside a municipal urban sector."""
    sectors = gpd.read_file(SECTORS).to_crs(METRIC_CRS)
    pts = blocks.to_crs(METRIC_CRS).geometry.representative_point()
    return shapely.STRtree(sectors.geometry.values).query(pts.values, predicate="within")[0]


def test_real_census_blocks_make_one_walkable_city():
    """Cached after the first run (repo cache folder); deriving takes well under 60 s."""
    require_outside_input(REAL_BLOCKS.is_file(), f"the shared census blocks ({REAL_BLOCKS})",
                          "put the shared data folder beside the repository (../shared/data)")
    t0 = time.perf_counter()
    derived = load_block_network(REAL_BLOCKS, cache_dir=default_cache_dir())
    assert time.perf_counter() - t0 < 60.0
    stats = derived.stats
    assert stats["connectors"] > 0
    assert stats["residents_total"] == 242_608
    blocks = gpd.read_file(REAL_BLOCKS)
    if SECTORS.is_file():
        mask = np.zeros(len(blocks), dtype=bool)
        mask[urban_mask(blocks)] = True
        urban = resident_figures(derived.network, blocks, mask=mask)
        assert urban["residents_largest_share"] >= 0.97
    net = derived.network
    pts = shapely.get_coordinates(
        blocks.to_crs(METRIC_CRS).geometry.representative_point().values
    )
    labels = connected_components(net.graph, directed=False)[1]
    snap = net.snap_edges(pts)
    big = labels[snap.u] == np.bincount(labels[snap.u]).argmax()
    rng = np.random.default_rng(7)
    idx = np.flatnonzero(big)
    a, b = rng.choice(idx, 150), rng.choice(idx, 150)
    keep = a != b
    a, b = a[keep], b[keep]
    d = net.distances_snapped(snap.take(a), snap.take(b))[np.arange(len(a)), np.arange(len(a))]
    straight = np.hypot(*(pts[a] - pts[b]).T)
    ratio = d / straight
    assert np.isfinite(ratio).all()
    assert 1.0 < float(np.median(ratio)) < 2.0
