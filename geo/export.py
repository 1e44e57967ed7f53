"""Write any layer or result as GeoJSON, GeoPackage or CSV, safely.

Why a module of its own: the CLI and the web downloads must produce the same files, each
written whole or not at all (temp file + ``os.replace``), always in EPSG:4326, and CSV cells
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) neutralised.
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

FORMATS: dict[str, str] = {"geojson": "geojson", "gpkg": "gpkg", "csv": "csv"}  # fmt -> ext
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text/* types
}
_DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG"}

# Every downloadable layer, in the order the download page lists them.
LAYER_NAMES: tuple[str, ...] = (
    "councils",
    "venues",
    "workshops",
    "population",
    "access-councils",
    "access-demand",
    "sites",
)

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """A layer cannot be exported (unknown name or format, or no geometry)."""


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Only text is touched: a negative number stored as a number stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            frame[column] = series.dt.strftime("%Y-%m-%d")
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            frame[column] = series.map(neutralise_cell)
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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{FORMATS[fmt]}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "csv":
            # CRLF (RFC 4180) also makes the writer quote cells holding a bare CR
            csv_frame(gdf).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
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
    """Export each named layer into ``out_dir/<name>.<ext>``; ``get_layer`` builds it."""
    names = list(names)
    unknown = [n for n in names if n not in LAYER_NAMES]
    if unknown:
        raise ExportError(f"unknown layer(s) {unknown}; use {', '.join(LAYER_NAMES)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    done = []
    for name in names:
        gdf = get_layer(name)
        path = write_layer(gdf, Path(out_dir) / f"{name}.{FORMATS[fmt]}", fmt, name)
        done.append(ExportedFile(name, fmt, path, len(gdf)))
    return done


def siting_result(layers, network, result):
    """The analysis that site suggestion starts from: the given one, whose counted categories
    (by default ``CULTURAL_CATEGORIES``) are the offerings the hosts are chosen to complement.
    Only when every venue counts (``categories=None``) are sites chosen against the cultural
    venues proper, since the halls and schools to choose among would already count."""
    from dataclasses import replace

    from geo.access import analyse
    from geo.siting import CULTURAL_CATEGORIES

    if result.params.categories is not None:
        return result
    return analyse(layers, replace(result.params, categories=CULTURAL_CATEGORIES),
                   network=network)


def suggest_default_sites(layers, network, result, k: int = 3,
                          candidates: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """``geo.siting.suggest_sites`` on :func:`siting_result` (what the downloads and reports
    show as "suggested sites")."""
    from geo.siting import suggest_sites

    return suggest_sites(siting_result(layers, network, result), layers, network, k=k,
                         candidates=candidates)


class LayerSource:
    """Builds each downloadable layer by name, running the analysis only when asked.

    The data layers need no analysis; ``access-*`` need :func:`geo.access.analyse` and
    ``sites`` also :func:`geo.siting.suggest_sites`. Each is computed once and reused.
    """

    def __init__(self, data_dir: Path | str | None = None, sites_k: int = 3) -> None:
        self.data_dir = data_dir
        self.sites_k = sites_k
        self._layers = None
        self._network = None
        self._result = None
        self._sites = None

    @classmethod
    def from_parts(cls, layers, network=None, result=None, sites=None) -> LayerSource:
        """Reuse what a caller (the web app, the reports) already computed."""
        source = cls()
        source._layers, source._network, source._result, source._sites = (
            layers, network, result, sites)
        return source

    @property
    def layers(self):
        if self._layers is None:
            from geo.layers import load_all

            self._layers = load_all(self.data_dir)
        return self._layers

    @property
    def network(self):
        if self._network is None:
            from geo.network import load_network
            from geo.schema import NETWORK_OSM

            osm = NETWORK_OSM
            if self.data_dir is not None:
                osm = Path(self.data_dir) / NETWORK_OSM.relative_to(NETWORK_OSM.parents[1])
            self._network = load_network(osm)
        return self._network

    @property
    def result(self):
        if self._result is None:
            from geo.access import analyse

            self._result = analyse(self.layers, network=self.network)
        return self._result

    @property
    def sites(self) -> gpd.GeoDataFrame:
        if self._sites is None:
            self._sites = suggest_default_sites(self.layers, self.network, self.result,
                                                self.sites_k)
        return self._sites

    def get(self, name: str) -> gpd.GeoDataFrame:
        """The layer called ``name`` (one of :data:`LAYER_NAMES`)."""
        builders: dict[str, Callable[[], gpd.GeoDataFrame]] = {
            "councils": lambda: self.layers.councils,
            "venues": lambda: self.layers.venues,
            "workshops": lambda: self.layers.workshops,
            "population": lambda: self.layers.population,
            "access-councils": lambda: self.result.councils,
            "access-demand": lambda: self.result.demand,
            "sites": lambda: self.sites,
        }
        if name not in builders:
            raise ExportError(f"unknown layer {name!r}; use {', '.join(LAYER_NAMES)}")
        return builders[name]()
