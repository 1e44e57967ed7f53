"""Settings of the web map: defaults < config file (CULTURAMAP_CONFIG) < CULTURAMAP_* env vars.

One function builds the final settings so that the server, the tests and the benchmark all
agree; bad values stop the start with a message naming where the value came from.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo.access import AccessError, AccessParams
from geo.schema import DATA_DIR
from webmap.i18n import LANGUAGES

REPO_DIR = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": DATA_DIR,
    "CACHE_DIR": REPO_DIR / "cache",
    "WALKING_SPEED_KMH": 4.5,
    "THRESHOLD_MIN": 15.0,
    "DEFAULT_LANGUAGE": "es",
    # Map tiles need internet: off by default, the street network is drawn from the OSM file.
    "TILE_URL": "",
    "TILE_ATTRIBUTION": "© OpenStreetMap contributors",
    # How many sites the map's "where a new workshop would help most" layer shows (1..10).
    "SITES_K": 3,
}

_CONVERTERS: dict[str, type | str] = {
    "DATA_DIR": Path,
    "CACHE_DIR": Path,
    "WALKING_SPEED_KMH": float,
    "THRESHOLD_MIN": float,
    "DEFAULT_LANGUAGE": str,
    "TILE_URL": str,
    "TILE_ATTRIBUTION": str,
    "SITES_K": "whole_number",
}

SITES_K_RANGE = (1, 10)  # geo.siting.MIN_K, MAX_K
ENV_PREFIX = "CULTURAMAP_"
CONFIG_FILE_ENV = "CULTURAMAP_CONFIG"


class ConfigError(ValueError):
    """A setting is missing, unknown or has a value the app cannot use."""


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.').upper()} ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must hold a table/object of settings")
    return data


def _whole_number(value: Any) -> int:
    """3, "3" or 3.0 -> 3; "3.5", 3.5, True or "" are refused (not silently rounded)."""
    if isinstance(value, bool):
        raise ValueError("a whole number is needed, not true/false")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number is needed")
        return int(value)
    if isinstance(value, int):
        return value
    return int(str(value).strip())


def _convert(key: str, value: Any, origin: str) -> tuple[str, Any]:
    upper = key.upper()
    if upper.startswith(ENV_PREFIX):
        upper = upper[len(ENV_PREFIX) :]
    if upper not in _CONVERTERS:
        known = ", ".join(sorted(k.lower() for k in _CONVERTERS))
        raise ConfigError(f"{origin}: unknown setting {key!r} (known: {known})")
    try:
        convert = _CONVERTERS[upper]
        converted = _whole_number(value) if convert == "whole_number" else convert(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: {key} = {value!r} is not a valid value ({exc})") from exc
    return upper, converted


# Each analysis setting and the AccessParams field it feeds: AccessParams holds the limits.
_ACCESS_FIELDS = {"WALKING_SPEED_KMH": "walking_speed_kmh", "THRESHOLD_MIN": "threshold_min"}


def _check(settings: dict[str, Any], origins: Mapping[str, str]) -> None:
    for key, field in _ACCESS_FIELDS.items():
        try:
            AccessParams(**{field: settings[key]})
        except AccessError as exc:
            origin = origins.get(key, "default")
            raise ConfigError(
                f"{origin}: {key.lower()} must be a positive number the access analysis "
                f"accepts, got {settings[key]!r} ({exc})"
            ) from exc
    if not SITES_K_RANGE[0] <= settings["SITES_K"] <= SITES_K_RANGE[1]:
        low, high = SITES_K_RANGE
        raise ConfigError(
            f"sites_k (how many suggested workshop sites the map shows) must be a whole "
            f"number from {low} to {high}, got {settings['SITES_K']}"
        )
    if settings["DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ConfigError(
            f"default_language must be one of {LANGUAGES}, got {settings['DEFAULT_LANGUAGE']!r}"
        )
    if not Path(settings["DATA_DIR"]).is_dir():
        raise ConfigError(f"data_dir {settings['DATA_DIR']} is not a directory")


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then the config file, then env vars, then explicit overrides (tests)."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    origins: dict[str, str] = {}  # setting -> where its value came from, for error messages

    def put(key: str, value: Any, origin: str) -> None:
        name, converted = _convert(key, value, origin)
        settings[name] = converted
        origins[name] = origin

    config_path = environ.get(CONFIG_FILE_ENV)
    if config_path:
        for key, value in _read_file(Path(config_path)).items():
            put(key, value, str(config_path))
    for key, value in environ.items():
        # Unknown CULTURAMAP_* variables may belong to other tools: only ours are read.
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :] in _CONVERTERS:
            put(key, value, f"environment variable {key}")
    for key, value in (overrides or {}).items():
        if key.upper() in _CONVERTERS:
            put(key, value, "create_app(config=...)")
        else:  # plain Flask settings such as TESTING pass through
            settings[key] = value
    _check(settings, origins)
    return settings
