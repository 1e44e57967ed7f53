"""Load the four data layers into GeoDataFrames (EPSG:4326), whole or not at all.

Public API (stable): ``load_layer(spec, path=None)``, ``load_all(data_dir=None) -> Layers``,
``Layers`` and ``LayerError``. Every problem becomes one ``LayerError`` naming the file, the
feature, the problem and what to do; repairs (invalid polygons fixed with make_valid) are
kept as warnings in ``gdf.attrs["warnings"]`` and logged. Schema: geo/schema.py and
data/README.md.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import METRIC_CRS, WEB_CRS
from geo.layer_errors import LayerError, Problem
from geo.layer_reading import latin1_error, read_vector, to_web_crs
from geo.schema import (
    COUNCILS,
    DATA_DIR,
    MANIFEST,
    OFFERING,
    POPULATION,
    SECTORS,
    VENUES,
    WORKSHOPS,
    ZONES,
    LayerSpec,
    categories,
    category_ids,
)
from geo.validation import split_councils, validate_frame

__all__ = ["LayerError", "Layers", "load_all", "load_layer", "layer_path", "layer_warnings"]

log = logging.getLogger(__name__)

TO_LOCATE_FILE = "venues/por_ubicar.csv"  # inside the data folder; optional
TO_LOCATE_COLUMNS = ["id", "name", "category", "address", "sector", "status", "source_urls"]
OVERLAP_SLIVER_M2 = 500.0  # council overlaps above this are reported (digitising slivers are not)


@dataclass
class Layers:
    """The four layers, all in EPSG:4326, plus the data manifest (sources, licences).

    ``sectors`` (the second territory level: municipal sectors) and ``zones`` (census 2017
    zones with age groups, a second population layer) are optional: without a sectors file
    the sectors are the councils dissolved by their ``sector`` column; without zones the
    layer is empty.
    """

    councils: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    workshops: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    manifest: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # cross-layer remarks (not errors)
    # Known places without coordinates ("por ubicar"): listed, never placed on the map.
    to_locate: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TO_LOCATE_COLUMNS))
    sectors: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        if self.sectors is None:
            self.sectors = sectors_from_councils(self.councils)
        if self.zones is None:
            self.zones = empty_layer(ZONES, ZONES.default_path)

    def inventory(self) -> dict[str, int]:
        """How complete the venue inventory is: cultural places located vs still to locate,
        so that no page mistakes a gap in the inventory for a gap in the city."""
        offerings = self.venues["category"].isin(category_ids(OFFERING))
        known_cultural = self.venues["category"].isin(
            [c.id for c in categories() if c.cultural_place])
        return {
            "cultural_located": int(known_cultural.sum()),
            "offerings_located": int(offerings.sum()),
            "to_locate": int(len(self.to_locate)),
            "workshops": int(len(self.workshops)),
        }


def sector_id(name: str) -> str:
    """A stable id for a sector known only by name: 'Parte Alta' -> 'parte-alta'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "sector"


def sectors_from_councils(councils: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The councils dissolved by their ``sector`` column (councils without one left out),
    for data folders without a sectors file."""
    if "sector" not in councils or councils["sector"].isna().all():
        return empty_layer(SECTORS, SECTORS.default_path)
    named = councils[councils["sector"].notna() & (councils["sector"].astype(str) != "")]
    merged = named.dissolve(by="sector", as_index=False, sort=True)
    out = gpd.GeoDataFrame(
        {
            "id": [sector_id(n) for n in merged["sector"]],
            "name": merged["sector"].astype(str).to_numpy(),
            "residents": pd.array([None] * len(merged), dtype="Int64"),
            "households": pd.array([None] * len(merged), dtype="Int64"),
            "population_2017": pd.array([None] * len(merged), dtype="Int64"),
            "source": "sectores de las juntas de vecinos / the councils' sector column",
        },
        geometry=merged.geometry.to_numpy(),
        crs=WEB_CRS,
    )
    out.attrs.update(warnings=[], source_path="", source_crs=WEB_CRS, derived=True)
    return out


def layer_warnings(gdf: gpd.GeoDataFrame) -> list[str]:
    """The repairs and remarks made while loading a layer (empty if none)."""
    return list(gdf.attrs.get("warnings", []))


def load_layer(spec: LayerSpec, path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Read, check and return one layer in EPSG:4326, or raise ``LayerError``.

    Columns come in the order of ``spec.columns`` (typed: str, Int64/int64, datetime64),
    then any extra columns of the file, then ``geometry``; the index is 0..n-1 in file order.
    """
    path = Path(path) if path is not None else spec.default_path
    raw = read_vector(path, spec)
    if len(raw) == 0:  # only layers that may be empty get here (e.g. no workshop yet)
        return empty_layer(spec, path)
    declared_geographic = raw.crs is not None and raw.crs.is_geographic
    web = to_web_crs(raw, path, spec)
    clean, report = validate_frame(spec, web, path, declared_geographic)
    if spec.name == COUNCILS.name and not report.problems:
        report.warnings.extend(_council_overlaps(clean, path))
    if report.problems:
        raise LayerError(path, report.problems, layer=spec.name)
    rendered = [w.render() for w in report.warnings]
    for text in rendered:
        log.warning("%s", text)
    clean.attrs["warnings"] = rendered
    clean.attrs["source_path"] = str(path)
    clean.attrs["source_crs"] = raw.crs.to_string()
    return clean


def empty_layer(spec: LayerSpec, path: Path) -> gpd.GeoDataFrame:
    """A layer with no features but its documented columns and types, in EPSG:4326."""
    dtypes = {"int": "int64", "int?": "Int64", "date": "datetime64[ms]"}
    frame = {c: pd.Series(dtype=dtypes.get(t, "object")) for c, t in spec.columns.items()}
    empty = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WEB_CRS), crs=WEB_CRS)
    empty.attrs.update(warnings=[], source_path=str(path), source_crs=WEB_CRS)
    return empty


def _council_overlaps(councils: gpd.GeoDataFrame, path: Path) -> list[Problem]:
    """Territories should tile the area; overlaps beyond a sliver double-count venues."""
    metric = councils.to_crs(METRIC_CRS)
    left, right = metric.sindex.query(metric.geometry, predicate="intersects")
    out = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        area = metric.geometry.iloc[i].intersection(metric.geometry.iloc[j]).area
        if area > OVERLAP_SLIVER_M2:
            a, b = councils["id"].iloc[i], councils["id"].iloc[j]
            out.append(
                Problem(
                    path,
                    f"los territorios {a} y {b} se superponen en {area:,.0f} m²",
                    f"territories {a} and {b} overlap by {area:,.0f} m²",
                    "corrija los límites para que no se superpongan",
                    "fix the boundaries so that they do not overlap",
                    row=int(i) + 1,
                    feature_id=str(a),
                )
            )
    return out


def layer_path(spec: LayerSpec, data_dir: Path | str | None = None) -> Path:
    """Where ``spec``'s file lives inside ``data_dir`` (same layout as data/)."""
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    return base / spec.default_path.relative_to(DATA_DIR)


def load_manifest(data_dir: Path | str | None = None) -> dict:
    """The data manifest (sources, licences, synthetic flag); {} if the folder has none."""
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    path = base / MANIFEST.name
    if not path.exists():
        return {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise latin1_error(path, "manifest", raw, exc.start) from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerError.single(
            path,
            f"JSON inválido en la línea {exc.lineno}, columna {exc.colno}: {exc.msg}",
            f"invalid JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}",
            "corrija la sintaxis (un validador JSON indica el lugar exacto)",
            "fix the syntax (a JSON validator shows the exact place)",
            layer="manifest",
        ) from exc
    if not isinstance(manifest, dict):
        raise LayerError.single(
            path,
            "el manifiesto debe ser un objeto JSON",
            "the manifest must be a JSON object",
            layer="manifest",
        )
    return manifest


def load_to_locate(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The known places still without coordinates (empty when the folder has no list).

    A row needs an id, a name and a known category; anything else is a ``LayerError``
    naming the file and the row."""
    base = Path(data_dir) if data_dir is not None else DATA_DIR
    path = base / TO_LOCATE_FILE
    if not path.exists():
        return pd.DataFrame(columns=TO_LOCATE_COLUMNS)
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise latin1_error(path, "venues_to_locate", raw, exc.start) from None
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ("id", "name", "category") if c not in table.columns]
    if missing:
        raise LayerError.single(path, f"faltan columnas {missing}", f"missing columns {missing}",
                                layer="venues_to_locate")
    known = category_ids()
    for i, row in enumerate(table.itertuples(index=False)):
        if not row.id or not row.name or row.category not in known:
            problem = Problem(
                path,
                "cada fila necesita id, nombre y una categoría conocida",
                "every row needs an id, a name and a known category",
                f"categorías: {', '.join(known)}",
                f"categories: {', '.join(known)}",
                row=i + 1,
                feature_id=row.id or None,
            )
            raise LayerError(path, [problem], layer="venues_to_locate")
    for column in TO_LOCATE_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    return table


def cross_check(layers: Layers, data_dir: Path | str | None = None) -> list[Problem]:
    """Checks that need two layers: workshop councils and venues must exist."""
    path = layer_path(WORKSHOPS, data_dir)
    council_ids = set(layers.councils["id"])
    venue_ids = set(layers.venues["id"])
    problems = []
    for i, row in enumerate(layers.workshops.itertuples(index=False)):
        unknown = [c for c in split_councils(row.councils) if c not in council_ids]
        if unknown:
            problems.append(
                Problem(
                    path,
                    f"«councils» nombra juntas de vecinos que no existen: {', '.join(unknown)}",
                    f"'councils' names unknown councils: {', '.join(unknown)}",
                    "use id de boundaries/councils.geojson (p. ej. JV-01), separados por «;»",
                    "use ids from boundaries/councils.geojson (e.g. JV-01), separated by ';'",
                    row=i + 1,
                    feature_id=row.id,
                )
            )
        venue = row.venue_id
        if isinstance(venue, str) and venue not in venue_ids:
            problems.append(
                Problem(
                    path,
                    f"«venue_id» = «{venue}» no existe en la capa de espacios culturales",
                    f"'venue_id' = '{venue}' is not in the venues layer",
                    "use un id de venues/venues.geojson o deje el campo vacío",
                    "use an id from venues/venues.geojson or leave the field empty",
                    row=i + 1,
                    feature_id=row.id,
                )
            )
    return problems


def _cross_warnings(layers: Layers) -> list[str]:
    """Remarks that do not block loading but that a planner should see."""
    out = []
    area = layers.councils.to_crs(METRIC_CRS).union_all()
    venues = layers.venues.to_crs(METRIC_CRS)
    outside = venues[~venues.within(area)]
    if len(outside):
        ids = ", ".join(outside["id"].astype(str).head(10))
        out.append(
            f"{len(outside)} espacio(s) fuera de toda unidad vecinal (territorio de juntas de "
            f"vecinos): {ids} / {len(outside)} venue(s) outside every neighbourhood unit: {ids}"
        )
    blocks = layers.population.to_crs(METRIC_CRS)
    lost = blocks[~blocks.representative_point().within(area)]
    if len(lost):
        out.append(
            f"{len(lost)} manzana(s) ({int(lost['residents'].sum())} hab.) fuera de los "
            f"territorios / {len(lost)} block(s) ({int(lost['residents'].sum())} residents) "
            "outside the council territories"
        )
    return out


def load_all(data_dir: Path | str | None = None) -> Layers:
    """Load the four layers and the manifest; raise one ``LayerError`` listing the problems
    of every failing file (and the cross-layer ones), so one run shows everything to fix."""
    loaded: dict[str, gpd.GeoDataFrame] = {}
    failures: list[LayerError] = []
    for spec in (COUNCILS, VENUES, WORKSHOPS, POPULATION):
        try:
            loaded[spec.name] = load_layer(spec, layer_path(spec, data_dir))
        except LayerError as exc:
            failures.append(exc)
    try:
        manifest = load_manifest(data_dir)
    except LayerError as exc:
        failures.append(exc)
        manifest = {}
    if failures:
        raise combine_errors(failures)
    optional: dict[str, gpd.GeoDataFrame | None] = {}
    for spec in (SECTORS, ZONES):
        path = layer_path(spec, data_dir)
        try:
            optional[spec.name] = load_layer(spec, path) if path.exists() else None
        except LayerError as exc:
            failures.append(exc)
    try:
        to_locate = load_to_locate(data_dir)
    except LayerError as exc:
        failures.append(exc)
    if failures:
        raise combine_errors(failures)
    layers = Layers(
        councils=loaded["councils"],
        venues=loaded["venues"],
        workshops=loaded["workshops"],
        population=loaded["population"],
        manifest=manifest,
        to_locate=to_locate,
        sectors=optional["sectors"],
        zones=optional["zones"],
    )
    problems = cross_check(layers, data_dir)
    if problems:
        raise LayerError(layer_path(WORKSHOPS, data_dir), problems, layer=WORKSHOPS.name)
    layers.warnings = _cross_warnings(layers)
    for text in layers.warnings:
        log.warning("%s", text)
    return layers


def combine_errors(errors: list[LayerError]) -> LayerError:
    """One error for several failing files (the first file names it); each problem keeps
    its own file so the message stays exact."""
    if len(errors) == 1:
        return errors[0]
    problems = [p for e in errors for p in e.problems]
    omitted = sum(e.omitted for e in errors)
    layers = ", ".join(e.layer or "?" for e in errors)
    combined = LayerError(errors[0].path, problems, layer=layers, omitted=omitted)
    combined.parts = errors  # type: ignore[attr-defined]
    return combined
