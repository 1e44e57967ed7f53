"""Faults an operator meets: a full disk during an export, kill -9 during an export or a PDF
render. Nothing half-written may be served or left under a real name, and a restart works.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import free_port

ROOT = Path(__file__).resolve().parents[1]


def env_for(cache: Path, data: Path = FIXTURE_DATA_DIR) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CULTURAMAP_")}
    env.update(CULTURAMAP_DATA_DIR=str(data), CULTURAMAP_CACHE_DIR=str(cache))
    return env


def culturamap(*args: str) -> list[str]:
    return [sys.executable, "-m", "culturamap", *args]


def is_whole_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")


# --- exports ---------------------------------------------------------------------------------


def test_export_on_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "population.csv"
    earlier.write_text("id\nfrom an earlier export\n", "utf-8")
    limit = 20_000  # bytes: the population CSV of the fixture is larger

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        culturamap("export", "--layer", "population", "--format", "csv", "--out", str(out)),
        cwd=ROOT, env=env_for(tmp_path / "cache"), capture_output=True, text=True,
        timeout=300, preexec_fn=small_files)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "culturamap export: [Errno 27] File too large"
    assert lines[1].startswith("  Qué hacer: el disco está lleno")
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["population.csv"]  # no temp file left
    assert earlier.read_text("utf-8") == "id\nfrom an earlier export\n"  # untouched


def test_export_killed_mid_write_leaves_only_whole_files(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        culturamap("export", "--layer", "all", "--format", "gpkg", "--out", str(out)),
        cwd=ROOT, env=env_for(tmp_path / "cache"), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if out.is_dir() and any(p.name.startswith(".") for p in out.iterdir()):
            break  # a file is being written right now
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    named = [p for p in out.glob("*.gpkg") if not p.name.startswith(".")]
    for path in named:  # whatever has a real name is whole
        assert len(gpd.read_file(path)) > 0 or path.name == "workshops.gpkg", path
    rerun = subprocess.run(
        culturamap("export", "--layer", "all", "--format", "gpkg", "--out", str(out)),
        cwd=ROOT, env=env_for(tmp_path / "cache"), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], names  # leftovers cleaned
    assert len(names) == len(rerun.stdout.splitlines())


# --- the server, killed while rendering PDFs ahead --------------------------------------------


def start(port: int, cache: Path) -> subprocess.Popen:
    proc = subprocess.Popen(culturamap("serve", "--port", str(port)), cwd=ROOT,
                            env=env_for(cache), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/councils", timeout=5).read()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("culturamap serve did not start")
            time.sleep(0.3)


def kept_pdfs(reports: Path) -> list[Path]:
    """The reports under their real names (pathlib's glob also matches dot-files, which
    are the renderer's temporary files)."""
    return [p for p in reports.glob("*/*.pdf") if not p.name.startswith(".")]


def test_server_killed_during_pdf_renders_serves_only_whole_pdfs_after_restart(tmp_path):
    cache = tmp_path / "cache"
    reports = cache / "reports"
    port = free_port()
    proc = start(port, cache)
    try:
        deadline = time.monotonic() + 300
        while len(kept_pdfs(reports)) < 3:  # rendering ahead has begun
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    kept = kept_pdfs(reports)
    assert kept and all(is_whole_pdf(p.read_bytes()) for p in kept)
    assert not list(reports.glob("*/.*.pdf"))  # a half-written file never looks like a PDF
    proc = start(port, cache)
    try:
        assert not list(reports.glob("*/.rendering-*"))  # stray temporary files removed
        for name in ("parte-alta", "JV-01", "JV-20"):
            deadline = time.monotonic() + 300
            while True:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/reportes/{name}.pdf?lang=es") as response:
                    body = response.read()
                    if response.status == 200:
                        break
                assert response.status == 202 and time.monotonic() < deadline
                time.sleep(1)
            assert is_whole_pdf(body), name
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_worker_ends_with_a_killed_server(tmp_path):
    """kill -9 of `culturamap serve` leaves no worker answering on the port alone."""
    port = free_port()
    proc = start(port, tmp_path / "cache")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert children  # the worker process that answered
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in
              Path(f"/proc/{pid}/status").read_text() for pid in children):
        assert time.monotonic() < deadline, "the worker outlived the server"
        time.sleep(0.1)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/councils", timeout=5)
