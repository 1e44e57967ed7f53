"""Load the four data layers into GeoDataFrames (EPSG:4326), whole or not at all.

FIRST DRAFT: validation is being hardened (see issue 2); the public API below is stable:
``load_layer(spec, path=None)`` and ``load_all(data_dir=None) -> Layers``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geo import WEB_CRS
from geo.schema import COUNCILS, DATA_DIR, POPULATION, VENUES, WORKSHOPS, LayerSpec


class LayerError(ValueError):
    """A layer file cannot be used; the message names the file, the row and the problem."""


@dataclass
class Layers:
    """The four layers, all in EPSG:4326, plus the data manifest (sources, licences)."""

    councils: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    workshops: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    manifest: dict = field(default_factory=dict)


def load_layer(spec: LayerSpec, path: Path | str | None = None) -> gpd.GeoDataFrame:
    path = Path(path) if path is not None else spec.default_path
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
        raise LayerError(f"{path}: cannot be read as a vector layer ({exc})") from exc
    missing = [c for c in spec.columns if c not in gdf.columns]
    if missing:
        raise LayerError(f"{path}: missing columns {missing}")
    if gdf.crs is None:
        raise LayerError(f"{path}: no CRS")
    return gdf.to_crs(WEB_CRS)


def load_all(data_dir: Path | str | None = None) -> Layers:
    base = Path(data_dir) if data_dir is not None else DATA_DIR

    def at(spec: LayerSpec) -> Path:
        return base / spec.default_path.relative_to(DATA_DIR)

    manifest_path = base / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    return Layers(
        councils=load_layer(COUNCILS, at(COUNCILS)),
        venues=load_layer(VENUES, at(VENUES)),
        workshops=load_layer(WORKSHOPS, at(WORKSHOPS)),
        population=load_layer(POPULATION, at(POPULATION)),
        manifest=manifest,
    )
