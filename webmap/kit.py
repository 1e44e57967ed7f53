"""The leader's kit: one A4 page per neighbourhood unit, printed and pinned at the junta's sede.

Why a page of its own and not the report: the report is read on a screen by planners; the kit
is read from a metre away on a wall, printed on whatever printer the sede has (often black
and white), by neighbours who may never open the web map. So it says one plain sentence, a
few big figures, the nearest cultural places in walking minutes, the unit's map in greys and
hatching (``static_map`` style ``"print"``), and a QR code (segno) that opens ``/cerca`` for
the unit on a phone. The figures are the study's own (``ReportData``), as in the reports.

The QR code needs the site's public address: the ``public_url`` setting, or, on the web, the
address the request came to (``report_routes.kit``).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import segno

from geo.settings import check_public_url
from webmap.area import translate_area
from webmap.i18n import normalise_language, translate
from webmap.inventory import inventory_statement, unreachable_text
from webmap.report_format import (
    MISSING,
    format_date,
    format_minutes,
    format_number,
    format_percent,
    format_setting,
)
from webmap.reports import (
    ReportData,
    ReportError,
    _raw,
    category_words,
    council_venues,
    counted_categories,
    render_pdf,
    render_template,
)

NEARBY_PATH = "/cerca"  # the phone view (webmap.pages.nearby); ?junta=<id> preselects the unit
KIT_PLACES = 5  # nearest cultural places listed: what fits on the page beside the map
__all__ = ["KitError", "kit_context", "nearby_url", "render_kit_html", "render_kit_pdf"]


class KitError(ReportError):
    """A kit cannot be made (no public address for its QR code, or an unknown unit)."""


def nearby_url(base_url: str, council_id: str, lang: str, default_language: str = "es") -> str:
    """The absolute /cerca address of a unit (the QR's content); the language is named only
    when it is not the site's default, to keep the code small."""
    try:
        base = check_public_url(base_url)
    except ValueError as exc:
        raise KitError(f"public_url {exc}, got {base_url!r}") from None
    if not base:
        raise KitError(
            "el código QR del kit necesita la dirección pública del sitio: use --public-url "
            "https://… o el ajuste public_url (CULTURAMAP_PUBLIC_URL) / the kit's QR code needs "
            "the site's public address: give --public-url https://… or set public_url")
    query = {"junta": council_id}
    if normalise_language(lang) != normalise_language(default_language):
        query["lang"] = normalise_language(lang)
    return f"{base}{NEARBY_PATH}?{urlencode(query)}"


def qr_data_uri(url: str) -> str:
    """The QR code as an SVG data URI (vector: sharp at any print size). Error correction
    "M" survives a creased or sun-faded print; segno may raise it when it costs no size."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=4)


def in_ten(share: float) -> int:
    """Residents within reach "out of 10", rounded half up (0.35 -> 4)."""
    return math.floor(share * 10 + 0.5)


def share_sentence(share: Any, residents: Any, lang: str, **values: Any) -> tuple[str, str]:
    """(kind, sentence): "En esta unidad vecinal, 4 de cada 10 vecinos viven a 15 minutos o
    menos a pie de …". Rounding never says "0 of 10" of some or "10 of 10" of not all."""
    try:
        share, residents = float(share), float(residents)
    except (TypeError, ValueError):
        share, residents = math.nan, 0.0
    if not residents > 0 or math.isnan(share):
        kind = "no_residents"
    elif share <= 0:
        kind = "none"
    elif share >= 1:
        kind = "all"
    elif in_ten(share) == 0:
        kind = "under_one"
    elif in_ten(share) == 10:
        kind = "over_nine"
    else:
        kind = "some"
    count = in_ten(share) if kind == "some" else 0
    return kind, translate(f"kit.sentence.{kind}", lang, count=count, **values)


def _place_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A listed place with its walking time in whole minutes, rounded up (a leader reads
    "12 min" and should not arrive late)."""
    minutes = float(row["time_raw"]) if row["time_raw"] else math.nan
    text = (MISSING if not math.isfinite(minutes)
            else f"{format_number(max(1, math.ceil(minutes)), lang)}\u00a0min")
    return {**row, "minutes_text": text}


def kit_context(data: ReportData, council_id: str, lang: str, base_url: str) -> dict[str, Any]:
    """Everything the kit page shows, from the study's own tables."""
    lang = normalise_language(lang)
    result, layers = data.result, data.layers
    manifest = layers.manifest
    table = result.councils.set_index(result.councils["id"].astype(str))
    if council_id not in table.index:
        raise KitError(f"unknown neighbourhood unit {council_id!r}; known: "
                       f"{', '.join(data.council_ids)}")
    council = table.loc[council_id]
    unit = layers.councils[layers.councils["id"].astype(str) == council_id].iloc[0]
    params = result.params
    minutes = format_setting(params.threshold_min, lang)
    share_key = f"share_within_{params.threshold_min:g}min"
    share, residents = council[share_key], council["residents"]
    offerings = category_words(counted_categories(data), lang, "or")
    kind, sentence = share_sentence(share, residents, lang, minutes=minutes,
                                    offerings=offerings)
    url = nearby_url(base_url, council_id, lang, data.study.settings.default_language)
    places = council_venues(data, council_id, lang)["offerings"][:KIT_PLACES]
    rank = council["gap_rank"]
    figures = [
        {"key": share_key, "raw": _raw(float(share)), "text": format_percent(share, lang),
         "label": translate("kit.figure.share", lang, minutes=minutes)},
        {"key": "residents", "raw": _raw(residents), "text": format_number(residents, lang),
         "label": translate("kit.figure.residents", lang)},
        {"key": "mean_time_min", "raw": _raw(float(council["mean_time_min"])),
         "text": format_minutes(council["mean_time_min"], lang, 0),
         "label": translate("kit.figure.mean_time", lang)},
        {"key": "venues_total", "raw": _raw(council["venues_total"]),
         "text": format_number(council["venues_total"], lang),
         "label": translate("kit.figure.venues", lang)},
        {"key": "gap_rank", "raw": _raw(rank),
         "text": (MISSING if rank is None or (isinstance(rank, float) and math.isnan(rank))
                  else translate("report.figure.gap_rank_value", lang, rank=int(rank),
                                 total=len(result.councils))),
         "label": translate("kit.figure.gap_rank", lang)},
    ]
    inventory = inventory_statement(layers, lang)
    return {
        "lang": lang,
        "html_lang": translate("report.html_lang", lang),
        "t": lambda key, **kw: translate_area(key, lang, manifest, **kw),
        "title": translate("kit.title", lang, name=unit["name"]),
        "council": {"id": council_id, "name": unit["name"],
                    "sector": unit.get("sector") if isinstance(unit.get("sector"), str)
                    and unit.get("sector").strip() else MISSING},
        "synthetic": bool(manifest.get("synthetic")),
        "notice": manifest.get(f"notice_{lang}") or manifest.get("notice_es", ""),
        "sentence": sentence,
        "sentence_kind": kind,
        "in_ten": in_ten(float(share)) if kind == "some" else "",
        "figures": figures,
        "unreachable": unreachable_text(council.get("unreachable_residents"), lang, manifest,
                                        total=residents),
        "places": [_place_row(p, lang) for p in places],
        "places_note": translate("kit.places_note", lang,
                                 speed=format_number(params.walking_speed_kmh, lang, 1)),
        "qr_uri": qr_data_uri(url),
        "qr_url": url,
        "map_uri": data.map_uri(council_id, lang, style="print"),
        "inventory_line": f"{inventory['counts_text']} {inventory['caveat']}",
        "inventory": inventory,
        "data_date": format_date(manifest.get("date"), lang),
        "minutes": minutes,
    }


def render_kit_html(data: ReportData, council_id: str, lang: str, base_url: str) -> str:
    return render_template("kit.html", **kit_context(data, council_id, lang, base_url))


def render_kit_pdf(data: ReportData, council_id: str, lang: str, base_url: str) -> bytes:
    """The kit as a one-page A4 PDF (WeasyPrint, no external fetch: see ``render_pdf``)."""
    return render_pdf(render_kit_html(data, council_id, lang, base_url))
