"""The walking network: built from OSM XML through osmnx, measured in metres, cached."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geo import network as netmod
from geo.network import (
    MAX_SEGMENT_M,
    NetworkError,
    csr_from_edges,
    load_network,
)
from tests.support.data import FIXTURE_OSM
from tests.support.network import ORIGIN, direct_network, load, write_osm

# A "U": up the west side, across the top, down the east side; no street across the bottom.
U_NODES = {1: (0.0, 0.0), 2: (0.0, 500.0), 3: (200.0, 500.0), 4: (200.0, 0.0)}
U_WAYS = [[1, 2, 3, 4]]


def node_index(net, osm_id: int) -> int:
    return int(np.flatnonzero(net.node_ids == osm_id)[0])


def test_edge_lengths_are_metres_along_the_streets(tmp_path):
    net = load(tmp_path, U_NODES, U_WAYS)
    d = dijkstra(net.graph, indices=[node_index(net, 1)])[0]
    assert d[node_index(net, 2)] == pytest.approx(500.0, abs=0.05)
    assert d[node_index(net, 3)] == pytest.approx(700.0, abs=0.05)
    assert d[node_index(net, 4)] == pytest.approx(1200.0, abs=0.05)  # straight line: 200 m
    assert net.graph.sum() / 2 == pytest.approx(1200.0, abs=0.05)  # total street length
    # long edges are split into <= 50 m pieces so snapping stays honest: 1200 / 50 = 24 pieces
    assert net.n_nodes == 25
    assert net.graph.data.max() <= MAX_SEGMENT_M + 1e-3
    assert (net.graph != net.graph.T).nnz == 0  # walking is two-way


def test_only_the_largest_connected_piece_is_kept(tmp_path):
    nodes = {**U_NODES, 10: (2000.0, 0.0), 11: (2040.0, 0.0)}
    net = load(tmp_path, nodes, [*U_WAYS, [10, 11]])
    assert 10 not in net.node_ids and 11 not in net.node_ids
    assert {1, 2, 3, 4} <= set(net.node_ids.tolist())


def test_snap_gives_nearest_node_and_straight_distance(tmp_path):
    net = load(tmp_path, U_NODES, U_WAYS)
    # these three points lie level with a node (after the 50 m splitting), so the walk to
    # the nearest segment ends exactly on that node: the node form gives the same answers

    pts = np.array([[0.0, -30.0], [230.0, 500.0], [100.0, 540.0]]) + ORIGIN
    idx, dist = net.snap(pts)
    assert net.node_ids[idx[0]] == 1 and dist[0] == pytest.approx(30.0, abs=0.05)
    assert net.node_ids[idx[1]] == 3 and dist[1] == pytest.approx(30.0, abs=0.05)
    assert dist[2] == pytest.approx(40.0, abs=0.05)  # mid-street node added by splitting
    with pytest.raises(ValueError, match="finite"):
        net.snap(np.array([[np.nan, 0.0]]))


def test_the_node_form_of_a_snap_takes_the_nearer_end_and_the_first_on_a_tie():
    """On one 100 m segment (no splitting here): 30 m along -> its first end, 30 m; 70 m
    along -> the second end, 30 m; exactly half-way -> the first end, 50 m; the walk onto
    the street (20 m) is added."""
    net = direct_network({1: (0.0, 0.0), 2: (100.0, 0.0)}, [(1, 2)])
    pts = np.array([[30.0, 20.0], [70.0, 20.0], [50.0, 0.0]]) + ORIGIN
    idx, dist = net.snap(pts)
    assert [int(net.node_ids[i]) for i in idx] == [1, 2, 1]
    assert dist.tolist() == pytest.approx([50.0, 50.0, 50.0])
    idx, dist = net.snap(np.array([30.0, 0.0]) + ORIGIN)  # one point, any shape of input
    assert int(net.node_ids[idx[0]]) == 1 and dist[0] == pytest.approx(30.0)


def test_the_default_cache_folder_is_the_settings_one_else_the_repository_cache(monkeypatch,
                                                                               tmp_path):
    monkeypatch.setenv("CULTURAMAP_CACHE_DIR", str(tmp_path / "mine"))
    assert netmod.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CULTURAMAP_CACHE_DIR")
    assert netmod.default_cache_dir() == netmod.REPO_DIR / "cache"
    monkeypatch.setenv("CULTURAMAP_CACHE_DIR", "")
    assert netmod.default_cache_dir() == netmod.REPO_DIR / "cache"


def test_nearest_source_adds_each_source_offset(tmp_path):
    net = load(tmp_path, U_NODES, U_WAYS)
    a, b = node_index(net, 1), node_index(net, 4)
    dist, src = net.nearest_source([a, b], np.array([100.0, 0.0]))
    assert dist[a] == pytest.approx(100.0) and src[a] == 0  # its own node, via its offset
    top_left = node_index(net, 2)
    # from a: 100 + 500 = 600; from b: 0 + 200 + 500 = 700 -> a wins
    assert dist[top_left] == pytest.approx(600.0, abs=0.05) and src[top_left] == 0
    assert dist[node_index(net, 3)] == pytest.approx(500.0, abs=0.05)
    assert src[node_index(net, 3)] == 1
    # distances_from keeps sources apart and honours the limit
    full = net.distances_from([a, b], np.array([100.0, 0.0]))
    assert full[0, b] == pytest.approx(1300.0, abs=0.05)
    cut = net.distances_from([a], np.array([100.0]), limit=650.0)
    assert np.isinf(cut[0, b]) and cut[0, top_left] == pytest.approx(600.0, abs=0.05)


def test_parallel_edges_keep_the_shortest():
    g = csr_from_edges(3, np.array([0, 0, 1, 2]), np.array([1, 1, 2, 2]), np.array([5, 3, 4, 9]))
    assert g[0, 1] == 3 and g[1, 0] == 3 and g[1, 2] == 4 and g[2, 2] == 0
    assert g.nnz == 4  # the loop at 2 is dropped


def test_cache_is_written_reused_and_rebuilt_when_the_file_changes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    osm = write_osm(tmp_path / "streets.osm", U_NODES, U_WAYS)
    first = load_network(osm, cache_dir=cache, memo=False)
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 1 and not list(cache.glob(".walknet-*"))  # no temp file left

    def no_build(*_a, **_k):
        raise AssertionError("rebuilt although the cache was valid")

    monkeypatch.setattr(netmod, "build_network", no_build)
    again = load_network(osm, cache_dir=cache, memo=False)
    # named by the file and the first 16 hex digits of its SHA-256; read back with its source
    digest = netmod.file_digest(osm)
    assert files[0].name == f"walknet-streets-{digest[:16]}-v{netmod.CACHE_FORMAT}.npz"
    assert (again.source, again.source_hash) == (first.source, digest) == (str(osm), digest)
    assert np.array_equal(again.node_ids, first.node_ids)
    assert np.allclose(again.xy, first.xy)
    assert (again.graph != first.graph).nnz == 0
    monkeypatch.undo()

    write_osm(osm, {**U_NODES, 5: (0.0, 1000.0)}, [*U_WAYS, [2, 5]])
    changed = load_network(osm, cache_dir=cache, memo=False)
    assert len(sorted(cache.glob("*.npz"))) == 2
    assert changed.graph.sum() / 2 == pytest.approx(1700.0, abs=0.05)


def test_cache_write_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    net = load(tmp_path, U_NODES, U_WAYS)
    target = tmp_path / "c2" / "walknet.npz"

    def broken(fh, **_arrays):
        fh.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(netmod.np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        netmod.save_cache(net, target)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_damaged_cache_is_rebuilt(tmp_path):
    osm = write_osm(tmp_path / "streets.osm", U_NODES, U_WAYS)
    cache = tmp_path / "cache"
    load_network(osm, cache_dir=cache, memo=False)
    (path,) = cache.glob("*.npz")
    path.write_bytes(b"not a zip")
    net = load_network(osm, cache_dir=cache, memo=False)
    assert net.graph.sum() / 2 == pytest.approx(1200.0, abs=0.05)
    assert netmod.read_cache(path).n_nodes == net.n_nodes  # rewritten whole


def test_missing_and_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(NetworkError) as info:
        load_network(tmp_path / "nowhere.osm", cache_dir=tmp_path)
    assert str(info.value) == f"{tmp_path / 'nowhere.osm'}: OpenStreetMap file not found"
    with pytest.raises(NetworkError) as info:
        netmod.build_network(tmp_path / "nowhere.osm")
    assert str(info.value) == f"{tmp_path / 'nowhere.osm'}: OpenStreetMap file not found"
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(NetworkError) as info:
        load_network(bad, cache_dir=tmp_path)
    assert str(info.value).startswith(f"{bad}: cannot be read as OpenStreetMap XML (")


def test_shipped_network_matches_osmnx_great_circle_lengths():
    """The metric lengths agree with osmnx's own great-circle 'length' (no degrees)."""
    import osmnx as ox

    net = load_network(FIXTURE_OSM)
    g = ox.graph_from_xml(FIXTURE_OSM, bidirectional=True, simplify=False)
    osmnx_total = sum(d["length"] for _u, _v, d in g.edges(data=True)) / 2
    assert net.graph.sum() / 2 == pytest.approx(osmnx_total, rel=0.002)
    assert net.n_nodes > g.number_of_nodes()  # long segments were split
    n_comp = __import__("scipy.sparse.csgraph", fromlist=["x"]).connected_components(net.graph)[0]
    assert n_comp == 1
    lon, lat = net.to_lonlat(net.xy).T
    assert ((lon > -71.5) & (lon < -71.2) & (lat > -30.1) & (lat < -29.9)).all()


# One 400 m street as ONE segment (no 50 m splitting): P(0,0) -- Q(400,0), plus a side
# street Q -- R(400,300) so the network is not a single segment.
LONG = {1: (0.0, 0.0), 2: (400.0, 0.0), 3: (400.0, 300.0)}
LONG_EDGES = [(1, 2), (2, 3)]


def test_snap_edges_projects_onto_the_nearest_segment():
    net = direct_network(LONG, LONG_EDGES)
    s = net.snap_edges(np.array([[150.0, 5.0], [420.0, 100.0], [-30.0, -40.0]]) + ORIGIN)
    first = s.take(np.array([0]))
    assert {int(net.node_ids[first.u[0]]), int(net.node_ids[first.v[0]])} == {1, 2}
    # perpendicular 5 m; along the street 150 m to P and 250 m to Q
    assert first.snap_m[0] == pytest.approx(5.0)
    ends = dict(zip(net.node_ids[first.ends[0]].tolist(), first.end_offsets[0], strict=True))
    assert ends[1] == pytest.approx(5 + 150) and ends[2] == pytest.approx(5 + 250)
    assert np.allclose(s.xy[0] - ORIGIN, [150.0, 0.0])
    # (420, 100) is 20 m east of the side street, 100 m up it
    assert s.snap_m[1] == pytest.approx(20.0)
    assert set(net.node_ids[[s.u[1], s.v[1]]].tolist()) == {2, 3}
    # beyond the end of P: the foot is P itself, snap = straight 50 m (30-40-50 triangle)
    assert s.snap_m[2] == pytest.approx(50.0) and np.allclose(s.xy[2] - ORIGIN, [0, 0])
    # node form: the nearer end and the walk to it (5 + 150), not the straight 150.08 m
    node, walk = net.snap(np.array([[150.0, 5.0]]) + ORIGIN)
    assert net.node_ids[node[0]] == 1 and walk[0] == pytest.approx(155.0)
    with pytest.raises(ValueError, match="finite"):
        net.snap_edges(np.array([[np.inf, 0.0]]))


def test_snap_edges_breaks_ties_by_the_lowest_segment_index():
    # an L: both arms meet at (0, 0); (-10, 10) is exactly 10 m from each of them
    net = direct_network({1: (-100.0, 0.0), 2: (0.0, 0.0), 3: (0.0, 100.0)}, [(1, 2), (2, 3)])
    pts = np.array([[-10.0, 10.0]] * 3) + ORIGIN  # 10 m from both arms
    s = net.snap_edges(pts)
    assert (s.edge == 0).all() and s.snap_m == pytest.approx([10.0] * 3)


def test_mid_street_point_walks_along_the_street_not_via_the_nearest_node():
    net = direct_network(LONG, LONG_EDGES)
    # 5 m off the middle of the 400 m street, venue at P: 5 m to the street + 200 m along it.
    # (Node snapping would say 200.06 m: the straight line to P, since P is the nearest node.)
    venue = net.snap_edges(np.array([[0.0, 0.0]]) + ORIGIN)
    home = net.snap_edges(np.array([[200.0, 5.0]]) + ORIGIN)
    dist, src = net.nearest_snapped(venue, home)
    assert dist[0] == pytest.approx(205.0) and src[0] == 0
    assert net.distances_snapped(venue, home)[0, 0] == pytest.approx(205.0)
    # venue up the side street at (390, 200): 10 m snap + 100 m down + 200 m along + 5 m
    far = net.snap_edges(np.array([[390.0, 100.0]]) + ORIGIN)
    assert net.nearest_snapped(far, home)[0][0] == pytest.approx(10 + 100 + 200 + 5)


def test_point_and_source_on_the_same_segment_walk_straight_along_it():
    net = direct_network(LONG, LONG_EDGES)
    # venue 10 m north of x=100, home 5 m south of x=300, both on P--Q:
    # 10 + (300 - 100) + 5 = 215 m; via either end it would be 415 m
    venue = net.snap_edges(np.array([[100.0, 10.0]]) + ORIGIN)
    home = net.snap_edges(np.array([[300.0, -5.0], [500.0, 100.0]]) + ORIGIN)
    dist, src = net.nearest_snapped(venue, home)
    assert dist[0] == pytest.approx(215.0) and src[0] == 0
    # the second home is on the side street: 10 + 300 (to Q) + 100 (up) + 100 (snap) = 510
    assert dist[1] == pytest.approx(510.0)
    full = net.distances_snapped(venue, home)
    assert full[0] == pytest.approx([215.0, 510.0])
    # with a limit: pairs within it stay exact, the far one may be cut
    cut = net.distances_snapped(venue, home, limit=300.0)
    assert cut[0, 0] == pytest.approx(215.0) and np.isinf(cut[0, 1])


def test_big_batches_snap_in_chunks_like_one_query(monkeypatch):
    """The chunked, threaded path answers exactly as one query does (indices offset right)."""
    net = direct_network(LONG, LONG_EDGES)
    rng = np.random.default_rng(3)
    pts = rng.uniform(-50, 450, (1000, 2)) + ORIGIN
    whole = net.snap_edges(pts)
    monkeypatch.setattr(netmod, "SNAP_CHUNK", 64)
    chunked = net.snap_edges(pts)
    assert np.array_equal(whole.edge, chunked.edge)
    assert np.allclose(whole.snap_m, chunked.snap_m) and np.allclose(whole.to_u, chunked.to_u)
    assert (whole.edge == 1).any() and (whole.edge == 0).any()  # both streets were hit


def test_the_block_model_walks_the_streets_drawn_from_the_census_blocks(tmp_path):
    """travel_model = blocks: the walking network derived from the fixture's block outlines,
    at the settings' speed, named "blocks", with its lines in EPSG:4326 for the map; the
    cache folder is made if missing. Walks along it are at the given speed."""
    from geo import WEB_CRS
    from geo.settings import Settings
    from geo.travel import load_block_model
    from tests.support.data import FIXTURE_DATA_DIR

    cache = tmp_path / "new" / "cache"
    model = load_block_model(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=cache,
                                      walking_speed_kmh=3.0))
    assert cache.is_dir() and any(cache.iterdir())
    assert model.name == "blocks" and model.walking_speed_kmh == 3.0
    lines = model.lines()
    assert lines.crs == WEB_CRS and list(lines.columns) == ["kind", "geometry"]
    assert len(lines) > 0 and model.network.n_nodes > 1
    # drawn as derived: the fixture's blocks need straight connectors, shown as such
    assert set(lines["kind"]) == {"street", "connector"}
    u, v = model.network.edge_u[0], model.network.edge_v[0]  # the two ends of a street
    a, b = model.snap(model.network.xy[[u]]), model.snap(model.network.xy[[v]])
    length = float(np.hypot(*(model.network.xy[u] - model.network.xy[v])))
    assert model.minutes(a, b)[0, 0] == pytest.approx(length / 50.0)  # 3 km/h = 50 m/min


def test_network_lines_draw_each_segment_between_its_two_ends():
    """The map's drawing of a network without a nicer one: one two-point line per segment,
    from its first end to its second, in EPSG:4326."""
    import geopandas as gpd

    from geo import METRIC_CRS, WEB_CRS
    from geo.travel import network_lines

    net = direct_network({1: (0.0, 0.0), 2: (300.0, 0.0), 3: (300.0, 400.0)}, [(1, 2), (2, 3)])
    lines = network_lines(net, kind="footway")
    assert lines.crs == WEB_CRS and lines["kind"].tolist() == ["footway"] * len(lines)
    assert network_lines(net)["kind"].tolist() == ["street", "street"]
    three = direct_network({1: (0.0, 0.0), 2: (300.0, 0.0), 3: (300.0, 400.0),
                            4: (0.0, 400.0)}, [(1, 2), (2, 3), (3, 4)])
    assert len(network_lines(three)) == 3
    back = gpd.GeoSeries(lines.geometry, crs=WEB_CRS).to_crs(METRIC_CRS)
    for line, u, v in zip(back, net.edge_u, net.edge_v, strict=True):
        coords = np.asarray(line.coords)
        assert coords.shape == (2, 2)
        assert coords == pytest.approx(np.stack([net.xy[u], net.xy[v]]), abs=1e-6)
    assert sorted(round(line.length) for line in back) == [300, 400]


def test_the_settings_pick_the_osm_model_and_its_file(tmp_path):
    """auto with an OSM file in data/network/ (a folder named like one is ignored) gives the
    "osm" model drawn from that file, its network cached in a cache folder made on the way;
    auto without one gives the blocks; osm asked for without a file names the folder."""
    import shutil

    from geo.settings import Settings
    from geo.travel import chosen_model, load_travel_model, osm_file
    from tests.support.data import FIXTURE_DATA_DIR

    data = tmp_path / "data"
    (data / "network" / "a.osm").mkdir(parents=True)  # a folder, not a file
    assert osm_file(data) is None
    assert chosen_model(Settings(data_dir=data, cache_dir=tmp_path / "c")) == "blocks"
    with pytest.raises(NetworkError) as info:
        load_travel_model(Settings(data_dir=data, cache_dir=tmp_path / "c", travel_model="osm"))
    assert str(info.value) == (f"{data / 'network'}: no OpenStreetMap file (.osm) found; "
                               'add one or set travel_model = "blocks"')
    shutil.copy(FIXTURE_OSM, data / "network" / "b.osm")
    assert osm_file(data) == data / "network" / "b.osm"
    cache = tmp_path / "deep" / "cache"
    settings = Settings(data_dir=data, cache_dir=cache, walking_speed_kmh=4.5)
    assert chosen_model(settings) == "osm"
    model = load_travel_model(settings)
    assert model.name == "osm" and model.walking_speed_kmh == 4.5
    assert cache.is_dir() and any(cache.iterdir())
    lines = model.lines()
    assert len(lines) > 0 and set(lines["kind"]) <= {
        "primary", "secondary", "tertiary", "residential", "footway", "path", "pedestrian",
        "other"}
    assert list(lines.columns) == ["kind", "geometry"]
    blocks = load_travel_model(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=cache,
                                        travel_model="blocks"))
    assert blocks.name == "blocks"


def test_osm_lines_for_the_map_keep_streets_and_call_the_rest_other(tmp_path):
    """A service road is drawn as "other", a residential street as itself; lines without a
    highway tag (a river) are not streets; the lines come numbered from 0, in EPSG:4326."""
    from geo import WEB_CRS
    from geo.travel import read_osm_lines

    path = tmp_path / "mixed.osm"
    write_osm(path, {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0)}, [[1, 2]],
              highway="service")
    text = path.read_text("utf-8").replace(
        "</osm>", '  <way id="7" version="1"><nd ref="2"/><nd ref="3"/>'
                  '<tag k="highway" v="residential"/></way>\n'
                  '  <way id="8" version="1"><nd ref="1"/><nd ref="3"/>'
                  '<tag k="waterway" v="river"/></way>\n</osm>')
    path.write_text(text, encoding="utf-8")
    lines = read_osm_lines(path)
    assert lines["kind"].tolist() == ["other", "residential"]
    assert lines.index.tolist() == [0, 1] and list(lines.columns) == ["kind", "geometry"]
    assert lines.crs == WEB_CRS


def test_a_walking_speed_given_as_text_is_read_as_km_per_hour():
    """A speed from a form or a settings file ("4,5", the Chilean decimal comma) is a number
    of km/h once in the model: 75 m a minute; an impossible speed is refused."""
    from geo.travel import NetworkTravelModel

    net = direct_network({1: (0.0, 0.0), 2: (300.0, 0.0)}, [(1, 2)])
    model = NetworkTravelModel(net, "4,5")
    assert model.walking_speed_kmh == 4.5 and model.metres_per_min == 75.0
    with pytest.raises(ValueError, match="positive walking speed"):
        NetworkTravelModel(net, 0)


def test_the_cache_folder_is_made_when_possible_and_its_absence_only_slows(tmp_path):
    """The network cache folder is created with its parents, an existing one is fine, and a
    place where no folder can be made (under a file) is handed back without an error: the
    model then loads without a cache."""
    from geo.settings import Settings
    from geo.travel import _usable, load_travel_model

    deep = tmp_path / "a" / "b" / "cache"
    assert _usable(deep) == deep and deep.is_dir()
    assert _usable(deep) == deep and deep.is_dir()  # already there
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    assert _usable(blocker / "cache") == blocker / "cache"
    data = tmp_path / "data"
    (data / "network").mkdir(parents=True)
    write_osm(data / "network" / "s.osm", {1: (0.0, 0.0), 2: (100.0, 0.0)}, [[1, 2]])
    model = load_travel_model(Settings(data_dir=data, cache_dir=blocker / "cache"))
    assert model.name == "osm" and model.network.n_nodes == 3  # 100 m split every 50 m


def _osm_with_ways(path, nodes, ways):
    """An OSM XML file of ``nodes`` (id -> (x, y) metres) and ``ways`` (node ids, tags)."""
    from tests.support.network import lonlat

    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (x, y) in nodes.items():
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{nid}" lat="{lat:.9f}" lon="{lon:.9f}" version="1"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        nds = "".join(f'<nd ref="{n}"/>' for n in refs)
        kv = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'  <way id="{wid}" version="1">{nds}{kv}</way>')
    path.write_text("\n".join([*lines, "</osm>"]) + "\n", encoding="utf-8")
    return path


def test_only_walkable_ways_become_streets(tmp_path):
    """An extract holds more than streets: a river, a building outline, a motorway, a
    private drive, a way with foot=no, a cycleway and a street whose sidewalks are mapped
    apart. Only the residential street (0, 0)-(100, 0) and the footway (100, 0)-(100, 40)
    are walked (osmnx's walk filter): their 3 nodes and the one splitting the 100 m street
    at 50 m (id -1: not an OSM id), 140 m in all, whatever else the file draws."""
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (100.0, 40.0), 4: (0.0, 30.0),
             5: (60.0, 30.0), 6: (60.0, 60.0), 7: (0.0, 60.0)}
    ways = [([1, 2], {"highway": "residential"}),
            ([2, 3], {"highway": "footway"}),
            ([4, 5], {"waterway": "river"}),
            ([4, 5, 6, 7, 4], {"building": "yes"}),
            ([1, 4], {"highway": "motorway"}),
            ([2, 5], {"highway": "service", "access": "private"}),
            ([3, 6], {"highway": "residential", "foot": "no"}),
            ([5, 6], {"highway": "cycleway"}),
            ([6, 7], {"highway": "primary", "sidewalk": "separate"})]
    # far away, a river longer (in nodes) than all the streets: the filter comes first, so
    # the largest piece is taken among the walkable ways, not among all of them
    nodes.update({100 + i: (2000.0 + 30.0 * i, 0.0) for i in range(12)})
    ways.append(([100 + i for i in range(12)], {"waterway": "river"}))
    import osmnx as ox

    kept = list(ox.settings.useful_tags_way)
    net = load_network(_osm_with_ways(tmp_path / "mixed.osm", nodes, ways),
                       cache_dir=tmp_path / "c", memo=False)
    assert ox.settings.useful_tags_way == kept  # osmnx's setting put back
    assert sorted(int(i) for i in net.node_ids) == [-1, 1, 2, 3]
    assert float(net.edge_len.sum()) == pytest.approx(140.0, abs=0.01)
    only_river = _osm_with_ways(tmp_path / "river.osm", nodes, [ways[2], ways[3], ways[-1]])
    with pytest.raises(NetworkError) as info:
        load_network(only_river, cache_dir=tmp_path / "c", memo=False)
    assert str(info.value) == f"{only_river}: no walkable streets (highway ways) in the file"


def test_what_osm_ways_are_walked_by_their_tags():
    """The rule of tests above, tag by tag: a highway tag is needed; any excluded value
    (searched as in Overpass, so "motorway_link" is out with "motor") removes it."""
    from geo.network import is_walkable

    assert is_walkable({"highway": "residential"}) and is_walkable({"highway": "steps"})
    assert is_walkable({"highway": "service", "access": "yes", "foot": "yes"})
    for tags in ({}, {"waterway": "river"}, {"highway": "motorway_link"},
                 {"highway": "construction"}, {"highway": "pedestrian", "area": "yes"},
                 {"highway": "track", "access": "private"}, {"highway": "path", "foot": "no"},
                 {"highway": "service", "service": "private"},
                 {"highway": "primary", "sidewalk:left": "separate"}):
        assert not is_walkable(tags), tags


def test_a_network_names_its_source_in_every_error_and_keeps_it():
    """Arrays that do not match or no node at all are refused with the network's source in
    the message ("network" when it has none); a single node is a (tiny) network; the
    source and its hash are kept as given, empty by default."""
    import scipy.sparse as sp

    from geo.network import WalkNetwork

    ids, xy = np.array([7, 8]), np.zeros((2, 2))
    with pytest.raises(NetworkError) as info:
        WalkNetwork(ids, np.zeros((3, 2)), sp.csr_matrix((2, 2)))
    assert str(info.value) == "network: inconsistent node/edge arrays"
    with pytest.raises(NetworkError) as info:
        WalkNetwork(ids, xy, sp.csr_matrix((3, 3)), source="calles.osm")
    assert str(info.value) == "calles.osm: inconsistent node/edge arrays"
    with pytest.raises(NetworkError) as info:
        WalkNetwork(np.array([], dtype=np.int64), np.zeros((0, 2)), sp.csr_matrix((0, 0)))
    assert str(info.value) == "network: the network has no nodes"
    one = WalkNetwork(np.array([7]), np.zeros((1, 2)), sp.csr_matrix((1, 1)))
    assert one.n_nodes == 1 and len(one.edge_u) == 0
    assert (one.source, one.source_hash) == ("", "")
    named = WalkNetwork(ids, xy, csr_from_edges(2, [0], [1], [5.0]), "a.osm", "abc")
    assert (named.source, named.source_hash) == ("a.osm", "abc")
    with pytest.raises(NetworkError) as info:
        one.snap_edges(np.zeros((1, 2)))
    assert str(info.value) == "network: the network has no street segments"


def test_a_graph_keeps_every_node_even_the_last_ones_without_streets():
    """csr_from_edges is n x n even when the highest-numbered nodes have no edge."""
    g = csr_from_edges(4, np.array([0]), np.array([1]), np.array([5.0]))
    assert g.shape == (4, 4) and g[0, 1] == g[1, 0] == 5.0


def test_a_network_is_read_once_per_process_and_cached_where_the_settings_say(
        tmp_path, monkeypatch):
    """Loaded twice, the same network object comes back (memory); without a cache folder
    the .npz goes to CULTURAMAP_CACHE_DIR."""
    monkeypatch.setenv("CULTURAMAP_CACHE_DIR", str(tmp_path / "env-cache"))
    osm = write_osm(tmp_path / "memo.osm", U_NODES, U_WAYS)
    first = load_network(osm)
    assert load_network(osm) is first
    assert len(list((tmp_path / "env-cache").glob("walknet-memo-*.npz"))) == 1


def test_sources_are_checked_before_any_search():
    """Every way a list of sources can be wrong is refused with its own message: none, an
    index below 0 or at the node count (the last node, count - 1, is fine), offsets that are
    not one per source, negative or infinite; no offsets means 0 m."""
    net = direct_network({1: (0.0, 0.0), 2: (100.0, 0.0), 3: (100.0, 50.0)},
                         [(1, 2), (2, 3)])
    last = net.n_nodes - 1
    cases = [(([], None), "at least one source node is needed"),
             (([-1], None), "source node index outside the network"),
             (([net.n_nodes], None), "source node index outside the network"),
             (([0, last], np.array([1.0, 2.0, 3.0])),
              "source offsets must be finite, non-negative and one per source"),
             (([0], np.array([-0.5])),
              "source offsets must be finite, non-negative and one per source"),
             (([0], np.array([np.inf])),
              "source offsets must be finite, non-negative and one per source")]
    for (nodes, offsets), message in cases:
        with pytest.raises(ValueError) as info:
            net.distances_from(nodes, offsets)
        assert str(info.value) == message, (nodes, offsets)
    d = net.distances_from([0, last])  # no offsets: each source starts at its node
    assert d[0].tolist() == pytest.approx([0.0, 100.0, 150.0])
    assert d[1].tolist() == pytest.approx([150.0, 50.0, 0.0])
    dist, src = net.nearest_source([last])
    assert dist.tolist() == pytest.approx([150.0, 50.0, 0.0]) and src.tolist() == [0, 0, 0]


def test_a_point_past_a_dead_end_walks_to_the_end_node():
    """Beyond the end of a dead-end street the nearest point of the street is its end: the
    snap is the straight 30 m to it and the whole street lies on one side. Non-finite
    coordinates are refused by name."""
    net = direct_network({1: (0.0, 0.0), 2: (100.0, 0.0)}, [(1, 2)])
    snap = net.snap_edges(np.array([[130.0, 0.0], [-40.0, 0.0]]) + ORIGIN)
    assert snap.snap_m.tolist() == pytest.approx([30.0, 40.0])
    assert snap.to_u.tolist() == pytest.approx([100.0, 0.0])
    assert snap.to_v.tolist() == pytest.approx([0.0, 100.0])
    assert len(net.snap_edges(np.empty((0, 2)))) == 0
    with pytest.raises(ValueError) as info:
        net.snap_edges(np.array([[np.inf, 0.0]]))
    assert str(info.value) == "snap: coordinates must be finite numbers (EPSG:32719 metres)"


def test_the_nearest_of_several_sources_on_a_target_s_own_street_and_beyond_its_ends():
    """Street -100 .. 0 .. 100 .. 200 (nodes 0-3). Sources at x = 10 and x = 80 on the
    target's own segment (0-100): the target at x = 60 walks straight to the one at 80
    (20 m, index 1), not to the first listed. Sources at x = -90 and x = 190, target at
    x = 20: 90 + 20 = 110 m via the first end beats 90 + 80 = 170 m via the second (index 0).
    A target on a street of its own (not connected) has no source: inf and -1."""
    nodes = {0: (-100.0, 0.0), 1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0),
             8: (0.0, 500.0), 9: (100.0, 500.0)}
    net = direct_network(nodes, [(0, 1), (1, 2), (2, 3), (8, 9)])

    def snap(*xs, y=0.0):
        return net.snap_edges(np.array([[x, y] for x in xs]) + ORIGIN)

    dist, src = net.nearest_snapped(snap(10.0, 80.0), snap(60.0))
    assert dist.tolist() == pytest.approx([20.0]) and src.tolist() == [1]
    dist, src = net.nearest_snapped(snap(80.0), snap(60.0, 30.0))  # both straight along
    assert dist.tolist() == pytest.approx([20.0, 50.0]) and src.tolist() == [0, 0]
    dist, src = net.nearest_snapped(snap(-90.0, 190.0), snap(20.0, 150.0))
    assert dist.tolist() == pytest.approx([110.0, 40.0]) and src.tolist() == [0, 1]
    dist, src = net.nearest_snapped(snap(10.0), snap(50.0, y=500.0))
    assert np.isinf(dist[0]) and src.tolist() == [-1]


def test_a_cache_of_another_format_is_named_and_rebuilt(tmp_path, monkeypatch):
    net = load(tmp_path, U_NODES, U_WAYS)
    old = tmp_path / "old.npz"
    monkeypatch.setattr(netmod, "CACHE_FORMAT", 3)
    netmod.save_cache(net, old)
    monkeypatch.undo()
    with pytest.raises(NetworkError) as info:
        netmod.read_cache(old)
    assert str(info.value) == f"{old}: cache format 3 is not {netmod.CACHE_FORMAT}"
