"""Helpers shared by the web tests: apps on the fixture data or on a modified copy of it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests.support.data import FIXTURE_DATA_DIR
from webmap.app import create_app

NASTY_NAME = '<script>alert(1)</script> & "Peñuelas"'
NASTY_ADDRESS = "<img src=x onerror=alert(2)> 'calle'"


def copy_data(tmp_path: Path) -> Path:
    """A private copy of the fixture data set, safe to modify in a test."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA_DIR, target)
    return target


def make_nasty_data(tmp_path: Path) -> tuple[Path, str]:
    """Fixture data with the first venue renamed to HTML/JS; returns (data dir, venue id)."""
    data = copy_data(tmp_path)
    venues_path = data / "venues" / "venues.geojson"
    venues = json.loads(venues_path.read_text("utf-8"))
    first = venues["features"][0]["properties"]
    first["name"] = NASTY_NAME
    first["address"] = NASTY_ADDRESS
    venues_path.write_text(json.dumps(venues, ensure_ascii=False), "utf-8")
    councils_path = data / "boundaries" / "councils.geojson"
    councils = json.loads(councils_path.read_text("utf-8"))
    councils["features"][0]["properties"]["name"] = NASTY_NAME
    councils_path.write_text(json.dumps(councils, ensure_ascii=False), "utf-8")
    return data, first["id"]


# A test that asks for a PDF wants the PDF: on a loaded CI machine the product's 2 s wait may
# pass before it is rendered (the 202 "being prepared" page). Tests of that page set their own.
TEST_REPORT_WAIT_S = 120


def app_for(data_dir: Path, cache_dir: Path, **extra: object) -> Flask:
    return create_app({"DATA_DIR": data_dir, "CACHE_DIR": cache_dir, "TESTING": True,
                       "REPORT_WAIT_S": TEST_REPORT_WAIT_S, **extra})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Run ``app`` on a free loopback port in a thread; yields its base URL.

    Werkzeug's threaded server stops cleanly from another thread (the benchmark measures
    the production server, waitress, in its own process).
    """
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: object, **kwargs: object) -> None:
            pass

    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


REPO = Path(__file__).resolve().parents[2]  # the checkout (tests/support/web.py)


@contextmanager
def serve_process(cache_dir: Path, threads: int = 4) -> Iterator[str]:
    """`python -m webmap serve` (waitress, the production server) in a child process.

    It serves the fixture data (CULTURAMAP_DATA_DIR), not the shipped data/ folder.
    """
    port = free_port()
    env = {**os.environ, "CULTURAMAP_DATA_DIR": str(FIXTURE_DATA_DIR),
           "CULTURAMAP_CACHE_DIR": str(cache_dir),
           # the workspace database goes to the test's folder, not the fixture folder
           "CULTURAMAP_DATABASE_URL": f"sqlite:///{cache_dir / 'workspace.sqlite'}",
           "CULTURAMAP_SECRET_KEY": "test-only-secret"}
    cmd = [sys.executable, "-m", "webmap", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--threads", str(threads), "--no-prerender"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/councils", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode()) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("culturamap serve did not start in 90 s") from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
