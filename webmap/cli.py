"""``culturamap serve``: the web map and APIs under granian, a production WSGI server.

The app computes everything before the port opens, so the first visitor waits no longer
than the others. What the operator can get wrong (port, threads, address, data) is checked
first and said in one line with what to do, exit status 2 — never a traceback, never a
silent fallback (a server may bind port 99999 as 34463, or wait forever with 0 threads).

WHY granian (HTTP in Rust) rather than waitress (HTTP in Python): under 50 concurrent
clients on 2 cores, waitress spent more of the interpreter's time on its own sockets and
threads than on the answers (py-spy); granian answers /api/nearest about twice as fast
with the same app (benchmarks/results/load.txt). It runs ONE worker process, forked once
the data are loaded: a planner's edit refreshes the one served store, so every reader
sees the same data (two processes would each keep their own).
"""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import os
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

PORT_RANGE = (1, 65535)
THREADS_RANGE = (1, 256)
EXIT_START = 2  # the server could not start


class StartError(Exception):
    """The server cannot start; ``str()`` is the one line to print."""


def check_options(port: int, threads: int) -> None:
    """Port and threads within what a TCP server and granian can use."""
    low, high = PORT_RANGE
    if not low <= port <= high:
        raise StartError(
            f"--port {port}: el puerto debe estar entre {low} y {high} (p. ej. --port 8000) / "
            f"the port must be from {low} to {high} (e.g. --port 8000)"
        )
    low, high = THREADS_RANGE
    if not low <= threads <= high:
        raise StartError(
            f"--threads {threads}: debe ser un número entero de {low} a {high} (p. ej. "
            f"--threads 4) / must be a whole number from {low} to {high} (e.g. --threads 4)"
        )


def check_port_free(host: str, port: int) -> None:
    """Bind the address once (with SO_REUSEADDR, as a server does) and let it go, so a busy
    port or a wrong address is told before seconds of loading data."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StartError(
            f"--host {host}: dirección desconocida ({exc.strerror}); use una IP de esta máquina, "
            f"p. ej. --host 127.0.0.1 o --host 0.0.0.0 / unknown address; use an IP of this "
            f"machine, e.g. --host 127.0.0.1 or --host 0.0.0.0"
        ) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise StartError(bind_problem(host, port, exc)) from None


def bind_problem(host: str, port: int, exc: OSError) -> str:
    """One line for a failed bind: in use, privileged port, or an address not of this host."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"el puerto {port} de {host} ya está en uso (¿otro culturamap?): elija otro con "
            f"--port {port + 1 if port < PORT_RANGE[1] else 8000} (o PORT=... make run) / "
            f"port {port} on {host} is already in use (another culturamap?): choose another "
            f"with --port {port + 1 if port < PORT_RANGE[1] else 8000}"
        )
    if exc.errno == errno.EACCES:
        return (
            f"sin permiso para abrir el puerto {port} (los puertos < 1024 piden root): use "
            f"--port 8000 y un proxy inverso (ver README, HTTPS) / no permission to open port "
            f"{port} (ports below 1024 need root): use --port 8000 behind a reverse proxy"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host {host}: la dirección no es de esta máquina; use 127.0.0.1 o 0.0.0.0 / "
            f"the address is not one of this machine; use 127.0.0.1 or 0.0.0.0"
        )
    return f"no se puede abrir {host}:{port} / cannot open {host}:{port}: {exc.strerror or exc}"


def start_problem(exc: Exception) -> str:
    """The one message for a failure while loading the data and computing the study."""
    from geo.cli_layers import network_hint
    from geo.errors import ConfigError
    from geo.layer_errors import LayerError
    from geo.network import NetworkError

    if isinstance(exc, ConfigError):
        return f"configuración inválida / invalid settings: {exc}"
    if isinstance(exc, LayerError):
        # The layer hints name --data-dir, which serve does not have: say what serve reads.
        return str(exc).replace("--data-dir", "CULTURAMAP_DATA_DIR")
    if isinstance(exc, NetworkError):
        return f"{exc} — {network_hint(exc).strip()}"
    return str(exc)


QUIET_LOGGERS = ("weasyprint", "fontTools", "alembic")


def serve(args: argparse.Namespace) -> int:
    from geo.errors import CulturamapError
    from webmap.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in QUIET_LOGGERS:  # their INFO lines (every PDF page, every migration plugin)
        logging.getLogger(chatty).setLevel(logging.WARNING)  # would bury the server's own
    try:
        check_options(args.port, args.threads)
        check_port_free(args.host, args.port)
    except StartError as exc:
        print(f"culturamap serve: {exc}", file=sys.stderr)
        return EXIT_START
    try:
        app = create_app({"WORKSPACE": True})  # the database is made/seeded here
    except (CulturamapError, OSError) as exc:
        print(f"culturamap serve: {start_problem(exc)}", file=sys.stderr)
        return EXIT_START
    # The served data (hundreds of thousands of small objects) never change after start:
    # keep them out of the cyclic garbage collector, whose full passes over them would
    # otherwise stall a request now and then by tens of milliseconds.
    gc.collect()
    gc.freeze()
    try:  # the port may have been taken while the data loaded
        check_port_free(args.host, args.port)
    except StartError as exc:
        print(f"culturamap serve: {exc}", file=sys.stderr)
        return EXIT_START
    print(f"culturamap: http://{args.host}:{args.port}/  (OGC API: /ogc, API: /api/nearest)",
          flush=True)
    return _run_granian(app, args.host, args.port, args.threads, args.prerender)


def _prerender(app: Flask) -> None:
    """Every PDF report rendered ahead in the background (webmap.pdf_store)."""
    if "reports" in app.blueprints:
        from webmap.report_routes import start_prerender

        start_prerender(app)


def _die_with(parent: int) -> None:
    """Make this worker end when the server process ends, even by kill -9: a worker left
    alone would go on answering on the port (with data nobody refreshes) and hide the
    server started next. Linux's PR_SET_PDEATHSIG; elsewhere nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the server died before the line above
        os._exit(1)


def _named(app: Flask) -> Callable:
    """The WSGI app answering ``Server: culturamap``: the server's own name and version
    tell an attacker nothing useful to the reader."""

    def wsgi(environ: dict, start_response: Callable) -> object:
        def start(status: str, headers: list, *exc_info: object) -> object:
            headers = [(k, v) for k, v in headers if k.lower() != "server"]
            return start_response(status, [*headers, ("Server", "culturamap")], *exc_info)

        return app(environ, start)

    return wsgi


# A worker still busy this long after SIGTERM/SIGINT (a report being drawn, a request waiting
# for one) is killed: every file is written to a temporary name then renamed and every
# database change is one transaction, so a kill loses nothing, while a stop that never ends
# would hold the port and block a restart.
STOP_GRACE_S = 10


def _run_granian(app: Flask, host: str, port: int, threads: int, prerender: bool) -> int:
    """Serve ``app`` with granian: one worker process forked from this one (it shares the
    loaded data) answering with ``threads`` Python threads."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.mp import MPServer

    parent = os.getpid()

    def in_the_worker() -> Flask:
        _die_with(parent)
        # threads do not survive the fork: the background renders start in the worker
        if prerender:
            _prerender(app)
        return _named(app)

    server = MPServer("webmap.app:create_app", address=host, port=port,
                      interface=Interfaces.WSGI, workers=1, blocking_threads=threads,
                      backlog=1024, log_level=LogLevels.warning,
                      workers_kill_timeout=STOP_GRACE_S)
    server.serve(target_loader=in_the_worker, wrap_loader=False)  # until SIGINT/SIGTERM
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="servir el mapa web y la API / serve the web map and API (granian)",
        description="Sirve el mapa web, la vista de dirigentes y las API con granian. "
        "Configuración: archivo CULTURAMAP_CONFIG (TOML/JSON) y variables CULTURAMAP_*.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="dirección / address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="puerto / port (8000)")
    parser.add_argument("--threads", type=int, default=4, help="hilos / worker threads (4)")
    parser.add_argument("--no-prerender", dest="prerender", action="store_false",
                        help="no generar los PDF al partir, solo al pedirlos / render PDF "
                        "reports only when asked for, not all at start")
    parser.set_defaults(func=serve)
