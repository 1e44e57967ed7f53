"""Siting with equity (issue 11, item 4): group weights, capacity per site and the residents
newly covered per group, checked against brute force over every subset of candidates on a
hand-made street where the plain and the weighted optimum differ."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from geo.access import AccessParams, analyse
from geo.errors import ConfigError
from geo.layers import load_all
from geo.network import load_network
from geo.settings import Settings, check_siting_weights, load_settings
from geo.siting import GROUP_COLUMNS, SitingError, suggest_sites
from tests.support.data import FIXTURE_DATA_DIR, FIXTURE_OSM
from tests.support.network import load as load_net
from tests.support.network import make_layers, straight_street, walking
from tests.test_siting import candidates_at

# One straight street; at 6 km/h (100 m/min) and 1.6 min a site reaches 160 m each way.
# block: (id, residents, x, quintile, gse)
BLOCKS = [
    ("A", 100, 0.0, "Q5", "ABC1"),
    ("B", 100, 100.0, "Q4", "C1"),
    ("C", 120, 500.0, "Q1", "E"),
    ("D", 150, 1000.0, "Q3", "C3"),
]
SITES = {"S1": 50.0, "S2": 500.0, "S3": 1000.0}
REACH_M = 160.0
PARAMS = AccessParams(walking_speed_kmh=6.0, threshold_min=1.6)
Q12 = {"Q1": 2.0, "Q2": 2.0}


@pytest.fixture
def street(tmp_path):
    nodes, ways = straight_street(-2000, 1200)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers(  # the only venue is 2 km away: nobody is covered yet
        [("JV-A", (-2100, -100, 1300, 100))],
        [("V-1", "library", -2000.0, 0.0)],
        [(b, r, x, 0.0) for b, r, x, _q, _g in BLOCKS],
    )
    layers.population["quintil"] = [q for *_r, q, _g in BLOCKS]
    layers.population["gse"] = [g for *_r, g in BLOCKS]
    return layers, net, analyse(layers, PARAMS, walking(net))


def block_frame() -> pd.DataFrame:
    return pd.DataFrame(BLOCKS, columns=["id", "residents", "x", "quintil", "gse"])


def oracle(k: int, weights: dict[str, float]) -> tuple[set[str], float, set[str]]:
    """Brute force: every k-subset, covered blocks by straight-line reach on the street,
    weight = residents x the largest weight of the block's groups (1 if none named)."""
    blocks = block_frame()
    w = [max([weights.get(q, 0), weights.get(g, 0)]) or 1.0
         for q, g in zip(blocks["quintil"], blocks["gse"], strict=True)]
    best: tuple[float, set[str], set[str]] = (-1.0, set(), set())
    for subset in itertools.combinations(SITES, k):
        covered = {b for b, x in zip(blocks["id"], blocks["x"], strict=True)
                   if any(abs(x - SITES[s]) <= REACH_M for s in subset)}
        value = sum(wi * r for wi, r, b in zip(w, blocks["residents"], blocks["id"],
                                               strict=True) if b in covered)
        assert value != best[0], "the instance must have one optimum"
        if value > best[0]:
            best = (value, set(subset), covered)
    return best[1], best[0], best[2]


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("weights", [{}, Q12, {"Q1": 3.0, "C3": 1.5}])
def test_matches_brute_force(street, k, weights):
    layers, net, res = street
    sites = suggest_sites(res, layers, walking(net), k, candidates_at(SITES), weights)
    chosen, value, covered = oracle(k, weights)
    assert set(sites["candidate_id"]) == chosen
    assert sites.attrs["weighted_covered"] == pytest.approx(value)
    blocks = block_frame()
    assert sites.attrs["newly_covered"] == blocks.loc[blocks["id"].isin(covered),
                                                      "residents"].sum()


def test_plain_and_weighted_optimum_differ(street):
    layers, net, res = street
    plain = suggest_sites(res, layers, walking(net), 2, candidates_at(SITES))
    weighted = suggest_sites(res, layers, walking(net), 2, candidates_at(SITES), Q12)
    assert set(plain["candidate_id"]) == {"S1", "S3"}  # 200 + 150 residents
    assert set(weighted["candidate_id"]) == {"S1", "S2"}  # 200 + 2 x 120
    assert plain.attrs["newly_covered"] == 350 and weighted.attrs["newly_covered"] == 320
    # every quintile is stated, zeros included
    assert weighted.attrs["newly_covered_by_group"]["quintile"] == {
        "Q1": 120, "Q2": 0, "Q3": 0, "Q4": 100, "Q5": 100}
    assert plain.attrs["newly_covered_by_group"]["quintile"] == {
        "Q1": 0, "Q2": 0, "Q3": 150, "Q4": 100, "Q5": 100}
    # GSE: the classes the blocks carry, most advantaged first
    assert list(plain.attrs["newly_covered_by_group"]["gse"]) == ["ABC1", "C1", "C3", "E"]


def test_group_counts_equal_groupby_of_covered_blocks(street):
    layers, net, res = street
    sites = suggest_sites(res, layers, walking(net), 2, candidates_at(SITES), Q12)
    _chosen, _value, covered = oracle(2, Q12)
    blocks = block_frame()
    blocks = blocks[blocks["id"].isin(covered)]
    by_q = blocks.groupby("quintil")["residents"].sum().to_dict()
    by_g = blocks.groupby("gse")["residents"].sum().to_dict()
    groups = sites.attrs["newly_covered_by_group"]
    assert {q: n for q, n in groups["quintile"].items() if n} == by_q
    assert {g: n for g, n in groups["gse"].items() if n} == by_g
    assert groups["without_group"] == 0
    # the per-site columns add up to the same totals
    assert {c: int(sites[c].sum()) for c in GROUP_COLUMNS if sites[c].sum()} == {
        f"covered_{q.lower()}": n for q, n in by_q.items()} | {
        f"covered_gse_{g.lower()}": n for g, n in by_g.items()}


@pytest.mark.parametrize(("capacity", "s1_covers"), [(200, 200), (199, 199), (250, 200)])
def test_capacity_on_the_limit(street, capacity, s1_covers):
    """S1 reaches A + B = 200 residents: a capacity of exactly 200 takes them all, one less
    leaves one resident out (k=2: S1 + S3 still beat S1 + S2, 349 > 319)."""
    layers, net, res = street
    cands = candidates_at(SITES)
    cands["capacity"] = [capacity, None, None]
    sites = suggest_sites(res, layers, walking(net), 2, cands)
    assert sites.attrs["capacitated"]
    assert set(sites["candidate_id"]) == {"S1", "S3"}
    s1 = sites.set_index("candidate_id").loc["S1"]
    assert s1["newly_covered"] == pytest.approx(s1_covers)
    assert s1["capacity"] == capacity  # the planner's figure, shown beside the site
    assert np.isnan(sites.set_index("candidate_id").loc["S3", "capacity"])  # no limit given
    assert sites.attrs["newly_covered"] == pytest.approx(s1_covers + 150)


def test_capacity_changes_the_choice(street):
    """S3 limited to 100 of D's 150: S1 + S2 (200 + 120) beat S1 + S3 (200 + 100)."""
    layers, net, res = street
    cands = candidates_at(SITES)
    cands["capacity"] = [None, None, 100]
    sites = suggest_sites(res, layers, walking(net), 2, cands)
    assert set(sites["candidate_id"]) == {"S1", "S2"}
    assert sites.attrs["newly_covered"] == 320


def test_capacitated_sites_are_listed_by_what_they_add_most_first(street):
    """Listed in the layer's order S3, S2, S1 with S1 limited to 200: S1 adds 200, S3 150,
    S2 120; rows come by gain, ranks 1..3, whatever the candidates' order."""
    layers, net, res = street
    cands = candidates_at({"S3": 1000.0, "S2": 500.0, "S1": 50.0})
    cands["capacity"] = [None, None, 200]
    sites = suggest_sites(res, layers, walking(net), 3, cands)
    assert sites["candidate_id"].tolist() == ["S1", "S3", "S2"]
    assert sites["newly_covered"].tolist() == pytest.approx([200, 150, 120])
    assert sites["rank"].tolist() == [1, 2, 3]
    assert sites["cumulative_covered"].tolist() == pytest.approx([200, 350, 470])


def test_a_block_with_a_quintile_but_no_gse_class_is_not_without_group(street):
    """Block A has its quintile (Q5) but no GSE class: S1 covers A and B; by quintile Q5 100
    and Q4 100, by class only C1 100 (B), and nobody is "without group" (A has one)."""
    layers, net, res = street
    layers.population["gse"] = [None, "C1", "E", "C3"]
    sites = suggest_sites(res, layers, walking(net), 1, candidates_at({"S1": 50.0}))
    groups = sites.attrs["newly_covered_by_group"]
    assert groups["quintile"] == {"Q1": 0, "Q2": 0, "Q3": 0, "Q4": 100, "Q5": 100}
    assert groups["gse"] == {"C1": 100, "C3": 0, "E": 0}
    assert groups["without_group"] == 0


def test_capacity_a_block_reached_by_two_open_sites_counts_once(street):
    """S1 (x = 50) and S1b (x = 60) both reach A and B (100 + 100 residents), each may take
    150: together they cover the 200 residents once, never 300 (a block's shares add up
    to at most all of it)."""
    layers, net, res = street
    cands = candidates_at({"S1": 50.0, "S1b": 60.0})
    cands["capacity"] = [150, 150]
    sites = suggest_sites(res, layers, walking(net), 2, cands)
    assert sites.attrs["newly_covered"] == pytest.approx(200)
    assert sites["newly_covered"].sum() == pytest.approx(200)
    assert sites["cumulative_covered"].max() == pytest.approx(200)


def test_capacity_never_lends_room_by_taking_residents_away(street):
    """S1 may take 50 residents; B (Q4) weighs 3, A 1: the best is 50 of B (weighted 150),
    not a negative share of A to make room for all of B."""
    layers, net, res = street
    cands = candidates_at({"S1": 50.0})
    cands["capacity"] = [50]
    sites = suggest_sites(res, layers, walking(net), 1, cands, group_weights={"Q4": 3.0})
    assert sites.attrs["newly_covered"] == pytest.approx(50)
    assert sites.attrs["weighted_covered"] == pytest.approx(150)
    assert sites.iloc[0]["covered_q4"] == pytest.approx(50)
    assert sites.iloc[0]["covered_q5"] == 0


def test_bad_capacity_names_the_row(street):
    layers, net, res = street
    cands = candidates_at(SITES)
    cands["capacity"] = [10, "many", None]
    with pytest.raises(SitingError, match="row 2 has capacity 'many'"):
        suggest_sites(res, layers, walking(net), 1, cands)


def test_default_is_the_plain_problem_on_the_fixture(tmp_path):
    """No weights, empty weights and every group weighing 1 give the same sites and counts."""
    layers = load_all(FIXTURE_DATA_DIR)
    net = load_network(FIXTURE_OSM, cache_dir=tmp_path)
    res = analyse(layers, AccessParams(), walking(net))
    ones = {g: 1.0 for g in ("Q1", "Q2", "Q3", "Q4", "Q5", "ABC1", "C1", "C2", "C3", "D", "E")}
    runs = [suggest_sites(res, layers, walking(net), 3, group_weights=w)
            for w in (None, {}, ones)]
    cols = ["candidate_id", "newly_covered", "cumulative_covered", "councils"]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(pd.DataFrame(runs[0][cols]), pd.DataFrame(other[cols]))
        assert other.attrs["newly_covered"] == runs[0].attrs["newly_covered"]
    assert not runs[0].attrs["capacitated"]
    assert (runs[0]["weighted_gain"] == runs[0]["newly_covered"]).all()


def test_setting_text_env_and_errors():
    assert check_siting_weights("q1=2, Q2 = 2,") == (("Q1", 2.0), ("Q2", 2.0))
    assert check_siting_weights({"e": "1,5"}) == (("E", 1.5),)
    assert Settings().siting_weights == ()
    env = {"CULTURAMAP_SITING_WEIGHTS": "Q1=2"}
    assert load_settings(environ=env).siting_weights == (("Q1", 2.0),)
    for bad, why in [("Q6=2", "unknown group"), ("Q1=0", "above 0"), ("Q1:2", "group=weight"),
                     ("Q1=2,q1=3", "twice"), ("Q1=101", "at most")]:
        with pytest.raises(ConfigError, match=why):
            load_settings(environ={"CULTURAMAP_SITING_WEIGHTS": bad})


def test_api_sites_states_groups_and_weights(tmp_path):
    """/api/sites with SITING_WEIGHTS: the weights used and newly_covered_by_group, whose
    quintiles add up to the residents newly covered (every fixture block has a quintile)."""
    from tests.support.web import app_for
    from tests.test_equity import write_equity_data

    data = write_equity_data(tmp_path)
    client = app_for(data, tmp_path / "cache", SITING_WEIGHTS="Q1=2,Q2=2").test_client()
    body = client.get("/api/sites?k=2").get_json()
    assert body["group_weights"] == {"Q1": 2.0, "Q2": 2.0}
    groups = body["newly_covered_by_group"]
    assert list(groups["quintile"]) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert sum(groups["quintile"].values()) == body["newly_covered"]
    assert sum(groups["gse"].values()) == body["newly_covered"]


def test_cli_suggest_prints_groups(tmp_path, capsys):
    from culturamap.cli import main as cli_main
    from tests.support.data import FIXTURE_ARGS

    code = cli_main(["suggest", "-k", "2", *FIXTURE_ARGS, "--cache-dir", str(tmp_path / "c"),
                     "--out", str(tmp_path / "out"), "--siting-weights", "Q1=2"])
    assert code == 0
    assert "newly covered by group (Q1=2)" in capsys.readouterr().out
