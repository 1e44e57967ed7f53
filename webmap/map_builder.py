"""The main map as a folium (Leaflet) figure, split into parts for our own page template.

Folium is used for the layer structure; everything that shows text from data (popups,
tooltips) is built in the browser by static/js/map.js with textContent, never as HTML
strings. All scripts and styles are served from /static (no CDN, no tiles by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
from folium.plugins import MarkerCluster
from folium.utilities import JsCode

from geo import METRIC_CRS, WEB_CRS
from geo.access import FOCUS_ID
from geo.block_network import CONNECTOR as CONNECTOR_KIND
from webmap.api_isochrones import popup_equity
from webmap.classify import DENSITY_PALETTE, GAP_PALETTE, NO_DATA_COLOUR, Classes, classify
from webmap.geometry import rounded_geojson, simplify_coverage
from webmap.i18n import translate
from webmap.store import MIN_ZOOM, MapStore, figures_of

LEAFLET_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", "/static/vendor/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", "/static/vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css"),
]
COUNCIL_TOLERANCE_M = 5.0
FOCUS_COLOUR = "#000000"  # the focus outline: black dashes read on every gap colour
BLOCK_TOLERANCE_M = 6.0  # blocks are >= ~40 m across; 6 m keeps their shape, halves the page


@dataclass
class MapParts:
    """What the page template needs: folium's head, body and script, plus legend data."""

    header: str
    html: str
    script: str
    map_name: str
    control_name: str
    layer_names: dict[str, str]  # our layer id -> folium JS variable
    gap_legend: list[dict[str, str]]
    density_legend: list[dict[str, str]]


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _legend(classes: Classes, fmt: str, lang: str, scale: float = 1.0) -> list[dict[str, str]]:
    def number(value: float) -> str:
        return f"{value * scale:,.0f}".replace(",", "." if lang == "es" else ",")

    rows = []
    for (low, high), colour in zip(classes.bounds, classes.colours, strict=True):
        lo, hi = number(low), number(high)
        label = translate(fmt + "_single", lang, value=lo) if lo == hi else translate(
            fmt, lang, low=lo, high=hi
        )
        rows.append({"colour": colour, "label": label})
    if classes.has_missing:
        rows.append({"colour": NO_DATA_COLOUR, "label": translate("legend.no_data", lang)})
    return rows


def council_features(
    store: MapStore, level: str = "councils"
) -> tuple[list[dict[str, Any]], Classes]:
    """Simplified territories of one level (neighbourhood units or municipal sectors)
    carrying their figures and gap class colour."""
    councils = store.territory_layer(level)
    figures = {
        str(r["id"]): figures_of(r, store.share_column)
        for _, r in store.result.territories(level).iterrows()
    }
    shares = [(figures.get(str(cid)) or {}).get("share_within_threshold") for cid in councils["id"]]
    classes = classify(shares, GAP_PALETTE)
    geoms = simplify_coverage(councils, COUNCIL_TOLERANCE_M)
    features = []
    for row, (cid, name, geom) in enumerate(
        zip(councils["id"], councils["name"], geoms, strict=True)
    ):
        props = dict(figures.get(str(cid)) or {"id": str(cid), "name": str(name)})
        props["colour"] = classes.colour_of(row)
        props.pop("area_km2", None)
        props.pop("p90_time_min", None)
        if level == "councils":  # issue 11: quintiles 1/5 and CI of the unit
            props["equity"] = popup_equity(store, str(cid))
        features.append(
            {"type": "Feature", "id": str(cid), "properties": props,
             "geometry": rounded_geojson(geom)}
        )
    return features, classes


def population_features(store: MapStore) -> tuple[list[dict[str, Any]], Classes]:
    blocks = store.layers.population
    density = store.cache["collections"]["population"].features
    values = [f["properties"]["density_per_km2"] for f in density]
    classes = classify(values, DENSITY_PALETTE, method="quantiles")
    geoms = simplify_coverage(blocks, BLOCK_TOLERANCE_M)
    features = [
        {
            "type": "Feature",
            "id": str(bid),
            "properties": {"id": str(bid), "residents": int(res),
                           "density": None if value is None else round(value),
                           "colour": classes.colour_of(i)},
            "geometry": rounded_geojson(geom),
        }
        for i, (bid, res, value, geom) in enumerate(
            zip(blocks["id"], blocks["residents"], values, geoms, strict=True)
        )
    ]
    return features, classes


def point_features(gdf, columns: list[str]) -> list[dict[str, Any]]:  # noqa: ANN001
    return [
        {
            "type": "Feature",
            "id": str(row["id"]),
            "properties": {c: (None if row[c] is None or row[c] != row[c] else str(row[c]))
                           for c in columns},
            "geometry": rounded_geojson(row.geometry),
        }
        for _, row in gdf.iterrows()
    ]


def workshop_features(store: MapStore) -> list[dict[str, Any]]:
    venue_names = dict(zip(store.layers.venues["id"], store.layers.venues["name"], strict=True))
    council_names = dict(
        zip(store.layers.councils["id"], store.layers.councils["name"], strict=True)
    )
    features = point_features(store.layers.workshops, ["id", "title", "date", "venue_id"])
    for feature, councils in zip(features, store.layers.workshops["councils"], strict=True):
        props = feature["properties"]
        props["date"] = (props["date"] or "")[:10] or None
        props["venue_name"] = venue_names.get(props.pop("venue_id"))
        ids = [c.strip() for c in str(councils or "").split(";") if c.strip()]
        props["councils"] = [council_names.get(c, c) for c in ids]
    return features


def site_features(store: MapStore) -> list[dict[str, Any]]:
    """The suggested sites, best first, with council names (not ids) for the popup."""
    council_names = dict(
        zip(store.layers.councils["id"], store.layers.councils["name"], strict=True)
    )
    collection = store.cache["collections"]["sites"]
    features = []
    for feature, geom in zip(collection.features, collection.geometries, strict=True):
        props = dict(feature["properties"])
        ids = [c for c in str(props.get("councils") or "").split(";") if c]
        props["councils"] = [str(council_names.get(c, c)) for c in ids]
        features.append({"type": "Feature", "id": feature["id"], "properties": props,
                         "geometry": rounded_geojson(geom)})
    return features


def _fill_style(feature: dict[str, Any], weight: float, opacity: float) -> dict[str, Any]:
    return {
        "fillColor": feature["properties"]["colour"],
        "color": "#555555",
        "weight": weight,
        "fillOpacity": opacity,
    }


def _base_map(store: MapStore) -> folium.Map:
    """An empty Leaflet map fitted to the focus area (else to where most residents live,
    ``MapStore.home``), with our own /static copy of Leaflet."""
    minx, miny, maxx, maxy = (float(v) for v in store.first_view)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=14,
        tiles=None,
        control_scale=False,  # added by map.js, metric only
        # Without a tile layer Leaflet has no zoom limits, and MarkerCluster needs maxZoom.
        minZoom=MIN_ZOOM,
        maxZoom=19,
    )
    fmap.default_js = list(LEAFLET_JS)
    fmap.default_css = list(LEAFLET_CSS)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _add_tile_layer(fmap: folium.Map, store: MapStore, lang: str) -> None:
    """Background tiles, only when TILE_URL is configured (tiles need internet)."""
    tile_url = store.settings.tile_url
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=store.settings.tile_attribution,
            name=translate("layer.tiles", lang), overlay=False, control=True,
        ).add_to(fmap)


STREET_STYLES: dict[str, dict[str, Any]] = {  # by ``kind`` of the travel model's lines
    "primary": {"color": "#7a7a7a", "weight": 2.5, "opacity": 0.9},
    # straight guesses of the derived network across land without blocks: their own style
    CONNECTOR_KIND: {"color": "#8c6d1f", "weight": 1.6, "opacity": 0.9, "dashArray": "4 4"},
}
DEFAULT_STREET_STYLE = {"color": "#9e9e9e", "weight": 1.2, "opacity": 0.9}


def _add_streets_layer(fmap: folium.Map, store: MapStore, lang: str) -> folium.GeoJson:
    """The travel model's walkable lines: the offline base map; main roads stronger and the
    derived network's connectors dashed, so a planner sees where the model guesses."""
    streets = folium.GeoJson(
        store.cache["streets"],
        name=translate("layer.streets", lang),
        style_function=lambda f: STREET_STYLES.get(f["properties"]["kind"],
                                                   DEFAULT_STREET_STYLE),
        interactive=False,
    )
    streets.add_to(fmap)
    return streets


def population_collection(store: MapStore) -> tuple[dict[str, Any], Classes]:
    """The census blocks by density as one GeoJSON object (served at
    ``/mapa/manzanas.geojson``), built once, and their classes."""
    if "population_layer" not in store.cache:
        blocks, classes = population_features(store)
        store.cache["population_layer"] = (_collection(blocks), classes)
    return store.cache["population_layer"]


def _add_population_layer(
    fmap: folium.Map, store: MapStore, lang: str
) -> tuple[folium.GeoJson, Classes]:
    """Census blocks by density (hidden at first); returns the layer and its classes.

    WHY empty: thousands of block polygons are most of the page's weight and the layer
    starts hidden; map.js fetches them the first time a person switches the layer on."""
    _, density_classes = population_collection(store)
    population = folium.GeoJson(
        _collection([]),
        name=translate("layer.population", lang),
        show=False,
        style_function=lambda f: _fill_style(f, 0.3, 0.7),
        on_each_feature=JsCode("function (f, l) { culturamap.bindBlock(f, l); }"),
    )
    population.add_to(fmap)
    return population, density_classes


def _add_council_layer(
    fmap: folium.Map, store: MapStore, lang: str, level: str = "councils"
) -> tuple[folium.GeoJson, Classes]:
    """Territories of ``level`` coloured by access gap, highlighted on hover; returns the
    layer and classes."""
    council_list, gap_classes = council_features(store, level)
    gap = folium.GeoJson(
        _collection(council_list),
        name=translate(f"layer.{level}", lang),
        style_function=lambda f: _fill_style(f, 1.5, 0.55),
        highlight_function=lambda f: {"weight": 4, "color": "#222222"},
        on_each_feature=JsCode("function (f, l) { culturamap.bindCouncil(f, l); }"),
    )
    gap.add_to(fmap)
    return gap, gap_classes


def focus_outline(store: MapStore) -> dict[str, Any] | None:
    """The focus area's outline (its sectors merged) as GeoJSON, or None without focus."""
    focus = store.result.focus
    if not focus:
        return None
    sectors = store.layers.sectors
    chosen = sectors[sectors["id"].isin(focus["sectors"])]
    shape = chosen.to_crs(METRIC_CRS).union_all().simplify(COUNCIL_TOLERANCE_M)
    web = gpd.GeoSeries([shape], crs=METRIC_CRS).to_crs(WEB_CRS).iloc[0]
    return _collection([{"type": "Feature", "id": FOCUS_ID,
                         "properties": {"id": FOCUS_ID, "name": focus["name"]},
                         "geometry": rounded_geojson(web)}])


def _add_focus_layer(fmap: folium.Map, store: MapStore, lang: str) -> folium.GeoJson | None:
    """The focus area outlined (thick dashed line, no fill, not clickable), when set."""
    outline = focus_outline(store)
    if outline is None:
        return None
    name = outline["features"][0]["properties"]["name"]
    layer = folium.GeoJson(
        outline,
        name=translate("layer.focus", lang, name=name),
        style_function=lambda f: {"color": FOCUS_COLOUR, "weight": 4, "dashArray": "10 6",
                                  "fill": False, "opacity": 0.95},
        interactive=False,
    )
    layer.add_to(fmap)
    return layer


def _add_venue_layers(fmap: folium.Map, store: MapStore, lang: str) -> MarkerCluster:
    """Venues inside a marker cluster (the cluster is the layer users switch)."""
    cluster = MarkerCluster(
        name=translate("layer.venues", lang),
        options={"maxClusterRadius": 40, "showCoverageOnHover": False},
        icon_create_function="function (cluster) { return culturamap.clusterIcon(cluster); }",
    )
    cluster.default_js = list(CLUSTER_JS)
    cluster.default_css = list(CLUSTER_CSS)
    cluster.add_to(fmap)
    venues = folium.GeoJson(
        _collection(point_features(
            store.layers.venues, ["id", "name", "category", "address", "source"]
        )),
        control=False,
        point_to_layer=JsCode("culturamap.venueMarker"),
        on_each_feature=JsCode("function (f, l) { culturamap.bindVenue(f, l); }"),
    )
    venues.add_to(cluster)
    return cluster


def _add_workshop_layer(fmap: folium.Map, store: MapStore, lang: str) -> folium.GeoJson:
    """Workshops with their venue and council names, markers drawn by map.js."""
    return _point_layer(fmap, workshop_features(store), "layer.workshops", "workshop", lang)


def _add_sites_layer(fmap: folium.Map, store: MapStore, lang: str) -> folium.GeoJson:
    """Suggested workshop sites, best first (hidden at first)."""
    return _point_layer(fmap, site_features(store), "layer.sites", "site", lang, show=False)


def _point_layer(fmap: folium.Map, features: list[dict[str, Any]], name_key: str, kind: str,
                 lang: str, show: bool = True) -> folium.GeoJson:
    """A switchable point layer whose markers and popups map.js draws
    (``culturamap.<kind>Marker`` and ``culturamap.bind<Kind>``)."""
    layer = folium.GeoJson(
        _collection(features),
        name=translate(name_key, lang),
        show=show,
        point_to_layer=JsCode(f"culturamap.{kind}Marker"),
        on_each_feature=JsCode(f"function (f, l) {{ culturamap.bind{kind.title()}(f, l); }}"),
    )
    layer.add_to(fmap)
    return layer


PROPOSALS_KEY = "proposal_features"  # store.cache: published proposals, kept by
# webmap.workspace.people_views (after each moderation step and each support)


def proposal_features(store: MapStore, lang: str) -> list[dict[str, Any]]:
    """Published proposals (issue 16) with their labels in ``lang`` for map.js's popup."""
    features = []
    for feature in store.cache.get(PROPOSALS_KEY) or []:
        props = dict(feature["properties"])
        props["category_label"] = (translate(f"people.category.{props['category']}", lang)
                                   if props.get("category") else None)
        props["origin_label"] = translate(f"people.origin.{props['origin']}", lang)
        props["answer_label"] = (translate("people.answer." + props["answer"].replace(" ", "_"),
                                           lang) if props.get("answer") else None)
        props["supports_label"] = translate("people.supports", lang, count=props["supports"])
        props["open_label"] = translate("people.map.open", lang)
        props["url"] = f"/participa/propuestas/{props['id']}"
        features.append({**feature, "properties": props})
    return features


def _add_layer_control(fmap: folium.Map) -> folium.LayerControl:
    """The always-open layer switcher; added last so it lists every layer above."""
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(fmap)
    return control


def _rendered_page(fmap: folium.Map) -> tuple[str, str, str]:
    """folium's head, body and script for our template, without its no-zoom viewport tag."""
    root = fmap.get_root()
    root.render()
    # folium's viewport tag forbids zooming the page (bad for low vision); base.html has ours
    header = re.sub(r'<meta name="viewport"[^>]*>', "", root.header.render())
    return header, root.html.render(), root.script.render()


def build_map(store: MapStore, lang: str, level: str = "councils") -> MapParts:
    """The main page's folium map in ``lang`` with the territories of ``level`` (units or
    sectors), as the parts the page template needs."""
    fmap = _base_map(store)
    # adding order is the layer order in Leaflet and in the layer control
    _add_tile_layer(fmap, store, lang)
    streets = _add_streets_layer(fmap, store, lang)
    population, density_classes = _add_population_layer(fmap, store, lang)
    gap, gap_classes = _add_council_layer(fmap, store, lang, level)
    focus = _add_focus_layer(fmap, store, lang)
    venues = _add_venue_layers(fmap, store, lang)
    workshops = _add_workshop_layer(fmap, store, lang)
    sites = _add_sites_layer(fmap, store, lang)
    published = proposal_features(store, lang)
    proposals = (_point_layer(fmap, published, "layer.proposals", "proposal", lang)
                 if published else None)
    control = _add_layer_control(fmap)
    header, html, script = _rendered_page(fmap)
    pct = 100.0
    return MapParts(
        header=header,
        html=html,
        script=script,
        map_name=fmap.get_name(),
        control_name=control.get_name(),
        layer_names={
            "streets": streets.get_name(),
            "population": population.get_name(),
            "councils": gap.get_name(),
            **({"focus": focus.get_name()} if focus is not None else {}),
            "venues": venues.get_name(),
            "workshops": workshops.get_name(),
            "sites": sites.get_name(),
            **({"proposals": proposals.get_name()} if proposals is not None else {}),
        },
        gap_legend=_legend(gap_classes, "legend.share_range", lang, scale=pct),
        density_legend=_legend(density_classes, "legend.density_range", lang),
    )
