"""``culturamap validate`` and ``culturamap layers``: check the data folder, summarise councils.

Why a validate command: planners replace files by hand (workshops.geojson is edited in
QGIS); one command tells them, file by file and feature by feature, what to fix.
"""

from __future__ import annotations

import argparse
import math
import sys

import geopandas as gpd

from geo.cli_options import add_setting_flags, settings_from_args
from geo.export import csv_frame
from geo.join import DEFAULT_TOLERANCE_M, council_summary
from geo.layer_errors import LayerError
from geo.layers import (
    Layers,
    cross_check,
    layer_path,
    layer_warnings,
    load_all,
    load_layer,
    load_manifest,
)
from geo.network import NetworkError
from geo.schema import ALL_LAYERS, categories, category_ids
from geo.settings import Settings
from geo.travel import chosen_model, load_travel_model, osm_file

OSM_HINT = (
    "  Qué hacer: reemplace el archivo por un .osm válido (exportado de OpenStreetMap con JOSM "
    "u osmium) o quítelo de network/ para usar la red derivada de las manzanas "
    "(travel_model = \"blocks\") / What to do: replace it with a valid .osm export, or remove "
    "it from network/ to use the network derived from the blocks (travel_model = \"blocks\")"
)
BLOCKS_HINT = (
    "  Qué hacer: corrija la capa de manzanas (population/blocks.geojson: polígonos con CRS) "
    "o agregue un archivo OpenStreetMap en network/ / What to do: fix the blocks layer "
    "(polygons with a CRS) or add an OpenStreetMap file in network/"
)


def _tolerance_m(text: str) -> float:
    """Metres, zero or more: a negative or non-finite tolerance has no meaning."""
    try:
        metres = float(text)
    except ValueError:
        metres = math.nan
    if not (math.isfinite(metres) and metres >= 0):
        raise argparse.ArgumentTypeError(
            f"la tolerancia debe ser metros >= 0 / tolerance must be metres >= 0, got {text!r}"
        )
    return metres


def register(subparsers: argparse._SubParsersAction) -> None:
    validate = subparsers.add_parser(
        "validate",
        help="revisa las capas de datos / check the data layers",
        description="Revisa las cuatro capas, el manifiesto y la red peatonal que el servidor "
        "cargará; sale con código 1 si hay errores. / Checks the four layers, the manifest and "
        "the walking network the server will load; exits 1 on errors.",
    )
    add_setting_flags(validate, "data_dir", "cache_dir", "travel_model")
    validate.set_defaults(func=run_validate)

    layers = subparsers.add_parser(
        "layers",
        help="tabla resumen por junta de vecinos / council summary table",
        description="Espacios culturales por categoría, población y superficie (km², EPSG:32719) "
        "de cada junta de vecinos. / Venues by category, population and area per council.",
    )
    add_setting_flags(layers, "data_dir")
    layers.add_argument("--format", choices=("table", "csv"), default="table")
    layers.add_argument(
        "--tolerance-m",
        type=_tolerance_m,
        default=DEFAULT_TOLERANCE_M,
        help="distancia máxima para asignar un espacio a la junta más cercana / "
        "max distance to assign a venue to the nearest council (m)",
    )
    layers.set_defaults(func=run_layers)


def _describe(name: str, gdf: gpd.GeoDataFrame) -> str:
    """One line of figures that tells a planner the layer is the one they expect."""
    if name == "councils":
        pop = gdf["population"]
        return (
            f"población declarada / declared population: {int(pop.sum())} "
            f"({int(pop.isna().sum())} sin dato / missing)"
        )
    if name == "venues":
        counts = gdf["category"].value_counts()
        return ", ".join(f"{c}={int(counts.get(c, 0))}" for c in category_ids())
    if name == "workshops":
        dates = gdf["date"].dropna()
        span = f"{dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d}" if len(dates) else "-"
        return f"fechas / dates: {span}"
    if name == "population":
        return f"habitantes / residents: {int(gdf['residents'].sum())}"
    return ""


def network_hint(exc: NetworkError) -> str:
    """What to do about a network that cannot be loaded: the OSM file or the blocks layer."""
    text = str(exc)
    return OSM_HINT if ("OpenStreetMap" in text or ".osm" in text) else BLOCKS_HINT


def _check_network(settings: Settings) -> NetworkError | None:
    """Load the walking network exactly as ``serve`` will (same model, same cache)."""
    kind = chosen_model(settings)
    source = osm_file(settings.data_dir) if kind == "osm" else None
    label = f"{kind} ({source})" if source else kind
    try:
        model = load_travel_model(settings)
    except NetworkError as exc:
        print(f"  ERROR network     {label}")
        return exc
    network = getattr(model, "network", None)
    size = f"{network.n_nodes} nodos/nodes  " if network is not None else ""
    print(f"  OK    network     {size}modelo/model {label}")
    return None


def run_validate(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    data_dir = settings.data_dir
    loaded: dict[str, gpd.GeoDataFrame] = {}
    errors: list[LayerError | NetworkError] = []
    print(f"Carpeta de datos / data folder: {layer_path(ALL_LAYERS[0], data_dir).parents[1]}")
    for spec in ALL_LAYERS:
        path = layer_path(spec, data_dir)
        try:
            gdf = load_layer(spec, path)
        except LayerError as exc:
            errors.append(exc)
            print(f"  ERROR {spec.name:<11} {path}")
            continue
        loaded[spec.name] = gdf
        warns = layer_warnings(gdf)
        print(
            f"  OK    {spec.name:<11} {len(gdf):>5} elementos/features  "
            f"CRS {gdf.attrs.get('source_crs')} -> EPSG:4326  {path}"
        )
        print(f"        {_describe(spec.name, gdf)}")
        for text in warns:
            print(f"        AVISO/WARNING {text}")
    try:
        manifest = load_manifest(data_dir)
    except LayerError as exc:
        errors.append(exc)
        manifest = {}
    if manifest.get("synthetic"):
        print(f"  NOTA/NOTE {manifest.get('notice_es', '')} / {manifest.get('notice_en', '')}")
    if len(loaded) == len(ALL_LAYERS):
        layers = Layers(**loaded, manifest=manifest)
        problems = cross_check(layers, data_dir)
        if problems:
            errors.append(LayerError(layer_path(ALL_LAYERS[2], data_dir), problems, "workshops"))
    needs_blocks = chosen_model(settings) == "blocks"
    network_error = None if needs_blocks and "population" not in loaded else (
        _check_network(settings))
    if network_error is not None:
        errors.append(network_error)
    if errors:
        for exc in errors:
            print(str(exc), file=sys.stderr)
            if isinstance(exc, NetworkError):
                print(network_hint(exc), file=sys.stderr)
        print(
            f"{len(errors)} archivo(s) con errores: nada se cargó de ellos / "
            f"{len(errors)} file(s) with errors: nothing of them was loaded",
            file=sys.stderr,
        )
        return 1
    print("Todas las capas son válidas / all layers are valid")
    return 0


def run_layers(args: argparse.Namespace) -> int:
    try:
        layers = load_all(args.data_dir)
    except LayerError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    summary = council_summary(layers, tolerance_m=args.tolerance_m)
    table = summary.drop(columns="geometry")
    if args.format == "csv":
        # Names come from data files: neutralise formula-like cells as every CSV export does.
        cells = csv_frame(summary, "wkt").drop(columns="wkt")
        cells.to_csv(sys.stdout, index=False, float_format="%.4f")
        return 0
    shown = table[["id", "name", "population", "area_km2", "venues_total"]].copy()
    for cat in categories():
        shown[cat.short] = table[f"venues_{cat.id}"]
    shown["area_km2"] = shown["area_km2"].map(lambda v: f"{v:.3f}")
    print(shown.to_string(index=False))
    print(
        f"Total: {len(table)} juntas/councils, {int(table['population'].sum())} hab./residents, "
        f"{table['area_km2'].sum():.3f} km², {int(table['venues_total'].sum())} espacios/venues"
    )
    print("  " + ", ".join(f"{c.short}={c.id}" for c in categories()))
    flagged = int(table["venues_flagged_nearest"].sum())
    unassigned = summary.attrs.get("unassigned_venues", [])
    if flagged or unassigned:
        print(
            f"  {flagged} espacio(s) asignado(s) por cercanía (<= {args.tolerance_m:g} m), "
            f"{len(unassigned)} sin junta {unassigned} / {flagged} venue(s) assigned by "
            f"proximity, {len(unassigned)} without council"
        )
    if layers.manifest.get("synthetic"):
        print(f"  NOTA/NOTE: {layers.manifest.get('notice_es', '')}")
    return 0
