"""The reports' static map, drawn with matplotlib from the project's own layers.

Why not tiles: map tiles need internet, and a report must print offline. The travel model's
walkable lines (OSM streets, or the network derived from the census blocks) are the light
base map; everything is drawn in EPSG:32719 so the scale bar
is true metres. The picture is returned as bytes and embedded as a data URI, which keeps the
HTML self-contained and the PDF free of external fetches.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo import METRIC_CRS
from geo.block_network import CONNECTOR
from geo.schema import categories, category_label
from webmap.i18n import translate
from webmap.report_format import format_percent, format_setting
from webmap.store import HOME_SHARE, weighted_bounds

# ColorBrewer OrRd reversed, as on the web map: dark red = few residents within reach.
GAP_PALETTE = ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9")
NO_DATA_COLOUR = "#d9d9d9"
# style="print" (the leader's kit, printed on any office printer): classes told apart by grey
# AND hatching, venues by shape (offerings filled black, hosts hollow), never by colour alone.
STYLES = ("colour", "print")
PRINT_GREYS = ("#6e6e6e", "#969696", "#bdbdbd", "#dedede", "#ffffff")  # dark = few within reach
PRINT_HATCHES = ("xxx", "///", "...", "", "")
PRINT_SHAPES = ("o", "D", "^", "s", "v", "P", "X", "p", "h", "<", ">", "8", "d", "H")
MAP_WIDTH = 0.72  # share of the figure for the map; the legends take the rest


@dataclass
class MapInput:
    """What the map draws; every frame in any CRS (re-projected here)."""

    councils: gpd.GeoDataFrame  # AccessResult.councils: id, share_within_<t>min
    venues: gpd.GeoDataFrame
    workshops: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame  # AccessResult.demand: residents, time_min
    sites: gpd.GeoDataFrame  # suggested sites: rank, geometry
    threshold_min: float
    streets: gpd.GeoDataFrame | None = None  # TravelModel.lines(): any CRS, with ``kind``
    counted: tuple[str, ...] | None = None  # offering categories; others drawn as hosts


MAIN_STREET_KINDS = ("primary", "secondary", "trunk")
CONNECTOR_KIND = CONNECTOR  # a straight guess across land without blocks


def street_segments(streets: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Line segments (metric coordinates) of the walkable lines: main roads, connectors
    across blockless land, and the other streets."""
    lines = streets.to_crs(METRIC_CRS).explode(index_parts=False)
    kinds = lines["kind"].astype(str).to_numpy()
    groups: dict[str, list[np.ndarray]] = {"main": [], "connector": [], "street": []}
    for kind, geom in zip(kinds, lines.geometry, strict=True):
        coords = np.asarray(geom.coords)
        pairs = np.stack([coords[:-1], coords[1:]], axis=1)
        group = ("main" if kind in MAIN_STREET_KINDS
                 else "connector" if kind == CONNECTOR_KIND else "street")
        groups[group].append(pairs)
    return {k: np.concatenate(v) if v else np.empty((0, 2, 2)) for k, v in groups.items()}


def gap_classes(shares: np.ndarray, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Fisher-Jenks classes of the share within reach (class index per council, -1 = none)."""
    known = shares[~np.isnan(shares)]
    distinct = np.unique(known)
    if distinct.size == 0:
        return np.full(len(shares), -1), []
    k = min(k, distinct.size)
    with warnings.catch_warnings():  # "Numba not installed": fine for 20 values
        warnings.simplefilter("ignore", UserWarning)
        bins = [float(distinct[0])] if k == 1 else list(mapclassify.FisherJenks(known, k=k).bins)
    index = np.where(np.isnan(shares), -1,
                     np.minimum(np.searchsorted(bins, np.nan_to_num(shares), side="left"),
                                len(bins) - 1))
    return index.astype(int), [float(b) for b in bins]


def _class_label(low: float, high: float, lang: str) -> str:
    if format_percent(low, lang, 0) == format_percent(high, lang, 0):
        return format_percent(high, lang, 0)
    return f"{format_percent(low, lang, 0)} – {format_percent(high, lang, 0)}"


def _nice_length(span_m: float) -> float:
    """A round scale-bar length of about a fifth of the map width."""
    target = span_m / 5
    for step in (50, 100, 200, 250, 500, 1000, 2000, 5000):
        if step >= target:
            return float(step)
    return 10_000.0


def _scale_bar(ax: Axes, lang: str) -> None:
    """A half-black, half-white bar of a round length, labelled, on a white patch."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((bx - 0.015 * (x1 - x0), by - 4.5 * h), length + 0.03 * (x1 - x0),
                           9.5 * h, facecolor="white", edgecolor="none", alpha=0.85, zorder=8.5))
    ax.fill([bx, bx + length / 2, bx + length / 2, bx], [by, by, by + h, by + h], "k", zorder=9)
    ax.fill([bx + length / 2, bx + length, bx + length, bx + length / 2],
            [by, by, by + h, by + h], facecolor="white", edgecolor="k", lw=0.8, zorder=9)
    label = (f"{format_setting(length / 1000, lang)} km" if length >= 1000
             else f"{format_setting(length, lang)} m")
    ax.text(bx + length / 2, by + 2.2 * h, label, ha="center", va="bottom", fontsize=8,
            zorder=9, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})
    ax.text(bx, by - 1.2 * h, translate("report.map.scale_note", lang), fontsize=6,
            va="top", zorder=9, color="#333")


def _north_arrow(ax: Axes) -> None:
    """An arrow marked N in the top right corner (the metric CRS has north up)."""
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.84), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold", zorder=9,
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 9})


def _map_axes(fig: Figure) -> Axes:
    """The map's axes: the left MAP_WIDTH of the figure, equal aspect, no frame or ticks."""
    ax = fig.add_axes((0.0, 0.0, MAP_WIDTH, 1.0))
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _frame_view(ax: Axes, councils: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None,
                focus_id: str | None, demand: gpd.GeoDataFrame | None = None) -> None:
    """Set the extent: the focus council, or where the central residents of the area live
    (a remote locality must not shrink the city to a corner), padded, its sites in view,
    room for the scale bar."""
    if focus_id is None:
        xmin, ymin, xmax, ymax = councils.total_bounds
        if demand is not None and len(demand) and demand["residents"].sum() > 0:
            pts = demand.to_crs(METRIC_CRS).geometry
            weights = demand["residents"].to_numpy(dtype=float)
            xmin, xmax = weighted_bounds(pts.x.to_numpy(), weights, HOME_SHARE)
            ymin, ymax = weighted_bounds(pts.y.to_numpy(), weights, HOME_SHARE)
        pad = max(150.0, 0.08 * max(xmax - xmin, ymax - ymin))
    else:
        focus = councils[councils["id"] == focus_id]
        if focus.empty:
            raise KeyError(focus_id)
        xmin, ymin, xmax, ymax = focus.total_bounds
        pad = max(350.0, 0.25 * max(xmax - xmin, ymax - ymin))
        if sites is not None and len(sites):  # the council's sites stay in view
            sx0, sy0, sx1, sy1 = sites.to_crs(METRIC_CRS).total_bounds
            xmin, ymin = min(xmin, sx0 - 100), min(ymin, sy0 - 100)
            xmax, ymax = max(xmax, sx1 + 100), max(ymax, sy1 + 100)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    ymin -= 0.10 * (ymax - ymin)  # a strip below the data for the scale bar
    # fill the axes box (MAP_WIDTH x 1 of a 7.2 x 5.6 figure) without distorting metres
    box_ratio = (MAP_WIDTH * 7.2) / 5.6
    cx, cy, w, h = (xmin + xmax) / 2, (ymin + ymax) / 2, xmax - xmin, ymax - ymin
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _class_picks(bins: list[float], palette_size: int) -> np.ndarray:
    """Which palette entry each gap class takes, spread over the palette when few."""
    return np.linspace(0, palette_size - 1, num=max(len(bins), 1)).round().astype(int)


def _class_colours(bins: list[float], style: str = "colour") -> list[str]:
    """One palette colour per gap class, spread over the whole palette when there are few."""
    palette = PRINT_GREYS if style == "print" else GAP_PALETTE
    return [palette[i] for i in _class_picks(bins, len(palette))]


def _class_hatches(bins: list[float], style: str) -> list[str]:
    """The print style's hatching per gap class (none in colour)."""
    if style != "print":
        return ["" for _ in range(max(len(bins), 1))]
    return [PRINT_HATCHES[i] for i in _class_picks(bins, len(PRINT_HATCHES))]


def _draw_councils(ax: Axes, councils: gpd.GeoDataFrame, index: np.ndarray,
                   colours: list[str], hatches: list[str] | None = None) -> None:
    """Councils filled by gap class (grey without data), the bottom layer; in print, each
    class also hatched, so a black-and-white copy keeps them apart."""
    if hatches is None or not any(hatches):
        councils.plot(ax=ax, color=[colours[i] if i >= 0 else NO_DATA_COLOUR for i in index],
                      alpha=0.6, edgecolor="#555555", linewidth=0.6, zorder=1)
        return
    for i in np.unique(index):  # one call per class: hatch is one value per call
        councils[index == i].plot(ax=ax, facecolor=colours[i] if i >= 0 else "#ffffff",
                                  hatch=hatches[i] if i >= 0 else "", edgecolor="#555555",
                                  linewidth=0.6, zorder=1)


def _draw_streets(ax: Axes, streets: gpd.GeoDataFrame | None, style: str = "colour") -> None:
    """The walkable lines as the light base map; main roads darker and thicker, connectors
    (guessed walks across land without blocks) dashed."""
    if streets is None or streets.empty:
        return
    segments = street_segments(streets)
    if style == "print":
        ax.add_collection(LineCollection(segments["street"], colors="#8a8a8a", linewidths=0.4,
                                         zorder=2))
        ax.add_collection(LineCollection(segments["main"], colors="#4d4d4d", linewidths=1.0,
                                         zorder=2))
        ax.add_collection(LineCollection(segments["connector"], colors="#4d4d4d",
                                         linewidths=0.6, linestyles=(0, (3, 2)), zorder=2))
        return
    ax.add_collection(LineCollection(segments["street"], colors="#9a9a9a", linewidths=0.35,
                                     zorder=2))
    ax.add_collection(LineCollection(segments["main"], colors="#6f6f6f", linewidths=0.9,
                                     zorder=2))
    ax.add_collection(LineCollection(segments["connector"], colors="#8c6d1f", linewidths=0.6,
                                     linestyles=(0, (3, 2)), zorder=2))


def _draw_council_labels(ax: Axes, councils: gpd.GeoDataFrame, focus_id: str | None) -> None:
    """Each council's id at a point inside it; the focus council's larger and bold."""
    for _, row in councils.iterrows():
        p = row.geometry.representative_point()
        bold = row["id"] == focus_id
        ax.text(p.x, p.y, row["id"], ha="center", va="center", zorder=8,
                fontsize=8 if bold else 6, fontweight="bold" if bold else "normal",
                color="#111" if bold or focus_id is None else "#555", clip_on=True)


def _draw_focus_outline(ax: Axes, councils: gpd.GeoDataFrame, focus_id: str | None,
                        style: str = "colour") -> None:
    """A thick black boundary around the report's council (none for the whole area); in
    print, thicker still over a white halo, so it reads over any hatching."""
    if focus_id is None:
        return
    outline = councils[councils["id"] == focus_id].boundary
    if style == "print":
        outline.plot(ax=ax, color="white", linewidth=6.0, zorder=7)
        outline.plot(ax=ax, color="black", linewidth=3.6, zorder=7.1)
        return
    outline.plot(ax=ax, color="black", linewidth=2.4, zorder=7)


def _draw_blocks(ax: Axes, demand: gpd.GeoDataFrame, threshold_min: float,
                 lang: str, style: str = "colour") -> Line2D:
    """Crosses on blocks beyond the threshold, sized by residents; returns the legend handle."""
    demand = demand.to_crs(METRIC_CRS)
    far = demand[~(demand["time_min"] <= threshold_min)]
    colour = "#1a1a1a" if style == "print" else "#7a0010"
    if len(far):
        sizes = 4 + 26 * np.sqrt(far["residents"] / max(float(demand["residents"].max()), 1.0))
        ax.scatter(far.geometry.x, far.geometry.y, s=sizes, marker="x", color=colour,
                   linewidths=0.8, zorder=4)
    return Line2D([], [], marker="x", ls="", color=colour,
                  label=translate("report.map.gap_blocks", lang,
                                  minutes=format_setting(threshold_min, lang)))


def print_markers() -> dict[str, str]:
    """One distinct shape per category for the print style: the registry's marker unless an
    earlier category took it, then the next free shape (the star stays for workshops)."""
    shapes: dict[str, str] = {}
    for cat in categories():  # first the registry's own shapes, first come first served
        if cat.marker != "*" and cat.marker not in shapes.values():
            shapes[cat.id] = cat.marker
    for cat in categories():  # then a free shape for each category that lost its own
        if cat.id not in shapes:
            shapes[cat.id] = next((m for m in PRINT_SHAPES if m not in shapes.values()),
                                  cat.marker)
    return {cat.id: shapes[cat.id] for cat in categories()}


def _draw_venues(ax: Axes, venues: gpd.GeoDataFrame, counted: tuple[str, ...] | None,
                 lang: str, style: str = "colour") -> list[Line2D]:
    """Venues by category (hosts smaller, under offerings); returns one legend handle each.
    In print, every category has its own shape: offerings filled black, hosts hollow."""
    venues = venues.to_crs(METRIC_CRS)
    shapes = print_markers() if style == "print" else {}
    handles = []
    for cat in categories():
        sub = venues[venues["category"] == cat.id]
        if sub.empty:
            continue
        host = counted is not None and cat.id not in counted
        label = category_label(cat.id, lang)
        if host and style != "print":  # shown, smaller, but not an offering (it can host a
            # workshop); in print the hollow shape says so and the kit's caption explains it
            label = translate("report.map.host_label", lang, category=label)
        if style == "print":
            face, edge = ("white", "black") if host else ("black", "white")
            marker, size, width = shapes[cat.id], 40 if host else 70, 1.0
        else:
            face, edge = cat.colour, "white"
            marker, size, width = cat.marker, 14 if host else 30, 0.6
        ax.scatter(sub.geometry.x, sub.geometry.y, s=size, marker=marker, facecolor=face,
                   edgecolor=edge, linewidths=width, zorder=5 if host else 5.5)
        handles.append(Line2D([], [], marker=marker, ls="", markerfacecolor=face,
                              markeredgecolor="black" if style == "print" else edge,
                              markersize=(6.5 if host else 8) if style == "print"
                              else (4.5 if host else 6.5), label=label))
    return handles


def _draw_workshops(ax: Axes, workshops: gpd.GeoDataFrame, lang: str,
                    style: str = "colour") -> Line2D:
    """Workshops as purple (print: black) stars above the venues; returns the legend handle."""
    workshops = workshops.to_crs(METRIC_CRS)
    colour = "black" if style == "print" else "#5a2ca0"
    ax.scatter(workshops.geometry.x, workshops.geometry.y, s=150, marker="*", color=colour,
               edgecolor="white", linewidths=0.8, zorder=6)
    return Line2D([], [], marker="*", ls="", markersize=11, color=colour,
                  label=translate("report.map.workshops", lang))


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame, lang: str) -> Line2D:
    """Suggested sites as black rings with their rank; returns the legend handle."""
    sites = sites.to_crs(METRIC_CRS)
    ax.scatter(sites.geometry.x, sites.geometry.y, s=230, marker="o", facecolor="none",
               edgecolor="#000000", linewidths=1.8, zorder=6)
    for _, row in sites.iterrows():
        ax.annotate(str(row["rank"]), (row.geometry.x, row.geometry.y), xytext=(7, 5),
                    textcoords="offset points", fontsize=8, fontweight="bold", zorder=9,
                    bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": "black",
                          "lw": 0.8})
    return Line2D([], [], marker="o", ls="", markersize=11, markerfacecolor="none",
                  markeredgecolor="black", markeredgewidth=1.8,
                  label=translate("report.map.sites", lang))


def _draw_legend(fig: Figure, handles: list[Line2D], fontsize: float = 6.5) -> None:
    """The point layers' legend, top right beside the map."""
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(MAP_WIDTH + 0.005, 0.99),
               fontsize=fontsize, frameon=False, handletextpad=0.3, borderaxespad=0.2,
               labelspacing=0.7)


def _draw_class_legend(fig: Figure, shares: pd.Series, index: np.ndarray, bins: list[float],
                       colours: list[str], threshold_min: float, lang: str,
                       hatches: list[str] | None = None, fontsize: float = 6.5) -> None:
    """The gap classes' legend (share ranges, plus "no data" if any), bottom right."""
    lows = [float(np.nanmin(shares))] + bins[:-1] if bins else []
    hatches = hatches or ["" for _ in colours]
    printed = any(hatches)
    classes = [Patch(facecolor=c, alpha=1.0 if printed else 0.6, hatch=h or None,
                     edgecolor="#555555", label=_class_label(lo, hi, lang))
               for c, h, lo, hi in zip(colours, hatches, lows, bins, strict=False)]
    if (index < 0).any():
        classes.append(Patch(facecolor="#ffffff" if printed else NO_DATA_COLOUR,
                             edgecolor="#555555", label=translate("report.map.no_data", lang)))
    fig.legend(handles=classes, loc="lower left", bbox_to_anchor=(MAP_WIDTH + 0.005, 0.03),
               fontsize=fontsize, frameon=False, title_fontsize=fontsize, alignment="left",
               title=translate("report.map.share_legend", lang,
                               minutes=format_setting(threshold_min, lang)))


def render_map(data: MapInput, focus_id: str | None = None, lang: str = "es",
               fmt: str = "png", dpi: int = 150, style: str = "colour") -> bytes:
    """The territory (one council, or the whole area when ``focus_id`` is None) as PNG/SVG;
    ``style="print"``: black-and-white-safe (greys and hatching, shapes, larger legend)."""
    if style not in STYLES:
        raise ValueError(f"map style {style!r} unknown; use one of {STYLES}")
    councils = data.councils.to_crs(METRIC_CRS)
    shares = councils[f"share_within_{data.threshold_min:g}min"]
    fig = Figure(figsize=(7.2, 5.6), dpi=dpi)
    ax = _map_axes(fig)
    _frame_view(ax, councils, data.sites, focus_id, data.demand)
    index, bins = gap_classes(shares.to_numpy(dtype=float))
    colours = _class_colours(bins, style)
    hatches = _class_hatches(bins, style)
    legend_size = 7.5 if style == "print" else 6.5

    # drawing order fixes the stacking of equal z-orders and the order of the SVG elements
    _draw_councils(ax, councils, index, colours, hatches)
    _draw_streets(ax, data.streets, style)
    _draw_council_labels(ax, councils, focus_id)
    _draw_focus_outline(ax, councils, focus_id, style)
    handles = [_draw_blocks(ax, data.demand, data.threshold_min, lang, style)]
    handles += _draw_venues(ax, data.venues, data.counted, lang, style)
    if len(data.workshops):  # no workshop recorded: no key entry (the report says why)
        handles.append(_draw_workshops(ax, data.workshops, lang, style))
    if data.sites is not None and len(data.sites):
        handles.append(_draw_sites(ax, data.sites, lang))
    _scale_bar(ax, lang)
    _north_arrow(ax)
    _draw_legend(fig, handles, legend_size)
    _draw_class_legend(fig, shares, index, bins, colours, data.threshold_min, lang, hatches,
                       legend_size)

    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=dpi, facecolor="white")
    return out.getvalue()


def data_uri(content: bytes, fmt: str = "png") -> str:
    """``data:image/png;base64,...`` so the page needs no other file."""
    media = {"png": "image/png", "svg": "image/svg+xml"}[fmt]
    return f"data:{media};base64,{base64.b64encode(content).decode('ascii')}"
