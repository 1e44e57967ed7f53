"""Row-by-row checks of a layer already read and in EPSG:4326: attributes, geometry, bounds.

Why it collects instead of raising: a planner fixing a file wants every problem at once.
``validate_frame`` returns a clean new GeoDataFrame plus the problems and the warnings
(repairs made); the caller raises if there is any problem, so nothing is half-loaded.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import WEB_CRS
from geo.layer_errors import Problem
from geo.schema import COQUIMBO_BOUNDS, LayerSpec, categories, category_ids

POLYGONAL = ("Polygon", "MultiPolygon")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Spanish words planners type for a category: only used to SUGGEST the right id, never to map.
LIST_SEPARATOR = ";"


@dataclass
class Report:
    """Problems and warnings of one file, each tied to a 1-based feature number and id."""

    path: Path
    ids: list[str | None]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def _make(self, i: int | None, es: str, en: str, hint_es: str, hint_en: str) -> Problem:
        fid = self.ids[i] if i is not None and i < len(self.ids) else None
        row = i + 1 if i is not None else None
        return Problem(self.path, es, en, hint_es, hint_en, row=row, feature_id=fid)

    def error(self, i: int | None, es: str, en: str, hint_es: str = "", hint_en: str = "") -> None:
        self.problems.append(self._make(i, es, en, hint_es, hint_en))

    def warn(self, i: int | None, es: str, en: str, hint_es: str = "", hint_en: str = "") -> None:
        self.warnings.append(self._make(i, es, en, hint_es, hint_en))


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _feature_ids(gdf: pd.DataFrame) -> list[str | None]:
    if "id" not in gdf.columns:
        return [None] * len(gdf)
    return [None if _is_null(v) else _as_text(v) for v in gdf["id"]]


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _report_empty(rep: Report, row: int, col: str, hint_es: str, hint_en: str) -> None:
    """A required cell is empty: the same problem for every type, with a type-specific fix."""
    rep.error(row, f"la columna «{col}» está vacía", f"column '{col}' is empty", hint_es, hint_en)


def _coerce_str(values: pd.Series, col: str, nullable: bool, rep: Report) -> pd.Series:
    out: list[str | None] = []
    for i, v in enumerate(values):
        if _is_null(v):
            out.append(None)
            if not nullable:
                _report_empty(
                    rep,
                    i,
                    col,
                    f"complete «{col}»: es obligatoria",
                    f"fill in '{col}': it is required",
                )
        else:
            out.append(_as_text(v))
    return pd.Series(out, index=values.index, dtype="str" if not nullable else None)


def _coerce_int(values: pd.Series, col: str, nullable: bool, rep: Report) -> pd.Series:
    out: list[int | None] = []
    for i, v in enumerate(values):
        if _is_null(v):
            out.append(None)
            if not nullable:
                _report_empty(
                    rep,
                    i,
                    col,
                    f"escriba un número entero en «{col}»",
                    f"write a whole number in '{col}'",
                )
            continue
        number: int | None = None
        if isinstance(v, bool | np.bool_):
            number = None
        elif isinstance(v, int | np.integer) or (
            isinstance(v, float | np.floating) and float(v).is_integer()
        ):
            number = int(v)
        elif isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
            number = int(v.strip())
        if number is None:
            thousands = isinstance(v, str) and re.fullmatch(r"\d{1,3}([.,]\d{3})+", v.strip())
            rep.error(
                i,
                f"«{col}» = {v!r} no es un número entero",
                f"'{col}' = {v!r} is not a whole number",
                "escriba solo dígitos" + (" (sin separador de miles)" if thousands else ""),
                "write digits only" + (" (no thousands separator)" if thousands else ""),
            )
        elif number < 0:
            rep.error(
                i,
                f"«{col}» = {number} es negativo",
                f"'{col}' = {number} is negative",
                "los conteos de personas no pueden ser negativos",
                "counts of people cannot be negative",
            )
        out.append(number)
    return pd.Series(out, index=values.index, dtype="Int64")


def _coerce_date(values: pd.Series, col: str, nullable: bool, rep: Report) -> pd.Series:
    out: list[pd.Timestamp | None] = []
    for i, v in enumerate(values):
        if _is_null(v):
            out.append(None)
            if not nullable:
                _report_empty(
                    rep, i, col, "escriba la fecha como AAAA-MM-DD", "write the date as YYYY-MM-DD"
                )
            continue
        parsed: pd.Timestamp | None = None
        if isinstance(v, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
            parsed = pd.Timestamp(v).normalize()
        elif isinstance(v, str) and ISO_DATE.match(v.strip()):
            try:
                parsed = pd.Timestamp(dt.date.fromisoformat(v.strip()))
            except ValueError:
                parsed = None
        if parsed is None:
            rep.error(
                i,
                f"«{col}» = {v!r} no es una fecha válida",
                f"'{col}' = {v!r} is not a valid date",
                "escriba la fecha como AAAA-MM-DD (p. ej. 2026-04-11)",
                "write the date as YYYY-MM-DD (e.g. 2026-04-11)",
            )
        out.append(parsed)
    return pd.Series(pd.to_datetime(out), index=values.index).astype("datetime64[ms]")


COERCERS = {"str": _coerce_str, "int": _coerce_int, "date": _coerce_date}


def check_columns(spec: LayerSpec, gdf: pd.DataFrame, rep: Report) -> list[str]:
    """Report missing required columns (with a close-name suggestion); return those present."""
    present = [c for c in spec.columns if c in gdf.columns]
    for col in spec.columns:
        if col in gdf.columns:
            continue
        close = difflib.get_close_matches(col, [str(c) for c in gdf.columns], n=1, cutoff=0.6)
        near_es = f" (¿quizás «{close[0]}»?)" if close else ""
        near_en = f" (perhaps '{close[0]}'?)" if close else ""
        rep.error(
            None,
            f"falta la columna obligatoria «{col}»{near_es}",
            f"the required column '{col}' is missing{near_en}",
            f"columnas esperadas: {', '.join(spec.columns)}; ver data/README.md",
            f"expected columns: {', '.join(spec.columns)}; see data/README.md",
        )
    return present


def coerce_attributes(spec: LayerSpec, gdf: pd.DataFrame, present: list[str], rep: Report) -> dict:
    """Convert each schema column to its documented type, reporting values that do not fit."""
    out: dict[str, pd.Series] = {}
    for col in present:
        kind = spec.columns[col]
        nullable = kind.endswith("?")
        base = kind.rstrip("?")
        out[col] = COERCERS[base](gdf[col], col, nullable, rep)
    if "id" in out:
        _check_unique_ids(out["id"], rep)
    if "category" in out and spec.name == "venues":
        _check_categories(out["category"], rep)
    if "councils" in out and spec.name == "workshops":
        _check_council_lists(out["councils"], rep)
    return out


def _check_unique_ids(ids: pd.Series | None, rep: Report) -> None:
    if ids is None:
        return
    first_seen: dict[str, int] = {}
    for i, v in enumerate(ids):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if v in first_seen:
            rep.error(
                i,
                f"id duplicado «{v}» (ya usado en el elemento {first_seen[v] + 1})",
                f"duplicate id '{v}' (already used by feature {first_seen[v] + 1})",
                "cada elemento necesita un id único",
                "every feature needs a unique id",
            )
        else:
            first_seen[v] = i


def _suggest_category(value: str) -> str | None:
    low = value.strip().lower()
    known = category_ids()
    if low in known:
        return low
    for cat in categories():
        if any(word in low for word in (cat.synonyms + (cat.label_es.lower(),))):
            return cat.id
    close = difflib.get_close_matches(low.replace(" ", "_"), known, n=1, cutoff=0.6)
    return close[0] if close else None


def _check_categories(values: pd.Series, rep: Report) -> None:
    known = category_ids()
    allowed = ", ".join(known)
    for i, v in enumerate(values):
        if not isinstance(v, str) or v in known:
            continue
        guess = _suggest_category(v)
        rep.error(
            i,
            f"categoría desconocida «{v}»" + (f" (¿quiso decir «{guess}»?)" if guess else ""),
            f"unknown category '{v}'" + (f" (did you mean '{guess}'?)" if guess else ""),
            f"use una de: {allowed}",
            f"use one of: {allowed}",
        )


def _check_council_lists(lists: pd.Series, rep: Report) -> None:
    for i, v in enumerate(lists):
        if not isinstance(v, str):
            continue
        parts = [p.strip() for p in v.split(LIST_SEPARATOR)]
        if any(p == "" for p in parts):
            rep.error(
                i,
                f"lista de juntas de vecinos mal formada «{v}»",
                f"malformed list of councils '{v}'",
                "escriba los id separados por «;» sin vacíos, p. ej. JV-01;JV-02",
                "write the ids separated by ';' with no blanks, e.g. JV-01;JV-02",
            )


def split_councils(value: str | None) -> list[str]:
    """The council ids of a workshop's ``councils`` field."""
    if not isinstance(value, str):
        return []
    return [p.strip() for p in value.split(LIST_SEPARATOR) if p.strip()]


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGONAL]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def check_geometries(spec: LayerSpec, geoms: np.ndarray, rep: Report) -> np.ndarray:
    """Null/empty or wrong-type geometries are errors; invalid polygons are repaired (warned)."""
    out = np.array(shapely.force_2d(geoms), dtype=object)
    allowed = " / ".join(spec.geometry_types)
    for i, g in enumerate(out):
        if g is None or g.is_empty:
            rep.error(
                i,
                "geometría vacía o nula",
                "empty or null geometry",
                "dibuje la geometría del elemento o elimínelo",
                "draw the feature's geometry or delete the feature",
            )
            continue
        if g.geom_type not in spec.geometry_types:
            rep.error(
                i,
                f"tipo de geometría {g.geom_type}; esta capa admite {allowed}",
                f"geometry type {g.geom_type}; this layer takes {allowed}",
                f"guarde la capa «{spec.name}» con geometrías {allowed}",
                f"save the '{spec.name}' layer with {allowed} geometries",
            )
            continue
        if not np.isfinite(shapely.get_coordinates(g)).all():
            rep.error(
                i,
                "coordenadas no finitas (NaN o infinito)",
                "non-finite coordinates (NaN/inf)",
                "corrija las coordenadas del elemento",
                "fix the feature's coordinates",
            )
            continue
        if g.is_valid:
            continue
        reason = shapely.is_valid_reason(g)
        fixed = shapely.make_valid(g)
        if spec.geometry_types == POLYGONAL or set(spec.geometry_types) <= set(POLYGONAL):
            fixed = _polygonal_part(fixed)
        if fixed.is_empty or fixed.geom_type not in spec.geometry_types:
            rep.error(
                i,
                f"geometría inválida que no se puede reparar ({reason})",
                f"invalid geometry that cannot be repaired ({reason})",
                "redibuje el polígono",
                "redraw the polygon",
            )
            continue
        out[i] = fixed
        rep.warn(
            i,
            f"geometría inválida ({reason}) reparada con make_valid",
            f"invalid geometry ({reason}) repaired with make_valid",
            "revise el polígono en QGIS (Vectorial > Herramientas de geometría > Corregir "
            "geometrías) y guarde el archivo corregido",
            "check the polygon in QGIS (Vector > Geometry Tools > Fix Geometries) and save "
            "the fixed file",
        )
    return out


def check_bounds(geoms: np.ndarray, rep: Report, declared_geographic: bool) -> None:
    """Every feature must lie in the Coquimbo area; say so when lat/lon look swapped."""
    lon0, lat0, lon1, lat1 = COQUIMBO_BOUNDS
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        minx, miny, maxx, maxy = g.bounds
        if not all(np.isfinite([minx, miny, maxx, maxy])):
            continue
        inside = lon0 <= minx and maxx <= lon1 and lat0 <= miny and maxy <= lat1
        if inside:
            continue
        swapped = lon0 <= miny and maxy <= lon1 and lat0 <= minx and maxx <= lat1
        x, y = g.representative_point().coords[0]
        if swapped:
            rep.error(
                i,
                f"latitud y longitud parecen invertidas (x={x:.5f}, y={y:.5f})",
                f"latitude and longitude look swapped (x={x:.5f}, y={y:.5f})",
                "la x debe ser la longitud (≈ -71.3) y la y la latitud (≈ -29.9): "
                "intercambie las columnas al importar",
                "x must be the longitude (≈ -71.3) and y the latitude (≈ -29.9): "
                "swap the columns when importing",
            )
        elif declared_geographic and (abs(x) > 180 or abs(y) > 90):
            rep.error(
                i,
                f"coordenadas en metros (x={x:.1f}, y={y:.1f}) en una capa declarada en grados",
                f"coordinates in metres (x={x:.1f}, y={y:.1f}) in a layer declared in degrees",
                "corrija el CRS o las coordenadas de este elemento",
                "fix the CRS or this feature's coordinates",
            )
        else:
            rep.error(
                i,
                f"fuera del área de Coquimbo (x={x:.5f}, y={y:.5f}; se espera lon "
                f"{lon0}..{lon1}, lat {lat0}..{lat1})",
                f"outside the Coquimbo area (x={x:.5f}, y={y:.5f}; expected lon "
                f"{lon0}..{lon1}, lat {lat0}..{lat1})",
                "revise las coordenadas y el CRS del archivo",
                "check the coordinates and the file's CRS",
            )


def validate_frame(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, path: Path, declared_geographic: bool = True
) -> tuple[gpd.GeoDataFrame, Report]:
    """Check one layer (already in EPSG:4326). Returns a NEW clean frame and the report;
    the frame must only be used if ``report.problems`` is empty."""
    rep = Report(path=path, ids=_feature_ids(gdf))
    present = check_columns(spec, gdf, rep)
    columns = coerce_attributes(spec, gdf, present, rep)
    geoms = check_geometries(spec, gdf.geometry.to_numpy(), rep)
    check_bounds(geoms, rep, declared_geographic)
    extras = [c for c in gdf.columns if c not in spec.columns and c != gdf.geometry.name]
    data = {}
    for col, values in columns.items():
        if spec.columns[col] == "int" and not rep.problems:
            values = values.astype("int64")
        data[col] = values.array
    for col in extras:
        data[col] = gdf[col].array
    clean = gpd.GeoDataFrame(
        pd.DataFrame(data, index=pd.RangeIndex(len(gdf))),
        geometry=gpd.GeoSeries(list(geoms), crs=WEB_CRS),
        crs=WEB_CRS,
    )
    rep.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return clean, rep
