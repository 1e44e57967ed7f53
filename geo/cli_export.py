"""``culturamap export``: write layers and results as GeoJSON, GeoPackage or CSV files.

The same writer serves the web downloads, so a file from the CLI and one from the map match.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.export import FORMATS, LAYER_NAMES, ExportError, LayerSource, export_layers


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="exportar capas y resultados / export layers and results",
        description="Escribe capas y resultados (EPSG:4326) como GeoJSON, GeoPackage o CSV. "
        "Writes layers and results (EPSG:4326) as GeoJSON, GeoPackage or CSV.",
    )
    parser.add_argument("--layer", choices=(*LAYER_NAMES, "all"), default="all",
                        help="capa a exportar (all = todas)")
    parser.add_argument("--format", dest="fmt", choices=tuple(FORMATS), default="geojson")
    parser.add_argument("--out", type=Path, required=True, help="carpeta de salida")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="carpeta de datos (por defecto data/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = LAYER_NAMES if args.layer == "all" else (args.layer,)
    source = LayerSource(args.data_dir)
    try:
        done = export_layers(names, args.fmt, args.out, source.get)
    except (ExportError, ValueError, OSError) as exc:
        print(f"culturamap export: {exc}", file=sys.stderr)
        return 1
    for item in done:
        print(f"{item.path}\t{item.rows} filas/rows")
    return 0
