"""Convert the real public data in ``../shared/data`` into the product's ``data/`` layout.

Why a script and not hand edits: every figure in the data folder (residents per unit, venues
located vs to be located, excluded blocks) must be recomputable from the sources, and the
same sources must give byte-identical files. Nothing is invented: a missing fact stays
empty, a venue without coordinates goes to ``venues/por_ubicar.csv`` and is never placed.

    python tools/import_shared_data.py --shared ../shared/data --out /tmp/real_data

The output is built in a temporary folder next to ``--out`` and swapped into place only when
every file is written, so a failed run never leaves a half-written data folder. Bad input
stops the run with a message naming the file, the row and the problem.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script: make ``geo`` importable

from geo import METRIC_CRS, WEB_CRS  # noqa: E402
from geo.schema import CATEGORIES, COQUIMBO_BOUNDS  # noqa: E402

DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "data"
COMUNA = "04102"
DECIMALS = 7  # lon/lat rounding (~1 cm): fixed so the output is byte-identical run to run
URBAN_UV = re.compile(r"^\d{3}$")  # urban units are "001".."034"; rural ones end in "R"
TOLERANCE_M = 250.0  # blocks this close to an urban unit are border slivers of its outline
BLOCKS_SHA256 = "2ec58f44dae60fd4c1f6870c72dbb887eef1794a26325c22a3838ca645a25a60"
GSE_CLASSES = ("ABC1", "C1", "C2", "C3", "D", "E")
QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")
# Units that overlap no municipal sector: the answer is known ("none"), not missing. The
# councils schema requires ``sector``; once it becomes "str?" this can be None.
NO_SECTOR = "sin sector municipal"
FOCUS_NAME = "Parte Alta"
FOCUS_EXAMPLE = ("Parte Alta", "Sindempart", "San Juan")  # the shared README's example
NEIGHBOUR_M = 50.0  # sectors this close to Parte Alta count as its neighbours
SCHOOL_OPEN = "Funcionando"
SCHOOL_CSV_OPEN = "1"  # ESTADO_ESTAB code of "Funcionando" in the MINEDUC directory
AGE_GROUPS = {"0 a 5": "age_0_14", "6 a 14": "age_0_14", "15 a 64": "age_15_64",
              "65 y mas": "age_65_plus"}

F_UV = "boundaries/unidades_vecinales_4102.geojson"
F_SECTORS = "boundaries/sectores_municipales_4102.geojson"
F_COMUNAS = "boundaries/comunas_4101_4102.geojson"
F_BLOCKS = "population/manzanas_censo2024_4102.geojson"
F_ZONES = "population/zonas_censo2017_4102.geojson"
F_AGES = "population/censo2017_poblacion_zona_edad_4102.csv"
F_SCHOOLS = "venues/escuelas_mineduc_2025_4102.geojson"
F_SCHOOLS_CSV = "venues/escuelas_mineduc_2025_4102.csv"
F_PLACES = "venues/espacios_culturales_conocidos.csv"

NO_LICENCE = "no licence stated / sin licencia declarada"
CHILEMAPAS = (
    "R package chilemapas (pachadotdev/chilemapas, commit "
    "69724f749f285c3d98852a0259e8d513f73b38fa); data credited to INE, SUBDERE and BCN"
)

# Provenance as stated in the shared README (../shared/data/README.md); facts, not guesses.
META: dict[str, dict[str, Any]] = {
    "councils": {
        "file": "boundaries/councils.geojson",
        "source": "Unidades vecinales urbanas (capa nacional UnidadesVecinales_2024v4) + "
        "manzanas Censo 2024 (INE)",
        "publisher": "capa nacional de Unidades Vecinales, vía MaverickLegend/mapa-lachispa; "
        "población: INE Censo 2024 vía mstrubee/geochile-compass",
        "licence": NO_LICENCE + " (public administrative data; no licence file in the "
        "repository)",
        "date": "2024 (UnidadesVecinales_2024v4; población Censo 2024)",
        "repository": "MaverickLegend/mapa-lachispa",
        "path": "public/geojson/coquimbo.json",
        "commit": "ab712b0b0d49082b448e938f741ed024ccbe9d87",
        "inputs": [F_UV, F_SECTORS, F_BLOCKS],
    },
    "commune": {
        "file": "boundaries/commune.geojson",
        "source": "Contorno de la comuna de Coquimbo (04102), referencial y simplificado",
        "publisher": "chilemapas (datos: INE, SUBDERE, BCN)",
        "licence": "GPL-3 (chilemapas package); data credited to INE, SUBDERE and BCN",
        "date": "2017 (división político-administrativa de chilemapas)",
        "repository": "pachadotdev/chilemapas",
        "commit": "69724f749f285c3d98852a0259e8d513f73b38fa",
        "inputs": [F_COMUNAS],
    },
    "sectors": {
        "file": "boundaries/sectors.geojson",
        "source": "Sectores municipales de Coquimbo, Censo 2017 (dashboard con logo de la "
        "Municipalidad de Coquimbo)",
        "publisher": "Utm1333/DatosCensalesCoquimbo (Municipalidad de Coquimbo, Censo 2017)",
        "licence": NO_LICENCE,
        "date": "2017 (Censo 2017; residents/households: Censo 2024 blocks)",
        "repository": "Utm1333/DatosCensalesCoquimbo",
        "path": "Sectores2jsonSectores2_1.js",
        "commit": "e0f45b6b (HEAD b684e3a87d212ac8c1765804d36261d5d101f9f1)",
        "inputs": [F_SECTORS, F_BLOCKS],
    },
    "population": {
        "file": "population/blocks.geojson",
        "source": "Manzanas Censo 2024 (INE) con clasificación socioeconómica de "
        "geochile-compass",
        "publisher": "INE (manzanas y conteos); GSE: mstrubee/geochile-compass",
        "licence": NO_LICENCE + " (no licence file in the repository)",
        "date": "2024 (Censo 2024)",
        "repository": "mstrubee/geochile-compass",
        "path": "public/gse/coquimbo.geojson",
        "commit": "0a38a4463a0489c2405aca399abbd59af9d23f8f",
        "inputs": [F_BLOCKS, F_UV],
    },
    "zones_2017": {
        "file": "population/zones_2017.geojson",
        "source": "Zonas censales urbanas Censo 2017 con población por edad",
        "publisher": "INE Censo 2017 vía chilemapas (censo_2017_zonas)",
        "licence": "GPL-3 (chilemapas package); data credited to INE, SUBDERE and BCN",
        "date": "2017 (Censo 2017)",
        "repository": "pachadotdev/chilemapas",
        "commit": "69724f749f285c3d98852a0259e8d513f73b38fa",
        "inputs": [F_ZONES, F_AGES],
    },
    "venues": {
        "file": "venues/venues.geojson",
        "source": "Espacios culturales conocidos con coordenadas (fuentes públicas por fila) "
        "+ establecimientos MINEDUC en funcionamiento",
        "publisher": "compilado de fuentes públicas (URL por fila); MINEDUC Directorio Oficial "
        "EE 2025 vía nclsjstnn/buscolegio",
        "licence": NO_LICENCE + " (MINEDUC open data; cultural places compiled from public "
        "pages)",
        "date": "escuelas 2025-04-30 (corte; publicado 2025-09-26); espacios culturales: "
        "estado a la fecha de cada fila (status_date)",
        "repository": "nclsjstnn/buscolegio",
        "commit": "d604f9d9eb54d1c67ec96f1726b2e1df1d9fbe0b",
        "inputs": [F_PLACES, F_SCHOOLS, F_SCHOOLS_CSV, F_COMUNAS],
    },
    "venues_to_locate": {
        "file": "venues/por_ubicar.csv",
        "source": "Espacios culturales conocidos SIN coordenadas (fuentes públicas por fila)",
        "publisher": "compilado de fuentes públicas (URL por fila)",
        "licence": NO_LICENCE,
        "date": "estado a la fecha de cada fila (status_date)",
        "inputs": [F_PLACES],
    },
    "workshops": {
        "file": "workshops/workshops.geojson",
        "source": "ninguna fuente pública da lugares y fechas de los talleres (2014–2015)",
        "publisher": "culturamap (vacío; lo completa la planificación)",
        "licence": NO_LICENCE,
        "date": None,
        "inputs": [],
    },
}


class InputError(Exception):
    """Bad input: which file, which row (1-based feature/data row) and what is wrong."""

    def __init__(self, path: Path, row: int | None, problem: str) -> None:
        self.path, self.row, self.problem = path, row, problem
        where = f"{path}" + (f", fila/row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")


@dataclass
class Result:
    """Everything one run computed: the files to write and the figures to report."""

    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


# --- reading -------------------------------------------------------------------------------


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InputError(path, None, "falta el archivo / file not found")
    return path


def read_features(path: Path, required: dict[str, type | tuple[type, ...]],
                  geom_types: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read a GeoJSON FeatureCollection, checking each feature's properties and geometry so
    that a bad row is named (feature numbers are 1-based, as in QGIS)."""
    try:
        doc = json.loads(_need(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"no es UTF-8 / not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, None, f"JSON inválido / invalid JSON: line {exc.lineno}, "
                         f"column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(path, None, "no es un FeatureCollection / not a FeatureCollection")
    crs = (doc.get("crs") or {}).get("properties", {}).get("name", "CRS84")
    if not any(tag in str(crs) for tag in ("CRS84", "4326")):
        raise InputError(path, None, f"CRS inesperado / unexpected CRS {crs!r} (expected CRS84)")
    rows, geoms = [], []
    for i, feat in enumerate(doc.get("features") or [], start=1):
        props = feat.get("properties") or {}
        for key, kind in required.items():
            value = props.get(key)
            if value is None or not isinstance(value, kind) or isinstance(value, bool) != (
                kind is bool
            ):
                raise InputError(path, i, f"propiedad «{key}» = {value!r}: se espera / "
                                 f"expected {getattr(kind, '__name__', kind)}")
        try:
            geom = shape(feat["geometry"])
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad row
            raise InputError(path, i, f"geometría ilegible / unreadable geometry ({exc})") from None
        if geom.is_empty or geom.geom_type not in geom_types:
            raise InputError(path, i, f"geometría {geom.geom_type} vacía o de tipo inesperado / "
                             f"empty or unexpected geometry (expected {geom_types})")
        if not math.isfinite(sum(shapely.get_coordinates(geom).ravel())):
            raise InputError(path, i, "coordenadas no finitas / non-finite coordinates")
        if not geom.is_valid:
            raise InputError(path, i, "geometría inválida / invalid geometry: "
                             + shapely.is_valid_reason(geom))
        rows.append({**props, "_row": i})
        geoms.append(geom)
    if not rows:
        raise InputError(path, None, "no tiene elementos / has no features")
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=WEB_CRS)


def read_csv_rows(path: Path, required: tuple[str, ...], delimiter: str = ",") -> list[dict]:
    """Read a UTF-8 CSV into dicts (each with ``_row`` = 1-based data row, header excluded)."""
    try:
        text = _need(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"no es UTF-8 / not UTF-8 ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(path, None, f"faltan columnas / missing columns: {', '.join(missing)}")
    rows = []
    for i, row in enumerate(reader, start=1):
        if None in row or any(v is None for v in row.values()):
            raise InputError(path, i, "número de columnas distinto del encabezado / wrong "
                             "number of columns")
        rows.append({**{k: v.strip() for k, v in row.items()}, "_row": i})
    return rows


def _coordinate(path: Path, row: int, name: str, text: str, lo: float, hi: float) -> float:
    """A lat/lon cell as a float inside the Coquimbo area, or a clear error."""
    try:
        value = float(text)
    except ValueError:
        hint = " (use punto decimal / use a decimal point)" if "," in text else ""
        raise InputError(path, row, f"«{name}» = {text!r} no es un número / is not a number"
                         + hint) from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InputError(path, row, f"«{name}» = {text!r} fuera del área de Coquimbo / outside "
                         f"the Coquimbo area ({lo}..{hi})")
    return value


# --- helpers -------------------------------------------------------------------------------


def slug(text: str) -> str:
    """ASCII id from a Spanish name ("Peñuelas Oriente" -> "penuelas-oriente")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), DECIMALS) + 0.0 for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


def _geometry_json(geom: BaseGeometry) -> dict:
    g = mapping(geom)
    return {"type": g["type"], "coordinates": _round_coords(g["coordinates"])}


def _clean(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA -> None, numpy -> python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def feature_collection(records: list[tuple[dict, BaseGeometry]]) -> bytes:
    """GeoJSON bytes with no ``crs`` member (RFC 7946: lon/lat WGS84), as data/ has now."""
    feats = [
        {"type": "Feature", "properties": {k: _clean(v) for k, v in props.items()},
         "geometry": _geometry_json(geom)}
        for props, geom in records
    ]
    doc = {"type": "FeatureCollection", "features": feats}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _id_key(text: str) -> tuple:
    """Natural sort: EC-2 < EC-10, RBD-609 < RBD-10001."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(METRIC_CRS)


# --- layers --------------------------------------------------------------------------------


def load_blocks(shared: Path) -> gpd.GeoDataFrame:
    path = shared / F_BLOCKS
    blocks = read_features(
        path,
        {"id": str, "n_per": int, "n_hog": int},
        ("Polygon", "MultiPolygon"),
    )
    for row in blocks.itertuples():
        if not re.fullmatch(r"4102\d{9}", row.id):
            raise InputError(path, row._row, f"id {row.id!r} no es un MANZENT de 13 dígitos de "
                             "4102 / not a 13-digit MANZENT of comuna 4102")
        if row.n_per < 0 or row.n_hog < 0:
            raise InputError(path, row._row, "n_per/n_hog negativo / negative count")
    dup = blocks["id"].duplicated()
    if dup.any():
        first = blocks[dup].iloc[0]
        raise InputError(path, int(first["_row"]), f"id duplicado / duplicate id {first['id']}")
    return blocks


def load_units(shared: Path) -> gpd.GeoDataFrame:
    path = shared / F_UV
    uv = read_features(path, {"uv_carto": str, "t_id_uv_ca": str, "t_com": str},
                       ("Polygon", "MultiPolygon"))
    other = uv[uv["t_com"] != COMUNA]
    if len(other):
        raise InputError(path, int(other["_row"].iloc[0]), f"t_com != {COMUNA}")
    return uv


def assign_blocks(blocks: gpd.GeoDataFrame, urban: gpd.GeoDataFrame,
                  units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give each block its unit: the urban unit holding its representative point, else the
    nearest urban unit within TOLERANCE_M (outline slivers), else none (excluded)."""
    pts = _metric(blocks.set_geometry(blocks.representative_point()))
    urb = _metric(urban)[["uv_carto", "geometry"]].reset_index(drop=True)
    inside = gpd.sjoin(pts[["id", "geometry"]], urb, how="left", predicate="within")
    if inside.index.duplicated().any():
        raise InputError(Path(F_UV), None, "unidades urbanas superpuestas / urban units overlap")
    out = blocks.copy()
    out["uv"] = inside["uv_carto"]
    out["how"] = out["uv"].notna().map({True: "inside", False: None})
    near = gpd.sjoin_nearest(pts[out["uv"].isna()][["id", "geometry"]], urb, how="left",
                             max_distance=TOLERANCE_M, distance_col="dist")
    near = near[~near.index.duplicated()].dropna(subset=["uv_carto"])
    out.loc[near.index, "uv"] = near["uv_carto"]
    out.loc[near.index, "how"] = "tolerance"
    out["tolerance_m"] = None
    out.loc[near.index, "tolerance_m"] = near["dist"].round(0)
    # where every block really lies (all units, rural included), for the excluded-block report
    allu = _metric(units)[["uv_carto", "geometry"]].reset_index(drop=True)
    where = gpd.sjoin(pts[["geometry"]], allu, how="left", predicate="within")
    where = where[~where.index.duplicated()]
    out["in_unit"] = where["uv_carto"].fillna("(ninguna / none)")
    return out


def build_population(blocks: gpd.GeoDataFrame) -> bytes:
    source = "INE Censo 2024 (manzanas, n_per, n_hog); GSE: geochile-compass"
    records = []
    for row in blocks[blocks["uv"].notna()].sort_values("id").itertuples():
        props = {
            "id": row.id, "residents": int(row.n_per), "households": int(row.n_hog),
            "gse": row.gse, "quintil": row.quintil, "nse_score": row.nse_score,
            "educ": row.educ, "hacin": row.hacin, "hacin_class": row.hacin_class,
            "source": source,
        }
        records.append((props, row.geometry))
    return feature_collection(records)


def _sector_by_overlap(urban: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame) -> pd.DataFrame:
    """Largest-overlap municipal sector per unit, with the share of the unit's area."""
    u = _metric(urban)[["uv_carto", "geometry"]]
    s = _metric(sectors)[["Sector", "geometry"]]
    ov = gpd.overlay(u, s, how="intersection", keep_geom_type=True)
    ov["area"] = ov.area
    ov = ov.sort_values(["uv_carto", "area", "Sector"], ascending=[True, False, True])
    best = ov.drop_duplicates("uv_carto").set_index("uv_carto")
    unit_area = u.set_index("uv_carto").area
    best["share"] = (best["area"] / unit_area.loc[best.index]).round(3)
    return best[["Sector", "share"]]


def build_councils(urban: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame,
                   blocks: gpd.GeoDataFrame) -> tuple[bytes, pd.DataFrame]:
    best = _sector_by_overlap(urban, sectors)
    assigned = blocks[blocks["uv"].notna()]
    has_unknown = assigned["gse"].isna().any()
    records, table = [], []
    for row in urban.sort_values("uv_carto").itertuples():
        mine = assigned[assigned["uv"] == row.uv_carto]
        sector = best["Sector"].get(row.uv_carto)
        props: dict[str, Any] = {
            "id": f"UV-{row.uv_carto}",
            "name": f"Unidad vecinal {row.uv_carto}",
            "code": row.t_id_uv_ca,
            "sector": sector if sector is not None else NO_SECTOR,
            "sector_share": best["share"].get(row.uv_carto, 0.0),
            "population": int(mine["n_per"].sum()),
            "households": int(mine["n_hog"].sum()),
            "blocks": len(mine),
            "blocks_by_tolerance": int((mine["how"] == "tolerance").sum()),
        }
        for cls in GSE_CLASSES:
            props[f"residents_gse_{cls.lower()}"] = int(mine.loc[mine["gse"] == cls, "n_per"].sum())
        if has_unknown:
            props["residents_gse_unknown"] = int(mine.loc[mine["gse"].isna(), "n_per"].sum())
        for q in QUINTILES:
            props[f"residents_{q.lower()}"] = int(mine.loc[mine["quintil"] == q, "n_per"].sum())
        props["source"] = ("Unidades vecinales (UnidadesVecinales_2024v4, vía "
                           "MaverickLegend/mapa-lachispa); población INE Censo 2024")
        records.append((props, row.geometry))
        table.append(props)
    return feature_collection(records), pd.DataFrame(table)


def build_sectors(sectors: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
                  path: Path) -> tuple[bytes, pd.DataFrame]:
    pts = blocks.set_geometry(blocks.representative_point())[["n_per", "n_hog", "geometry"]]
    joined = gpd.sjoin(_metric(pts), _metric(sectors)[["Sector", "geometry"]], how="inner",
                       predicate="within")
    if joined.index.duplicated().any():
        raise InputError(path, None, "sectores superpuestos / sectors overlap")
    sums = joined.groupby("Sector")[["n_per", "n_hog"]].sum()
    records, table = [], []
    for row in sectors.itertuples():
        for col in ("Habitantes", "Hombres", "Mujeres"):
            value = getattr(row, col)
            if not float(value).is_integer() or value < 0:
                raise InputError(path, row._row, f"«{col}» = {value!r} no es un entero ≥ 0")
        props = {
            "id": slug(row.Sector), "name": row.Sector,
            "population_2017": int(row.Habitantes),
            "men_2017": int(row.Hombres), "women_2017": int(row.Mujeres),
            "residents": int(sums["n_per"].get(row.Sector, 0)),
            "households": int(sums["n_hog"].get(row.Sector, 0)),
            "source": "Municipalidad de Coquimbo, Censo 2017 (vía Utm1333/DatosCensalesCoquimbo);"
            " residents/households: INE Censo 2024",
        }
        records.append((props, row.geometry))
        table.append(props)
    ids = [p["id"] for p, _ in records]
    if len(set(ids)) != len(ids):
        raise InputError(path, None, "nombres de sector repetidos / repeated sector names")
    records.sort(key=lambda r: r[0]["id"])
    return feature_collection(records), pd.DataFrame(table).set_index("name")


def focus_candidates(sectors: gpd.GeoDataFrame, table: pd.DataFrame) -> dict[str, Any]:
    """Parte Alta alone, the shared README's example and the sectors touching Parte Alta, so a
    planner can see which grouping approaches the programme's '70,000 residents'."""
    m = _metric(sectors).set_index("Sector")
    focus = m.geometry.loc[FOCUS_NAME]
    neighbours = sorted(s for s in m.index if s != FOCUS_NAME
                        and m.geometry.loc[s].distance(focus) <= NEIGHBOUR_M)

    def total(names: list[str] | tuple[str, ...]) -> dict[str, Any]:
        return {"sectors": list(names),
                "population_2017": int(table.loc[list(names), "population_2017"].sum()),
                "residents_2024": int(table.loc[list(names), "residents"].sum())}

    distance = {s: round(float(m.geometry.loc[s].distance(focus))) for s in m.index
                if s != FOCUS_NAME}
    return {
        "distance_to_parte_alta_m": dict(sorted(distance.items())),
        "parte_alta": total([FOCUS_NAME]),
        "example_parte_alta_sindempart_san_juan": total(FOCUS_EXAMPLE),
        "neighbours_of_parte_alta": {
            n: {"population_2017": int(table.loc[n, "population_2017"]),
                "residents_2024": int(table.loc[n, "residents"])} for n in neighbours},
        "parte_alta_plus_neighbours": total([FOCUS_NAME, *neighbours]),
        "example_plus_neighbours": total(sorted({*FOCUS_EXAMPLE, *neighbours},
                                                key=lambda s: (s != FOCUS_NAME, s))),
    }


def build_zones(shared: Path) -> tuple[bytes, dict[str, Any]]:
    zpath, apath = shared / F_ZONES, shared / F_AGES
    zones = read_features(zpath, {"geocodigo": str, "poblacion_2017": int}, ("Polygon",
                                                                               "MultiPolygon"))
    ages: dict[str, dict[str, int]] = {}
    for row in read_csv_rows(apath, ("geocodigo", "edad", "poblacion")):
        col = AGE_GROUPS.get(row["edad"])
        if col is None:
            raise InputError(apath, row["_row"], f"grupo de edad desconocido / unknown age "
                             f"group {row['edad']!r}")
        if not re.fullmatch(r"\d+", row["poblacion"]):
            raise InputError(apath, row["_row"], f"«poblacion» = {row['poblacion']!r} no es un "
                             "entero / is not a whole number")
        zone = ages.setdefault(row["geocodigo"], {c: 0 for c in set(AGE_GROUPS.values())})
        zone[col] += int(row["poblacion"])
    records, mismatches, no_ages = [], [], []
    for row in zones.sort_values("geocodigo").itertuples():
        a = ages.get(row.geocodigo)
        props = {"id": row.geocodigo, "population_2017": int(row.poblacion_2017),
                 "age_0_14": a["age_0_14"] if a else None,
                 "age_15_64": a["age_15_64"] if a else None,
                 "age_65_plus": a["age_65_plus"] if a else None,
                 "source": "INE Censo 2017 vía chilemapas (zonas y censo_2017_zonas)"}
        if a is None:
            no_ages.append(row.geocodigo)
        elif sum(a.values()) != props["population_2017"]:
            mismatches.append({"id": row.geocodigo, "population_2017": props["population_2017"],
                               "age_sum": sum(a.values())})
        records.append((props, row.geometry))
    info = {"zones": len(records), "population_2017": int(zones["poblacion_2017"].sum()),
            "zones_in_age_table": len(ages), "age_sum_mismatches": mismatches,
            "zones_without_ages": no_ages}
    return feature_collection(records), info


PLACE_COLUMNS = ("name", "category", "address", "sector", "status", "status_date", "lat", "lon",
                 "coord_source", "source_urls", "notes")


def _or_none(text: str) -> str | None:
    return text if text else None


def build_venues(shared: Path, comuna: BaseGeometry,
                 urban_area: BaseGeometry) -> tuple[bytes, bytes, dict[str, Any]]:
    """Located cultural places + operating MINEDUC schools; unlocated places go to the CSV.
    ``comuna`` (the comuna outline) and ``urban_area`` (the urban units) are in METRIC_CRS."""
    ppath = shared / F_PLACES
    lon0, lat0, lon1, lat1 = COQUIMBO_BOUNDS
    located: list[tuple[dict, BaseGeometry]] = []
    to_locate: list[dict] = []
    for row in read_csv_rows(ppath, PLACE_COLUMNS):
        i = row["_row"]
        vid = f"EC-{i:02d}"
        if not row["name"]:
            raise InputError(ppath, i, "«name» vacío / empty name")
        if row["category"] not in CATEGORIES:
            raise InputError(ppath, i, f"categoría desconocida / unknown category "
                             f"{row['category']!r} (use: {', '.join(CATEGORIES)})")
        if bool(row["lat"]) != bool(row["lon"]):
            raise InputError(ppath, i, "solo una de lat/lon tiene valor / only one of lat/lon "
                             "is filled")
        if not row["source_urls"]:
            raise InputError(ppath, i, "«source_urls» vacío: cada fila necesita su fuente / "
                             "every row needs its source")
        if row["lat"]:
            lat = _coordinate(ppath, i, "lat", row["lat"], lat0, lat1)
            lon = _coordinate(ppath, i, "lon", row["lon"], lon0, lon1)
            if not row["coord_source"]:
                raise InputError(ppath, i, "coordenadas sin «coord_source» / coordinates "
                                 "without their source")
            props = {"id": vid, "name": row["name"], "category": row["category"],
                     "address": _or_none(row["address"]), "source": row["source_urls"],
                     "status": _or_none(row["status"]), "status_date": _or_none(
                         row["status_date"]), "sector": _or_none(row["sector"]),
                     "coord_source": row["coord_source"], "enrolment": None,
                     "dependencia": None, "rural": None, "notes": _or_none(row["notes"])}
            located.append((props, shapely.Point(lon, lat)))
        else:
            to_locate.append({"id": vid, **{c: row[c] for c in (
                "name", "category", "address", "sector", "status", "status_date")},
                "source_urls": row["source_urls"], "notes": row["notes"]})
    cultural_located = len(located)
    spath = shared / F_SCHOOLS
    schools = read_features(spath, {"rbd": str, "name": str, "estado": str, "matricula_total":
                                    int, "dependencia": str, "rural": bool}, ("Point",))
    if schools["rbd"].duplicated().any():
        raise InputError(spath, int(schools[schools["rbd"].duplicated()]["_row"].iloc[0]),
                         "rbd duplicado / duplicate rbd")
    open_schools = schools[schools["estado"] == SCHOOL_OPEN]
    for row in open_schools.itertuples():
        props = {"id": f"RBD-{row.rbd}", "name": row.name, "category": "school", "address": None,
                 "source": "MINEDUC Directorio Oficial de Establecimientos Educacionales 2025 "
                 "(vía nclsjstnn/buscolegio)", "status": "open", "status_date": "2025-04-30",
                 "sector": None, "coord_source": "MINEDUC (LATITUD/LONGITUD del directorio)",
                 "enrolment": int(row.matricula_total), "dependencia": row.dependencia,
                 "rural": bool(row.rural), "notes": None}
        located.append((props, row.geometry))
    # every located place must lie in the comuna outline; report (do not hide) the others
    pts = gpd.GeoSeries([g for _, g in located], crs=WEB_CRS).to_crs(METRIC_CRS)
    outside: list[dict[str, Any]] = []
    kept = []
    rural: list[str] = []  # inside the comuna but in no urban unit (rural schools)
    for (props, geom), pt in zip(located, pts, strict=True):
        if pt.within(comuna):
            kept.append((props, geom))
            if not pt.within(urban_area):
                rural.append(props["id"])
        else:
            outside.append({"id": props["id"], "name": props["name"],
                            "lon": round(geom.x, DECIMALS), "lat": round(geom.y, DECIMALS),
                            "distance_m": round(pt.distance(comuna))})
    kept.sort(key=lambda r: _id_key(r[0]["id"]))
    # schools in the raw directory: operating ones without coordinates are counted, not placed
    raw = read_csv_rows(shared / F_SCHOOLS_CSV, ("RBD", "NOM_RBD", "LATITUD", "ESTADO_ESTAB"),
                        delimiter=";")
    open_raw = [r for r in raw if r["ESTADO_ESTAB"] == SCHOOL_CSV_OPEN]
    open_no_xy = [{"rbd": r["RBD"], "name": r["NOM_RBD"]} for r in open_raw if not r["LATITUD"]]
    with_xy_raw = {r["RBD"] for r in open_raw if r["LATITUD"]}
    info = {
        "cultural_places": cultural_located + len(to_locate),
        "cultural_located": sum(1 for p, _ in kept if p["id"].startswith("EC-")),
        "cultural_to_locate": len(to_locate),
        "schools_operating_with_coordinates": len(open_schools),
        "schools_operating_without_coordinates": len(open_no_xy),
        "schools_operating_without_coordinates_list": open_no_xy,
        "schools_in_geojson_not_operating": dict(sorted(Counter(
            schools.loc[schools["estado"] != SCHOOL_OPEN, "estado"]).items())),
        "schools_geojson_vs_csv_consistent": with_xy_raw == set(open_schools["rbd"]),
        "located_outside_comuna_outline": outside,
        "venues_outside_urban_units": sorted(rural, key=_id_key),
        "cultural_located_list": [{"id": p["id"], "name": p["name"],
                                   "category": p["category"]}
                                  for p, _ in kept if p["id"].startswith("EC-")],
        "venues_by_category": dict(sorted(Counter(p["category"] for p, _ in kept).items())),
        "venues": len(kept),
    }
    buf = io.StringIO(newline="")
    cols = ["id", "name", "category", "address", "sector", "status", "status_date",
            "source_urls", "notes"]
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    writer.writerows(to_locate)
    return feature_collection(kept), buf.getvalue().encode("utf-8"), info


# --- the whole run -------------------------------------------------------------------------


def build(shared: Path, imported: str) -> Result:
    """Compute every output file (bytes) and figure from the shared folder; write nothing."""
    res = Result()
    units = load_units(shared)
    urban = units[units["uv_carto"].str.match(URBAN_UV)]
    sectors = read_features(shared / F_SECTORS, {"Sector": str, "Habitantes": (int, float),
                                                 "Hombres": (int, float),
                                                 "Mujeres": (int, float)}, ("Polygon",
                                                                            "MultiPolygon"))
    comunas = read_features(shared / F_COMUNAS, {"codigo_comuna": str}, ("Polygon",
                                                                          "MultiPolygon"))
    comuna_rows = comunas[comunas["codigo_comuna"] == COMUNA]
    if len(comuna_rows) != 1:
        raise InputError(shared / F_COMUNAS, None, f"se espera un contorno {COMUNA} / expected "
                         f"one outline with codigo_comuna {COMUNA}")
    comuna = _metric(comuna_rows).geometry.iloc[0]
    res.files["boundaries/commune.geojson"] = feature_collection([(
        {"id": COMUNA, "name": "Coquimbo",
         "source": "chilemapas (INE, SUBDERE, BCN), contorno referencial"},
        comuna_rows.geometry.iloc[0])])
    blocks = assign_blocks(load_blocks(shared), urban, units)
    shipped = blocks[blocks["uv"].notna()]
    excluded = blocks[blocks["uv"].isna()]
    tolerance = shipped[shipped["how"] == "tolerance"]

    res.files["population/blocks.geojson"] = build_population(blocks)
    far_units = _far_units(urban, sectors, shipped)
    councils_bytes, councils = build_councils(urban, sectors, blocks)
    res.files["boundaries/councils.geojson"] = councils_bytes
    sectors_bytes, sector_table = build_sectors(sectors, blocks, shared / F_SECTORS)
    res.files["boundaries/sectors.geojson"] = sectors_bytes
    zones_bytes, zones_info = build_zones(shared)
    res.files["population/zones_2017.geojson"] = zones_bytes
    venues_bytes, csv_bytes, venues_info = build_venues(shared, comuna,
                                                        _metric(urban).union_all())
    res.files["venues/venues.geojson"] = venues_bytes
    res.files["venues/por_ubicar.csv"] = csv_bytes
    res.files["workshops/workshops.geojson"] = feature_collection([])

    blocks_sha = _sha256(shared / F_BLOCKS)
    excluded_units = excluded.groupby("in_unit")["n_per"].agg(["count", "sum"])
    excluded_districts = excluded.groupby(excluded["id"].str[4:6])["n_per"].agg(["count", "sum"])
    no_sector = councils.loc[councils["sector"] == NO_SECTOR, "id"].tolist()
    weak_sector = councils.loc[(councils["sector"] != NO_SECTOR)
                               & (councils["sector_share"] < 0.5), ["id", "sector",
                                                                     "sector_share"]]
    figures: dict[str, Any] = {
        "blocks_total": len(blocks), "residents_total": int(blocks["n_per"].sum()),
        "households_total": int(blocks["n_hog"].sum()),
        "blocks_shipped": len(shipped), "residents_shipped": int(shipped["n_per"].sum()),
        "households_shipped": int(shipped["n_hog"].sum()),
        "blocks_excluded": len(excluded), "residents_excluded": int(excluded["n_per"].sum()),
        "households_excluded": int(excluded["n_hog"].sum()),
        "excluded_by_unit": {u: {"blocks": int(r["count"]), "residents": int(r["sum"])}
                             for u, r in excluded_units.iterrows()},
        "excluded_by_census_district": {d: {"blocks": int(r["count"]), "residents": int(r["sum"])}
                                        for d, r in excluded_districts.iterrows()},
        "blocks_by_tolerance": len(tolerance),
        "residents_by_tolerance": int(tolerance["n_per"].sum()),
        "tolerance_blocks": [{"id": r.id, "assigned_to": f"UV-{r.uv}", "lies_in": r.in_unit,
                              "distance_m": int(r.tolerance_m), "residents": int(r.n_per)}
                             for r in tolerance.sort_values("id").itertuples()],
        "blocks_with_missing": {c: int(blocks[c].isna().sum()) for c in (
            "gse", "quintil", "nse_score", "educ", "hacin", "hacin_class")},
        "councils": len(councils),
        "council_residents_sum": int(councils["population"].sum()),
        "council_residents": {r.id: int(r.population) for r in councils.itertuples()},
        "councils_without_sector": no_sector,
        "councils_weak_sector": [{"id": r.id, "sector": r.sector, "share": r.sector_share}
                                 for r in weak_sector.itertuples()],
        "sectors": len(sector_table),
        "sector_population_2017_sum": int(sector_table["population_2017"].sum()),
        "sector_residents_2024_sum": int(sector_table["residents"].sum()),
        "sector_residents": {n: {"population_2017": int(r.population_2017),
                                 "residents_2024": int(r.residents)}
                             for n, r in sector_table.sort_values("residents",
                                                                  ascending=False).iterrows()},
        "focus_area": focus_candidates(sectors, sector_table),
        "zones": zones_info,
        "venues": venues_info,
        "far_units": far_units,
        "blocks_sha256": blocks_sha, "blocks_sha256_matches_readme": blocks_sha == BLOCKS_SHA256,
    }
    res.figures = figures
    res.manifest = build_manifest(shared, imported, figures)
    res.files["manifest.json"] = (json.dumps(res.manifest, ensure_ascii=False, indent=1,
                                             sort_keys=True) + "\n").encode("utf-8")
    res.files["README.md"] = render_readme(figures, res.manifest).encode("utf-8")
    return res


def _far_units(urban: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame,
               shipped: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Urban units more than 5 km from every municipal sector: "urban" by code, not the city."""
    zone = _metric(sectors).union_all()
    out = []
    for row in _metric(urban).sort_values("uv_carto").itertuples():
        d = row.geometry.distance(zone)
        if d > 5000:
            p = gpd.GeoSeries([row.geometry.representative_point()], crs=METRIC_CRS)
            ll = p.to_crs(WEB_CRS).iloc[0]
            out.append({"id": f"UV-{row.uv_carto}", "distance_km": round(d / 1000, 1),
                        "lon": round(ll.x, 4), "lat": round(ll.y, 4),
                        "residents": int(shipped.loc[shipped["uv"] == row.uv_carto,
                                                     "n_per"].sum())})
    return out


def build_manifest(shared: Path, imported: str, f: dict[str, Any]) -> dict[str, Any]:
    v = f["venues"]
    layers: dict[str, dict[str, Any]] = {}
    features = {
        "councils": f["councils"], "commune": 1, "sectors": f["sectors"],
        "population": f["blocks_shipped"],
        "zones_2017": f["zones"]["zones"], "venues": v["venues"],
        "venues_to_locate": v["cultural_to_locate"], "workshops": 0,
    }
    notes = {
        "councils": [
            "Contornos muy simplificados (7–40 vértices): algunas manzanas cerca de un borde "
            "pueden quedar en la unidad vecina / strongly simplified outlines.",
            "Las unidades no tienen nombre: name = 'Unidad vecinal NNN' / units have no names.",
            f"population/households = manzanas 2024 con punto representativo en la unidad, más "
            f"{f['blocks_by_tolerance']} manzanas a ≤ {TOLERANCE_M:.0f} m asignadas a la unidad "
            "urbana más cercana.",
            f"sector = sector municipal de mayor superposición (EPSG:32719); "
            f"{', '.join(f['councils_without_sector'])} no tocan ningún sector: "
            f"'{NO_SECTOR}'.",
            "Varias juntas de vecinos comparten una unidad; los territorios de cada junta no "
            "son públicos / several juntas share one unit.",
        ],
        "commune": [
            "Contorno referencial y simplificado: sirve para comprobar que cada lugar ubicado "
            "está en la comuna, no para medir / a referential outline, for checks only.",
        ],
        "sectors": [
            "population_2017/men_2017/women_2017 = Censo 2017 según el municipio; residents/"
            "households = manzanas 2024 con punto representativo en el sector.",
            f"'Parte Alta' = sector municipal ({f['focus_area']['parte_alta']['population_2017']:,}"
            f" hab. 2017; {f['focus_area']['parte_alta']['residents_2024']:,} en 2024), no los "
            "70.000 del programa: ver README.",
        ],
        "population": [
            f"Solo Coquimbo urbano: {f['blocks_excluded']} manzanas "
            f"({f['residents_excluded']:,} hab.) de unidades rurales quedan fuera (ver counts).",
            "gse/quintil/nse_score son cálculo propio de geochile-compass, no del INE.",
            "Copiado en 136 trozos y verificado por sha256 (ver README).",
        ],
        "zones_2017": [
            f"{len(f['zones']['age_sum_mismatches'])} zonas cuyos grupos de edad no suman "
            "population_2017 (no corregidas).",
        ],
        "venues": [
            f"Inventario INCOMPLETO: {v['cultural_located']} de {v['cultural_places']} espacios "
            f"culturales conocidos tienen coordenadas; {v['cultural_to_locate']} están en "
            "venues/por_ubicar.csv.",
            "Escuelas: solo las 'Funcionando' con coordenadas; sin dirección en la fuente.",
            f"{len(v['located_outside_comuna_outline'])} lugares con coordenadas fuera del "
            "contorno comunal (simplificado) no se incluyen: ver counts.",
        ],
        "venues_to_locate": ["Sin coordenadas: nunca se ubican en posiciones adivinadas; un "
                             "planificador debe ubicarlos."],
        "workshops": ["Vacío: ninguna fuente pública da lugares y fechas de los seis talleres."],
    }
    for name, meta in META.items():
        entry = {k: val for k, val in meta.items() if k != "inputs"}
        entry["features"] = features[name]
        entry["notes"] = notes[name]
        entry["input_sha256"] = {p: _sha256(shared / p) for p in meta["inputs"]}
        layers[name] = entry
    years = sorted({int(y) for m in META.values() for y in re.findall(r"\b(20\d\d)\b",
                                                                       str(m["date"]))})
    return {
        "synthetic": False,
        "generated_by": "tools/import_shared_data.py",
        "imported": imported,
        "date": f"{years[0]}–{years[-1]} (ver cada capa / see each layer)",
        "notice_es": "Datos públicos reales con límites conocidos (ver data/README.md).",
        "notice_en": "Real public data with known limits (see data/README.md).",
        # What the whole-area figures and report cover: every urban unit shipped.
        "study_area": {"id": "coquimbo", "name_es": "Coquimbo urbano",
                       "name_en": "Urban Coquimbo"},
        "layers": layers,
        "counts": {
            "blocks_shipped": f["blocks_shipped"], "residents_shipped": f["residents_shipped"],
            "blocks_excluded": f["blocks_excluded"],
            "residents_excluded": f["residents_excluded"],
            "excluded_by_unit": f["excluded_by_unit"],
            "excluded_by_census_district": f["excluded_by_census_district"],
            "blocks_by_tolerance": f["blocks_by_tolerance"],
            "residents_by_tolerance": f["residents_by_tolerance"],
            "tolerance_blocks": f["tolerance_blocks"],
            "venues_by_category": v["venues_by_category"],
            "cultural_places_located": v["cultural_located"],
            "cultural_places_to_locate": v["cultural_to_locate"],
            "schools_operating_with_coordinates": v["schools_operating_with_coordinates"],
            "schools_operating_without_coordinates": v["schools_operating_without_coordinates"],
            "schools_operating_without_coordinates_list":
                v["schools_operating_without_coordinates_list"],
            "located_outside_comuna_outline": v["located_outside_comuna_outline"],
            "venues_outside_urban_units": v["venues_outside_urban_units"],
            "zones_age_sum_mismatches": f["zones"]["age_sum_mismatches"],
            "councils_without_sector": f["councils_without_sector"],
            "councils_far_from_city": f["far_units"],
            "focus_area": f["focus_area"],
        },
    }


def _n(value: int) -> str:
    """Spanish thousands separator, as the current README writes figures (70.000)."""
    return f"{value:,}".replace(",", ".")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _provenance(name: str, manifest: dict[str, Any]) -> str:
    m = manifest["layers"][name]
    repo = ""
    if m.get("repository"):
        path = f", `{m['path']}`" if m.get("path") else ""
        repo = f"\n- Repositorio / repository: `{m['repository']}`{path}, commit `{m['commit']}`"
    inputs = ", ".join(f"`{p}`" for p in m["input_sha256"]) or "—"
    return (f"- Fuente / source: {m['source']}\n- Editor / publisher: {m['publisher']}\n"
            f"- Licencia / licence: {m['licence']}\n- Fecha / date: {m['date'] or '—'}{repo}\n"
            f"- Archivos de `../shared/data` usados / inputs: {inputs} (sha256 en "
            "`manifest.json`)")


COUNCIL_COLUMNS = [
    ("id", "str", "`UV-001` … `UV-034` (de `uv_carto`)"),
    ("name", "str", "`Unidad vecinal NNN` (las unidades no tienen nombre)"),
    ("code", "str", "id nacional de la unidad vecinal (`t_id_uv_ca`, p. ej. 4102437)"),
    ("sector", "str", "sector municipal de mayor superposición (área en EPSG:32719)"),
    ("sector_share", "float (extra)", "fracción del área de la unidad en ese sector"),
    ("population", "int?", "habitantes Censo 2024 (suma de manzanas)"),
    ("households", "int (extra)", "hogares Censo 2024"),
    ("blocks", "int (extra)", "manzanas asignadas"),
    ("blocks_by_tolerance", "int (extra)", "de ellas, asignadas por la tolerancia de 250 m"),
    ("residents_gse_abc1 … _e", "int (extra)", "habitantes por clase GSE (ABC1, C1, C2, C3, D, "
     "E)"),
    ("residents_q1 … _q5", "int (extra)", "habitantes por quintil (Q1 = más bajo)"),
    ("source", "str", "fuente"),
]
SECTOR_COLUMNS = [
    ("id", "str", "slug del nombre (`parte-alta`, `penuelas-oriente`)"),
    ("name", "str", "nombre del sector (`Sector`)"),
    ("population_2017", "int", "habitantes Censo 2017 según el municipio (`Habitantes`)"),
    ("men_2017 / women_2017", "int", "`Hombres` / `Mujeres` 2017"),
    ("residents / households", "int", "habitantes y hogares de las manzanas 2024 cuyo punto "
     "representativo cae en el sector"),
    ("source", "str", "fuente"),
]
BLOCK_COLUMNS = [
    ("id", "str", "MANZENT de 13 dígitos tal cual (comuna 4102, distrito, zona, manzana)"),
    ("residents", "int", "personas (`n_per`)"),
    ("households", "int (extra)", "hogares (`n_hog`)"),
    ("gse", "str? (extra)", "ABC1, C1, C2, C3, D, E (cálculo de geochile-compass)"),
    ("quintil", "str? (extra)", "Q1 (más bajo) … Q5"),
    ("nse_score", "float? (extra)", "puntaje socioeconómico de geochile-compass"),
    ("educ", "float? (extra)", "años medios de escolaridad"),
    ("hacin / hacin_class", "float? / str? (extra)", "personas por dormitorio y su clase"),
    ("source", "str", "fuente"),
]
ZONE_COLUMNS = [
    ("id", "str", "`geocodigo` de la zona censal 2017"),
    ("population_2017", "int", "`poblacion_2017`"),
    ("age_0_14", "int?", "«0 a 5» + «6 a 14»"),
    ("age_15_64", "int?", "«15 a 64»"),
    ("age_65_plus", "int?", "«65 y mas»"),
    ("source", "str", "fuente"),
]
VENUE_COLUMNS = [
    ("id", "str", "`EC-nn` (fila del CSV de espacios conocidos, estable) o `RBD-<rbd>`"),
    ("name", "str", "nombre tal como en la fuente"),
    ("category", "str", "library, cultural_centre, museum, plaza, other (CSV); school (MINEDUC)"),
    ("address", "str?", "dirección tal como se escribió; vacía en escuelas (no está en la "
     "fuente)"),
    ("source", "str", "URL de las fuentes (espacios) o el directorio MINEDUC (escuelas)"),
    ("status / status_date", "str? (extra)", "open, closed, damaged, under_construction, "
     "planned, unknown y la fecha de esa afirmación tal como se escribió (texto libre: a veces "
     "«2023» o «undated»); escuelas: «Funcionando» → open, 2025-04-30"),
    ("sector", "str? (extra)", "sector tal como lo escribe la fuente (espacios)"),
    ("coord_source", "str (extra)", "de dónde salen las coordenadas"),
    ("enrolment", "int? (extra)", "matrícula total (escuelas)"),
    ("dependencia / rural", "str? / bool? (extra)", "dependencia y ruralidad (escuelas)"),
    ("notes", "str? (extra)", "notas del CSV"),
]


def render_readme(f: dict[str, Any], manifest: dict[str, Any]) -> str:
    """The data folder's README; every figure comes from ``f`` (this run's computation)."""
    n, v, fa, z = _n, f["venues"], f["focus_area"], f["zones"]
    e = "{:,}".format  # English thousands separator
    cols = ("columna", "tipo", "contenido")
    excluded_rows = [(u, r["blocks"], n(r["residents"])) for u, r in f["excluded_by_unit"].items()]
    far = f["far_units"]
    far_text = "; ".join(f"{u['id']} ({n(u['residents'])} hab., punto representativo lon "
                         f"{u['lon']:.3f}, lat {u['lat']:.3f}, a {u['distance_km']:.0f} km de los "
                         "sectores municipales)" for u in far)
    dist = fa["distance_to_parte_alta_m"]
    sector_rows = [(name, n(r["population_2017"]), n(r["residents_2024"]),
                    "—" if name == FOCUS_NAME else n(dist[name]))
                   for name, r in sorted(f["sector_residents"].items(),
                                         key=lambda kv: (kv[0] != FOCUS_NAME,
                                                         dist.get(kv[0], 0), kv[0]))]
    combos = [(" + ".join(fa[k]["sectors"]), n(fa[k]["population_2017"]),
               n(fa[k]["residents_2024"])) for k in (
        "parte_alta", "parte_alta_plus_neighbours", "example_parte_alta_sindempart_san_juan",
        "example_plus_neighbours")]
    neighbours = ", ".join(fa["neighbours_of_parte_alta"]) or "—"
    located = [p for p in v["cultural_located_list"]]
    located_text = "; ".join(f"{p['id']} {p['name']} ({p['category']})" for p in located)
    outside = "; ".join(f"{o['id']} {o['name']} (a {n(o['distance_m'])} m)"
                        for o in v["located_outside_comuna_outline"]) or "ninguno"
    no_xy = "; ".join(f"RBD {s['rbd']} {s['name']}"
                      for s in v["schools_operating_without_coordinates_list"]) or "ninguno"
    mism = z["age_sum_mismatches"]
    mism_text = ("todas las zonas suman exactamente su `population_2017`" if not mism else
                 "no suman: " + "; ".join(f"{m['id']} ({m['age_sum']} vs {m['population_2017']})"
                                          for m in mism))
    tol = f["tolerance_blocks"]
    tol_text = "; ".join(f"{t['id']} → {t['assigned_to']} (en {t['lies_in']}, {t['distance_m']} m,"
                         f" {t['residents']} hab.)" for t in tol)
    weak = "; ".join(f"{w['id']} → {w['sector']} ({w['share']:.0%} de su área)"
                     for w in f["councils_weak_sector"]) or "ninguna"
    cats = ", ".join(f"{k} {val}" for k, val in v["venues_by_category"].items())
    big = sorted(f["council_residents"].items(), key=lambda kv: -kv[1])[:2]
    return f"""# Datos de culturamap / culturamap data

> **Datos públicos REALES de Coquimbo (comuna 04102), con límites conocidos (abajo).**
> Generados por `tools/import_shared_data.py` a partir de `../shared/data` (importados el
> {manifest['imported']}). No edite estos archivos a mano: corrija la fuente y vuelva a
> ejecutar `python tools/import_shared_data.py --shared ../shared/data --out data`
> (mismo resultado byte a byte con los mismos archivos y la misma fecha `--imported`).
> `manifest.json` lleva `"synthetic": false`, la procedencia de cada capa y los conteos.
>
> **Real public data** for Coquimbo with known limits; see the English summary at the end.

Compruebe cualquier cambio con `culturamap validate`.

## Reglas comunes / common rules

- GeoJSON en **EPSG:4326** (lon/lat, sin miembro `crs`: RFC 7946), texto **UTF-8**.
  Coordenadas redondeadas a {DECIMALS} decimales (~1 cm); elementos ordenados por `id`.
- Áreas y distancias medidas en EPSG:32719 (UTM 19S).
- Tipos: `str` texto, `int` entero ≥ 0, `date` `AAAA-MM-DD`; `?` = puede ir vacío; «extra» =
  columna adicional que el esquema (`geo/schema.py`) aún no declara y que se conserva.
- Un dato que falta queda vacío (`null`): nada se completa con valores inventados. Un
  espacio sin coordenadas **no se ubica**: va a `venues/por_ubicar.csv`.

## Capas / layers

### `boundaries/councils.geojson` — unidades vecinales urbanas ({f['councils']})

{_provenance('councils', manifest)}

Las unidades vecinales son los territorios oficiales de las juntas de vecinos (Ley 19.418).
**Cómo se cortó:** de las 35 unidades de la comuna se toman las urbanas (`uv_carto` de tres
dígitos, 001…034); se excluyen las rurales (`…R`) y el polígono `SIN DEF COMUNAL`. Contorno
sin cambios. `population`/`households` = suma de las manzanas 2024 cuyo punto representativo
cae en la unidad, más {f['blocks_by_tolerance']} manzanas que caen a ≤ {TOLERANCE_M:.0f} m de
una unidad urbana (astillas de bordes simplificados) y se asignan a la más cercana; total
{n(f['council_residents_sum'])} habitantes. Las más pobladas: {big[0][0]}
({n(big[0][1])}) y {big[1][0]} ({n(big[1][1])}).

{_table(cols, COUNCIL_COLUMNS)}

**Límites:**
- Contornos **muy simplificados** (7–40 vértices por unidad urbana): algunas manzanas cerca de
  un borde pueden quedar en la unidad vecina. Manzanas por tolerancia: {tol_text or 'ninguna'}.
  El producto calcula la unidad de cada manzana por su punto representativo, así que esas
  {f['blocks_by_tolerance']} manzanas ({n(f['residents_by_tolerance'])} hab.) aparecerán
  «fuera de los territorios» en sus avisos.
- Las unidades no tienen nombre, y varias juntas de vecinos comparten una unidad (los
  territorios de cada junta no son públicos).
- `sector`: {', '.join(f['councils_without_sector']) or 'ninguna'} no tocan ningún sector
  municipal y llevan «{NO_SECTOR}» (el esquema exige `sector`). Asignación débil (el sector
  elegido cubre menos de la mitad de la unidad): {weak}.
- **Sorpresa:** «urbano» por código no significa «ciudad de Coquimbo»: {far_text}. Por su
  ubicación corresponderían a las localidades costeras del sur de la comuna (verifíquese).

### `boundaries/commune.geojson` — contorno de la comuna 04102

{_provenance('commune', manifest)}

**Para qué:** comprobar que cada lugar ubicado está dentro de la comuna (las pruebas sobre los
datos publicados lo verifican). Es referencial y simplificado: no sirve para medir.

### `boundaries/sectors.geojson` — sectores municipales ({f['sectors']})

{_provenance('sectors', manifest)}

**Cómo se cortó:** el objeto GeoJSON del archivo JS, sin cambios de geometría; `id` = slug de
`Sector`. Total 2017: {n(f['sector_population_2017_sum'])}; manzanas 2024 en los sectores:
{n(f['sector_residents_2024_sum'])}.

{_table(cols, SECTOR_COLUMNS)}

### «Parte Alta»: 29.000 o 70.000 habitantes

El programa habla de «la Parte Alta, 70.000 habitantes». El **sector municipal** «Parte Alta»
tiene {n(fa['parte_alta']['population_2017'])} habitantes (Censo 2017) y
{n(fa['parte_alta']['residents_2024'])} en las manzanas 2024. El nombre se usa en la ciudad
para un área más amplia. Para acercarse a la cifra del programa un planificador puede
agregar sectores al «área foco»; cifras de esta importación:

{_table(('área foco', 'hab. 2017', 'hab. 2024'), combos)}

Sectores a ≤ {NEIGHBOUR_M:.0f} m de Parte Alta (vecinos): {neighbours}. Sindempart y San Juan
**no** limitan con el sector Parte Alta ({n(dist['Sindempart'])} m y {n(dist['San Juan'])} m).
Todos los sectores, por distancia a Parte Alta:

{_table(('sector', 'hab. 2017', 'hab. 2024', 'distancia a Parte Alta (m)'), sector_rows)}

Muestre siempre qué sectores forman el total que se cita. La decisión de qué sectores
forman el área foco es de la planificación, no de estos datos: el ajuste `focus_sectors`
(por defecto `Parte Alta`) la fija, p. ej.
`CULTURAMAP_FOCUS_SECTORS="Parte Alta,Sindempart,San Juan" make run` o
`culturamap analyse --focus-sectors "Parte Alta,Sindempart,San Juan"`.

### `population/blocks.geojson` — manzanas Censo 2024 ({n(f['blocks_shipped'])})

{_provenance('population', manifest)}

**Cómo se cortó:** de las {n(f['blocks_total'])} manzanas de la comuna
({n(f['residents_total'])} hab., {n(f['households_total'])} hogares) se conservan las de
Coquimbo urbano: punto representativo en una unidad vecinal urbana o a ≤ {TOLERANCE_M:.0f} m de
una ({f['blocks_by_tolerance']} manzanas, {n(f['residents_by_tolerance'])} hab., necesitaron la
tolerancia). Quedan {n(f['blocks_shipped'])} manzanas con {n(f['residents_shipped'])} habitantes.
**No incluidas:** {f['blocks_excluded']} manzanas con {n(f['residents_excluded'])} habitantes,
en unidades rurales:

{_table(('unidad vecinal', 'manzanas', 'habitantes'), excluded_rows)}

La unidad de cada manzana no se guarda (el producto la calcula).

{_table(cols, BLOCK_COLUMNS)}

**Límites:**
- **Cómo se obtuvo el archivo:** no se pudo descargar entero; se copió de una copia almacenada
  del archivo del repositorio en 136 trozos consecutivos de 16.000 caracteres, se comprobó el
  largo de cada trozo, el texto unido tiene exactamente los 2.160.296 caracteres del original
  y se lee como un FeatureCollection, y los trozos copiados dos veces por separado eran
  idénticos. sha256 esperado `{BLOCKS_SHA256}`; el de esta importación
  {'coincide' if f['blocks_sha256_matches_readme'] else 'NO COINCIDE: ' + f['blocks_sha256']}.
- Contornos y conteos son del INE (Censo 2024); **la clasificación socioeconómica (`gse`,
  `quintil`, `nse_score`) es un cálculo propio del repositorio geochile-compass**, no una
  cifra oficial. Valores vacíos: {', '.join(f'{k} {val}' for k, val in
                                           f['blocks_with_missing'].items())}.
- Las calles son el espacio entre manzanas (los contornos llegan al borde de la manzana).

### `population/zones_2017.geojson` — zonas censales urbanas 2017 ({z['zones']})

{_provenance('zones_2017', manifest)}

**Cómo se cortó:** las {z['zones']} zonas urbanas ({n(z['population_2017'])} hab.) unidas a la
tabla de edades (que trae {z['zones_in_age_table']} zonas de la comuna, rurales incluidas).
Control: {mism_text}; zonas sin edades: {', '.join(z['zones_without_ages']) or 'ninguna'}.

{_table(cols, ZONE_COLUMNS)}

### `venues/venues.geojson` — espacios ubicados ({v['venues']})

{_provenance('venues', manifest)}

**Cómo se cortó:** las filas de `espacios_culturales_conocidos.csv` con lat/lon (id `EC-nn` =
número de fila en el CSV completo, así los id no cambian al ubicar otro) y las escuelas
MINEDUC en estado «Funcionando» con coordenadas (id `RBD-<rbd>`), solo dentro del contorno
comunal 04102 (chilemapas). Por categoría: {cats}.

{_table(cols, VENUE_COLUMNS)}

**Límites — inventario INCOMPLETO:**
- De {v['cultural_places']} espacios culturales conocidos solo **{v['cultural_located']}**
  tienen coordenadas: {located_text}. Los otros **{v['cultural_to_locate']}** están en
  `venues/por_ubicar.csv`. Con el conjunto por defecto de categorías culturales (biblioteca,
  centro cultural, teatro, museo) el mapa muestra muy pocas ofertas: el resultado de acceso
  mide el inventario, no la ciudad, hasta que se ubiquen.
- Llenarían los vacíos: el registro de infraestructura cultural del Ministerio de las
  Culturas, el listado nacional de bibliotecas públicas, OpenStreetMap (no disponibles aquí)
  y la ubicación en terreno de las filas de `por_ubicar.csv` por la planificación.
- Escuelas: {v['schools_operating_with_coordinates']} en funcionamiento con coordenadas;
  {v['schools_operating_without_coordinates']} en funcionamiento sin coordenadas (no
  ubicadas: {no_xy}). Fuera del contorno comunal (simplificado) y por eso no incluidas:
  {outside}. Las escuelas pueden acoger talleres; no son oferta cultural en sí.
- {len(v['venues_outside_urban_units'])} espacios ubicados están en la comuna pero fuera de
  toda unidad vecinal urbana (zona rural) y el producto avisa que no caen en ningún
  territorio: {', '.join(v['venues_outside_urban_units']) or '—'}.
- Coordenadas de baja autoridad en algunos espacios (app de estudiantes, espejo de
  Wikipedia): ver `coord_source`.

### `venues/por_ubicar.csv` — espacios culturales por ubicar ({v['cultural_to_locate']})

{_provenance('venues_to_locate', manifest)}

CSV UTF-8 con encabezado: `id` (mismo `EC-nn`), `name`, `category`, `address` (tal como se
escribió, puede ir vacía), `sector`, `status`, `status_date`, `source_urls`, `notes`. **No
tienen coordenadas y no se ubican en posiciones adivinadas**: un planificador los ubica (y
entonces se agrega lat/lon y `coord_source` en la fuente y se vuelve a importar).

### `workshops/workshops.geojson` — talleres (0)

FeatureCollection vacío: ninguna fuente pública da lugares y fechas de los seis talleres
micro-barriales (2014–2015). Lo completa la planificación (columnas en `geo/schema.py`).

## Lo que no hay / not available

- **Red peatonal:** no hay extracto de OpenStreetMap ni ejes de calles oficiales; la red se
  deriva de los contornos de manzanas (el espacio entre manzanas) — otra parte del proyecto
  la construye. Un archivo `.osm`/`.pbf` real que aporte un usuario se sigue leyendo.
- **Talleres:** sin registros (arriba).
- **Relieve:** no hay modelo de elevación; los tiempos a pie ignoran la pendiente (la Parte
  Alta es de cerros).

## English summary

Real public data for Coquimbo, built by `tools/import_shared_data.py` from `../shared/data`
(imported {manifest['imported']}; rerun it instead of editing by hand). Layers:
{f['councils']} urban neighbourhood units as council territories (national UV layer,
strongly simplified outlines, no names; {e(f['council_residents_sum'])} residents from the
Census 2024 blocks), {f['sectors']} municipal sectors (Census 2017 counts plus 2024 block
sums), {e(f['blocks_shipped'])} Census 2024 blocks of urban Coquimbo ({e(f['residents_shipped'])}
residents; {f['blocks_excluded']} rural blocks with {e(f['residents_excluded'])} residents
excluded and counted in the manifest; socio-economic classes are the geochile-compass
repository's own computation; the file was copied in 136 pieces and checked by sha256),
{z['zones']} Census 2017 urban zones with age groups, {v['venues']} located venues
({v['cultural_located']} of {v['cultural_places']} known cultural places, the other
{v['cultural_to_locate']} listed in `venues/por_ubicar.csv` without coordinates, plus operating
MINEDUC schools) and an empty workshops layer. The municipal sector "Parte Alta" has
{e(fa['parte_alta']['population_2017'])} residents (2017; {e(fa['parte_alta']['residents_2024'])}
in 2024), not the programme's 70,000; Parte Alta + Sindempart + San Juan hold
{e(fa['example_parte_alta_sindempart_san_juan']['residents_2024'])} (2024). Units
{', '.join(f['councils_without_sector'])} lie far south of the city and touch no sector. No
OpenStreetMap network (derived from the block outlines), no workshop records, no elevation
model. Licences: none stated for most sources (see `manifest.json`).
"""


# --- writing -------------------------------------------------------------------------------


def write_swap(files: dict[str, bytes], out: Path) -> None:
    """Write every file into a fresh folder beside ``out``, then swap it in: readers see the
    old folder or the new one, never a half-written mix."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    old: Path | None = None
    try:
        for rel, data in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o644)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def print_figures(f: dict[str, Any], out: Path) -> None:
    v, fa = f["venues"], f["focus_area"]
    print(f"escrito / written: {out}")
    print(f"manzanas / blocks: {f['blocks_total']} ({_n(f['residents_total'])} hab.)")
    print(f"  incluidas / shipped: {f['blocks_shipped']} ({_n(f['residents_shipped'])} hab.), "
          f"{f['blocks_by_tolerance']} por tolerancia {TOLERANCE_M:.0f} m "
          f"({_n(f['residents_by_tolerance'])} hab.)")
    print(f"  excluidas / excluded: {f['blocks_excluded']} ({_n(f['residents_excluded'])} hab.)")
    for unit, r in f["excluded_by_unit"].items():
        print(f"    {unit}: {r['blocks']} manzanas, {_n(r['residents'])} hab.")
    print(f"unidades vecinales / councils: {f['councils']}, suma {_n(f['council_residents_sum'])}"
          f" hab.; sin sector: {', '.join(f['councils_without_sector']) or '-'}")
    for r in f["councils_weak_sector"]:
        print(f"  {r['id']}: sector {r['sector']} cubre solo {r['share']:.0%} de la unidad")
    print(f"sectores / sectors: {f['sectors']} (2017: {_n(f['sector_population_2017_sum'])}; "
          f"2024: {_n(f['sector_residents_2024_sum'])})")
    for name, r in f["sector_residents"].items():
        print(f"  {name}: 2017 {_n(r['population_2017'])}, 2024 {_n(r['residents_2024'])}")
    for key in ("parte_alta", "example_parte_alta_sindempart_san_juan",
                "parte_alta_plus_neighbours", "example_plus_neighbours"):
        r = fa[key]
        print(f"  foco {key}: {' + '.join(r['sectors'])}: 2017 {_n(r['population_2017'])}, "
              f"2024 {_n(r['residents_2024'])}")
    z = f["zones"]
    print(f"zonas 2017 / zones: {z['zones']} ({_n(z['population_2017'])} hab.), "
          f"{len(z['age_sum_mismatches'])} con edades que no suman, "
          f"{len(z['zones_without_ages'])} sin edades")
    for m in z["age_sum_mismatches"]:
        print(f"  {m['id']}: population_2017 {m['population_2017']} vs edades {m['age_sum']}")
    print(f"espacios / venues: {v['venues']} {v['venues_by_category']}")
    print(f"  culturales ubicados / located: {v['cultural_located']} de {v['cultural_places']}; "
          f"por ubicar / to locate: {v['cultural_to_locate']}")
    print(f"  escuelas funcionando con/sin coordenadas: "
          f"{v['schools_operating_with_coordinates']}/"
          f"{v['schools_operating_without_coordinates']}")
    for o in v["located_outside_comuna_outline"]:
        print(f"  FUERA del contorno comunal / outside the comuna outline: {o['id']} "
              f"{o['name']} ({o['distance_m']} m)")
    if not f["blocks_sha256_matches_readme"]:
        print(f"AVISO: sha256 de {F_BLOCKS} = {f['blocks_sha256']} no es el del README")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"shared data folder (default: {DEFAULT_SHARED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"data folder to (re)write (default: {DEFAULT_OUT})")
    parser.add_argument("--imported", default=dt.date.today().isoformat(),
                        help="import date for the manifest (default: today); fix it to get "
                        "byte-identical output on another day")
    args = parser.parse_args(argv)
    try:
        dt.date.fromisoformat(args.imported)
    except ValueError:
        parser.error(f"--imported {args.imported!r} is not a YYYY-MM-DD date")
    try:
        result = build(args.shared, args.imported)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("no se escribió nada / nothing was written", file=sys.stderr)
        return 1
    write_swap(result.files, args.out)
    print_figures(result.figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
