"""The text route through the map: every territory of the shown level in a sortable table,
with a plain-language sentence each ("En la unidad vecinal X, 4 de cada 10 vecinos viven a
más de 15 minutos a pie de una biblioteca, un centro cultural, un teatro o un museo").

Why: a screen-reader or keyboard user cannot read figures off coloured polygons; the table
carries the same figures as the map and is synchronised with it by static/js/map.js.
"""

from __future__ import annotations

import math
from typing import Any

from geo.schema import category_label
from webmap.i18n import catalogue, translate
from webmap.report_format import (
    format_minutes,
    format_number,
    format_percent,
    join_words,
    lower_label,
)
from webmap.store import MapStore


def _offering_words(categories: tuple[str, ...], lang: str) -> str:
    """'una biblioteca, un centro cultural, un teatro o un museo' (with articles when the
    translations have them, else the bare lower-case label)."""
    words = []
    for cat in categories:
        key = f"plain.category.{cat}"
        words.append(translate(key, lang) if key in catalogue(lang)
                     else lower_label(category_label(cat, lang)))
    return join_words(words, lang, "or")


def out_of_ten(share: float | None) -> int | None:
    """How many of every 10 residents live FARTHER than the threshold (rounded)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return None
    return round((1.0 - float(share)) * 10)


def plain_summary(name: str, share: float | None, level: str, threshold: str,
                  offerings: str, lang: str) -> str:
    """One sentence a neighbour can read aloud; says so when there is no figure."""
    far = out_of_ten(share)
    kind = translate(f"plain.kind.{level}", lang)
    if far is None:
        return translate("plain.no_data", lang, kind=kind, name=name)
    key = "plain.summary"
    if far == 10 and float(share) > 0:  # "10 de cada 10" would hide the few within reach
        key = "plain.summary_almost_all"
    elif far == 0 and float(share) < 1:
        key = "plain.summary_almost_none"
    elif far == 0:
        key = "plain.summary_none"
    return translate(key, lang, kind=kind, name=name, count=far,
                     threshold=threshold, offerings=offerings)


def territory_rows(store: MapStore, level: str, lang: str, threshold: str) -> list[dict[str, Any]]:
    """One row per territory of ``level``, worst gap first, with raw values to sort by."""
    table = store.result.territories(level).sort_values("gap_rank")
    share_col = store.share_column
    offerings = _offering_words(store.counted_categories, lang)
    rows = []
    for _, r in table.iterrows():
        share = r.get(share_col)
        share = None if share is None or (isinstance(share, float) and math.isnan(share)) \
            else float(share)
        mean = r.get("mean_time_min")
        rows.append({
            "id": str(r["id"]),
            "name": str(r["name"]),
            "gap_rank": int(r["gap_rank"]),
            "residents": int(r["residents"]),
            "residents_text": format_number(r["residents"], lang),
            "share": "" if share is None else repr(share),
            "share_text": format_percent(share, lang, 0),
            "mean": "" if mean is None or mean != mean else repr(float(mean)),
            "mean_text": format_minutes(mean, lang, 0),
            "summary": plain_summary(str(r["name"]), share, level, threshold, offerings, lang),
        })
    return rows
