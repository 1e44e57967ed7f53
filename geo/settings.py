"""Every setting of culturamap, defined and validated once.

Precedence (lowest first): the defaults below < the config file named by CULTURAMAP_CONFIG
(TOML; JSON also accepted) < CULTURAMAP_* environment variables < command-line flags
(or ``load_settings(flags=...)``). The web app, every CLI subcommand, the reports, the
exports and the benchmarks read one :class:`Settings`, so a report made from the shell and
the same report downloaded from the map use the same speed, threshold and sites.

Each field's default is written once, on the dataclass; each field's check is written once,
in ``_CHECKS``; an error names the setting, the value and where it came from.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geo.errors import ConfigError
from geo.schema import CULTURAL_CATEGORIES, DATA_DIR, category_ids

REPO_DIR = Path(__file__).resolve().parents[1]
ENV_PREFIX = "CULTURAMAP_"
CONFIG_FILE_ENV = "CULTURAMAP_CONFIG"
LANGUAGES: tuple[str, ...] = ("es", "en")  # Spanish (es-CL) first
TRAVEL_MODELS: tuple[str, ...] = ("auto", "osm", "blocks")
MAX_SPEED_KMH = 30.0  # faster than a run is not walking
MAX_MINUTES = 240.0  # beyond four hours "walking reach" means nothing
SITES_K_RANGE = (1, 10)  # how many new workshop sites a planner can ask for at once


@dataclass(frozen=True)
class Settings:
    """What a planner or an operator can change (see module docstring for precedence)."""

    data_dir: Path = DATA_DIR
    cache_dir: Path = REPO_DIR / "cache"
    walking_speed_kmh: float = 4.5
    threshold_min: float = 15.0  # the main threshold ("within walking reach")
    thresholds_min: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0)
    # What counts as a cultural offering; None counts every venue (see geo.schema).
    categories: tuple[str, ...] | None = CULTURAL_CATEGORIES
    sfca_catchment_min: float = 15.0
    sites_k: int = 3  # how many suggested workshop sites the map, reports and downloads show
    # Siting with equity: residents of these groups (income quintile Q1..Q5 or GSE class of
    # their census block) count this many times in the site suggestion, e.g. "Q1=2,Q2=2";
    # empty = everyone counts once (geo.siting). Stored as sorted (group, weight) pairs.
    siting_weights: tuple[tuple[str, float], ...] = ()
    # The focus area: municipal sectors (names or ids) outlined, zoomed to and summarised
    # first. The programme's wider "Parte Alta" (~70,000 residents) is
    # "Parte Alta,Sindempart,San Juan" (data/README.md); empty = no focus, the whole area.
    focus_sectors: tuple[str, ...] = ("Parte Alta",)
    # Which walking model: "osm" (an OpenStreetMap file in data/network/), "blocks" (derived
    # from the census block outlines) or "auto" (the OSM file when there is one).
    travel_model: str = "auto"
    default_language: str = "es"
    # Map tiles need internet: off by default, the street network is drawn instead.
    tile_url: str = ""
    tile_attribution: str = "© OpenStreetMap contributors"
    # The site's public address (e.g. "https://cultura.coquimbo.cl"), for links that leave
    # the site on paper: the leader's kit's QR code. Empty: the web uses the request's host.
    public_url: str = ""
    # The planner workspace's database (webmap.workspace): empty = an SQLite file in the data
    # folder; a postgresql:// URL uses PostgreSQL (+ PostGIS) instead.
    database_url: str = field(default="", repr=False)  # may hold a password
    # Session cookies only over HTTPS: turn on when the map is served behind HTTPS.
    secure_cookies: bool = False
    # How many reverse proxies (Caddy, nginx) stand in front of the service: the visitor's
    # address is then read from that many X-Forwarded-For entries, so rate limits count each
    # visitor, not the proxy. 0 (serving directly): the header is ignored (anyone can send it).
    trusted_proxies: int = 0
    # Residents' messages to local creators (issue 16) are sent on by e-mail through this
    # server ("smtp://user:password@host:587", STARTTLS when offered; "smtps://" for TLS);
    # empty: they wait in the moderation page for a planner to pass on.
    smtp_url: str = field(default="", repr=False)  # may hold a password
    mail_from: str = "culturamap@localhost"  # the sender of relayed messages

    def __post_init__(self) -> None:
        for f in fields(self):
            try:
                value = _CHECKS[f.name](getattr(self, f.name))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{f.name} {exc}, got {getattr(self, f.name)!r}") from None
            object.__setattr__(self, f.name, value)

    @property
    def counted_categories(self) -> tuple[str, ...]:
        return self.categories if self.categories is not None else category_ids()

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some settings changed, validated like any other."""
        return replace(self, **changes)


# --- one check per setting: convert the raw value (text from env/flags) or refuse it ---------


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else value
    number = float(number)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def check_speed(value: Any) -> float:
    speed = _number(value)
    if not 0 < speed <= MAX_SPEED_KMH:
        raise ValueError(f"must be a positive walking speed in km/h, up to {MAX_SPEED_KMH:g}")
    return speed


def check_minutes(value: Any) -> float:
    minutes = _number(value)
    if not 0 < minutes <= MAX_MINUTES:
        raise ValueError(f"must be a positive number of minutes up to {MAX_MINUTES:g}")
    return minutes


def check_minutes_list(value: Any) -> tuple[float, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [i for i in items if str(i).strip()]
    if not items:
        raise ValueError("must list some minutes (e.g. 5,10,15,20)")
    return tuple(sorted({check_minutes(i) for i in items}))


def check_categories(value: Any) -> tuple[str, ...] | None:
    """None / "all" = every category; else known category ids (text "a,b" or a list)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"all", "todas"}):
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    cats = tuple(dict.fromkeys(str(c).strip() for c in items if str(c).strip()))
    known = category_ids()
    unknown = [c for c in cats if c not in known]
    if unknown or not cats:
        raise ValueError(
            f"names unknown venue categories {unknown or '(none given)'}; choose from "
            f"{', '.join(known)} or 'all'"
        )
    return cats


def check_whole_number(value: Any) -> int:
    """3, "3" or 3.0 -> 3; "3.5", 3.5, True or "" are refused (not silently rounded)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    if isinstance(value, int):
        return value
    return int(str(value).strip())


def check_sites_k(value: Any) -> int:
    k = check_whole_number(value)
    low, high = SITES_K_RANGE
    if not low <= k <= high:
        raise ValueError(
            f"(how many suggested workshop sites are shown) must be a whole number "
            f"from {low} to {high}"
        )
    return k


MAX_SITING_WEIGHT = 100.0


def check_siting_weights(value: Any) -> tuple[tuple[str, float], ...]:
    """"Q1=2,Q2=2" (text), a mapping {"Q1": 2} or pairs -> sorted ((group, weight), ...).
    Groups are the census block's income quintiles and GSE classes (geo.equity); a weight
    is a number above 0 up to MAX_SITING_WEIGHT; "" = none."""
    from geo.equity import GSE_ORDER, QUINTILES  # geo.equity imports this module

    if isinstance(value, str):
        pairs = []
        for item in (i.strip() for i in value.split(",")):
            if not item:
                continue
            if item.count("=") != 1:
                raise ValueError(f"must be group=weight pairs like Q1=2,Q2=2 (bad: {item!r})")
            pairs.append(tuple(p.strip() for p in item.split("=")))
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = [tuple(p) for p in value]
    known = {g.lower(): g for g in (*QUINTILES, *GSE_ORDER)}
    out: dict[str, float] = {}
    for group, weight in pairs:
        label = known.get(str(group).strip().lower())
        if label is None:
            raise ValueError(f"names unknown group {group!r}; use {', '.join(known.values())}")
        if label in out:
            raise ValueError(f"gives group {label} twice")
        number = _number(weight)
        if not 0 < number <= MAX_SITING_WEIGHT:
            raise ValueError(f"weight of {label} must be above 0 and at most "
                             f"{MAX_SITING_WEIGHT:g}")
        out[label] = number
    return tuple(sorted(out.items()))


def check_names(value: Any) -> tuple[str, ...]:
    """A list of names: text "a,b" or a list; blanks and repeats dropped, order kept."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in allowed:
            raise ValueError(f"must be one of {allowed}")
        return text

    return check


def check_public_url(value: Any) -> str:
    """"" or an absolute http(s) address without query or fragment; no trailing slash."""
    text = str(value).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or any(ch.isspace() for ch in text):
        raise ValueError("must be an http(s) address like https://cultura.example.cl "
                         "(no query, no fragment) or empty")
    return text.rstrip("/")


MAX_TRUSTED_PROXIES = 3


def check_trusted_proxies(value: Any) -> int:
    count = check_whole_number(value)
    if not 0 <= count <= MAX_TRUSTED_PROXIES:
        raise ValueError(f"(reverse proxies in front of the service) must be a whole number "
                         f"from 0 to {MAX_TRUSTED_PROXIES}")
    return count


def check_flag(value: Any) -> bool:
    """true/false, or the words an environment variable holds (1/0, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "si", "sí"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def check_database_url(value: Any) -> str:
    """Empty (the SQLite file in the data folder), or an sqlite:/postgresql: URL."""
    text = str(value).strip()
    if text and not text.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
        raise ValueError("must be empty (SQLite in the data folder) or a sqlite:// or "
                         "postgresql:// URL")
    return text


def check_smtp_url(value: Any) -> str:
    """Empty (messages wait for a planner), or an smtp:// / smtps:// URL with a host."""
    text = str(value).strip()
    if text:
        parts = urlsplit(text)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must be empty or smtp://[user:password@]host[:port] "
                             "(smtps:// for TLS from the start)")
    return text


def check_mail_from(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", text):
        raise ValueError("must be an e-mail address, e.g. cultura@municipiocoquimbo.cl")
    return text


def _directory(value: Any) -> Path:
    return Path(value)


def _data_directory(value: Any) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise ValueError(
            "is not a directory; point it at the data folder (the one holding boundaries/, "
            "venues/ and population/)"
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValueError(
            "cannot be read by this user (permission denied); give read access, "
            f"e.g. chmod -R a+rX {path}"
        )
    return path


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "data_dir": _data_directory,
    "cache_dir": _directory,
    "walking_speed_kmh": check_speed,
    "threshold_min": check_minutes,
    "thresholds_min": check_minutes_list,
    "categories": check_categories,
    "sfca_catchment_min": check_minutes,
    "sites_k": check_sites_k,
    "siting_weights": check_siting_weights,
    "focus_sectors": check_names,
    "travel_model": _one_of(TRAVEL_MODELS),
    "default_language": _one_of(LANGUAGES),
    "tile_url": str,
    "tile_attribution": str,
    "public_url": check_public_url,
    "database_url": check_database_url,
    "secure_cookies": check_flag,
    "trusted_proxies": check_trusted_proxies,
    "smtp_url": check_smtp_url,
    "mail_from": check_mail_from,
}
SETTING_NAMES: tuple[str, ...] = tuple(_CHECKS)


# --- loading ----------------------------------------------------------------------------------


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    try:
        data = tomllib.loads(text) if path.suffix.lower() != ".json" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise ConfigError(f"{path}: not valid {kind} ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must hold a table/object of settings")
    return data


def setting_name(key: str) -> str | None:
    """``THRESHOLD_MIN``, ``CULTURAMAP_THRESHOLD_MIN`` or ``threshold-min`` -> the field."""
    name = key.strip().lower().replace("-", "_")
    if name.startswith(ENV_PREFIX.lower()):
        name = name[len(ENV_PREFIX) :]
    return name if name in _CHECKS else None


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    flags_origin: str = "command-line flag",
) -> Settings:
    """Defaults < CULTURAMAP_CONFIG file < CULTURAMAP_* variables < ``flags``.

    ``flags`` with a value of None are ignored (an option the user did not give). Every
    value is checked once; an error names the setting and where its value came from.
    """
    environ = os.environ if environ is None else environ
    chosen: dict[str, tuple[Any, str]] = {}  # field -> (raw value, where it came from)
    config_path = environ.get(CONFIG_FILE_ENV)
    if config_path:
        for key, value in _read_config_file(Path(config_path)).items():
            name = setting_name(key)
            if name is None:
                known = ", ".join(SETTING_NAMES)
                raise ConfigError(f"{config_path}: unknown setting {key!r} (known: {known})")
            chosen[name] = (value, str(config_path))
    for key, value in environ.items():
        # Unknown CULTURAMAP_* variables may belong to other tools: only ours are read.
        if key.startswith(ENV_PREFIX) and key != CONFIG_FILE_ENV:
            name = setting_name(key)
            if name is not None:
                chosen[name] = (value, f"environment variable {key}")
    for key, value in (flags or {}).items():
        name = setting_name(key)
        if name is None:
            raise ConfigError(f"{flags_origin}: unknown setting {key!r}")
        if value is not None:
            chosen[name] = (value, f"{flags_origin} {key}")
    values = {}
    for name, (value, origin) in chosen.items():
        try:
            values[name] = _CHECKS[name](value)
        except (TypeError, ValueError) as exc:
            shown = str(value) if isinstance(value, Path) else value
            raise ConfigError(f"{origin}: {name} {exc}, got {shown!r}") from None
    return Settings(**values)
