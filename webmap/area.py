"""The study area's name and report id, from the data manifest (``"study_area"``).

A data folder may name its area (``{"id": "coquimbo", "name_es": "Coquimbo urbano",
"name_en": "Urban Coquimbo"}``); without it the area keeps its historical name, "Parte
Alta" (the synthetic fixture). Sentences that name the area have two wordings: the plain
key (written for "la Parte Alta", with its article) and, when the manifest names the area,
``<key>.named`` (written around ``{area}`` so that any name reads well).
"""

from __future__ import annotations

import re
from typing import Any

from webmap.i18n import DEFAULT_LANGUAGE, catalogue, normalise_language, translate

AREA_ID = "parte-alta"  # the whole-area report's historical name in URLs and file names
NAMED_SUFFIX = ".named"
_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def study_area(manifest: dict | None) -> dict[str, Any] | None:
    """The manifest's ``study_area`` object, or None when the data do not name one."""
    area = (manifest or {}).get("study_area")
    return area if isinstance(area, dict) else None


def named_area(manifest: dict | None, lang: str) -> str | None:
    """The area's name from the manifest in ``lang`` (Spanish if missing), else None."""
    area = study_area(manifest)
    if area is None:
        return None
    lang = normalise_language(lang)
    name = area.get(f"name_{lang}") or area.get(f"name_{DEFAULT_LANGUAGE}")
    return str(name).strip() or None if name else None


def area_name(manifest: dict | None, lang: str) -> str:
    """What pages call the whole area: the manifest's name, else "Parte Alta de Coquimbo"."""
    return named_area(manifest, lang) or translate("area.default_name", lang)


def area_report_id(manifest: dict | None) -> str:
    """The whole-area report's name in URLs: the manifest's area id when it is URL-safe,
    else the historical ``parte-alta`` (which is always accepted too)."""
    area = study_area(manifest)
    raw = str(area.get("id") or "").strip().lower() if area else ""
    return raw if _SAFE_ID.match(raw) else AREA_ID


def area_report_ids(manifest: dict | None) -> tuple[str, ...]:
    """Every name the whole-area report answers to (the canonical one first)."""
    canonical = area_report_id(manifest)
    return (canonical,) if canonical == AREA_ID else (canonical, AREA_ID)


def translate_area(key: str, lang: str, manifest: dict | None, **values: object) -> str:
    """``translate`` that knows the area: picks ``<key>.named`` when the manifest names the
    area and that wording exists, and fills ``{area}`` wherever the text asks for it."""
    lang = normalise_language(lang)
    if named_area(manifest, lang) is not None:
        named = key + NAMED_SUFFIX
        if named in catalogue(lang) or named in catalogue(DEFAULT_LANGUAGE):
            key = named
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or ""
    if "{area}" in text and "area" not in values:
        values["area"] = area_name(manifest, lang)
    return translate(key, lang, **values)
