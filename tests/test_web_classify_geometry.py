"""Choropleth classes (mapclassify) and the page's geometry slimming (topology kept)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import METRIC_CRS
from geo.layers import load_all
from geo.travel import read_osm_lines
from tests.support.data import FIXTURE_DATA_DIR, FIXTURE_OSM
from webmap.basemap import streets_geojson
from webmap.classify import GAP_PALETTE, NO_DATA_COLOUR, classify
from webmap.geometry import rounded_geojson, simplify_coverage


def test_classes_are_ordered_cover_all_values_and_mark_missing():
    values = [0.2, 0.25, 0.5, 0.55, 0.9, 0.95, 1.0, None, math.nan, 0.21]
    classes = classify(values, GAP_PALETTE, k=3)
    assert len(classes.bounds) == 3 == len(classes.colours)
    lows = [low for low, _ in classes.bounds]
    assert lows == sorted(lows) and classes.bounds[-1][1] == 1.0
    assert classes.bounds[0][0] == 0.2
    for value, k in zip(values, classes.index, strict=True):
        if value is None or math.isnan(value):
            assert k == -1
        else:
            low, high = classes.bounds[k]
            assert low <= value <= high
    assert classes.has_missing and classes.colour_of(7) == NO_DATA_COLOUR
    # the lowest shares (largest gaps) get the darkest colour
    assert classes.colour_of(0) == GAP_PALETTE[0] and classes.colour_of(6) == GAP_PALETTE[-1]


def test_few_distinct_values_and_no_values():
    same = classify([0.5, 0.5, 0.5], GAP_PALETTE)
    assert len(same.bounds) == 1 and set(same.index) == {0}
    two = classify([0.2, 0.8, 0.2], GAP_PALETTE)  # two values: two classes, both ends
    assert two.bounds == ((0.2, 0.2), (0.2, 0.8)) and two.index == (0, 1, 0)
    assert two.colours == (GAP_PALETTE[0], GAP_PALETTE[-1])
    empty = classify([None, None], GAP_PALETTE)
    assert empty.bounds == () and empty.colours == () and set(empty.index) == {-1}
    assert empty.colour_of(0) == NO_DATA_COLOUR
    quantiles = classify(list(np.arange(100.0)), GAP_PALETTE, method="quantiles")
    counts = np.bincount(quantiles.index)
    assert len(counts) == 5 and counts.min() >= 19  # about 20 per class
    thirds = classify(list(np.arange(99.0)), GAP_PALETTE, k=3, method="quantiles")
    assert np.bincount(thirds.index).tolist() == [33, 33, 33]  # k reaches the quantiles


def test_the_default_is_fisher_jenks_and_an_unknown_method_is_refused():
    """Fisher-Jenks by default (its breaks fall in the gaps of 1, 2, 3 | 10, 11 | 30; the
    quantiles of the same values do not), any other method name is an error."""
    values = [1.0, 2.0, 3.0, 10.0, 11.0, 30.0]
    default = classify(values, GAP_PALETTE, k=3)
    assert default.bounds == ((1.0, 3.0), (3.0, 11.0), (11.0, 30.0))
    assert default.index == (0, 0, 0, 1, 1, 2)
    assert classify(values, GAP_PALETTE, k=3, method="fisher_jenks") == default
    assert classify(values, GAP_PALETTE, k=3, method="quantiles").index != default.index
    with pytest.raises(ValueError, match="unknown classification method 'jenks'"):
        classify(values, GAP_PALETTE, method="jenks")


@pytest.fixture(scope="module")
def layers():
    return load_all(FIXTURE_DATA_DIR)


@pytest.mark.parametrize("name, tolerance", [("councils", 5.0), ("population", 3.0)])
def test_coverage_simplification_keeps_shared_borders(layers, name, tolerance):
    source = getattr(layers, name)
    simplified = simplify_coverage(source, tolerance)
    metric = simplified.to_crs(METRIC_CRS)
    assert shapely.coverage_is_valid(np.asarray(metric.values))  # no gaps, no overlaps
    original_area = source.to_crs(METRIC_CRS).union_all().area
    assert metric.union_all().area == pytest.approx(original_area, rel=0.01)
    # every shape stays within the tolerance of where it was
    for before, after in zip(source.to_crs(METRIC_CRS).geometry, metric, strict=True):
        assert before.hausdorff_distance(after) <= tolerance + 0.01


def test_rounded_geojson_drops_repeated_points():
    line = shapely.LineString([(0.1234567, 1.0), (0.1234568, 1.0), (0.2, 1.0)])
    assert rounded_geojson(line, 5)["coordinates"] == [[0.12346, 1.0], [0.2, 1.0]]
    polygon = shapely.box(-71.3, -29.98, -71.29, -29.97)
    ring = rounded_geojson(polygon, 5)["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5


def test_street_basemap_keeps_every_street_kind():
    lines = read_osm_lines(FIXTURE_OSM)
    collection = streets_geojson(lines)
    kinds = {f["properties"]["kind"] for f in collection["features"]}
    assert kinds == set(lines["kind"]) and "residential" in kinds
    drawn = gpd.GeoSeries(
        [shapely.geometry.shape(f["geometry"]) for f in collection["features"]], crs=4326
    ).to_crs(METRIC_CRS)
    original = lines.to_crs(METRIC_CRS).length.sum()
    assert drawn.length.sum() == pytest.approx(original, rel=0.02)
