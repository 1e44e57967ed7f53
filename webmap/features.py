"""The four data layers and the suggested workshop sites as GeoJSON feature collections
for the OGC API – Features endpoints.

Built once per app: properties are flat (QGIS shows them as attribute columns), ids are
the layers' own ids, coordinates are EPSG:4326 (CRS84 axis order, lon/lat).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import METRIC_CRS
from geo.schema import category_ids
from webmap.geometry import rounded_geojson
from webmap.ogc_query import Queryables
from webmap.store import MapStore, _clean, figures_of

API_DECIMALS = 6  # ~0.1 m: full useful precision for planners


@dataclass
class Collection:
    """One served layer: features in a fixed order, their geometries for bbox filtering."""

    id: str
    features: list[dict[str, Any]]
    geometries: np.ndarray  # shapely geometries, same order as features
    positions: dict[str, int]  # feature id -> position

    @property
    def bbox(self) -> list[float] | None:
        if len(self.geometries) == 0:  # e.g. no site to suggest: everyone already in reach
            return None
        return [round(float(v), API_DECIMALS) for v in shapely.total_bounds(self.geometries)]

    @cached_property
    def queryables(self) -> Queryables:
        """The properties the OGC items can be filtered on (worked out once per layer)."""
        return Queryables.of(self.id, self.features)

    def select(self, bbox: tuple[float, float, float, float] | None) -> list[int]:
        if bbox is None:
            return list(range(len(self.features)))
        hits = shapely.intersects(self.geometries, shapely.box(*bbox))
        return [int(i) for i in np.flatnonzero(hits)]


def _collection(name: str, gdf: gpd.GeoDataFrame, properties: list[dict[str, Any]]) -> Collection:
    geoms = np.asarray(gdf.geometry.values)
    features = [
        {
            "type": "Feature",
            "id": props["id"],
            "geometry": rounded_geojson(geom, API_DECIMALS),
            "properties": props,
        }
        for geom, props in zip(geoms, properties, strict=True)
    ]
    positions = {f["id"]: i for i, f in enumerate(features)}
    return Collection(id=name, features=features, geometries=geoms, positions=positions)


def _plain_rows(gdf: gpd.GeoDataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _clean(row[c]) for c in columns} for _, row in gdf.iterrows()]


def _council_rows(store: MapStore, level: str = "councils") -> list[dict[str, Any]]:
    """Each territory of ``level`` (units or sectors) with its attributes and figures."""
    by_id = {str(r["id"]): r for _, r in store.result.territories(level).iterrows()}
    own = ("code", "sector") if level == "councils" else ("residents", "population_2017")
    rows = []
    for _, council in store.territory_layer(level).iterrows():
        props: dict[str, Any] = {"id": str(council["id"]), "name": str(council["name"])}
        props.update({c: _clean(council.get(c)) for c in own})
        props["source"] = _clean(council["source"])
        figures = by_id.get(props["id"])
        if figures is not None:
            fig = figures_of(figures, store.share_column)
            props["residents"] = fig["residents"]
            props["venues_total"] = fig["venues_total"]
            for cat in category_ids():
                props[f"venues_{cat}"] = fig["venues_by_category"][cat]
            props[store.share_column] = fig["share_within_threshold"]
            props["mean_time_min"] = fig["mean_time_min"]
            props["unreachable_residents"] = fig["unreachable_residents"]
            props["p90_time_min"] = fig["p90_time_min"]
            props["gap_rank"] = fig["gap_rank"]
        rows.append(props)
    return rows


def _population_rows(population: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    area_km2 = population.geometry.to_crs(METRIC_CRS).area / 1e6
    rows = _plain_rows(population, ["id", "residents", "source"])
    for row, area in zip(rows, area_km2, strict=True):
        row["density_per_km2"] = round(row["residents"] / area, 1) if area > 0 else None
    return rows


SITE_COLUMNS = ["rank", "name", "category", "newly_covered", "cumulative_covered", "councils"]


def site_rows(sites: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One flat row per suggested site, best first; id = the venue's own id."""
    rows = []
    for _, site in sites.sort_values("rank").iterrows():
        row = {"id": str(site["candidate_id"])}
        row.update({c: _clean(site[c]) for c in SITE_COLUMNS})
        rows.append(row)
    return rows


def sites_collection(sites: gpd.GeoDataFrame) -> Collection:
    return _collection("sites", sites.sort_values("rank"), site_rows(sites))


def build_collections(store: MapStore) -> dict[str, Collection]:
    from webmap.api_isochrones import isochrone_collection  # imports Collection from here

    layers = store.layers
    venues = layers.venues
    workshops = layers.workshops.copy()
    workshops["date"] = [None if v is None or v != v else str(v)[:10] for v in workshops["date"]]
    return {
        "councils": _collection("councils", layers.councils, _council_rows(store)),
        "sectors": _collection("sectors", layers.sectors, _council_rows(store, "sectors")),
        "venues": _collection(
            "venues", venues, _plain_rows(venues, ["id", "name", "category", "address", "source"])
        ),
        "workshops": _collection(
            "workshops",
            workshops,
            _plain_rows(workshops, ["id", "title", "date", "venue_id", "councils", "source"]),
        ),
        "population": _collection("population", layers.population, _population_rows(
            layers.population
        )),
        "sites": sites_collection(store.sites),
        "isochrones": isochrone_collection(store),
    }


PROPOSAL_LIST_PROPERTIES = ("councils", "council_names")  # lists, served ";"-joined


def geojson_collection(collection_id: str, features: list[dict[str, Any]]) -> Collection:
    """A collection of ready GeoJSON features (string ids), for layers built per request
    rather than from a GeoDataFrame (the agenda's sessions, the published proposals)."""
    geometries = [shapely.geometry.shape(f["geometry"]) for f in features]
    return Collection(id=collection_id, features=features,
                      geometries=np.asarray(geometries, dtype=object),
                      positions={f["id"]: i for i, f in enumerate(features)})


def proposals_collection(published: list[dict[str, Any]] | None) -> Collection:
    """The OGC collection ``proposals``: the residents' published proposals as the map shows
    them (``webmap.map_builder.PROPOSALS_KEY``; none without the planner workspace), flat
    for QGIS: the councils a proposal names are one ";"-joined text."""
    features = []
    for feature in published or []:
        props = {k: ";".join(map(str, v)) if k in PROPOSAL_LIST_PROPERTIES else v
                 for k, v in feature["properties"].items()}
        fid = str(feature["id"])
        props["id"] = fid
        features.append({"type": "Feature", "id": fid, "geometry": feature["geometry"],
                         "properties": props})
    return geojson_collection("proposals", features)
