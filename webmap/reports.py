"""Per-council and whole-area reports: one HTML page (self-contained) and its PDF.

Why one template for both: the PDF is printed by WeasyPrint from the very same HTML, so the
figures a reader sees on screen and on paper cannot drift apart. Every value from the data
goes through Jinja's autoescaping; images are data URIs and fonts are local, so neither the
page nor the PDF fetches anything.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from geo import METRIC_CRS
from geo.errors import CulturamapError
from geo.layers import Layers
from geo.schema import category_ids, category_label
from geo.study import Study
from geo.travel import MATCH_TOLERANCE_MIN
from webmap.area import AREA_ID, area_name, area_report_id, translate_area
from webmap.equity_chart import equity_chart
from webmap.i18n import normalise_language, translate
from webmap.inventory import inventory_statement, unreachable_text
from webmap.people_report import council_rows as proposal_rows
from webmap.report_format import (
    MISSING,
    format_date,
    format_minutes,
    format_number,
    format_percent,
    format_setting,
    join_words,
    lower_label,
)
from webmap.static_map import MapInput, data_uri, render_map

TEMPLATES = Path(__file__).resolve().parent / "templates"
# AREA_ID ("parte-alta", webmap.area): the whole-area report's historical name; a manifest
# naming its study area gives the canonical one (webmap.area.area_report_id).
__all__ = ["AREA_ID", "ReportData", "ReportError", "ReportLinks", "render_html", "render_pdf"]
MIN_OFFERINGS_LISTED = 3  # a council report always lists at least its nearest offerings

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _css_string(value: object) -> Markup:
    """A quoted CSS string for ``content:`` (data text inside <style> cannot be HTML-escaped)."""
    text = str(value)
    out = []
    for ch in text:
        if ch in '\\"<>&\'' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


_env.filters["css_string"] = _css_string


class ReportError(CulturamapError, ValueError):
    """A report cannot be produced (e.g. the page refers to something outside itself)."""


@dataclass
class ReportData:
    """Everything the reports read: one study (computed once, shared by all of them) and
    the static maps drawn from it."""

    study: Study
    _maps: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    agenda: list[Any] = field(default_factory=list)  # webmap.agenda_data.AgendaRecord
    agenda_now: dt.datetime | None = None  # "now" of the agenda section (None: the clock)
    proposals: list[Any] = field(default_factory=list)  # webmap.people_report.ReportProposal

    @property
    def layers(self) -> Layers:
        return self.study.layers

    @property
    def result(self) -> Any:  # geo.access.AccessResult
        return self.study.access

    @property
    def nearest(self) -> Any:  # geo.access.NearestIndex
        return self.study.nearest_index

    @property
    def area_sites(self) -> gpd.GeoDataFrame:
        return self.study.sites()

    @property
    def siting_result(self) -> Any:
        """The analysis the sites start from (see ``Study.siting_access``)."""
        return self.study.siting_access

    @property
    def sites_k(self) -> int:
        return self.study.settings.sites_k

    @property
    def council_ids(self) -> list[str]:
        return sorted(self.result.councils["id"].astype(str))

    @property
    def threshold(self) -> float:
        return float(self.result.params.threshold_min)

    @property
    def sector_ids(self) -> list[str]:
        return sorted(self.result.sectors["id"].astype(str))

    def council_sites(self, council_id: str, level: str = "councils") -> gpd.GeoDataFrame:
        return self.study.council_sites(council_id, level)

    def territory_layer(self, level: str) -> gpd.GeoDataFrame:
        """Boundaries of a level: the units (councils) or the municipal sectors."""
        return self.layers.sectors if level == "sectors" else self.layers.councils

    def map_uri(self, council_id: str | None, lang: str, level: str = "councils",
                style: str = "colour") -> str:
        key = (level, council_id or AREA_ID, lang) + ((style,) if style != "colour" else ())
        if key not in self._maps:
            sites = (self.area_sites if council_id is None
                     else self.council_sites(council_id, level))
            data = MapInput(
                councils=self.result.territories(level),
                venues=self.layers.venues,
                workshops=self.layers.workshops,
                demand=self.result.demand,
                sites=sites,
                threshold_min=self.threshold,
                streets=self.study.travel.lines(),
                counted=tuple(self.result.params.counted_categories),
            )
            self._maps[key] = data_uri(render_map(data, council_id, lang, style=style))
        return self._maps[key]


@dataclass
class ReportLinks:
    """Where the page's own links point (differs between the web app and files on disk)."""

    other_language: str | None = None
    pdf: str | None = None
    downloads: str | None = None
    council_pattern: str | None = None  # e.g. "/reportes/{id}.html?lang=es"
    sector_pattern: str | None = None  # e.g. "/reportes/sector/{id}.html?lang=es"
    map: str | None = None  # the web map, when served


# --- figures ---------------------------------------------------------------------------

def _value(source: Any, key: str) -> Any:
    value = source.get(key) if hasattr(source, "get") else None
    if hasattr(value, "item"):
        value = value.item()
    return value


def _raw(value: Any) -> str:
    """The exact figure for ``data-value`` (tests and scripts read it back)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def figure_rows(council: Any, area: dict, result: Any, lang: str,
                level: str = "councils") -> list[dict[str, Any]]:
    """One row per figure: label, raw values and localised text for council (or sector, or
    the focus area in the area report) and area."""
    total = len(result.territories(level))

    def rank_text(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return MISSING
        return translate("report.figure.gap_rank_value", lang, rank=int(v), total=total)

    specs: list[tuple[str, str, Any]] = [
        ("residents", translate("report.figure.residents", lang),
         lambda v: format_number(v, lang)),
        ("area_km2", translate("report.figure.area_km2", lang),
         lambda v: format_number(v, lang, 2)),
        ("venues_total", translate("report.figure.venues_total", lang),
         lambda v: format_number(v, lang)),
        ("venues_per_10k", translate("report.figure.venues_per_10k", lang),
         lambda v: format_number(v, lang, 1)),
    ]
    for t in result.params.all_thresholds:
        specs.append((f"share_within_{t:g}min",
                      translate("report.figure.share_within", lang,
                                minutes=format_setting(t, lang)),
                      lambda v: format_percent(v, lang)))
    specs += [
        ("mean_time_min", translate("report.figure.mean_time_min", lang),
         lambda v: format_minutes(v, lang)),
        ("p90_time_min", translate("report.figure.p90_time_min", lang),
         lambda v: format_minutes(v, lang)),
        ("sfca_score", translate("report.figure.sfca_score", lang),
         lambda v: format_number(v, lang, 2)),
        ("gap_rank", translate("report.figure.gap_rank", lang), rank_text),
    ]
    rows = []
    for key, label, fmt in specs:
        c = _value(council, key) if council is not None else None
        a = _value(area, key)
        rows.append({
            "key": key, "label": label,
            "council_raw": _raw(c), "council_text": fmt(c),
            "area_raw": _raw(a), "area_text": fmt(a) if key != "gap_rank" else MISSING,
            "main": key == f"share_within_{result.params.threshold_min:g}min",
        })
    return rows


def category_rows(council: Any, area: dict, lang: str,
                  counted: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for cat in category_ids():
        key = f"venues_{cat}"
        c = _value(council, key) if council is not None else None
        a = _value(area, key)
        rows.append({"key": key, "label": category_label(cat, lang),
                     "council_raw": _raw(c), "council_text": format_number(c, lang),
                     "area_raw": _raw(a), "area_text": format_number(a, lang),
                     "counted": cat in counted})
    return rows


# --- lists ---------------------------------------------------------------------------

def _venue_council(layers: Layers, level: str = "councils") -> pd.Series:
    """Which council (or sector) each venue belongs to, by the join the analysis counts
    with."""
    from geo.join import assign_councils

    territories = layers.sectors if level == "sectors" else layers.councils
    joined = assign_councils(layers.venues, territories)
    return joined.set_index("id")["council_id"]


def _venue_row(row: Any, address: pd.Series, inside: bool, lang: str,
               nearest_of_category: bool = False) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "category_id": row["category"],
        "category": category_label(row["category"], lang),
        "address": address.get(row["id"]) or "", "in_council": inside,
        "nearest_of_category": nearest_of_category,
        "time_raw": _raw(float(row["time_min"])),
        "time_text": format_minutes(row["time_min"], lang),
        "distance_text": f"{format_number(row['dist_m'], lang)}\u00a0m",
    }


def council_venues(data: ReportData, council_id: str, lang: str,
                   level: str = "councils") -> dict[str, list[dict]]:
    """Venues as seen from the council's representative point, nearest first, in two lists.

    ``offerings``: the counted categories inside the council or within the threshold and, in
    any case, the nearest of each counted category and the nearest few (the gap is about
    those, so a council far from every library still sees where its nearest one is).
    ``hosts``: the other categories (places that can host workshops) inside the council or
    within the threshold; they are not counted in any access figure.
    """
    councils = data.territory_layer(level)
    polygon = councils[councils["id"] == council_id].to_crs(METRIC_CRS).geometry.iloc[0]
    point = gpd.GeoSeries([polygon.representative_point()], crs=METRIC_CRS).to_crs(4326).iloc[0]
    counted = counted_categories(data)
    others = [c for c in category_ids() if c not in counted]
    where = _venue_council(data.layers, level)
    address = data.layers.venues.set_index("id")["address"]
    everything = len(data.layers.venues)

    offerings, seen = [], set()
    found = data.nearest.query(point.x, point.y, categories=counted, limit=everything)
    for position, (_, row) in enumerate(found.iterrows()):
        inside = where.get(row["id"]) == council_id
        first_of_kind = row["category"] not in seen
        seen.add(row["category"])
        near = row["time_min"] <= data.threshold + MATCH_TOLERANCE_MIN  # as geo.access counts
        if inside or near or first_of_kind or position < MIN_OFFERINGS_LISTED:
            offerings.append(_venue_row(row, address, inside, lang, first_of_kind))

    hosts = []
    if others:
        found = data.nearest.query(point.x, point.y, categories=others, limit=everything)
        for _, row in found.iterrows():
            inside = where.get(row["id"]) == council_id
            if inside or row["time_min"] <= data.threshold + MATCH_TOLERANCE_MIN:
                hosts.append(_venue_row(row, address, inside, lang))
    return {"offerings": offerings, "hosts": hosts}


def area_venues(data: ReportData, lang: str) -> dict[str, list[dict]]:
    """``offerings``: every counted venue with the residents whose nearest offering it is and
    their mean walking time; ``hosts``: the places that can host workshops, grouped by
    category (names only: no resident is counted against them)."""
    demand = pd.DataFrame(data.result.demand.drop(columns="geometry"))
    demand = demand[demand["nearest_venue_id"].notna()]
    demand = demand.assign(weighted=demand["time_min"] * demand["residents"])
    served = demand.groupby("nearest_venue_id").agg(residents=("residents", "sum"),
                                                    weighted=("weighted", "sum"))
    where = _venue_council(data.layers)
    counted = counted_categories(data)
    venues = data.layers.venues
    offerings = []
    for _, venue in venues[venues["category"].isin(counted)].iterrows():
        residents = int(served["residents"].get(venue["id"], 0))
        mean = served["weighted"].get(venue["id"], 0.0) / residents if residents else None
        offerings.append({
            "id": venue["id"], "name": venue["name"],
            "category": category_label(venue["category"], lang),
            "council": where.get(venue["id"]) if isinstance(where.get(venue["id"]), str) else "",
            "residents": residents, "residents_text": format_number(residents, lang),
            "time_raw": _raw(mean), "time_text": format_minutes(mean, lang),
        })
    offerings.sort(key=lambda r: (-r["residents"], r["id"]))
    hosts = []
    for category in category_ids():
        if category in counted:
            continue
        of_kind = venues[venues["category"] == category].sort_values("name")
        if len(of_kind):
            hosts.append({"category": category_label(category, lang), "count": len(of_kind),
                          "venues": [{"id": v["id"], "name": v["name"]}
                                     for _, v in of_kind.iterrows()]})
    return {"offerings": offerings, "hosts": hosts}


def counted_categories(data: ReportData) -> tuple[str, ...]:
    return tuple(data.result.params.counted_categories)


def category_words(categories: Any, lang: str, conjunction: str = "and") -> str:
    """Translated category names inside a sentence: "biblioteca, centro cultural y teatro"."""
    return join_words([lower_label(category_label(c, lang)) for c in categories], lang,
                      conjunction)


def workshop_rows(data: ReportData, council_id: str | None, lang: str,
                  level: str = "councils") -> list[dict[str, Any]]:
    """The workshops that called the council (or, for a sector, any unit of the sector)."""
    venue_names = data.layers.venues.set_index("id")["name"]
    wanted = {council_id}
    if level == "sectors" and council_id is not None:
        from geo.layers import sector_id

        units = data.layers.councils
        wanted = {str(u) for u, s in zip(units["id"], units["sector"], strict=True)
                  if isinstance(s, str) and sector_id(s) == sector_id(council_id)}
    rows = []
    for _, w in data.layers.workshops.sort_values("id").iterrows():
        councils = [c.strip() for c in str(w["councils"]).split(";") if c.strip()]
        if council_id is not None and not wanted.intersection(councils):
            continue
        rows.append({
            "id": w["id"], "title": w["title"], "date": format_date(w["date"], lang),
            "venue": venue_names.get(w["venue_id"], "") if isinstance(w["venue_id"], str) else "",
            "councils": ", ".join(councils),
        })
    return rows


def site_rows(sites: gpd.GeoDataFrame, lang: str) -> list[dict[str, Any]]:
    return [{
        "rank": int(s["rank"]), "id": s["candidate_id"], "name": s["name"],
        "category": category_label(s["category"], lang),
        "newly_raw": _raw(int(s["newly_covered"])),
        "newly_text": format_number(s["newly_covered"], lang),
        "cumulative_text": format_number(s["cumulative_covered"], lang),
    } for _, s in sites.sort_values("rank").iterrows()]


def ranking_rows(data: ReportData, lang: str, level: str = "councils") -> list[dict[str, Any]]:
    share = f"share_within_{data.threshold:g}min"
    rows = []
    for _, c in data.result.territories(level).sort_values("gap_rank").iterrows():
        rows.append({
            "id": c["id"], "name": c["name"], "gap_rank": int(c["gap_rank"]),
            "residents_text": format_number(c["residents"], lang),
            "share_raw": _raw(float(c[share])), "share_text": format_percent(c[share], lang),
            "mean_text": format_minutes(c["mean_time_min"], lang),
        })
    return rows


def source_rows(manifest: dict) -> list[dict[str, Any]]:
    return [{"layer": name, **{k: str(v) for k, v in info.items()}}
            for name, info in manifest.get("layers", {}).items()]


# --- context and rendering -------------------------------------------------------------

def council_rows(data: ReportData, council_id: str, lang: str) -> dict[str, Any]:
    from webmap.agenda_report import council_rows as rows

    return rows(data, council_id, lang)


def report_context(data: ReportData, council_id: str | None, lang: str = "es",
                   links: ReportLinks | None = None,
                   level: str = "councils") -> dict[str, Any]:
    """Everything the template shows; ``council_id=None`` is the whole-area report (with
    the focus area's figures beside the area's), ``level="sectors"`` a sector report."""
    lang = normalise_language(lang)
    result, manifest = data.result, data.layers.manifest
    params = result.params

    def tr(key: str, **values: Any) -> str:
        return translate_area(key, lang, manifest, **values)

    council = None
    info: dict[str, Any] = {}
    focus = result.focus
    if council_id is not None:
        table = result.territories(level)
        match = table[table["id"] == council_id]
        if match.empty:
            raise KeyError(council_id)
        council = match.iloc[0]
        territories = data.territory_layer(level)
        layer_row = territories[territories["id"] == council_id].iloc[0]
        info = {k: layer_row.get(k) for k in ("id", "name", "code", "sector")}
        kind = "sector" if level == "sectors" else "council"
        title = translate(f"report.title.{kind}", lang, name=info["name"])
        sites = data.council_sites(council_id, level)
    else:
        title = tr("report.title.area")
        sites = data.area_sites
        council = focus  # the area report puts the focus area's figures first
    area = dict(result.area)
    own = council if council_id is not None else area  # whose unreachable residents to say
    counted = params.counted_categories
    others = [c for c in category_ids() if c not in counted]
    context = {
        "lang": lang,
        "html_lang": translate("report.html_lang", lang),
        "t": tr,
        "title": title,
        "report_id": (f"sector/{council_id}" if level == "sectors" and council_id
                      else council_id or area_report_id(manifest)),
        "level": level,
        "first_column": (council_id if council_id is not None
                         else (focus or {}).get("name")),
        "focus_name": (focus or {}).get("name"),
        "area_name": area_name(manifest, lang),
        "inventory": inventory_statement(data.layers, lang),
        "unreachable": unreachable_text(
            _value(own, "unreachable_residents"), lang, manifest,
            total=_value(own, "residents")),
        "area_unreachable": unreachable_text(area.get("unreachable_residents"), lang, manifest),
        "council_id": council_id,
        "council": info,
        "is_area": council_id is None,
        "synthetic": bool(manifest.get("synthetic")),
        "notice": manifest.get(f"notice_{lang}") or manifest.get("notice_es", ""),
        "data_date": format_date(manifest.get("date"), lang),
        "generated_by": manifest.get("generated_by"),
        "generated": format_date(dt.date.today(), lang),
        "figures": figure_rows(council, area, result, lang, level),
        "categories": category_rows(council, area, lang, counted),
        "counted_text": translate("report.counted", lang,
                                  offerings=category_words(counted, lang)),
        "hosts_text": (translate("report.hosts_note", lang,
                                 hosts=category_words(others, lang, "or")) if others else ""),
        "host_words": category_words(others, lang, "or"),
        "offerings_words": category_words(counted, lang),
        "site_offerings": category_words(
            (data.siting_result or result).params.counted_categories, lang, "or"),
        "venues": (area_venues(data, lang) if council_id is None
                   else council_venues(data, council_id, lang, level)),
        "workshops": workshop_rows(data, council_id, lang, level),
        "sites": site_rows(sites, lang),
        "uncovered": format_number(sites.attrs.get("uncovered_residents"), lang),
        "uncovered_raw": _raw(sites.attrs.get("uncovered_residents")),
        "ranking": ranking_rows(data, lang) if council_id is None else [],
        "sector_ranking": ranking_rows(data, lang, "sectors") if council_id is None else [],
        "sources": source_rows(manifest),
        "map_uri": data.map_uri(council_id, lang, level),
        "minutes": format_setting(params.threshold_min, lang),
        "speed": format_number(params.walking_speed_kmh, lang, 1),
        "catchment": format_setting(params.sfca_catchment_min, lang),
        "k": data.sites_k,
        "nearest": MIN_OFFERINGS_LISTED,
        "area_summary": tr(
            "report.area_summary", councils=len(result.councils),
            residents=format_number(area.get("residents"), lang),
            venues=format_number(area.get("venues_total"), lang)),
        "links": links or ReportLinks(),
        # issue 11: share within the threshold by income quintile and age (units and area)
        "equity": (equity_chart(data.study.equity, council_id, params.threshold_min, lang)
                   if level == "councils" else None),
        # issue 14: the activities within reach in the next 30 days (council reports)
        "agenda": (council_rows(data, council_id, lang)
                   if council_id is not None and level == "councils" else None),
        # issue 16: the published proposals that name the council (workspace only)
        "proposals": (proposal_rows(data, council_id)
                      if council_id is not None and level == "councils" and data.proposals
                      else None),
    }
    return context


def render_html(data: ReportData, council_id: str | None, lang: str = "es",
                links: ReportLinks | None = None, level: str = "councils") -> str:
    return _env.get_template("report.html").render(
        report_context(data, council_id, lang, links, level))


def render_template(name: str, **context: Any) -> str:
    """Render another page of this feature (the downloads index) with the same settings."""
    return _env.get_template(name).render(**context)


def render_pdf(html: str) -> bytes:
    """The PDF of a report page; any reference other than a data URI is refused."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint's hook
            if not url.startswith("data:"):
                raise FatalURLFetchingError(f"report refers to an external resource: {url}")
            return super().fetch(url, headers)

    try:
        return HTML(string=html, url_fetcher=DataOnlyFetcher()).write_pdf()
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: make it an error
        raise ReportError(str(exc)) from exc
