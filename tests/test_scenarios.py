"""What-if scenarios: a venue placed at a block's door or street gives that block the walk
the travel model says, the residents newly within reach match an independent count, a
closure never shortens a walk, bad files are refused by name, and the CLI saves, lists and
compares."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Transformer

from culturamap.cli import main as cli_main
from geo import METRIC_CRS, WEB_CRS
from geo.access import points_xy
from geo.scenarios import (
    Scenario,
    ScenarioError,
    read_scenario,
    run_scenario,
    scenario_from_dict,
)
from geo.settings import Settings
from geo.study import Study
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR

WALK = 4.5 * 1000 / 60  # metres per minute


@pytest.fixture(scope="module")
def study(session_cache):
    s = Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=session_cache))
    s.equity  # noqa: B018 - computed once for the module
    return s


_TO_WEB = Transformer.from_crs(METRIC_CRS, WEB_CRS, always_xy=True)


def lonlat_of(xy: np.ndarray) -> tuple[float, float]:
    """EPSG:32719 metres (one point) to lon/lat, as a planner would write them."""
    lon, lat = _TO_WEB.transform(*np.asarray(xy, dtype=float).reshape(-1, 2)[0])
    return float(lon), float(lat)


def interior_block(study: Study) -> tuple[int, np.ndarray, object]:
    """A block point whose snap lands well inside its street segment, some metres off."""
    demand = study.access.demand
    xy = points_xy(demand)
    snap = study.travel.snap(xy)
    ok = (snap.to_u > 5) & (snap.to_v > 5) & (snap.snap_m > 5)
    i = int(np.flatnonzero(ok)[0])
    return i, xy[i], snap.take(np.array([i]))


def add_one(lon: float, lat: float, name: str = "prueba") -> Scenario:
    return scenario_from_dict({"name": name, "add": [
        {"id": "NEW-1", "name": "Biblioteca nueva", "category": "library",
         "lon": lon, "lat": lat}]})


def test_a_venue_on_the_street_at_a_block_gives_it_its_snap_distance(study):
    i, _xy, snap = interior_block(study)
    result = run_scenario(study, add_one(*lonlat_of(snap.xy)))
    block = study.access.demand["id"].iloc[i]
    row = result.blocks[result.blocks["id"] == block]
    assert float(row["time_after"].iloc[0]) == pytest.approx(snap.snap_m[0] / WALK, abs=1e-6)


def test_a_venue_at_the_block_door_gives_it_the_walk_to_the_street_and_back(study):
    i, xy, snap = interior_block(study)
    result = run_scenario(study, add_one(*lonlat_of(xy[None, :])))
    block = study.access.demand["id"].iloc[i]
    row = result.blocks[result.blocks["id"] == block]
    assert float(row["time_after"].iloc[0]) == pytest.approx(2 * snap.snap_m[0] / WALK, abs=1e-6)


def test_newly_within_matches_an_independent_count(study):
    demand = study.access.demand
    far = demand[demand["time_min"] > 25]
    x, y = points_xy(far)[0]
    result = run_scenario(study, add_one(*lonlat_of(np.array([[x, y]]))))
    # the model's own pairwise times from the new venue to every block
    travel = study.travel
    new = travel.snap(np.array([[x, y]]))
    minutes = travel.minutes(new, travel.snap(points_xy(demand)))[0]
    old = demand["time_min"].to_numpy(dtype=float)
    limit = study.settings.threshold_min + 1e-9
    newly = (minutes <= limit) & ~(old <= limit)
    expected = int(demand["residents"].to_numpy()[newly].sum())
    assert expected > 0
    assert result.summary["area"]["newly_within"] == expected
    assert result.summary["area"]["no_longer_within"] == 0
    assert set(result.blocks["id"]) >= set(demand["id"][newly])
    assert (result.blocks["time_change"] < 0).all()  # an added venue only shortens walks
    by_council = sum(c["newly_within"] for c in result.summary["councils"].values())
    assert by_council == expected
    share = result.summary["area"]["share_within_15min"]
    assert share["before"] == pytest.approx(study.access.area["share_within_15min"])
    assert share["change"] == pytest.approx(expected / demand["residents"].sum())


def test_closing_a_venue_never_shortens_a_walk(study):
    venues = study.layers.venues
    counted = venues[venues["category"].isin(study.params.counted_categories)]
    result = run_scenario(study, scenario_from_dict(
        {"name": "cierre", "close": [str(counted["id"].iloc[0])]}))
    assert result.summary["area"]["newly_within"] == 0
    changes = result.blocks["time_change"].to_numpy(dtype=float)
    assert (np.isnan(changes) | (changes > 0)).all() and len(changes) > 0


@pytest.mark.parametrize("raw, message", [
    ({"add": []}, "'name'"),
    ({"name": "x"}, "adds and closes nothing"),
    ({"name": "x", "open": []}, "unknown keys"),
    ({"name": "x", "add": [{"id": "A", "name": "a", "category": "library", "lon": -71.3}]},
     "add entry 1: missing"),
    ({"name": "x", "add": [{"id": "A", "name": "a", "category": "cine", "lon": -71.3,
                            "lat": -29.9}]}, "unknown category 'cine'"),
    ({"name": "x", "add": [{"id": "A", "name": "a", "category": "library", "lon": -29.96,
                            "lat": -71.33}]}, "swapped"),
    ({"name": "x", "add": [{"id": "A", "name": "a", "category": "library", "lon": "oeste",
                            "lat": -29.9}]}, "must be numbers"),
    ({"name": "x", "close": [3]}, "close entry 1"),
])
def test_bad_scenarios_are_refused_by_name(raw, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(raw, "mi_escenario.json")


def test_scenario_files_and_venue_ids_are_checked(study, tmp_path):
    bad = tmp_path / "roto.json"
    bad.write_text("{name: 1", "utf-8")
    with pytest.raises(ScenarioError, match="roto.json: cannot be read"):
        read_scenario(bad)
    with pytest.raises(ScenarioError, match="not found"):
        read_scenario(tmp_path / "nada.toml")
    toml = tmp_path / "cierre.toml"
    toml.write_text('name = "cierre"\nclose = ["NO-EXISTE"]\n', "utf-8")
    with pytest.raises(ScenarioError, match=r"do not exist: \['NO-EXISTE'\]"):
        run_scenario(study, read_scenario(toml))
    existing = str(study.layers.venues["id"].iloc[0])
    clash = scenario_from_dict({"name": "x", "add": [
        {"id": existing, "name": "a", "category": "library", "lon": -71.32, "lat": -29.97}]})
    with pytest.raises(ScenarioError, match="reuses existing venue ids"):
        run_scenario(study, clash)


def test_cli_runs_saves_lists_and_compares(tmp_path, capsys, session_cache):
    first = tmp_path / "uno.json"
    first.write_text(json.dumps({"name": "Nueva biblioteca", "add": [
        {"id": "NEW-1", "name": "B", "category": "library", "lon": -71.322,
         "lat": -29.978}]}), "utf-8")
    second = tmp_path / "dos.toml"
    second.write_text('name = "Cierre"\nclose = ["V-001"]\n', "utf-8")
    saved = tmp_path / "guardados"
    common = [*FIXTURE_ARGS, "--cache-dir", str(session_cache), "--dir", str(saved)]
    assert cli_main(["scenario", "run", str(first), *common]) == 0
    out = capsys.readouterr().out
    assert "Nueva biblioteca: +1 / -0 venues" in out and "saved:" in out
    assert cli_main(["scenario", "run", str(second), *common]) == 0
    body = json.loads((saved / "cierre.json").read_text("utf-8"))
    assert body["close"] == ["V-001"] and body["changed_blocks"]["type"] == "FeatureCollection"
    import geopandas as gpd

    blocks = gpd.read_file(saved / "cierre-blocks.geojson")  # the map of changed blocks
    assert len(blocks) == len(body["changed_blocks"]["features"]) > 0
    assert (blocks["time_change"].fillna(1) > 0).all() and blocks.crs.to_epsg() == 4326
    assert cli_main(["scenario", "list", "--dir", str(saved)]) == 0
    listing = capsys.readouterr().out
    assert "Nueva biblioteca\tnueva-biblioteca.json\t1\t0" in listing
    assert "Cierre\tcierre.json\t0\t1\t0" in listing
    assert cli_main(["scenario", "compare", "nueva-biblioteca", "cierre", "--dir",
                     str(saved)]) == 0
    table = capsys.readouterr().out
    assert "Nueva biblioteca" in table.splitlines()[0] and "residents newly within" in table
    assert cli_main(["scenario", "compare", "cierre", "--dir", str(saved)]) == 1
    assert "two or more" in capsys.readouterr().err


def test_cli_report_of_a_saved_scenario(tmp_path, capsys, session_cache):
    """The PDF/HTML report shows the saved figures; its texts exist in both languages."""
    scenario = tmp_path / "uno.json"
    scenario.write_text(json.dumps({"name": "Nueva biblioteca", "add": [
        {"id": "NEW-1", "name": "Biblioteca <b>nueva</b>", "category": "library",
         "lon": -71.322, "lat": -29.978}]}), "utf-8")
    saved = tmp_path / "guardados"
    common = [*FIXTURE_ARGS, "--dir", str(saved)]
    assert cli_main(["scenario", "run", str(scenario), *common, "--cache-dir",
                     str(session_cache)]) == 0
    body = json.loads((saved / "nueva-biblioteca.json").read_text("utf-8"))
    html_path, pdf_path = tmp_path / "r.html", tmp_path / "r.pdf"
    assert cli_main(["scenario", "report", "nueva-biblioteca", *common, "--out",
                     str(html_path), "--lang", "en"]) == 0
    html = html_path.read_text("utf-8")
    newly = f"{body['area']['newly_within']:,}"
    assert f"{newly} residents come within 15 min" in html
    assert "Biblioteca &lt;b&gt;nueva&lt;/b&gt;" in html  # escaped, never markup
    assert "data:image/png;base64," in html
    assert cli_main(["scenario", "report", "nueva-biblioteca", *common, "--out",
                     str(pdf_path)]) == 0
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert cli_main(["scenario", "report", "nueva-biblioteca", *common, "--out",
                     str(tmp_path / "r.docx")]) == 1
    assert ".pdf or .html" in capsys.readouterr().err
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "webmap" / "translations"
    es = json.loads((folder / "scenario.es.json").read_text("utf-8"))
    en = json.loads((folder / "scenario.en.json").read_text("utf-8"))
    assert set(es) == set(en)
    template = (folder.parent / "templates" / "scenario_report.html").read_text("utf-8")
    import re

    assert set(re.findall(r"t\('(scenario\.[a-z_]+)'", template)) <= set(es)
