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
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.access import AccessParams, AccessResult, share_column
from geo.cli_options import add_setting_flags, settings_from_args
from geo.export import csv_frame, write_layer
from geo.siting import MAX_K, MIN_K, SitingError, suggest_sites
from geo.study import Study

DEFAULT_OUT = Path("out") / "access"


def _k(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a whole number, got {text!r}") from None
    if not MIN_K <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"k must be from {MIN_K} to {MAX_K}, got {k}")
    return k


ANALYSIS_SETTINGS = ("walking_speed_kmh", "threshold_min", "thresholds_min",
                     "sfca_catchment_min", "categories", "data_dir", "cache_dir",
                     "travel_model", "focus_sectors")


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    add_setting_flags(p, *ANALYSIS_SETTINGS)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"carpeta ({DEFAULT_OUT})")


def register(subparsers: argparse._SubParsersAction) -> None:
    a = subparsers.add_parser(
        "analyse",
        aliases=["analyze"],
        help="brechas de acceso a pie / walking access gaps",
        description="Tiempo a pie por la red de calles hasta el recinto cultural más cercano, "
        "por junta de vecinos. Walking time along the streets to the nearest venue.",
    )
    _add_analysis_options(a)
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
    _add_analysis_options(s)
    add_setting_flags(s, "siting_weights")
    s.set_defaults(func=run_suggest)


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


def _by_group_line(attrs: dict) -> str:
    """Residents newly covered per group, and the weights used (issue 11, equity)."""
    groups = attrs.get("newly_covered_by_group") or {}
    parts = [f"{g} {n}" for kind in ("quintile", "gse") for g, n in groups.get(kind, {}).items()]
    parts.append(f"sin grupo / no group {groups.get('without_group', 0)}")
    weights = attrs.get("group_weights") or {}
    used = ", ".join(f"{g}={w:g}" for g, w in weights.items()) or "todos 1 / all 1"
    return f"  nuevos por grupo / newly covered by group ({used}): {'; '.join(parts)}"


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
        stage.layer(result.sectors, "sectors.geojson", "geojson")
        stage.table(result.sectors, "sectors.csv", with_geometry=False)
        stage.layer(result.demand, "demand.geojson", "geojson")
        stage.table(result.demand, "demand.csv", with_geometry=True)
        stage.json(
            {"data": _notice(manifest), "params": _params_dict(result.params),
             "focus": result.focus, "area": result.area},
            "area.json",
        )
    except BaseException:
        stage.abort()
        raise
    return stage.commit()


def run_analyse(args: argparse.Namespace) -> int:
    study = Study(settings_from_args(args))
    layers, params, result = study.layers, study.params, study.access
    written = write_analysis(result, layers.manifest, args.out)
    if layers.manifest.get("synthetic"):
        print(f"AVISO / NOTICE: {layers.manifest.get('notice_es', '')}")
    col = share_column(params.threshold_min)
    t, v = params.threshold_min, params.walking_speed_kmh
    focus = result.focus
    if focus:  # the focus area first (Settings.focus_sectors)
        print(f"Área foco / focus area ({focus['name']}): {focus[col]:.0%} de "
              f"{focus['residents']} residentes a ≤ {t:g} min, media/mean "
              f"{focus['mean_time_min']:.1f} min")
    print(f"Peores brechas / worst gaps (≤ {t:g} min, {v:g} km/h):")
    worst = result.councils.sort_values("gap_rank").head(5)
    for _, row in worst.iterrows():
        mean = row["mean_time_min"]
        mean_text = "—" if pd.isna(mean) else f"{mean:.1f} min"  # nobody reaches an offering
        print(
            f"  {row['gap_rank']:>2}. {row['id']} {row['name']}: {row[col]:.0%} a ≤ "
            f"{params.threshold_min:g} min, media/mean {mean_text}"
        )
    area = result.area
    print(f"{area['name']}: {area[col]:.0%} de {area['residents']} residentes a ≤ {t:g} min")
    print("Sectores municipales, peores / municipal sectors, worst:")
    for _, row in result.sectors.sort_values("gap_rank").head(5).iterrows():
        print(f"  {row['gap_rank']:>2}. {row['name']}: {row[col]:.0%} de {row['residents']} "
              f"residentes a ≤ {t:g} min")
    for path in written:
        print(path)
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    study = Study(settings_from_args(args))
    layers, params = study.layers, study.params
    candidates = read_candidates(args.candidates) if args.candidates else None
    weights = dict(study.settings.siting_weights)
    sites = suggest_sites(study.access, layers, study.travel, args.k, candidates, weights)
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
    print(_by_group_line(sites.attrs))
    for path in written:
        print(path)
    return 0
