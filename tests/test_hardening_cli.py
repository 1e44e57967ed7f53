"""Start-up failures of ``culturamap serve`` and ``validate``, as an operator meets them.

Each case runs the real command in a subprocess (as `make run` does) and checks the exact
line on stderr and the exit status: one line saying what is wrong and what to do, never a
traceback, never a server that silently binds another port or waits forever.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.layers import copy_fixture_data
from tests.support.needs import require
from tests.support.web import free_port
from webmap.cli import StartError, check_options

ROOT = Path(__file__).resolve().parents[1]
TRACEBACK = "Traceback (most recent call last)"


def run_cli(*args: str, data: Path | None = None, cache: Path | None = None,
            unprivileged: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI in a subprocess on ``data``; ``unprivileged``: as root, without the powers
    that let root read any file (so file permissions apply as to any operator)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CULTURAMAP_")}
    env["CULTURAMAP_DATA_DIR"] = str(data or FIXTURE_DATA_DIR)
    env["CULTURAMAP_CACHE_DIR"] = str(cache or Path(tempfile.gettempdir()) / "cm-hardening")
    prefix = []
    if unprivileged and os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    return subprocess.run([*prefix, sys.executable, "-m", "culturamap", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines()
            if not line.startswith("INFO ")]  # logging of a start that got that far


# --- options: checked before any data is read ---------------------------------------------


@pytest.mark.parametrize("port", [0, 65536, 99999])
def test_port_out_of_range_is_one_line_and_exit_2(port):
    result = run_cli("serve", "--port", str(port))
    assert result.returncode == 2
    assert stderr_lines(result) == [
        f"culturamap serve: --port {port}: el puerto debe estar entre 1 y 65535 "
        f"(p. ej. --port 8000) / the port must be from 1 to 65535 (e.g. --port 8000)"
    ]


@pytest.mark.parametrize("threads", [0, -3])
def test_threads_below_one_is_one_line_and_exit_2(threads):
    result = run_cli("serve", "--threads", str(threads))
    assert result.returncode == 2
    assert stderr_lines(result) == [
        f"culturamap serve: --threads {threads}: debe ser un número entero de 1 a 256 "
        f"(p. ej. --threads 4) / must be a whole number from 1 to 256 (e.g. --threads 4)"
    ]


@pytest.mark.parametrize(("port", "threads"), [(1, 1), (65535, 256), (8000, 4)])
def test_options_on_the_limits_are_accepted(port, threads):
    check_options(port, threads)  # no StartError


@pytest.mark.parametrize(("port", "threads"), [(8000, 257), (65536, 4), (0, 4), (8000, 0)])
def test_options_past_the_limits_are_refused(port, threads):
    with pytest.raises(StartError):
        check_options(port, threads)


# --- data: broken network, folder instead of file, unreadable folder -----------------------


@pytest.fixture
def broken_network(tmp_path: Path) -> Path:
    data = copy_fixture_data(tmp_path / "data")
    (data / "network").mkdir()
    (data / "network" / "parte_alta.osm").write_text("<osm><way id='1'>", "utf-8")
    return data


def test_serve_with_a_broken_network_file_is_one_line(broken_network, tmp_path):
    osm = broken_network / "network" / "parte_alta.osm"
    result = run_cli("serve", "--port", str(free_port()), "--no-prerender", data=broken_network,
                     cache=tmp_path / "cache")
    assert result.returncode == 2
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"culturamap serve: {osm}: cannot be read as OpenStreetMap XML (")
    assert "Qué hacer:" in lines[0] and 'travel_model = "blocks"' in lines[0]
    assert "--data-dir" not in result.stderr and TRACEBACK not in result.stderr


def test_validate_checks_the_network_the_server_loads(broken_network, tmp_path):
    osm = broken_network / "network" / "parte_alta.osm"
    result = run_cli("validate", data=broken_network, cache=tmp_path / "cache")
    assert result.returncode == 1
    assert f"  ERROR network     osm ({osm})" in result.stdout.splitlines()
    assert "all layers are valid" not in result.stdout
    assert f"{osm}: cannot be read as OpenStreetMap XML" in result.stderr
    assert TRACEBACK not in result.stderr


def test_validate_passes_and_names_the_network_of_good_data(tmp_path):
    result = run_cli("validate", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    osm = FIXTURE_DATA_DIR / "network" / "parte_alta.osm"
    assert any(line.startswith("  OK    network") and f"osm ({osm})" in line
               for line in result.stdout.splitlines())


@pytest.mark.parametrize("command", ["serve", "validate"])
def test_a_folder_where_a_layer_file_should_be(command, tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    venues = data / "venues" / "venues.geojson"
    venues.unlink()
    venues.mkdir()
    args = ("serve", "--port", str(free_port())) if command == "serve" else ("validate",)
    result = run_cli(*args, data=data, cache=tmp_path / "cache")
    assert result.returncode == (2 if command == "serve" else 1)
    assert "Is a directory" not in result.stderr and TRACEBACK not in result.stderr
    assert (f"{venues}: la capa «venues» no se puede cargar (1 problema(s)) / "
            f'layer "venues" cannot be loaded (1 problem(s))') in result.stderr
    assert "  - es una carpeta, no un archivo / is a folder, not a file" in result.stderr


@pytest.mark.parametrize("command", ["serve", "validate"])
def test_an_unreadable_data_folder_is_one_line(command, tmp_path):
    require(os.geteuid() != 0 or shutil.which("setpriv") is not None,
            "util-linux's setpriv (root reads any folder without it)",
            "apt-get install util-linux")
    data = copy_fixture_data(tmp_path / "data")
    try:
        data.chmod(0o000)
        args = ("serve", "--port", str(free_port())) if command == "serve" else ("validate",)
        flags = () if command == "serve" else ("--data-dir", str(data))
        result = run_cli(*args, *flags, data=data, cache=tmp_path / "cache", unprivileged=True)
    finally:
        data.chmod(0o755)
    origin = ("environment variable CULTURAMAP_DATA_DIR" if command == "serve"
              else "command-line flag data_dir")
    prefix = "configuración inválida / invalid settings: " if command == "serve" else ""
    assert result.returncode == (2 if command == "serve" else 1)
    assert stderr_lines(result) == [
        f"culturamap {command}: {prefix}{origin}: data_dir cannot be read by this user "
        f"(permission denied); give read access, e.g. chmod -R a+rX {data}, got '{data}'"
    ]


def test_a_busy_port_is_one_line_and_exit_2():
    """Another program already listens on the port: said before any data is read."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2
    lines = stderr_lines(result)
    assert len(lines) == 1 and TRACEBACK not in result.stderr
    assert lines[0].startswith(f"culturamap serve: el puerto {port} de 127.0.0.1 ya está en uso")
