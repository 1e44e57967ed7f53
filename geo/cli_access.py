"""``culturamap analyse`` and ``culturamap suggest``: the access analysis from the shell.

``analyse`` writes councils and demand points as GeoJSON + CSV and an area summary JSON;
``suggest`` writes the suggested workshop sites. All files of one run appear together or
not at all: they are written into a staging folder, then moved into place.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.access import AccessParams, AccessResult, analyse, share_column
from geo.export import csv_frame, write_layer
from geo.layers import load_all
from geo.network import load_network
from geo.schema import CATEGORIES, DATA_DIR, NETWORK_OSM
from geo.siting import CULTURAL_CATEGORIES, MAX_K, MIN_K, SitingError, suggest_sites

DEFAULT_OUT = Path("out") / "access"


def _categories(text: str) -> tuple[str, ...] | None:
    if text.strip().lower() in {"all", "todas"}:
        return None
    cats = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown or not cats:
        raise argparse.ArgumentTypeError(
            f"categorías desconocidas / unknown categories {unknown}; use: {','.join(CATEGORIES)}"
        )
    return cats


def _minutes_list(text: str) -> tuple[float, ...]:
    try:
        minutes = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of minutes: {text!r}") from None
    if not minutes:
        raise argparse.ArgumentTypeError(
            f"lista de minutos vacía / empty list of minutes: {text!r} (e.g. 5,10,15,20)"
        )
    return minutes


def _k(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a whole number, got {text!r}") from None
    if not MIN_K <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"k must be from {MIN_K} to {MAX_K}, got {k}")
    return k


def _add_analysis_options(p: argparse.ArgumentParser, default_categories: str | None) -> None:
    p.add_argument("--speed", type=float, default=4.5, help="km/h a pie / walking (4.5)")
    p.add_argument("--threshold", type=float, default=15.0, help="minutos / minutes (15)")
    p.add_argument("--thresholds", type=_minutes_list, default=(5, 10, 15, 20), help="5,10,15,20")
    p.add_argument("--catchment", type=float, default=15.0, help="2SFCA, minutos (15)")
    p.add_argument(
        "--categories",
        type=_categories,
        default=_categories(default_categories) if default_categories else None,
        help="categorías que cuentan / counted categories, e.g. library,cultural_centre, "
        f"or 'all' (default: {default_categories or 'all'})",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="carpeta de datos (data/)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"carpeta ({DEFAULT_OUT})")


def register(subparsers: argparse._SubParsersAction) -> None:
    a = subparsers.add_parser(
        "analyse",
        aliases=["analyze"],
        help="brechas de acceso a pie / walking access gaps",
        description="Tiempo a pie por la red de calles hasta el recinto cultural más cercano, "
        "por junta de vecinos. Walking time along the streets to the nearest venue.",
    )
    _add_analysis_options(a, ",".join(CULTURAL_CATEGORIES))
    a.set_defaults(func=run_analyse)
    s = subparsers.add_parser(
        "suggest",
        help="sugerir sedes de talleres / suggest workshop sites",
        description="Elige k sedes que cubren más residentes aún sin acceso (MCLP). "
        "Chooses k sites covering the most residents not yet within reach.",
    )
    s.add_argument("-k", type=_k, required=True, help=f"número de sedes ({MIN_K}..{MAX_K})")
    s.add_argument(
        "--candidates",
        type=Path,
        default=None,
        help="GeoJSON/GPKG de puntos, o CSV con lon,lat (default: sedes sociales, escuelas)",
    )
    _add_analysis_options(s, ",".join(CULTURAL_CATEGORIES))
    s.set_defaults(func=run_suggest)


def _params(args: argparse.Namespace) -> AccessParams:
    return AccessParams(
        walking_speed_kmh=args.speed,
        threshold_min=args.threshold,
        thresholds_min=args.thresholds,
        categories=args.categories,
        sfca_catchment_min=args.catchment,
    )


def _inputs(args: argparse.Namespace):
    """The layers and the street network of one data folder (never the demo's network:
    a missing network file is an error naming the path, raised by ``load_network``)."""
    layers = load_all(args.data_dir)
    base = Path(args.data_dir) if args.data_dir is not None else DATA_DIR
    return layers, load_network(base / NETWORK_OSM.relative_to(DATA_DIR))


def read_candidates(path: Path) -> gpd.GeoDataFrame:
    """Planner-given sites: any vector file of points, or a CSV with lon and lat columns."""
    if not path.is_file():
        raise SitingError(f"{path}: file not found")
    if path.suffix.lower() != ".csv":
        try:
            return gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
            raise SitingError(f"{path}: cannot be read as a vector file ({exc})") from exc
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"lon", "lat"} <= set(table.columns):
        raise SitingError(f"{path}: a CSV of sites needs 'lon' and 'lat' columns")
    coords = table[["lon", "lat"]].apply(pd.to_numeric, errors="coerce")
    bad = coords.isna().any(axis=1)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise SitingError(
            f"{path}: row {row + 1} has no numeric lon/lat ({table.iloc[row].to_dict()})"
        )
    return gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(coords["lon"], coords["lat"]),
        crs="EPSG:4326",
    )


class Staging:
    """Write a run's files into a hidden folder, then move them all into ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
        self.names: list[str] = []

    def layer(self, gdf: gpd.GeoDataFrame, name: str, fmt: str) -> None:
        write_layer(gdf, self.dir / name, fmt, Path(name).stem)
        self.names.append(name)

    def table(self, gdf: gpd.GeoDataFrame, name: str, with_geometry: bool) -> None:
        """CSV of the attributes; points get lon/lat columns, polygons none (use GeoJSON)."""
        frame = csv_frame(gdf, "lonlat") if with_geometry else csv_frame(gdf, "wkt")
        if not with_geometry:
            frame = frame.drop(columns="wkt")
        frame.to_csv(self.dir / name, index=False, encoding="utf-8", lineterminator="\r\n")
        self.names.append(name)

    def json(self, data: dict, name: str) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
        (self.dir / name).write_text(text + "\n", encoding="utf-8")
        self.names.append(name)

    def commit(self) -> list[Path]:
        done = []
        for name in self.names:
            (self.dir / name).chmod(0o644)
            os.replace(self.dir / name, self.out / name)
            done.append(self.out / name)
        shutil.rmtree(self.dir, ignore_errors=True)
        return done

    def abort(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _notice(manifest: dict) -> dict:
    keys = ("synthetic", "notice_es", "notice_en")
    return {k: manifest[k] for k in keys if k in manifest}


def _params_dict(params: AccessParams) -> dict:
    return {
        "walking_speed_kmh": params.walking_speed_kmh,
        "threshold_min": params.threshold_min,
        "thresholds_min": list(params.all_thresholds),
        "categories": list(params.counted_categories),
        "sfca_catchment_min": params.sfca_catchment_min,
    }


def write_analysis(result: AccessResult, manifest: dict, out: Path) -> list[Path]:
    stage = Staging(out)
    try:
        stage.layer(result.councils, "councils.geojson", "geojson")
        stage.table(result.councils, "councils.csv", with_geometry=False)
        stage.layer(result.demand, "demand.geojson", "geojson")
        stage.table(result.demand, "demand.csv", with_geometry=True)
        stage.json(
            {"data": _notice(manifest), "params": _params_dict(result.params), "area": result.area},
            "area.json",
        )
    except BaseException:
        stage.abort()
        raise
    return stage.commit()


def _fail(command: str, exc: Exception) -> int:
    print(f"culturamap {command}: {exc}", file=sys.stderr)
    return 1


def run_analyse(args: argparse.Namespace) -> int:
    try:
        params = _params(args)
        layers, network = _inputs(args)
        result = analyse(layers, params, network)
        written = write_analysis(result, layers.manifest, args.out)
    except (ValueError, OSError) as exc:
        return _fail("analyse", exc)
    if layers.manifest.get("synthetic"):
        print(f"AVISO / NOTICE: {layers.manifest.get('notice_es', '')}")
    col = share_column(params.threshold_min)
    t, v = params.threshold_min, params.walking_speed_kmh
    print(f"Peores brechas / worst gaps (≤ {t:g} min, {v:g} km/h):")
    worst = result.councils.sort_values("gap_rank").head(5)
    for _, row in worst.iterrows():
        print(
            f"  {row['gap_rank']:>2}. {row['id']} {row['name']}: {row[col]:.0%} a ≤ "
            f"{params.threshold_min:g} min, media/mean {row['mean_time_min']:.1f} min"
        )
    area = result.area
    print(f"Parte Alta: {area[col]:.0%} de {area['residents']} residentes a ≤ {t:g} min")
    for path in written:
        print(path)
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    try:
        params = _params(args)
        layers, network = _inputs(args)
        candidates = read_candidates(args.candidates) if args.candidates else None
        result = analyse(layers, params, network)
        sites = suggest_sites(result, layers, network, args.k, candidates)
        stage = Staging(args.out)
        try:
            stage.layer(sites, "suggestions.geojson", "geojson")
            stage.table(sites, "suggestions.csv", with_geometry=True)
            stage.json(
                {"data": _notice(layers.manifest), "params": _params_dict(params), **sites.attrs},
                "suggestions.json",
            )
        except BaseException:
            stage.abort()
            raise
        written = stage.commit()
    except (ValueError, OSError) as exc:
        return _fail("suggest", exc)
    if layers.manifest.get("synthetic"):
        print(f"AVISO / NOTICE: {layers.manifest.get('notice_es', '')}")
    print(
        f"{sites.attrs['uncovered_residents']} residentes sin oferta a ≤ {params.threshold_min:g} "
        f"min ({', '.join(params.counted_categories)}); sedes sugeridas / suggested sites:"
    )
    for _, row in sites.iterrows():
        print(
            f"  {row['rank']}. {row['candidate_id']} {row['name']} ({row['category']}): "
            f"+{row['newly_covered']} (total {row['cumulative_covered']})"
        )
    if len(sites) < args.k:
        print(
            f"  ({args.k - len(sites)} sede(s) más no cubrirían a nadie nuevo / would add no one)"
        )
    for path in written:
        print(path)
    return 0
