"""Invariants of the SHIPPED real data (data/), which must hold on every data release.

Everything else in the suite runs on the synthetic fixture. Here: the loaders accept every
real file; the totals add up (council and sector residents against the block total and the
blocks the importer reports as left out); no located place lies outside the comuna outline;
the walking network derived from the blocks connects at least 97 % of the residents of
urban Coquimbo (the municipal sectors). Figures that change between releases (how many
venues, the shares) are not asserted: the manifest's own counts are the oracle.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from geo import METRIC_CRS
from geo.layers import load_all
from geo.settings import Settings
from geo.study import Study
from tests.support.data import SHIPPED_DATA

MIN_CONNECTED_SHARE = 0.97  # issue 9: residents of urban Coquimbo in the largest piece


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((SHIPPED_DATA / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def study(session_cache) -> Study:
    return Study(Settings(data_dir=SHIPPED_DATA, cache_dir=session_cache))


def test_the_loaders_accept_every_real_file(manifest):
    layers = load_all(SHIPPED_DATA)
    assert manifest["synthetic"] is False
    counts = manifest["counts"]
    assert len(layers.population) == counts["blocks_shipped"]
    assert len(layers.councils) == manifest["layers"]["councils"]["features"]
    assert len(layers.sectors) == manifest["layers"]["sectors"]["features"]
    assert len(layers.zones) == manifest["layers"]["zones_2017"]["features"]
    assert len(layers.venues) == manifest["layers"]["venues"]["features"]
    assert len(layers.to_locate) == counts["cultural_places_to_locate"]
    assert len(layers.workshops) == 0  # no public source: empty, never invented
    assert layers.inventory()["cultural_located"] == counts["cultural_places_located"]


def test_council_residents_sum_to_the_blocks_minus_those_reported_left_out(manifest):
    layers = load_all(SHIPPED_DATA)
    counts = manifest["counts"]
    shipped = int(layers.population["residents"].sum())
    assert shipped == counts["residents_shipped"]
    assert int(layers.councils["population"].sum()) == shipped
    left_out = sum(u["residents"] for u in counts["excluded_by_unit"].values())
    assert left_out == counts["residents_excluded"]
    assert sum(u["blocks"] for u in counts["excluded_by_unit"].values()) == (
        counts["blocks_excluded"])


def test_the_analysis_counts_every_resident_once_at_each_level(study):
    blocks_total = int(study.layers.population["residents"].sum())
    access = study.access
    assert access.area["residents"] == blocks_total
    assert int(access.councils["residents"].sum()) == blocks_total
    assert int(access.sectors["residents"].sum()) + access.area["residents_without_sector"] == (
        blocks_total)
    # the residents in no sector are those of the units that touch no sector (the importer
    # lists them in the manifest)
    far = study.layers.manifest["counts"]["councils_without_sector"]
    assert far, "the shipped data has units outside every sector (UV-028, UV-029)"
    councils = study.layers.councils.set_index("id")
    assert access.area["residents_without_sector"] == int(councils.loc[far, "population"].sum())


def test_the_default_focus_is_the_municipal_sector_parte_alta(study):
    focus = study.access.focus
    sectors = study.layers.sectors.set_index("id")
    assert focus["name"] == "Parte Alta"
    assert focus["residents"] == int(sectors.loc["parte-alta", "residents"])
    wider = study.with_settings(focus_sectors=("Parte Alta", "Sindempart", "San Juan")).access
    expected = int(sectors.loc[["parte-alta", "sindempart", "san-juan"], "residents"].sum())
    assert wider.focus["residents"] == expected


def test_no_located_place_lies_outside_the_comuna_outline():
    commune = gpd.read_file(SHIPPED_DATA / "boundaries" / "commune.geojson").to_crs(METRIC_CRS)
    venues = load_all(SHIPPED_DATA).venues.to_crs(METRIC_CRS)
    outside = venues[~venues.within(commune.geometry.iloc[0])]
    assert outside.empty, list(outside["id"])


def test_the_derived_network_connects_the_residents_of_urban_coquimbo(study):
    """Connected pieces by scipy's csgraph on the network's own graph, blocks placed on
    their nearest edge: an oracle independent of the access analysis."""
    network = study.travel.network
    _, piece = connected_components(network.graph, directed=False)
    demand = study.access.demand.to_crs(METRIC_CRS)
    urban = demand[demand["sector_id"].notna()]
    xy = np.column_stack([urban.geometry.x, urban.geometry.y])
    snapped = network.snap_edges(xy)
    piece_of_block = piece[snapped.u]
    residents = urban["residents"].to_numpy(dtype=float)
    per_piece = np.bincount(piece_of_block, weights=residents)
    share = per_piece.max() / residents.sum()
    assert share >= MIN_CONNECTED_SHARE, f"largest piece holds {share:.1%}"
