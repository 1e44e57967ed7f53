"""Translations: Spanish (es-CL) first, English second.

Every ``webmap/translations/<part>.<lang>.json`` file is merged per language, so the map,
the API and the reports each keep their own file. A key missing in English falls back to
Spanish; a key missing everywhere is returned as is (and a test catches it).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from geo.schema import category_label
from geo.settings import LANGUAGES, Settings

DEFAULT_LANGUAGE = Settings.default_language
CATEGORY_PREFIX = "category."  # labels of venue categories come from geo.schema's registry
_DIR = Path(__file__).resolve().parent / "translations"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of one language, merged from every part file."""
    merged: dict[str, str] = {}
    for path in sorted(_DIR.glob(f"*.{lang}.json")):
        merged.update(json.loads(path.read_text("utf-8")))
    return merged


def normalise_language(lang: str | None) -> str:
    """Map 'en-US', 'EN', None... onto a supported language code."""
    code = (lang or "").split("-")[0].strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    lang = normalise_language(lang)
    if key.startswith(CATEGORY_PREFIX):
        return category_label(key[len(CATEGORY_PREFIX) :], lang)
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
