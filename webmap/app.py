"""Application factory: settings, data computed once, language, errors and blueprints.

``create_app(config)`` takes overrides (tests pass a temporary data dir); the production
server (granian, see webmap.cli) calls it once with the environment's settings.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from flask import Flask, Response
from flask_compress import Compress

from geo import METRIC_CRS, WEB_CRS
from geo.study import Study
from webmap import errors, language, security
from webmap.basemap import street_lines, streets_geojson
from webmap.config import web_settings
from webmap.features import build_collections
from webmap.store import MapStore, build_store

log = logging.getLogger(__name__)
mimetypes.add_type("application/manifest+json", ".webmanifest")  # the phone view's manifest


def _council_points(store: MapStore, level: str = "councils") -> dict[str, tuple[float, float]]:
    """A point inside each territory (not the centroid, which may fall outside)."""
    councils = store.territory_layer(level)
    points = councils.geometry.to_crs(METRIC_CRS).representative_point().to_crs(WEB_CRS)
    return {
        str(cid): (round(p.x, 6), round(p.y, 6))
        for cid, p in zip(councils["id"], points, strict=True)
    }


def prepare(study: Study) -> MapStore:
    """Load and compute everything served; seconds at start, then only lookups."""
    store = build_store(study)
    store.cache["collections"] = build_collections(store)
    store.cache["council_points"] = _council_points(store)
    store.cache["sector_points"] = _council_points(store, "sectors")
    store.cache["streets"] = streets_geojson(street_lines(study.travel))
    store.cache["pages"] = {}
    return store


def _register_reports(app: Flask) -> None:
    """Reports and downloads (issue 5) live in their own blueprint, when it is there."""
    try:
        from webmap.report_routes import reports_bp
    except ModuleNotFoundError as exc:
        if exc.name != "webmap.report_routes":
            raise
        return
    app.register_blueprint(reports_bp)


# Text served compressed (gzip/brotli/zstd, as the browser accepts): the map page and the
# census blocks are mostly GeoJSON, which shrinks about sevenfold.
COMPRESSED_TYPES = ["text/html", "text/css", "text/csv", "application/javascript",
                    "text/javascript", "application/json", "application/geo+json",
                    "image/svg+xml"]


def _compress(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_STREAMS", True)  # /static files too
    Compress(app)


def create_app(config: dict[str, Any] | None = None, study: Study | None = None) -> Flask:
    """The app on ``study`` (or on a study of the settings: defaults < CULTURAMAP_CONFIG <
    CULTURAMAP_* < ``config``). ``config`` keys that are not settings go to Flask;
    ``WORKSPACE=True`` adds the planner workspace (sign-in, editing; webmap.workspace)."""
    settings, flask_keys = web_settings(config)
    workspace = None
    if flask_keys.get("WORKSPACE"):  # planner workspace: the inventory lives in a database
        from webmap.workspace import web as workspace_web

        workspace = workspace_web.open_workspace(settings)
        study = study if study is not None else workspace_web.study_of(workspace)
    study = study if study is not None else Study(settings)
    app = Flask(__name__)
    if study.settings.trusted_proxies:  # the visitor's address, not the proxy's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=study.settings.trusted_proxies)
    app.config.update(flask_keys)
    app.config["DEFAULT_LANGUAGE"] = study.settings.default_language
    app.config["JSON_SORT_KEYS"] = False
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    app.extensions["culturamap"] = prepare(study)

    language.init_app(app)
    errors.init_app(app)
    _compress(app)
    security.init_app(app)  # CSP, frame, referrer and permissions policies

    @app.after_request
    def _open_data_to_other_sites(response: Response) -> Response:
        """The JSON APIs are open data: let other web tools (and QGIS web clients) read them."""
        if response.mimetype in ("application/json", "application/geo+json"):
            response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    from webmap import api_access, api_features, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api_features.bp)  # /collections...
    app.register_blueprint(api_features.bp, url_prefix="/ogc", name="ogc")  # /ogc/collections...
    app.register_blueprint(api_features.landing_bp)  # /ogc
    app.register_blueprint(api_access.bp)
    from webmap import api_isochrones

    app.register_blueprint(api_isochrones.bp)  # /api/isochrone, /api/.../equity
    from webmap import agenda_pages

    app.register_blueprint(agenda_pages.bp)  # /actividades, /api/agenda, /agenda/*.ics
    _register_reports(app)
    if workspace is not None:
        workspace_web.init_app(app, workspace)
    log.info("culturamap ready: data from %s", study.settings.data_dir)
    return app
