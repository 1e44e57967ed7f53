"""Read a vector file with pyogrio, refusing bad encodings and bad coordinate systems.

Why separate from the row checks: these are whole-file failures (cannot read, Latin-1 text,
no CRS, CRS that contradicts the coordinates) that make every row meaningless.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo import WEB_CRS
from geo.layer_errors import LayerError
from geo.schema import LayerSpec

TEXT_SUFFIXES = {".geojson", ".json", ".csv", ".gml", ".kml", ".txt"}
CONVERT_HINT_ES = (
    "vuelva a guardar el archivo en UTF-8: en QGIS «Exportar > Guardar objetos como» con "
    "codificación UTF-8, o en la terminal: "
    "iconv -f WINDOWS-1252 -t UTF-8 {name} > {stem}.utf8{suffix}"
)
CONVERT_HINT_EN = (
    "save the file again as UTF-8: in QGIS 'Export > Save Features As' with encoding UTF-8, "
    "or in a terminal: iconv -f WINDOWS-1252 -t UTF-8 {name} > {stem}.utf8{suffix}"
)


def check_utf8(path: Path, layer: str) -> None:
    """Raise if a text file is not valid UTF-8 (most often Latin-1 / Windows-1252 from Excel or
    an old GIS). We never guess the encoding silently: a wrong guess corrupts names."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise latin1_error(path, layer, raw, exc.start) from None


def latin1_error(
    path: Path,
    layer: str,
    raw: bytes | None,
    offset: int | None,
    value: bytes | None = None,
    value_offset: int | None = None,
) -> LayerError:
    """The Latin-1 error: where the first bad byte is (line of a text file, or the value of a
    binary one such as a .dbf) and how to convert the file."""
    where_es = where_en = ""
    if raw is None and isinstance(value, bytes) and value_offset is not None:
        shown = value.decode("cp1252", "replace")[:80]
        where_es = f" (byte 0x{value[value_offset]:02x} en el valor {shown!r})"
        where_en = f" (byte 0x{value[value_offset]:02x} in the value {shown!r})"
    if raw is not None and offset is not None:
        line = raw[:offset].count(b"\n") + 1
        start = raw.rfind(b"\n", 0, offset) + 1
        end = raw.find(b"\n", offset)
        snippet = raw[start : end if end != -1 else len(raw)].decode("cp1252", "replace").strip()
        snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
        where_es = (
            f" (primer byte inválido 0x{raw[offset]:02x} en la línea {line}, "
            f"byte {offset}: {snippet!r})"
        )
        where_en = f" (first bad byte 0x{raw[offset]:02x} on line {line}, byte offset {offset})"
    fmt = {"name": path.name, "stem": path.stem, "suffix": path.suffix}
    if path.suffix.lower() == ".shp":
        return LayerError.single(
            path,
            "el .dbf no está en UTF-8 y no hay .cpg que declare su codificación; parece "
            "Latin-1 / Windows-1252" + where_es,
            "the .dbf is not UTF-8 and no .cpg declares its encoding; it looks like "
            "Latin-1 / Windows-1252" + where_en,
            f"guarde la capa en UTF-8 (QGIS «Guardar objetos como…», codificación UTF-8) o, si "
            f"sabe que es Latin-1, cree {path.stem}.cpg con el texto WINDOWS-1252",
            f"save the layer as UTF-8 (QGIS 'Save Features As', encoding UTF-8) or, if you "
            f"know it is Latin-1, create {path.stem}.cpg containing WINDOWS-1252",
            layer=layer,
        )
    return LayerError.single(
        path,
        "el texto no está en UTF-8; parece Latin-1 / Windows-1252" + where_es,
        "the text is not UTF-8; it looks like Latin-1 / Windows-1252" + where_en,
        CONVERT_HINT_ES.format(**fmt),
        CONVERT_HINT_EN.format(**fmt),
        layer=layer,
    )


def _pick_gpkg_layer(path: Path, spec: LayerSpec) -> str | None:
    """A GeoPackage may hold several tables: use the one named like the layer, or the only one."""
    if path.suffix.lower() != ".gpkg":
        return None
    names = [str(n) for n, _ in pyogrio.list_layers(path)]
    if len(names) == 1:
        return names[0]
    if spec.name in names:
        return spec.name
    raise LayerError.single(
        path,
        f"el GeoPackage tiene varias capas {names} y ninguna se llama «{spec.name}»",
        f"the GeoPackage holds several layers {names} and none is named '{spec.name}'",
        f"renombre la capa correcta a «{spec.name}» o exporte solo esa capa",
        f"rename the right layer to '{spec.name}' or export that layer alone",
        layer=spec.name,
    )


def _check_readable_file(path: Path, spec: LayerSpec) -> None:
    """A folder where the layer file should be, or a file this user may not read, is a
    LayerError naming the path, not an OSError from deep inside a reader."""
    try:
        is_dir = path.is_dir()
        readable = os.access(path, os.R_OK)
        path.stat()  # a folder on the way that this user may not enter raises here
    except PermissionError:
        readable = False
        is_dir = False
    except OSError:
        return  # missing: said below with the usual hint
    if is_dir and path.suffix.lower() != ".gdb":
        raise LayerError.single(
            path,
            "es una carpeta, no un archivo",
            "is a folder, not a file",
            f"ponga en esa ruta el archivo de la capa «{spec.name}» (no una carpeta)",
            f"put the '{spec.name}' layer file at that path (not a folder)",
            layer=spec.name,
        )
    if not readable:
        raise LayerError.single(
            path,
            "no se puede leer (permiso denegado)",
            "cannot be read (permission denied)",
            f"dé permiso de lectura al usuario que corre culturamap: chmod a+r {path}",
            f"let the user running culturamap read it: chmod a+r {path}",
            layer=spec.name,
        )


def read_vector(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read the file as it is (no reprojection yet); any reader failure is a LayerError."""
    _check_readable_file(path, spec)
    if not path.exists():
        raise LayerError.single(
            path,
            "el archivo no existe",
            "the file does not exist",
            f"copie la capa «{spec.name}» a esa ruta o indique otra carpeta con --data-dir",
            f"put the '{spec.name}' layer at that path or point --data-dir elsewhere",
            layer=spec.name,
        )
    check_utf8(path, spec.name)
    options = {}
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        # Without a .cpg GDAL silently assumes Latin-1; insist on UTF-8 instead of guessing.
        options["encoding"] = "UTF-8"
    try:
        layer = _pick_gpkg_layer(path, spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL chatter; our own checks report problems
            gdf = gpd.read_file(path, engine="pyogrio", layer=layer, **options)
    except LayerError:
        raise
    except UnicodeDecodeError as exc:
        raise latin1_error(path, spec.name, None, None, exc.object, exc.start) from exc
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
        raise LayerError.single(
            path,
            f"no se puede leer como capa vectorial ({exc})",
            f"cannot be read as a vector layer ({type(exc).__name__})",
            "abra el archivo en QGIS para ver si está dañado; formatos aceptados: "
            "GeoJSON, GeoPackage, Shapefile",
            "open it in QGIS to see whether it is damaged; accepted formats: "
            "GeoJSON, GeoPackage, Shapefile",
            layer=spec.name,
        ) from exc
    if len(gdf) == 0 and not spec.may_be_empty:
        raise LayerError.single(
            path,
            "la capa no tiene elementos",
            "the layer has no features",
            "revise que exportó la capa correcta y no una selección vacía",
            "check that you exported the right layer and not an empty selection",
            layer=spec.name,
        )
    return gdf


def _coordinates(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = gdf.geometry.values
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return shapely.get_coordinates(geoms[usable])


def to_web_crs(gdf: gpd.GeoDataFrame, path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Check the declared CRS against the coordinates and reproject to EPSG:4326.

    A valid non-4326 CRS is fine (reprojected); no CRS, or a CRS that the coordinates
    contradict (metres declared as degrees, degrees declared as metres), is an error.
    """
    if gdf.crs is None:
        shp = path.suffix.lower() == ".shp"
        raise LayerError.single(
            path,
            "el archivo no declara sistema de coordenadas (CRS)"
            + (": falta el archivo .prj" if shp else ""),
            "the file declares no coordinate reference system (CRS)"
            + (": the .prj file is missing" if shp else ""),
            "asigne el CRS correcto (QGIS: «Asignar SRC a la capa», o "
            "ogr2ogr -a_srs EPSG:4326 salida entrada) y guarde de nuevo",
            "assign the right CRS (QGIS 'Set Layer CRS', or "
            "ogr2ogr -a_srs EPSG:4326 out in) and save again",
            layer=spec.name,
        )
    coords = _coordinates(gdf)
    if coords.size == 0:
        return gdf.to_crs(WEB_CRS)  # geometry problems are reported row by row later
    crs_name = gdf.crs.to_string()
    if gdf.crs.is_geographic:
        looks_metric = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if looks_metric.all():
            x, y = coords[0]
            raise LayerError.single(
                path,
                f"CRS incorrecto: declara {crs_name} (grados) pero las coordenadas son metros "
                f"(p. ej. x={x:.1f}, y={y:.1f})",
                f"wrong CRS: it declares {crs_name} (degrees) but the coordinates are metres "
                f"(e.g. x={x:.1f}, y={y:.1f})",
                "probablemente está en UTM 19S: asigne EPSG:32719 (QGIS «Asignar SRC», "
                "ogr2ogr -a_srs EPSG:32719) sin reproyectar",
                "it is probably UTM 19S: assign EPSG:32719 (QGIS 'Set CRS', "
                "ogr2ogr -a_srs EPSG:32719) without reprojecting",
                layer=spec.name,
            )
        return gdf.to_crs(WEB_CRS)  # rows with metre coordinates are reported row by row
    if (np.abs(coords) <= 360).all():
        x, y = coords[0]
        raise LayerError.single(
            path,
            f"CRS incorrecto: declara {crs_name} (metros) pero las coordenadas parecen grados "
            f"(p. ej. x={x}, y={y})",
            f"wrong CRS: it declares {crs_name} (metres) but the coordinates look like degrees "
            f"(e.g. x={x}, y={y})",
            "asigne EPSG:4326 (QGIS «Asignar SRC», ogr2ogr -a_srs EPSG:4326)",
            "assign EPSG:4326 (QGIS 'Set CRS', ogr2ogr -a_srs EPSG:4326)",
            layer=spec.name,
        )
    try:
        return gdf.to_crs(WEB_CRS)
    except Exception as exc:  # noqa: BLE001
        raise LayerError.single(
            path,
            f"no se puede reproyectar desde {crs_name} a EPSG:4326 ({exc})",
            f"cannot reproject from {crs_name} to EPSG:4326",
            "revise el CRS declarado",
            "check the declared CRS",
            layer=spec.name,
        ) from exc
