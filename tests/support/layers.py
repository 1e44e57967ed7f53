"""Small builders for layer files written inside tests (GeoJSON text, valid base features).

Kept out of conftest.py on purpose: other test modules own that file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.data import FIXTURE_DATA_DIR

# A spot inside the synthetic Parte Alta (lon, lat), inside COQUIMBO_BOUNDS.
LON, LAT = -71.322, -29.978


def point(x: float = LON, y: float = LAT) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def square(x: float = LON, y: float = LAT, size: float = 0.002) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(features: list[dict], crs: str | None = None) -> dict:
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return fc


def write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collection(features, crs), ensure_ascii=False), "utf-8")
    return path


def venue(n: int = 1, **over: Any) -> dict:
    props = {
        "id": f"V-{n:03d}",
        "name": f"Biblioteca {n}",
        "category": "library",
        "address": "Calle 1",
        "source": "test",
    }
    props.update(over)
    return props


def council(n: int = 1, **over: Any) -> dict:
    props = {
        "id": f"JV-{n:02d}",
        "name": f"Junta {n}",
        "code": f"UV-{n:02d}",
        "sector": "Parte Alta",
        "population": 1000,
        "source": "test",
    }
    props.update(over)
    return props


def block(n: int = 1, **over: Any) -> dict:
    props = {"id": f"MZ-{n:04d}", "residents": 50, "source": "test"}
    props.update(over)
    return props


def workshop(n: int = 1, **over: Any) -> dict:
    props = {
        "id": f"T-{n}",
        "title": f"Taller {n}",
        "date": "2026-04-11",
        "venue_id": "V-001",
        "councils": "JV-01",
        "source": "test",
    }
    props.update(over)
    return props


def copy_fixture_data(dest: Path) -> Path:
    """A private copy of the fixture data (without the large network file) a test may spoil."""
    # nor a workspace database or session key someone made in the fixture folder by hand
    shutil.copytree(FIXTURE_DATA_DIR, dest, ignore=shutil.ignore_patterns(
        "network", "*.osm", "culturamap.sqlite*", ".secret_key"))
    return dest


def edit_geojson(path: Path, index: int, **props: Any) -> None:
    """Change properties of one feature of a GeoJSON file in place (test copies only)."""
    fc = json.loads(path.read_text("utf-8"))
    fc["features"][index]["properties"].update(props)
    path.write_text(json.dumps(fc, ensure_ascii=False), "utf-8")


def with_gse_classes(data_dir: Path) -> Path:
    """The fixture's blocks given a GSE class (every other block ABC1, the rest E): a
    FIXTURE, for the figures that break residents down by socio-economic group."""
    path = data_dir / "population" / "blocks.geojson"
    blocks = json.loads(path.read_text("utf-8"))
    for i, feature in enumerate(blocks["features"]):
        feature["properties"]["gse"] = "ABC1" if i % 2 == 0 else "E"
    path.write_text(json.dumps(blocks), "utf-8")
    return data_dir
