"""Numbers, percentages and minutes written the way each language reads them.

es-CL: ``70.000`` residents, ``12,5 %``; English: ``70,000``, ``12.5%``. A tiny helper instead
of Babel (not installed, and heavy for three formats). Missing values print as an em dash.
"""

from __future__ import annotations

import math

from webmap.i18n import normalise_language, translate

MISSING = "—"
_NBSP = "\u00a0"
_SEPARATORS = {"es": (".", ","), "en": (",", ".")}  # (thousands, decimal)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(value: object, lang: str = "es", decimals: int = 0) -> str:
    """``1234567.891`` -> es ``1.234.567,9`` / en ``1,234,567.9`` (decimals=1)."""
    if _is_missing(value):
        return MISSING
    thousands, decimal = _SEPARATORS[normalise_language(lang)]
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0,0"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def format_percent(share: object, lang: str = "es", decimals: int = 1) -> str:
    """A share 0..1 as a percentage: es ``12,5 %`` (space before %), en ``12.5%``."""
    if _is_missing(share):
        return MISSING
    number = format_number(float(share) * 100, lang, decimals)  # type: ignore[arg-type]
    return f"{number}{_NBSP}%" if normalise_language(lang) == "es" else f"{number}%"


def format_minutes(minutes: object, lang: str = "es", decimals: int = 1) -> str:
    """Walking time: ``7,5 min``."""
    if _is_missing(minutes):
        return MISSING
    return f"{format_number(minutes, lang, decimals)}{_NBSP}min"


def category_label(category: str, lang: str = "es") -> str:
    """The shared label (common.*.json) if the web map defines it, else the report's own."""
    key = f"category.{category}"
    label = translate(key, lang)
    if label == key:
        fallback = f"report.category.{category}"
        label = translate(fallback, lang)
        if label == fallback:
            return category
    return label
