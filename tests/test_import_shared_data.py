"""tools/import_shared_data.py on the real shared data, checked by independent computations.

Why independent: the importer's figures end up in the README and the reports; re-deriving
them here straight from ../shared/data (not through the importer's helpers) catches a wrong
join or a silently dropped row instead of confirming it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo import METRIC_CRS
from geo.layers import load_layer
from geo.schema import COUNCILS, POPULATION, VENUES, WORKSHOPS
from tests.support.needs import require_outside_input

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SCRIPT = REPO / "tools" / "import_shared_data.py"
IMPORTED = "2026-01-01"  # fixed so that runs on different days compare byte for byte

@pytest.fixture(autouse=True)
def _shared_data_present():
    require_outside_input((SHARED / "README.md").is_file(),
                          f"the shared real data folder {SHARED}",
                          "put it beside the repository (../shared/data)")


def run_importer(shared: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(shared), "--out", str(out),
         "--imported", IMPORTED],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("import") / "data"
    done = run_importer(SHARED, folder)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def shared_blocks() -> dict:
    return json.loads((SHARED / "population/manzanas_censo2024_4102.geojson").read_text("utf-8"))


def _geojson(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _comuna_outline() -> gpd.GeoSeries:
    com = gpd.read_file(SHARED / "boundaries/comunas_4101_4102.geojson")
    return com[com["codigo_comuna"] == "04102"].to_crs(METRIC_CRS).geometry


def test_every_resident_is_shipped_or_counted_as_excluded(out: Path, shared_blocks: dict) -> None:
    total = sum(f["properties"]["n_per"] for f in shared_blocks["features"])
    assert total == 242_608
    shared_ids = {f["properties"]["id"]: f["properties"]["n_per"]
                  for f in shared_blocks["features"]}
    shipped = _geojson(out / "population/blocks.geojson")["features"]
    shipped_ids = {f["properties"]["id"] for f in shipped}
    assert shipped_ids <= set(shared_ids)
    excluded_ids = set(shared_ids) - shipped_ids
    counts = _geojson(out / "manifest.json")["counts"]
    assert len(shipped) + counts["blocks_excluded"] == len(shared_ids) == 3_324
    assert len(excluded_ids) == counts["blocks_excluded"]
    excluded_residents = sum(shared_ids[i] for i in excluded_ids)
    assert excluded_residents == counts["residents_excluded"]
    councils = _geojson(out / "boundaries/councils.geojson")["features"]
    council_residents = sum(f["properties"]["population"] for f in councils)
    assert council_residents + excluded_residents == total
    assert sum(f["properties"]["residents"] for f in shipped) == council_residents


def test_councils_are_the_28_urban_units(out: Path) -> None:
    units = _geojson(SHARED / "boundaries/unidades_vecinales_4102.geojson")["features"]
    urban = {u["properties"]["uv_carto"] for u in units
             if re.fullmatch(r"\d{3}", u["properties"]["uv_carto"])}
    councils = _geojson(out / "boundaries/councils.geojson")["features"]
    ids = [f["properties"]["id"] for f in councils]
    assert len(ids) == 28 == len(urban)
    assert all(re.fullmatch(r"UV-0\d\d", i) for i in ids)
    assert set(ids) == {f"UV-{u}" for u in urban}
    assert ids == sorted(ids)


def test_sector_residents_match_the_blocks(out: Path) -> None:
    blocks = gpd.read_file(SHARED / "population/manzanas_censo2024_4102.geojson")
    sectors = gpd.read_file(SHARED / "boundaries/sectores_municipales_4102.geojson")
    pts = blocks.set_geometry(blocks.to_crs(METRIC_CRS).representative_point())
    joined = gpd.sjoin(pts, sectors.to_crs(METRIC_CRS)[["Sector", "geometry"]],
                       predicate="within")
    expected = joined.groupby("Sector")["n_per"].sum()
    shipped = {f["properties"]["name"]: f["properties"]["residents"]
               for f in _geojson(out / "boundaries/sectors.geojson")["features"]}
    assert len(shipped) == 23
    assert shipped["Parte Alta"] == expected["Parte Alta"]
    trio = ("Parte Alta", "Sindempart", "San Juan")
    assert sum(shipped[s] for s in trio) == sum(expected[s] for s in trio)


def test_venues_are_located_inside_the_comuna(out: Path) -> None:
    venues = gpd.read_file(out / "venues/venues.geojson")
    assert len(venues) > 0
    assert not venues.geometry.is_empty.any() and venues.geometry.notna().all()
    outline = _comuna_outline().iloc[0]
    assert venues.to_crs(METRIC_CRS).within(outline).all()


def test_places_without_coordinates_go_to_por_ubicar(out: Path) -> None:
    with open(SHARED / "venues/espacios_culturales_conocidos.csv", encoding="utf-8",
              newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [f"EC-{i:02d}" for i, r in enumerate(rows, start=1)
               if not r["lat"].strip() or not r["lon"].strip()]
    assert len(missing) == 22
    with open(out / "venues/por_ubicar.csv", encoding="utf-8", newline="") as fh:
        to_locate = list(csv.DictReader(fh))
    assert [r["id"] for r in to_locate] == missing
    located = {f["properties"]["id"] for f in _geojson(out / "venues/venues.geojson")["features"]}
    assert not located & set(missing)


def test_operating_schools_with_coordinates(out: Path) -> None:
    schools = gpd.read_file(SHARED / "venues/escuelas_mineduc_2025_4102.geojson")
    operating = schools[(schools["estado"] == "Funcionando") & ~schools.geometry.is_empty]
    assert 140 <= len(operating) <= 165  # the shared README says 152
    inside = operating.to_crs(METRIC_CRS).within(_comuna_outline().iloc[0])
    shipped = {f["properties"]["id"] for f in _geojson(out / "venues/venues.geojson")["features"]
               if f["properties"]["category"] == "school"}
    assert shipped == {f"RBD-{r}" for r in operating.loc[inside, "rbd"]}
    counts = _geojson(out / "manifest.json")["counts"]
    assert counts["schools_operating_with_coordinates"] == len(operating)
    outside = {o["id"] for o in counts["located_outside_comuna_outline"]}
    assert outside == {f"RBD-{r}" for r in operating.loc[~inside, "rbd"]}


def test_zone_age_groups_equal_the_csv(out: Path) -> None:
    ages = pd.read_csv(SHARED / "population/censo2017_poblacion_zona_edad_4102.csv",
                       dtype={"geocodigo": str})
    zones = {f["properties"]["id"]: f["properties"]
             for f in _geojson(out / "population/zones_2017.geojson")["features"]}
    assert len(zones) == 58
    for zone_id in sorted(zones)[:5] + sorted(zones)[-3:]:
        mine = ages[ages["geocodigo"] == zone_id].set_index("edad")["poblacion"]
        z = zones[zone_id]
        assert z["age_0_14"] == mine["0 a 5"] + mine["6 a 14"]
        assert z["age_15_64"] == mine["15 a 64"]
        assert z["age_65_plus"] == mine["65 y mas"]


@pytest.mark.parametrize(
    ("spec", "rel"),
    [(COUNCILS, "boundaries/councils.geojson"), (VENUES, "venues/venues.geojson"),
     (POPULATION, "population/blocks.geojson")],
)
def test_layers_load_in_the_product(out: Path, spec, rel: str) -> None:
    gdf = load_layer(spec, out / rel)
    assert len(gdf) > 0


def test_workshops_is_a_valid_empty_feature_collection(out: Path) -> None:
    assert _geojson(out / "workshops/workshops.geojson") == {
        "type": "FeatureCollection", "features": []}


def test_empty_workshops_layer_loads(out: Path) -> None:
    """No workshop is recorded yet: the empty layer loads with its documented columns."""
    workshops = load_layer(WORKSHOPS, out / "workshops/workshops.geojson")
    assert len(workshops) == 0 and list(workshops.columns[:-1]) == list(WORKSHOPS.columns)


def test_manifest_is_real_data(out: Path) -> None:
    manifest = _geojson(out / "manifest.json")
    assert manifest["synthetic"] is False
    assert manifest["imported"] == IMPORTED
    for name in ("councils", "sectors", "population", "zones_2017", "venues",
                 "venues_to_locate", "workshops"):
        layer = manifest["layers"][name]
        assert {"file", "source", "publisher", "licence", "features", "notes"} <= set(layer)
        assert (out / layer["file"]).is_file()


def test_second_run_is_byte_identical(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "data"
    done = run_importer(SHARED, again)
    assert done.returncode == 0, done.stderr
    assert tree_hashes(again) == tree_hashes(out)


def test_bad_input_names_file_and_row_and_keeps_previous_output(out: Path,
                                                                 tmp_path: Path) -> None:
    broken = tmp_path / "shared"
    shutil.copytree(SHARED, broken)
    csv_path = broken / "venues/espacios_culturales_conocidos.csv"
    csv_path.chmod(0o644)
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    row = next(i for i, r in enumerate(rows, start=1) if r["lat"])
    rows[row - 1]["lat"] = "-29,96x"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    previous = tmp_path / "data"
    shutil.copytree(out, previous)
    before = tree_hashes(previous)
    done = run_importer(broken, previous)
    assert done.returncode != 0
    assert "espacios_culturales_conocidos.csv" in done.stderr
    assert f"row {row}" in done.stderr and "lat" in done.stderr
    assert tree_hashes(previous) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "shared"]  # no temp leftovers
