"""``culturamap serve``: the web map and APIs under waitress, a production WSGI server.

The app computes everything before the port opens, so the first visitor waits no longer
than the others.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys

SERVE_DATA_HINT = (
    "  (serve: la carpeta de datos se indica con CULTURAMAP_DATA_DIR o data_dir en "
    "CULTURAMAP_CONFIG, no con --data-dir / serve: set the data folder with "
    "CULTURAMAP_DATA_DIR or data_dir in CULTURAMAP_CONFIG, not --data-dir)"
)


def serve(args: argparse.Namespace) -> int:
    from waitress import serve as waitress_serve

    from geo.errors import ConfigError, CulturamapError
    from geo.layer_errors import LayerError
    from webmap.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app({"WORKSPACE": True})  # the database is made/seeded here
    except ConfigError as exc:
        print(f"culturamap serve: configuración inválida / invalid settings: {exc}",
              file=sys.stderr)
        return 2
    except LayerError as exc:
        # The layer hints speak of --data-dir, which serve does not have.
        print(f"culturamap serve: {exc}\n{SERVE_DATA_HINT}", file=sys.stderr)
        return 2
    except (CulturamapError, OSError) as exc:
        print(f"culturamap serve: {exc}", file=sys.stderr)
        return 2
    # The served data (hundreds of thousands of small objects) never change after start:
    # keep them out of the cyclic garbage collector, whose full passes over them would
    # otherwise stall a request now and then by tens of milliseconds.
    gc.collect()
    gc.freeze()
    print(f"culturamap: http://{args.host}:{args.port}/  (OGC API: /ogc, API: /api/nearest)",
          flush=True)
    waitress_serve(app, host=args.host, port=args.port, threads=args.threads,
                   ident="culturamap")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="servir el mapa web y la API / serve the web map and API (waitress)",
        description="Sirve el mapa web, la vista de dirigentes y las API con waitress. "
        "Configuración: archivo CULTURAMAP_CONFIG (TOML/JSON) y variables CULTURAMAP_*.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="dirección / address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="puerto / port (8000)")
    parser.add_argument("--threads", type=int, default=4, help="hilos / worker threads (4)")
    parser.set_defaults(func=serve)
