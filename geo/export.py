"""Write any layer or result as GeoJSON, GeoPackage or CSV, safely.

Why a module of its own: the CLI and the web downloads must produce the same files, each
written whole or not at all (temp file + ``os.replace``), always in EPSG:4326, and CSV cells
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) neutralised
in both CSV flavours (standard, and "excel" for Excel with es-CL settings).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import WEB_CRS
from geo.errors import CulturamapError

# fmt -> file extension. "excel" is the CSV that Excel with Spanish (Chile) regional settings
# opens into columns: ";" between cells, decimal comma, and a UTF-8 BOM (without it Excel
# reads the bytes as Windows-1252 and garbles ñ and accents). "csv" stays the standard
# (RFC 4180: ",", decimal point, no BOM) for QGIS, pandas and R.
FORMATS: dict[str, str] = {"geojson": "geojson", "gpkg": "gpkg", "csv": "csv", "excel": "csv"}
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text/* types
    "excel": "text/csv",
}
EXCEL_CSV = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"}  # Excel, es-CL
_DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG"}

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


class ExportError(CulturamapError, ValueError):
    """A layer cannot be exported (unknown name or format, or no geometry)."""


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Only text is touched: a negative number stored as a number stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise_cell`."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_cell)
    return frame


def csv_frame(gdf: gpd.GeoDataFrame, geometry: str = "auto") -> pd.DataFrame:
    """The table a CSV holds: attributes (neutralised text) plus the geometry as columns.

    ``geometry``: "lonlat" (lon, lat columns; points only), "wkt" (one ``wkt`` column) or
    "auto" (lon/lat when every geometry is a point, else WKT).
    """
    gdf = to_web(gdf)
    geoms = gdf.geometry
    if geometry == "auto":
        geometry = "lonlat" if len(geoms) and (geoms.geom_type == "Point").all() else "wkt"
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    frame = neutralised(frame)
    if geometry == "lonlat":
        if not (geoms.geom_type == "Point").all():
            raise ExportError("lon/lat columns need point geometries; use WKT")
        frame["lon"] = geoms.x.round(7)
        frame["lat"] = geoms.y.round(7)
    elif geometry == "wkt":
        frame["wkt"] = geoms.to_wkt(rounding_precision=7)
    else:
        raise ExportError(f"unknown CSV geometry style {geometry!r} (auto, lonlat, wkt)")
    return frame


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """A table without geometry as a CSV download (``csv`` or ``excel``), text cells
    neutralised like every other CSV of the product."""
    if fmt not in ("csv", "excel"):
        raise ExportError(f"a table is written as csv or excel, not {fmt!r}")
    frame = neutralised(frame)
    dialect = EXCEL_CSV if fmt == "excel" else {"encoding": "utf-8"}
    text = frame.to_csv(index=False, lineterminator="\r\n",
                        **{k: v for k, v in dialect.items() if k != "encoding"})
    return text.encode(dialect["encoding"])


def to_web(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in EPSG:4326 (what every download holds)."""
    if gdf.crs is None:
        raise ExportError("layer has no CRS; refusing to guess")
    return gdf.to_crs(WEB_CRS)


def write_layer(gdf: gpd.GeoDataFrame, path: Path | str, fmt: str, layer: str = "layer") -> Path:
    """Write ``gdf`` to ``path`` in ``fmt``; the file appears whole or not at all."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.{FORMATS[fmt]}"):
        # left by an export killed mid-write (kill -9, power cut): never a usable file
        stale.unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{FORMATS[fmt]}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt in ("csv", "excel"):
            # CRLF (RFC 4180) also makes the writer quote cells holding a bare CR
            dialect = EXCEL_CSV if fmt == "excel" else {"encoding": "utf-8"}
            csv_frame(gdf).to_csv(tmp, index=False, lineterminator="\r\n", **dialect)
        else:
            tmp.unlink()  # GDAL creates the file itself (GPKG refuses an empty file)
            web = _gdal_ready(to_web(gdf))
            web.to_file(tmp, driver=_DRIVERS[fmt], engine="pyogrio", layer=layer.replace("-", "_"))
        tmp.chmod(0o644)  # mkstemp makes 0600; a download is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _gdal_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: ids and text stay text, sequences become ';'-joined text."""
    out = gdf.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, set)) else v
            )
    return out


def layer_bytes(gdf: gpd.GeoDataFrame, fmt: str, layer: str = "layer") -> bytes:
    """The file content for a download, built through the same writer as the CLI."""
    with tempfile.TemporaryDirectory(prefix="culturamap-export-") as tmp:
        path = write_layer(gdf, Path(tmp) / f"{layer}.{FORMATS.get(fmt, 'x')}", fmt, layer)
        return path.read_bytes()


@dataclass
class ExportedFile:
    layer: str
    fmt: str
    path: Path
    rows: int


def export_layers(
    names: Iterable[str],
    fmt: str,
    out_dir: Path | str,
    get_layer: Callable[[str], gpd.GeoDataFrame],
) -> list[ExportedFile]:
    """Export each named layer into ``out_dir/<name>.<ext>``; ``get_layer`` builds it (and
    raises ``ExportError`` for a name it does not know, e.g. ``Study.layer``)."""
    names = list(names)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    done = []
    for name in names:
        gdf = get_layer(name)
        path = write_layer(gdf, Path(out_dir) / f"{name}.{FORMATS[fmt]}", fmt, name)
        done.append(ExportedFile(name, fmt, path, len(gdf)))
    return done
