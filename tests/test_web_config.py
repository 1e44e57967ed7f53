"""Settings: defaults < config file (CULTURAMAP_CONFIG) < CULTURAMAP_* env < create_app(config)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from geo.settings import Settings, load_settings
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for, free_port, serve_process
from webmap.config import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_defaults_without_file_or_environment():
    settings = load_settings(environ={})
    assert settings.threshold_min == Settings.threshold_min == 15.0
    assert settings.walking_speed_kmh == 4.5
    assert settings.default_language == "es"
    assert settings.tile_url == ""


def test_toml_file_then_environment_then_overrides(tmp_path):
    config = tmp_path / "culturamap.toml"
    config.write_text('threshold_min = 10\nwalking_speed_kmh = 4.0\ndefault_language = "en"\n')
    env = {"CULTURAMAP_CONFIG": str(config)}
    from_file = load_settings(environ=env)
    assert (from_file.threshold_min, from_file.walking_speed_kmh) == (10.0, 4.0)
    assert from_file.default_language == "en"
    env["CULTURAMAP_WALKING_SPEED_KMH"] = "3.5"
    env["CULTURAMAP_UNRELATED_TOOL"] = "ignored"
    from_env = load_settings(environ=env)
    assert from_env.walking_speed_kmh == 3.5 and from_env.threshold_min == 10.0
    overridden = load_settings({"THRESHOLD_MIN": 20}, environ=env)
    assert overridden.threshold_min == 20.0


def test_json_config_file(tmp_path):
    config = tmp_path / "culturamap.json"
    config.write_text(json.dumps({"cache_dir": str(tmp_path / "c"), "threshold_min": 12.5}))
    settings = load_settings(environ={"CULTURAMAP_CONFIG": str(config)})
    assert settings.cache_dir == tmp_path / "c" and settings.threshold_min == 12.5


@pytest.mark.parametrize(
    "text, suffix, message",
    [
        ("threshold_min = ", ".toml", "not valid TOML"),
        ('{"threshold_min": "soon"}', ".json", "threshold_min"),
        ('{"colour": "red"}', ".json", "unknown setting 'colour'"),
        ('{"threshold_min": -5}', ".json", "threshold_min must be a positive number"),
        ('{"default_language": "fr"}', ".json", "default_language must be one of"),
        ('{"data_dir": "/no/such/dir"}', ".json", "is not a directory"),
        ("[1, 2]", ".json", "table/object"),
    ],
)
def test_bad_config_files_name_the_problem(tmp_path, text, suffix, message):
    config = tmp_path / f"settings{suffix}"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={"CULTURAMAP_CONFIG": str(config)})


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="CULTURAMAP_THRESHOLD_MIN"):
        load_settings(environ={"CULTURAMAP_THRESHOLD_MIN": "quince"})
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(environ={"CULTURAMAP_CONFIG": "/no/such/file.toml"})


def test_threshold_setting_changes_the_figures_and_legend(tmp_path):
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", THRESHOLD_MIN=5)
    client = app.test_client()
    council = client.get("/api/councils/JV-01").get_json()
    assert council["threshold_min"] == 5
    items = client.get("/collections/councils/items").get_json()["features"]
    assert all("share_within_5min" in f["properties"] for f in items)
    page = client.get("/").get_data(as_text=True)
    assert "Residentes a 5 min o menos a pie" in page
    default = app_for(FIXTURE_DATA_DIR, tmp_path / "cache").test_client()
    share_15 = default.get("/api/councils/JV-01").get_json()["share_within_threshold"]
    assert council["share_within_threshold"] <= share_15


def test_serve_command_answers_as_culturamap(tmp_path):
    """The README's run command: `python -m webmap serve` answers on the given port."""
    with serve_process(tmp_path / "cache") as base:
        with urllib.request.urlopen(f"{base}/api/councils/JV-01") as response:
            assert json.load(response)["id"] == "JV-01"
            assert response.headers["Server"] == "culturamap"
        with urllib.request.urlopen(f"{base}/") as response:
            assert b'<html lang="es-CL">' in response.read()


def test_serve_command_rejects_bad_settings(tmp_path):
    env = {**os.environ, "CULTURAMAP_DATA_DIR": str(FIXTURE_DATA_DIR),
           "CULTURAMAP_DEFAULT_LANGUAGE": "klingon"}
    result = subprocess.run(
        [sys.executable, "-m", "webmap", "serve", "--port", str(free_port())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "default_language" in result.stderr


def test_walking_speed_and_tile_settings(tmp_path):
    slow = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", WALKING_SPEED_KMH=3.0).test_client()
    normal = app_for(FIXTURE_DATA_DIR, tmp_path / "cache",
                     TILE_URL="https://tile.example.org/{z}/{x}/{y}.png").test_client()
    query = "/api/nearest?lat=-29.9805&lon=-71.324&limit=3"
    slow_first = slow.get(query).get_json()["results"][0]
    normal_first = normal.get(query).get_json()["results"][0]
    assert slow_first["dist_m"] == normal_first["dist_m"]
    assert slow_first["time_min"] == pytest.approx(normal_first["dist_m"] / 50, abs=0.06)
    assert normal_first["time_min"] == pytest.approx(normal_first["dist_m"] / 75, abs=0.06)
    # an online tile layer only when configured
    page = normal.get("/").get_data(as_text=True)
    assert "tile.example.org" in page
    label = "Mapa base en línea"
    assert label in page or json.dumps(label)[1:-1] in page  # folium writes \u escapes
    assert "tile.example.org" not in slow.get("/").get_data(as_text=True)


def test_default_language_setting(tmp_path):
    client = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", DEFAULT_LANGUAGE="en").test_client()
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    spanish = client.get("/", headers={"Accept-Language": "es-CL,es;q=0.9"})
    assert '<html lang="es-CL">' in spanish.get_data(as_text=True)
