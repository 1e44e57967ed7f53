"""Bad input to the ``culturamap`` commands ends in one clear message and an exit code.

Each test spoils a private copy of the fixture data (or passes a bad option) the way a
planner might, and checks that the command names the problem instead of a traceback or a
silent fallback to the demo data.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from culturamap.cli import main as cli_main
from geo.export import FORMULA_PREFIXES
from tests.support.data import FIXTURE_ARGS, FIXTURE_OSM
from tests.support.layers import copy_fixture_data, edit_geojson
from tests.support.web import free_port
from webmap.config import ConfigError, load_settings

TRACEBACK = "Traceback (most recent call last)"


def test_analyse_without_network_file_names_it_instead_of_using_the_demo(tmp_path, capsys):
    data = copy_fixture_data(tmp_path / "data")  # has no network/parte_alta.osm
    out = tmp_path / "out"
    code = cli_main(["analyse", "--data-dir", str(data), "--travel-model", "osm",
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(data / "network") in err and "no OpenStreetMap file" in err
    assert not out.exists() or list(out.iterdir()) == []


def test_layers_csv_neutralises_formula_like_names(tmp_path, capsys):
    data = copy_fixture_data(tmp_path / "data")
    nasty = '=HYPERLINK("http://evil.example","clic")'
    edit_geojson(data / "boundaries" / "councils.geojson", 0, name=nasty)
    assert cli_main(["layers", "--data-dir", str(data), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 20
    names = [r["name"] for r in rows]
    assert "'" + nasty in names
    assert not any(n.startswith(FORMULA_PREFIXES) for n in names)


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "ten"])
def test_layers_rejects_a_bad_tolerance(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["layers", *FIXTURE_ARGS, "--tolerance-m", value])
    assert exit_info.value.code == 2
    assert "tolerance" in capsys.readouterr().err


@pytest.mark.parametrize("value", [",", "", " , "])
def test_analyse_rejects_an_empty_thresholds_list(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["analyse", *FIXTURE_ARGS, "--thresholds", value, "--out", str(tmp_path / "a")])
    assert exit_info.value.code == 2
    assert "--thresholds" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


# --- serve: bad data stops the start with one message, exit 2 -----------------------------


def _latin1_venues(data):
    path = data / "venues" / "venues.geojson"
    fc = json.loads(path.read_text("utf-8"))
    fc["features"][0]["properties"]["name"] = "Biblioteca Peñuelas"
    path.write_bytes(json.dumps(fc, ensure_ascii=False).encode("latin-1"))
    return path


def _unknown_category(data):
    path = data / "venues" / "venues.geojson"
    edit_geojson(path, 2, category="opera")
    return path


def _no_blocks(data):
    path = data / "population" / "blocks.geojson"
    path.unlink()
    return path


def _no_network(data):
    """No OSM file while the settings ask for the OSM model (auto would derive one)."""
    return data / "network"


def _with_network(data):
    (data / "network").mkdir(exist_ok=True)
    shutil.copy(FIXTURE_OSM, data / "network" / FIXTURE_OSM.name)


@pytest.mark.parametrize(
    "spoil", [_latin1_venues, _unknown_category, _no_blocks, _no_network],
    ids=["latin1-venues", "unknown-category", "missing-blocks", "missing-osm"],
)
def test_serve_reports_bad_data_without_traceback(spoil, tmp_path, monkeypatch, capsys):
    data = copy_fixture_data(tmp_path / "data")
    if spoil is not _no_network:
        _with_network(data)
    path = spoil(data)
    monkeypatch.delenv("CULTURAMAP_CONFIG", raising=False)
    monkeypatch.setenv("CULTURAMAP_DATA_DIR", str(data))
    monkeypatch.setenv("CULTURAMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CULTURAMAP_TRAVEL_MODEL", "osm")
    assert cli_main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert TRACEBACK not in err
    assert "--data-dir" not in err  # serve has no such option
    if spoil is _no_blocks:  # a missing file: the hint names what serve reads
        assert "CULTURAMAP_DATA_DIR" in err


# --- settings: speed and threshold within what the analysis accepts ------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CULTURAMAP_THRESHOLD_MIN", "500"), ("CULTURAMAP_THRESHOLD_MIN", "0"),
     ("CULTURAMAP_WALKING_SPEED_KMH", "31"), ("CULTURAMAP_WALKING_SPEED_KMH", "nan")],
)
def test_settings_outside_the_analysis_limits_name_the_variable(variable, value):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={variable: value})
    message = str(error.value)
    assert f"environment variable {variable}" in message
    assert value in message


def test_settings_limit_names_the_config_file(tmp_path):
    config = tmp_path / "culturamap.toml"
    config.write_text("threshold_min = 241\n", "utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"CULTURAMAP_CONFIG": str(config)})
    assert str(config) in str(error.value)
    assert "240" in str(error.value)


def test_settings_at_the_analysis_limits_are_accepted():
    settings = load_settings(
        environ={"CULTURAMAP_THRESHOLD_MIN": "240", "CULTURAMAP_WALKING_SPEED_KMH": "30"}
    )
    assert (settings.threshold_min, settings.walking_speed_kmh) == (240.0, 30.0)


# --- report: an output folder that cannot be made -----------------------------------------


def test_report_out_under_a_file_is_one_clean_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    code = cli_main(["report", *FIXTURE_ARGS, "--area", "--format", "html",
                     "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("culturamap report:")
    assert str(blocker / "sub") in err
    assert TRACEBACK not in err
