"""HTML pages for people: the main map (/) and the leader's nearby view (/cerca).

Pages are rendered once per language and kept: the data do not change while serving.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for

from geo import METRIC_CRS
from geo.block_network import CONNECTOR
from geo.schema import categories, category_ids
from webmap.area import area_name, translate_area
from webmap.i18n import CATEGORY_PREFIX, catalogue
from webmap.inventory import inventory_statement, to_locate_rows, unreachable_text
from webmap.language import t
from webmap.map_builder import build_map, council_features, population_collection
from webmap.report_format import format_number, format_setting
from webmap.store import MIN_ZOOM, MapStore
from webmap.territory_table import territory_rows

bp = Blueprint("pages", __name__)
_render_lock = threading.Lock()

# Strings the browser scripts need (popups, result lists, messages).
JS_PREFIXES = ("js.", "unit.")


def _store() -> MapStore:
    return current_app.extensions["culturamap"]


def js_strings(lang: str, manifest: dict | None = None) -> dict[str, str]:
    base = catalogue("es")
    keys = {k for k in (*base, *catalogue(lang)) if k.startswith(JS_PREFIXES)}
    # texts naming the area are resolved here (the browser only fills numbers in)
    strings = {k: translate_area(k, lang, manifest) for k in sorted(keys)
               if not k.endswith(".named")}
    strings.update({f"{CATEGORY_PREFIX}{c.id}": c.label(lang) for c in categories()})
    return strings


def _report_url(lang: str, level: str) -> str | None:
    """The report of a territory of ``level``, with ``{id}`` for map.js to fill in."""
    if "reports" not in current_app.blueprints:
        return None
    endpoint = "reports.sector_report" if level == "sectors" else "reports.report"
    return url_for(endpoint, name="__ID__", fmt="html", lang=lang).replace("__ID__", "{id}")


def _common(store: MapStore, level: str = "councils") -> dict[str, Any]:
    manifest = store.layers.manifest
    lang = g.lang
    notice = None
    if store.synthetic:
        notice = manifest.get(f"notice_{lang}") or manifest.get("notice_es")
    counted = ", ".join(t(f"category.{c}").lower() for c in store.counted_categories)
    return {
        "notice": notice,
        "counted_categories": counted,
        "area_name": area_name(manifest, lang),
        "inventory": inventory_statement(store.layers, lang),
        "area_unreachable": unreachable_text(store.area.get("unreachable_residents"), lang,
                                             manifest),
        "js_strings": js_strings(lang, manifest),
        "threshold": format_setting(store.threshold_min, g.lang),
        "categories": category_ids(),
        "category_icons": {c.id: c.icon for c in categories()},
        "page_config": {
            "threshold": format_setting(store.threshold_min, g.lang),
            "councils": len(store.territory_layer(level)),
            "level": level,
            "population_url": url_for("pages.population_layer"),
            "agenda_week_url": url_for("agenda_pages.week_layer"),  # issue 14
            "categories": list(category_ids()),
            "category_icons": {c.id: c.icon for c in categories()},
            "counted_categories": list(store.counted_categories),
            "static": url_for("static", filename=""),
            "lang": lang,
            # territory reports (webmap.report_routes); {id} is filled in by map.js
            "report_url": _report_url(lang, level),
        },
    }


# The territory level of the map (?nivel=sectores or ?level=sectors): the value people type
# in either language -> geo.access.LEVELS.
LEVEL_VALUES = {"unidades": "councils", "councils": "councils",
                "sectores": "sectors", "sectors": "sectors"}


def chosen_level() -> str:
    """The level asked for in the query string; units (councils) when absent or unknown."""
    raw = request.args.get("nivel") or request.args.get("level") or ""
    return LEVEL_VALUES.get(raw.strip().lower(), "councils")


def level_links(lang: str, level: str) -> list[dict[str, Any]]:
    """The switch between the two territory levels, as links (works without JavaScript)."""
    return [
        {"level": key, "label": t(f"map.level.{key}"), "current": key == level,
         "url": url_for("pages.index", lang=lang,
                        nivel="sectores" if key == "sectors" else None)}
        for key in ("councils", "sectors")
    ]


def focus_headline(store: MapStore, lang: str) -> str | None:
    """'En el área foco (Parte Alta), 51 % de los 27.895 residentes vive a 15 minutos...'"""
    focus = store.focus
    if not focus or focus.get(store.share_column) is None:
        return None
    return t("map.focus_share", name=focus["name"],
             share=round(float(focus[store.share_column]) * 100),
             residents=format_number(focus.get("residents"), lang),
             threshold=format_setting(store.threshold_min, lang))


def network_note(store: MapStore, lang: str) -> str | None:
    """How many straight connectors the derived walking network guesses (None when the
    model has none, e.g. an OpenStreetMap network)."""
    lines = store.travel.lines()
    connectors = lines[lines["kind"] == CONNECTOR]
    if connectors.empty:
        return None
    km = connectors.to_crs(METRIC_CRS).length.sum() / 1000
    return t("map.network_connectors", count=format_number(len(connectors), lang),
             km=format_number(km, lang, decimals=1))


def sites_summary(store: MapStore) -> str:
    """One sentence under the sites legend: how many residents the sites bring in reach."""
    if store.sites_pending:  # an edit's new sites are still being computed
        return t("legend.sites_updating")
    sites = store.sites
    if sites is None or sites.empty:
        return t("legend.sites_none", threshold=format_setting(store.threshold_min, g.lang))
    attrs = sites.attrs
    return t(
        "legend.sites_summary",
        count=len(sites),
        covered=format_number(attrs.get("newly_covered"), g.lang),
        uncovered=format_number(attrs.get("uncovered_residents"), g.lang),
        threshold=format_setting(store.threshold_min, g.lang),
    )


def _cached(key: tuple[Any, ...], render: Any) -> str:
    pages = _store().cache["pages"]
    if key not in pages:
        with _render_lock:
            if key not in pages:
                pages[key] = render()
    return pages[key]


def _prefers_json() -> bool:
    if request.args.get("f") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["text/html"] < 1


@bp.get("/")
def index() -> Response:
    if _prefers_json():  # QGIS and other OGC API clients get the landing page
        from webmap.api_features import landing_page

        response = landing_page("features")
        response.vary.add("Accept")
        return response
    store = _store()

    level = chosen_level()

    def render() -> str:
        parts = build_map(store, g.lang, level)
        area = store.area
        share = area.get(store.share_column)
        common = _common(store, level)
        return render_template(
            "map.html",
            parts=parts,
            level=level,
            levels=level_links(g.lang, level),
            focus_headline=focus_headline(store, g.lang),
            network_note=network_note(store, g.lang),
            territory_rows=territory_rows(store, level, g.lang,
                                          format_setting(store.threshold_min, g.lang)),
            area_share=None if share is None else round(float(share) * 100),
            sites_summary=sites_summary(store),
            **common,
        )

    key = ("map", request.path, g.lang, level)
    response = Response(_cached(key, render), mimetype="text/html")
    response.vary.add("Accept")
    return response


@bp.get("/mapa/manzanas.geojson")
def population_layer() -> Response:
    """The census blocks by density for the map's population layer, fetched by map.js the
    first time the layer is switched on (kept out of the page to keep it light)."""
    collection, _ = population_collection(_store())
    if "population_json" not in _store().cache:
        _store().cache["population_json"] = json.dumps(collection, separators=(",", ":"))
    return Response(_store().cache["population_json"], mimetype="application/geo+json")


# What the phone view needs offline (webmap/static/js/sw.js), besides /cerca itself.
OFFLINE_STATIC = ("vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js", "js/common.js",
                  "js/nearby.js", "css/app.css", "manifest.webmanifest",
                  "js/nearby_agenda.js")


@bp.get("/sw.js")
def service_worker() -> Response:
    """The phone view's service worker, at the root so that it may control /cerca; its cache
    name is a hash of what it caches, so a release with new files replaces the old copies."""
    store = _store()
    if "service_worker" not in store.cache:
        static = Path(current_app.static_folder or "")
        files = [url_for("static", filename=name) for name in OFFLINE_STATIC]
        files += [url_for("static", filename=f"icons/{c.icon}") for c in categories()]
        digest = hashlib.sha256()
        for name in (*OFFLINE_STATIC, "js/sw.js"):
            digest.update((static / name).read_bytes())
        text = (static / "js" / "sw.js").read_text("utf-8")
        text = text.replace("__VERSION__", digest.hexdigest()[:12])
        pages = [request.script_root + "/cerca", request.script_root + "/nearby"]
        text = text.replace("__PRECACHE__", json.dumps([*pages, *files]))
        store.cache["service_worker"] = text
    response = Response(store.cache["service_worker"], mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # browsers re-check it on every visit
    return response


@bp.get("/cerca")
@bp.get("/nearby")
def nearby() -> str:
    store = _store()

    def render() -> str:
        councils, _ = council_features(store)
        outline = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": f["geometry"],
                 "properties": {"id": f["properties"]["id"], "name": f["properties"]["name"]}}
                for f in councils
            ],
        }
        points = store.cache["council_points"]
        names = dict(zip(store.layers.councils["id"], store.layers.councils["name"], strict=True))
        council_options = [
            {"id": cid, "name": str(names[cid]), "lon": lon, "lat": lat}
            for cid, (lon, lat) in sorted(points.items(), key=lambda kv: str(names[kv[0]]))
        ]
        initial = first_answer(store, council_options)
        people = current_app.extensions.get("culturamap_people")  # issue 16, workspace on
        kept = kept_args()
        css = Path(current_app.static_folder or "") / "css" / "app.css"
        from webmap.agenda_pages import nearby_section

        agenda = nearby_section(store, initial["council"] if initial else None, g.lang)
        return render_template(
            "nearby.html",
            inline_css=css.read_text("utf-8"),  # our own file: no render-blocking request
            council_options=council_options,
            initial=initial,
            initial_rows=answer_rows(initial["results"], g.lang) if initial else [],
            agenda=agenda,
            people=people(kept.get("junta") or kept.get("council")) if people else None,
            map_data={
                "councils": outline,
                "streets_url": url_for("pages.streets_layer"),
                "initial": initial,
                "extent": store.extent,
                "home": store.home,
                "min_zoom": MIN_ZOOM,
            },
            **_common(store),
        )

    from webmap.agenda_data import local_today

    # the agenda's dates move on: a kept page lasts one day in Coquimbo at most
    key = ("nearby", request.path, g.lang, local_today(), *sorted(kept_args().items()))
    return _cached(key, render)


FIRST_ANSWER_LIMIT = 10  # as nearby.js asks /api/nearest


def first_answer(store: MapStore, council_options: list[dict[str, Any]]) -> dict | None:
    """For a shared council link (/cerca?junta=X[&categoria=Y]) the answer itself, so the
    list is in the page: usable on a slow phone line before any script or API call."""
    kept = kept_args()
    council = kept.get("junta") or kept.get("council")
    if not council:
        return None
    option = next(o for o in council_options if o["id"] == council)
    wanted = kept.get("categoria", kept.get("category", "offerings"))
    categories = (list(store.counted_categories) if wanted == "offerings"
                  else None if wanted == "" else [wanted])
    results = store.nearest_records(option["lon"], option["lat"], categories,
                                    FIRST_ANSWER_LIMIT)
    return {"council": council, "category": wanted, "results": results}


def _walk_text(metres: float, minutes: float, lang: str) -> str:
    """As common.js writes it: "450 m · 6 min a pie" / "1,2 km · 15 min on foot"."""
    if metres >= 1000:
        distance = t("unit.km", value=format_number(metres / 1000, lang, decimals=1))
    else:
        distance = t("unit.m", value=format_number(math.floor(metres / 10 + 0.5) * 10, lang))
    time = t("unit.min", value=format_number(max(1, math.floor(minutes + 0.5)), lang))
    return t("js.walk", distance=distance, time=time)


def answer_rows(results: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The first answer's list items, with the texts nearby.js would write."""
    counted = set(_store().counted_categories)
    icons = {c.id: c.icon for c in categories()}
    return [{**r, "rank": i + 1, "walk": _walk_text(r["dist_m"], r["time_min"], lang),
             "category_label": t(f"category.{r['category']}"),
             "host": r["category"] not in counted,
             "icon": icons.get(r["category"], "other.svg")}
            for i, r in enumerate(results)]


@bp.get("/mapa/calles.geojson")
def streets_layer() -> Response:
    """The walkable lines drawn as the phone view's base map, fetched after the page (so a
    slow line shows the answer first)."""
    store = _store()
    if "streets_json" not in store.cache:
        store.cache["streets_json"] = json.dumps(store.cache["streets"], separators=(",", ":"))
    return Response(store.cache["streets_json"], mimetype="application/geo+json")


@bp.get("/acerca")
@bp.get("/about")
def about() -> str:
    store = _store()
    return render_template(
        "about.html",
        manifest_layers=store.layers.manifest.get("layers", {}),
        to_locate=to_locate_rows(store.layers, g.lang),
        params=store.settings,
        speed=format_setting(store.settings.walking_speed_kmh, g.lang),
        sites_k=store.sites_k,
        **_common(store),
    )


# Query arguments the language switch keeps (shareable searches), per endpoint.
KEPT_ARGS = {"pages.nearby": ("junta", "council", "categoria", "category"),
             "pages.index": ("nivel", "level")}


def kept_args() -> dict[str, str]:
    """The request's shareable arguments, only with values the page knows.

    WHY validate: they go into the cached page (and its cache key), so an arbitrary value
    must neither be echoed nor grow the cache.
    """
    known_councils = set(map(str, _store().layers.councils["id"]))
    known_categories = {"offerings", "", *category_ids()}
    kept = {}
    for name in KEPT_ARGS.get(request.endpoint or "", ()):
        value = request.args.get(name)
        if value is None:
            continue
        if name in ("nivel", "level"):
            known = set(LEVEL_VALUES)
        else:
            known = known_councils if name in ("junta", "council") else known_categories
        if value in known:
            kept[name] = value
    return kept


def lang_switch_url(lang: str) -> str:
    """Same page in another language, built from the matched route, never from the raw path.

    WHY: echoing ``request.path`` turns a 404 for ``/%5Cevil.example`` into the link
    ``/\\evil.example``, which browsers resolve to another site. The matched rule keeps
    the alias the visitor used (/acerca or /about); pages without a route (404) link to
    the map.
    """
    rule = request.url_rule
    if rule is not None and request.endpoint:
        built = rule.build({**(request.view_args or {}), **kept_args(), "lang": lang})
        if built is not None:
            return request.script_root + built[1]
    return url_for("pages.index", lang=lang)


@bp.app_context_processor
def _switcher() -> dict[str, Any]:
    return {
        "lang_switch_url": lang_switch_url,
        "tr": t,
        "has_reports": "reports" in current_app.blueprints,
    }
