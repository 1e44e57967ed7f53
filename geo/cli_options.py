"""Command-line flags that set a :class:`~geo.settings.Settings` field, defined once.

Why here: every subcommand that runs the study (analyse, suggest, report, export) takes the
same flags with the same names and checks, and they win over the config file and the
CULTURAMAP_* variables (``geo.settings.load_settings``). A flag left out is None and lets
the lower levels speak.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo.settings import (
    TRAVEL_MODELS,
    Settings,
    check_categories,
    check_minutes_list,
    check_siting_weights,
    load_settings,
)


def _checked_text(check: Callable[[Any], Any]) -> Callable[[str], str]:
    """An argparse type that refuses what ``check`` refuses (usage error, exit 2) and keeps
    the text, so that load_settings checks it once more with the flag named as origin."""

    def parse(text: str) -> str:
        try:
            check(text)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
        return text

    return parse


# setting -> (flags, argparse keyword arguments); help texts Spanish / English
SETTING_FLAGS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "data_dir": (("--data-dir",), {"type": Path, "help": "carpeta de datos / data folder"}),
    "cache_dir": (("--cache-dir",), {"type": Path, "help": "caché de la red / network cache"}),
    "walking_speed_kmh": (("--speed",), {"type": float,
                          "help": f"km/h a pie / walking ({Settings.walking_speed_kmh:g})"}),
    "threshold_min": (("--threshold",), {"type": float,
                      "help": f"minutos / minutes ({Settings.threshold_min:g})"}),
    "thresholds_min": (("--thresholds",), {"type": _checked_text(check_minutes_list),
                       "help": ",".join(f"{t:g}" for t in Settings.thresholds_min)}),
    "sfca_catchment_min": (("--catchment",), {"type": float,
                           "help": f"2SFCA, minutos ({Settings.sfca_catchment_min:g})"}),
    "categories": (("--categories",), {
        "type": _checked_text(check_categories),
        "help": "categorías que cuentan / counted categories, e.g. library,cultural_centre, "
        f"or 'all' (default: {','.join(Settings.categories or ('all',))})"}),
    "sites_k": (("--sites-k",), {"type": int, "help": "sedes sugeridas / suggested sites"}),
    "siting_weights": (("--siting-weights",), {
        "type": _checked_text(check_siting_weights),
        "help": "peso por grupo al sugerir sedes / group weights for site suggestion, e.g. "
        "Q1=2,Q2=2 (quintil o GSE de la manzana / block quintile or GSE; default: all 1)"}),
    "focus_sectors": (("--focus-sectors",), {
        "help": "sectores municipales del área foco / focus-area municipal sectors, e.g. "
        f"'Parte Alta,Sindempart,San Juan' (default: {','.join(Settings.focus_sectors)}; "
        "'' = none)"}),
    "travel_model": (("--travel-model",), {"choices": TRAVEL_MODELS,
                     "help": "red peatonal / walking model (auto, osm, blocks)"}),
}


def add_setting_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """Add the flags of the named settings (all of them when none is named)."""
    for name in names or tuple(SETTING_FLAGS):
        flags, options = SETTING_FLAGS[name]
        parser.add_argument(*flags, dest=name, default=None, **options)


def settings_from_args(args: argparse.Namespace, **more: Any) -> Settings:
    """Defaults < config file < environment < the flags given (and ``more``)."""
    flags = {name: getattr(args, name) for name in SETTING_FLAGS if hasattr(args, name)}
    flags.update(more)
    return load_settings(flags)
