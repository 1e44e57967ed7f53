"""The PDF (and HTML) report of a saved what-if scenario (``geo.scenarios``).

Why from the SAVED file and not a new run: the report must show exactly the figures the
planner saw and compared; re-running after a data change would silently differ. The page
is self-contained (the map is a data URI) and printed by WeasyPrint like the other reports.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import numpy as np
from matplotlib.figure import Figure

from geo import METRIC_CRS, WEB_CRS
from geo.access import share_column
from geo.equity import AGE_GROUPS
from geo.layers import Layers
from webmap.i18n import normalise_language, translate
from webmap.report_format import MISSING, format_number
from webmap.static_map import data_uri

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
)
CHANGE_CMAP = "RdBu_r"  # blue = shorter walks, red = longer (diverging, colour-blind safe)


def _pts(change: float | None, lang: str) -> str:
    return MISSING if change is None else f"{'+' if change > 0 else ''}" \
        f"{format_number(change * 100, lang, 1)}"


def _pct(value: float | None, lang: str) -> str:
    return MISSING if value is None else f"{format_number(value * 100, lang, 1)} %"


def _signed(value: float | None, lang: str, decimals: int = 1) -> str:
    return MISSING if value is None else f"{'+' if value > 0 else ''}" \
        f"{format_number(value, lang, decimals)}"


def scenario_map(saved: dict[str, Any], layers: Layers) -> str:
    """PNG data URI: council outlines, the blocks whose walk changed coloured by the change
    (minutes; blue shorter, red longer), venues added (stars) and closed (crosses)."""
    fig = Figure(figsize=(7.2, 5.4), dpi=130)
    ax = fig.add_axes((0.0, 0.0, 0.86, 1.0))
    ax.set_axis_off()
    ax.set_aspect("equal")
    councils = layers.councils.to_crs(METRIC_CRS)
    councils.boundary.plot(ax=ax, color="#777777", linewidth=0.6)
    features = saved.get("changed_blocks", {}).get("features", [])
    blocks = (gpd.GeoDataFrame.from_features(features, crs=WEB_CRS).to_crs(METRIC_CRS)
              if features else None)
    focus = councils
    if blocks is not None and len(blocks):
        change = blocks["time_change"].astype(float).to_numpy()
        change = np.where(np.isfinite(change), change, np.nanmax(np.abs(change)) if
                          np.isfinite(change).any() else 1.0)  # now unreachable: longest
        limit = float(np.nanmax(np.abs(change))) or 1.0
        points = ax.scatter(blocks.geometry.x, blocks.geometry.y, c=change, cmap=CHANGE_CMAP,
                            vmin=-limit, vmax=limit, s=9, linewidths=0)
        bar = fig.colorbar(points, cax=fig.add_axes((0.88, 0.15, 0.025, 0.7)))
        bar.set_label("min")
        focus = blocks
    venues = layers.venues.to_crs(METRIC_CRS)
    closed = venues[venues["id"].astype(str).isin(saved.get("close", []))]
    if len(closed):
        ax.scatter(closed.geometry.x, closed.geometry.y, marker="x", s=70, color="#b2182b")
    added = saved.get("add", [])
    if added:
        pts = gpd.GeoSeries(gpd.points_from_xy([v["lon"] for v in added],
                                               [v["lat"] for v in added]), crs=WEB_CRS)
        pts = pts.to_crs(METRIC_CRS)
        ax.scatter(pts.x, pts.y, marker="*", s=160, color="#2166ac", edgecolors="black")
    minx, miny, maxx, maxy = focus.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.15 + 200
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return data_uri(buffer.getvalue())


def scenario_context(saved: dict[str, Any], layers: Layers, lang: str) -> dict[str, Any]:
    """Everything the scenario page shows, formatted in ``lang``."""
    lang = normalise_language(lang)
    manifest = layers.manifest
    share_col = share_column(saved["threshold_min"])
    area = saved["area"]
    names = dict(zip(layers.venues["id"].astype(str), layers.venues["name"], strict=True))

    def tr(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    def row(label: str, figures: dict[str, Any]) -> dict[str, str]:
        share = figures[share_col]
        return {"label": label, "before": _pct(share["before"], lang),
                "after": _pct(share["after"], lang), "change": _pts(share["change"], lang),
                "time": _signed(figures["mean_time_min"]["change"], lang)}

    groups = [row(tr("report.equity.quintile", q=q[1:]), f)
              for q, f in area.get("by_quintile", {}).items()]
    groups += [row(g, f) for g, f in area.get("by_gse", {}).items()]
    groups += [row(tr(f"report.equity.{a}"), area["by_age"][a])
               for a in AGE_GROUPS if a in area.get("by_age", {})]
    councils = [{**row(f"{cid} · {c['name']}", c),
                 "newly": format_number(c["newly_within"], lang),
                 "lost": format_number(c["no_longer_within"], lang)}
                for cid, c in saved["councils"].items()
                if c["newly_within"] or c["no_longer_within"] or c[share_col]["change"]]
    return {
        "lang": lang, "html_lang": "es-CL" if lang == "es" else "en", "t": tr,
        "title": tr("scenario.title", name=saved["name"]),
        "synthetic": bool(manifest.get("synthetic")),
        "notice": manifest.get(f"notice_{lang}") or manifest.get("notice_es", ""),
        "minutes": format_number(saved["threshold_min"], lang),
        "added": [{"id": v["id"], "name": v["name"],
                   "category": translate(f"category.{v['category']}", lang)}
                  for v in saved.get("add", [])],
        "closed": [{"id": v, "name": names.get(v, MISSING)} for v in saved.get("close", [])],
        "newly": format_number(area["newly_within"], lang),
        "lost": format_number(area["no_longer_within"], lang),
        "blocks_changed": format_number(area["blocks_changed"], lang),
        "area": row(tr("scenario.area"), area),
        "sfca": _signed(area["sfca_score"]["change"], lang, 3),
        "groups": groups,
        "councils": councils,
        "map_uri": scenario_map(saved, layers),
    }


def render_scenario_html(saved: dict[str, Any], layers: Layers, lang: str = "es") -> str:
    return _env.get_template("scenario_report.html").render(
        scenario_context(saved, layers, lang))


def render_scenario_pdf(saved: dict[str, Any], layers: Layers, lang: str = "es") -> bytes:
    from webmap.reports import render_pdf

    return render_pdf(render_scenario_html(saved, layers, lang))
