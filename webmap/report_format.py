"""Numbers, percentages and minutes written the way each language reads them.

es-CL: ``70.000`` residents, ``12,5 %``; English: ``70,000``, ``12.5%``. A tiny helper instead
of Babel (not installed, and heavy for three formats). Missing values print as an em dash.
"""

from __future__ import annotations

import datetime as dt
import math

from webmap.i18n import normalise_language

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


def format_setting(value: object, lang: str = "es") -> str:
    """A setting as people write it, with only the decimals it has (like ``:g``):
    ``15`` -> ``15``, ``12.5`` -> es ``12,5`` / en ``12.5``, ``4.5`` -> es ``4,5``."""
    if _is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    decimals = 0
    while decimals < 3 and round(number, decimals) != number:
        decimals += 1
    return format_number(number, lang, decimals)


def format_percent(share: object, lang: str = "es", decimals: int = 1) -> str:
    """A share 0..1 as a percentage: es ``12,5 %`` (space before %), en ``12.5%``."""
    if _is_missing(share):
        return MISSING
    number = format_number(float(share) * 100, lang, decimals)  # type: ignore[arg-type]
    return f"{number}{_NBSP}%" if normalise_language(lang) == "es" else f"{number}%"


def format_minutes(minutes: object, lang: str = "es", decimals: int = 1) -> str:
    """Walking time: ``7,5 min``; infinite (no offering reachable on foot) prints as missing,
    the report says why in words."""
    if _is_missing(minutes) or math.isinf(float(minutes)):  # type: ignore[arg-type]
        return MISSING
    return f"{format_number(minutes, lang, decimals)}{_NBSP}min"


_MONTHS = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def format_date(value: object, lang: str = "es") -> str:
    """A date in the long form readers use: es ``11 de abril de 2026``, en ``11 April 2026``.

    Accepts a date/datetime/Timestamp or an ISO ``YYYY-MM-DD`` string; anything else is shown
    as given (a free-text date in a data file is better shown than hidden), missing as a dash.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    try:
        day, month, year = value.day, value.month, value.year  # type: ignore[attr-defined]
    except AttributeError:
        return str(value)
    if value != value:  # NaT
        return MISSING
    lang = normalise_language(lang)
    name = _MONTHS[lang][int(month) - 1]
    return f"{int(day)} de {name} de {int(year)}" if lang == "es" else f"{int(day)} {name} {year}"


def lower_label(label: str) -> str:
    """A category label inside a sentence ("Centro cultural" -> "centro cultural")."""
    return label[:1].lower() + label[1:]


def join_words(words: list[str], lang: str = "es", conjunction: str = "and") -> str:
    """``a, b y c`` / ``a, b and c`` (``conjunction="or"``: ``o`` / ``or``; es y/o become
    e/u before an i-/o- sound)."""
    word = {("es", "and"): "y", ("es", "or"): "o", ("en", "and"): "and",
            ("en", "or"): "or"}[(normalise_language(lang), conjunction)]
    if len(words) <= 1:
        return "".join(words)
    last = words[-1].lower()
    if word == "y" and last.startswith(("i", "hi")) and not last.startswith(("ia", "ie", "hie")):
        word = "e"  # "teatro e iglesia"
    elif word == "o" and last.startswith(("o", "ho")):
        word = "u"  # "museo u otro"
    return f"{', '.join(words[:-1])} {word} {words[-1]}"
