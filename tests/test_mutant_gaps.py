"""Gaps that surviving mutants showed (make mutation; README, "Pruebas de mutación"):
settings that must reach the analysis, and error messages that must name the input.
Expected values are written out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from geo.access import AccessParams
from geo.settings import Settings
from geo.siting import SitingError, suggest_sites
from tests.support import line_world as world


def test_every_analysis_setting_reaches_the_parameters(tmp_path):
    settings = Settings(data_dir=tmp_path, cache_dir=tmp_path, walking_speed_kmh=3.6,
                        threshold_min=12.5, thresholds_min=(7.0, 25.0),
                        sfca_catchment_min=9.0, categories=("museum",))
    params = AccessParams.from_settings(settings)
    assert params.walking_speed_kmh == 3.6
    assert params.threshold_min == 12.5
    assert params.thresholds_min == (7.0, 25.0)
    assert params.sfca_catchment_min == 9.0
    assert params.categories == ("museum",)
    assert params.all_thresholds == (7.0, 12.5, 25.0)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return world.study(tmp_path_factory.mktemp("gaps"))


def test_no_default_candidates_says_which_categories_to_count(study):
    """Counting every category leaves no hall or school to suggest: the message lists the
    host categories and the offerings to count instead."""
    every = dataclasses.replace(study.access, params=dataclasses.replace(
        study.access.params, categories=None))
    with pytest.raises(SitingError) as info:
        suggest_sites(every, study.layers, study.travel, k=1)
    message = str(info.value)
    assert "(community_hall, school, other) already counts as a cultural offering" in message
    assert "for example library,cultural_centre,theatre,museum) or give candidate sites" in message


def test_a_default_candidate_outside_coquimbo_is_named_as_a_venue(study):
    layers = world.layers()
    venues = layers.venues.copy()
    far = venues["id"] == "H-FAR"
    venues.loc[far, "geometry"] = venues.loc[far, "geometry"].translate(xoff=5.0)  # degrees
    broken = dataclasses.replace(layers, venues=venues)
    with pytest.raises(SitingError, match=r"^venues: row 4 \(.*\) lies outside Coquimbo"):
        suggest_sites(study.access, broken, study.travel, k=1)
