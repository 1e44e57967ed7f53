"""``culturamap export``: write layers and results as GeoJSON, GeoPackage or CSV files.

The same writer serves the web downloads, so a file from the CLI and one from the map match.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli_options import add_setting_flags, settings_from_args
from geo.export import FORMATS, export_layers
from geo.study import LAYER_NAMES, Study


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
    add_setting_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = LAYER_NAMES if args.layer == "all" else (args.layer,)
    study = Study(settings_from_args(args))
    done = export_layers(names, args.fmt, args.out, study.layer)
    for item in done:
        print(f"{item.path}\t{item.rows} filas/rows")
    return 0
