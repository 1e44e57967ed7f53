"""The small equity chart of the reports: share within the threshold by income quintile and
by age group, as inline SVG (drawn the same in the HTML page and in the PDF, no script).

Why SVG built here and not matplotlib: a dozen bars need no figure library, the text stays
selectable, and every label is escaped on the way in.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from geo.access import share_column
from geo.equity import AGE_GROUPS, QUINTILES, EquityResult
from webmap.i18n import translate
from webmap.report_format import MISSING, format_number

BAR_COLOUR = "#08519c"
WIDTH, LABEL_W, ROW_H, VALUE_W = 460, 150, 20, 60


def _value_text(share: float | None, lang: str) -> str:
    return MISSING if share is None else f"{format_number(share * 100, lang)} %"


def _bars(rows: list[tuple[str, str, float | None]], title: str, lang: str) -> Markup:
    """Horizontal bars, 0-100 %, one row each: (key, label, share or None). The chart's
    text alternative (title and aria-label) reads every bar, for screen readers."""
    bar_w = WIDTH - LABEL_W - VALUE_W
    height = ROW_H * len(rows) + 4
    alt = f"{title}: " + "; ".join(f"{label} {_value_text(share, lang)}"
                                   for _key, label, share in rows)
    parts = [f'<svg class="equity-chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(alt)}"><title>{escape(alt)}</title>']
    for i, (key, label, share) in enumerate(rows):
        y = i * ROW_H + 2
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{bar_w}" height="{ROW_H - 6}" '
                     'fill="#eeeeee"/>')
        if share is not None:
            w = round(bar_w * max(0.0, min(1.0, share)), 1)
            parts.append(f'<rect class="equity-bar" data-group="{escape(key)}" '
                         f'data-value="{share!r}" x="{LABEL_W}" y="{y + 3}" width="{w}" '
                         f'height="{ROW_H - 6}" fill="{BAR_COLOUR}"/>')
        text = _value_text(share, lang)
        parts.append(f'<text x="{WIDTH - VALUE_W + 6}" y="{y + 14}" font-size="12">'
                     f'{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def equity_chart(result: EquityResult, council_id: str | None, threshold_min: float,
                 lang: str) -> dict[str, Any] | None:
    """The chart and its sentences for a council (or the area with ``None``); None when the
    place has neither income quintiles nor age groups to show."""
    figures = result.area if council_id is None else result.councils.get(council_id)
    if not figures:
        return None
    col = share_column(threshold_min)
    quintiles = [(q, translate("report.equity.quintile", lang, q=q[1:]),
                  figures["by_quintile"][q][col])
                 for q in QUINTILES if q in figures["by_quintile"]]
    ages = [(a, translate(f"report.equity.{a}", lang), figures["by_age"][a][col])
            for a in AGE_GROUPS if a in figures["by_age"]]
    if not quintiles and not ages:
        return None
    head = figures["headline"]
    gap, ci = head["share_gap_q5_minus_q1"], head["concentration_index_time_nse"]
    return {
        "quintiles": (_bars(quintiles, translate("report.equity.by_quintile", lang), lang)
                      if quintiles else None),
        "ages": _bars(ages, translate("report.equity.by_age", lang), lang) if ages else None,
        "gap": None if gap is None else translate(
            "report.equity.gap", lang, points=format_number(gap * 100, lang, 1)),
        "ci": None if ci is None else translate(
            "report.equity.ci", lang, ci=format_number(ci, lang, 2)),
        "gap_raw": gap,
        "ci_raw": ci,
    }
