"""Web routes for the reports and the data downloads (Flask blueprint ``reports_bp``).

- ``/reportes/<JV-01|parte-alta>.<html|pdf>?lang=es|en``: a report (PDF as attachment); the
  whole-area report also answers to the manifest's study-area id (e.g. ``coquimbo``)
- ``/reportes/sector/<id>.<html|pdf>?lang=es|en``: a municipal sector's report
- ``/reportes/kit/<id>.pdf?lang=es|en``: a unit's leader's kit (one A4 page, webmap.kit)
- ``/descargas``: index of every report and download
- ``/descargas/<layer>.<geojson|gpkg|csv>``: one layer or result, as attachment

The analysis behind them is the web map's own study (same settings, same figures and
sites) and every rendered file is kept: the data do not change while serving. Unknown
council or layer: 404; unknown format: 400.

PDFs never make a reader wait behind others (webmap.pdf_store): they are rendered ahead by
one background thread (all of them when ``culturamap serve`` starts) and kept on disk; a
PDF asked for before it is ready jumps the queue, and the request waits ``PDF_WAIT_S`` at
most before getting a 202 page that refreshes itself and shows the progress. HEAD never
renders. HTML pages and downloads are built once per file, each under its own lock.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    request,
    send_file,
    url_for,
)
from markupsafe import escape

from geo.export import FORMATS, MEDIA_TYPES, ExportError, layer_bytes
from geo.study import LAYER_NAMES
from webmap.area import area_report_id, area_report_ids, translate_area
from webmap.i18n import LANGUAGES, normalise_language, translate
from webmap.inventory import inventory_statement
from webmap.pdf_store import PdfStore, layers_digest, prepare_folder, report_version
from webmap.reports import (
    ReportData,
    ReportLinks,
    render_html,
    render_pdf,
    render_template,
)

reports_bp = Blueprint("reports", __name__)
REPORT_FORMATS = ("html", "pdf")
EXTENSION_KEY = "culturamap_reports"
PDF_STORE_KEY = "culturamap_pdf"
_lock = threading.RLock()
BUSY_WAIT_S = 0.25  # kits: longest wait for a render slot, then 503
BUSY_RETRY_AFTER_S = 5
PDF_WAIT_S = 2.0  # longest wait for a PDF asked for (it jumps the queue), then the 202 page
RETRY_AFTER_S = 3  # the 202 page reloads itself after this many seconds


class Busy(Exception):
    """The file is being built by another request, or every kit render slot is taken."""


class _ReportCache:
    """The shared ReportData and every HTML page, download and kit built from it."""

    def __init__(self, data: ReportData, pdf_slots: int = 1) -> None:
        self.data = data
        self.study = data.study
        self.files: dict[tuple[str, ...], Any] = {}
        self.lock = threading.Lock()  # guards key_locks only; held for microseconds
        self.key_locks: dict[tuple[str, ...], threading.Lock] = {}
        # Kits are rendered on request (their QR follows the request's address): a few at
        # a time, the rest get 503 + Retry-After instead of holding server threads.
        self.pdf_slots = threading.BoundedSemaphore(pdf_slots)

    def get(self, key: tuple[str, ...], build: Callable[[], Any],
            wait: float | None = None, slots: threading.BoundedSemaphore | None = None) -> Any:
        """The file under ``key``, built once (other keys build side by side); waits at most
        ``wait`` s (None: no limit) for the key's lock and then for one of ``slots``, else
        raises Busy."""
        if key in self.files:
            return self.files[key]
        with self.lock:
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        timeout = -1 if wait is None else wait
        if not key_lock.acquire(timeout=timeout):
            raise Busy(key)
        try:
            if key in self.files:  # built while this request waited
                return self.files[key]
            if slots is not None and not slots.acquire(timeout=timeout):
                raise Busy(key)
            try:
                value = build()
            finally:
                if slots is not None:
                    slots.release()
            self.files[key] = value
            return value
        finally:
            key_lock.release()


def kit_render_slots() -> int:
    """Concurrent kit renders: one per core but one (left to the map and APIs)."""
    configured = current_app.config.get("REPORT_PDF_RENDERS")
    if configured:
        return max(1, int(configured))
    return max(1, (os.cpu_count() or 1) - 1)


def _build_data() -> ReportData:
    """The web map's own study: the reports show the map's figures and sites."""
    from webmap import agenda_data
    from webmap.people_report import published_proposals

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return ReportData(app.extensions["culturamap"].study,
                      agenda=agenda_data.records(), agenda_now=agenda_data.now(),
                      proposals=published_proposals(app))


def drop_reports(app: Flask) -> None:
    """The reports are made again on their next use (new data, agenda or proposals); kept
    PDFs whose version still matches are reused, others rendered anew."""
    app.extensions.pop(EXTENSION_KEY, None)


def _cache() -> _ReportCache:
    """The reports of the data served now, made again when a new local day moves the
    agenda's "next 30 days" (only when there are activities)."""
    extensions = current_app.extensions
    cached = extensions.get(EXTENSION_KEY)
    if cached is None or _agenda_day_passed(cached.data):
        with _lock:
            cached = extensions.get(EXTENSION_KEY)
            if cached is None or _agenda_day_passed(cached.data):
                cached = extensions[EXTENSION_KEY] = _ReportCache(_build_data(),
                                                                  kit_render_slots())
    return cached


def _agenda_day_passed(data: ReportData) -> bool:
    from webmap import agenda_data
    from webmap.agenda_report import report_day

    day = report_day(data)
    return day is not None and day != agenda_data.local_today()


SECTOR_KEY = "sector-"  # PDF store names of sector reports: sector-<id>


def report_targets(data: ReportData) -> dict[str, tuple[str | None, str]]:
    """Every report the PDF store keeps: store name -> (target id, territory level); the
    whole area first, then each unidad vecinal, then each municipal sector."""
    targets: dict[str, tuple[str | None, str]] = {
        area_report_id(data.layers.manifest): (None, "councils")}
    targets.update({cid: (cid, "councils") for cid in data.council_ids})
    targets.update({f"{SECTOR_KEY}{sid}": (sid, "sectors") for sid in data.sector_ids})
    return targets


def report_keys(data: ReportData) -> list[tuple[str, str]]:
    """Every PDF report as (store name, language), in the order worth rendering."""
    return [(name, lang) for name in report_targets(data) for lang in LANGUAGES]


def pdf_store(app: Flask | None = None) -> PdfStore:
    """The app's PDF store, for the data served now: made on first use, and made again
    when the planner workspace has swapped in new data (webmap.workspace.refresh drops the
    report cache); a store that was rendering ahead hands that on to the new one."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        data = _cache().data
    store = app.extensions.get(PDF_STORE_KEY)
    if store is not None and store.owner is data:
        return store
    with _lock:
        store = app.extensions.get(PDF_STORE_KEY)
        if store is not None and store.owner is data:
            return store
        settings = data.study.settings
        from webmap.agenda_report import agenda_digest
        from webmap.people_report import proposals_digest

        kept_elsewhere = agenda_digest(data) + proposals_digest(data)  # in the database
        version = report_version(settings, layers_digest(data.layers) + kept_elsewhere)
        folder = prepare_folder(Path(settings.cache_dir) / "reports", version)
        targets = report_targets(data)

        def render(key: tuple[str, str]) -> bytes:
            name, lang = key
            target, level = targets[name]
            return render_pdf(render_html(data, target, lang, level=level))

        fresh = PdfStore(folder, report_keys(data), render, owner=data)
        if store is not None:
            store.close()
            if store.ahead:
                fresh.prerender_all()
        app.extensions[PDF_STORE_KEY] = fresh
        return fresh


def start_prerender(app: Flask) -> PdfStore:
    """Render every PDF report in the background now (``culturamap serve`` at start)."""
    store = pdf_store(app)
    store.prerender_all()
    return store


def _wait_s() -> float:
    return float(current_app.config.get("REPORT_WAIT_S", PDF_WAIT_S))


def _lang() -> str:
    asked = request.args.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return asked
    return normalise_language(g.get("lang") or current_app.config.get("DEFAULT_LANGUAGE"))


def _map_url() -> str | None:
    try:
        return url_for("pages.index")
    except Exception:  # noqa: BLE001 - the map page is optional (tests may omit it)
        return None


@reports_bp.get("/reportes/<name>.<fmt>")
def report(name: str, fmt: str) -> Response:
    cache = _cache()
    area_names = area_report_ids(cache.data.layers.manifest)
    if name not in area_names and name not in cache.data.council_ids:
        abort(404)
    if fmt not in REPORT_FORMATS:
        abort(400)
    lang = _lang()
    target = None if name in area_names else name
    if fmt == "pdf":
        key = (area_report_id(cache.data.layers.manifest) if target is None else name, lang)
        return _pdf(key, f"culturamap-{name}.{lang}.pdf")
    links = _links(".report", name, lang)
    html = cache.get(("html", name, lang), lambda: render_html(cache.data, target, lang, links))
    return Response(html, mimetype="text/html")


def _pdf(key: tuple[str, str], download_name: str) -> Response:
    """The kept PDF of ``key``, or the 202 page while it is rendered. HEAD asks for headers
    only: it never renders, but says whether the file is ready."""
    asking = request.method != "HEAD"
    store = pdf_store()
    path = store.get(key, wait=_wait_s() if asking else 0, ask=asking)
    if path is None:
        return _preparing(key[1], store)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=download_name, max_age=0)


def _links(endpoint: str, name: str, lang: str) -> ReportLinks:
    """The links of a report page served by ``endpoint`` (report or sector_report)."""
    other = next(x for x in LANGUAGES if x != lang)

    def pattern(target: str) -> str:
        return url_for(target, name="__ID__", fmt="html", lang=lang).replace("__ID__", "{id}")

    return ReportLinks(
        other_language=url_for(endpoint, name=name, fmt="html", lang=other),
        pdf=url_for(endpoint, name=name, fmt="pdf", lang=lang),
        downloads=url_for(".downloads", lang=lang),
        map=_map_url(),
        council_pattern=pattern(".report"),
        sector_pattern=pattern(".sector_report"),
    )


@reports_bp.get("/reportes/sector/<name>.<fmt>")
def sector_report(name: str, fmt: str) -> Response:
    """The report of one municipal sector (the second territory level)."""
    cache = _cache()
    if name not in cache.data.sector_ids:
        abort(404)
    if fmt not in REPORT_FORMATS:
        abort(400)
    lang = _lang()
    if fmt == "pdf":
        return _pdf((f"{SECTOR_KEY}{name}", lang), f"culturamap-sector-{name}.{lang}.pdf")
    links = _links(".sector_report", name, lang)
    html = cache.get(("html", "sector", name, lang),
                     lambda: render_html(cache.data, name, lang, links, level="sectors"))
    return Response(html, mimetype="text/html")


def _busy(lang: str) -> Response:
    """503 + Retry-After for a kit when every render slot is taken (JSON if asked for)."""
    detail = translate("report.busy", lang, seconds=BUSY_RETRY_AFTER_S)
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if request.args.get("f") == "json" or best == "application/json":
        response = jsonify({"error": "busy", "detail": detail})
    else:
        title = escape(translate("report.busy_title", lang))
        response = Response(
            f'<!doctype html><html lang="{escape(translate("report.html_lang", lang))}">'
            f'<meta charset="utf-8"><meta http-equiv="refresh" content="{BUSY_RETRY_AFTER_S}">'
            f"<title>{title}</title>"
            f"<h1>{title}</h1><p>{escape(detail)}</p></html>",
            mimetype="text/html",
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _preparing(lang: str, store: PdfStore) -> Response:
    """202 Accepted: the report is being rendered; the page refreshes itself and shows how
    many reports are ready (JSON for clients that ask for it). Not an error."""
    ready, total = store.progress()
    detail = translate("report.preparing", lang, seconds=RETRY_AFTER_S, ready=ready,
                       total=total)
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if request.args.get("f") == "json" or best == "application/json":
        response = jsonify({"status": "rendering", "detail": detail, "ready": ready,
                            "total": total, "retry_after": RETRY_AFTER_S})
    else:
        title = escape(translate("report.preparing_title", lang))
        response = Response(
            f'<!doctype html><html lang="{escape(translate("report.html_lang", lang))}">'
            f'<meta charset="utf-8"><meta http-equiv="refresh" content="{RETRY_AFTER_S}">'
            f"<title>{title}</title>"
            f"<h1>{title}</h1><p>{escape(detail)}</p>"
            f'<progress max="{total}" value="{ready}">{ready}/{total}</progress></html>',
            mimetype="text/html",
        )
    response.status_code = 202
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


@reports_bp.get("/reportes/kit/<name>.pdf")
def kit(name: str) -> Response:
    """The leader's kit of one unit (webmap.kit): one A4 page whose QR code opens /cerca.

    The QR's address is the ``public_url`` setting, else the address this request came to.
    Only the first kind is kept: the request's host is the client's to choose, and keeping
    one file per Host header would let anyone fill the memory."""
    from webmap.kit import render_kit_pdf

    cache = _cache()
    if name not in cache.data.council_ids:
        abort(404)
    lang = _lang()
    configured = cache.study.settings.public_url
    base = configured or request.url_root

    def build() -> bytes:
        return render_kit_pdf(cache.data, name, lang, base)

    if request.method == "HEAD" and not (configured and ("kit", name, lang) in cache.files):
        # HEAD asks for headers only: a kit not kept yet is not rendered for it
        return Response(status=202, headers={"Retry-After": "1", "Cache-Control": "no-store"})

    try:
        if configured:
            pdf = cache.get(("kit", name, lang), build, wait=BUSY_WAIT_S, slots=cache.pdf_slots)
        else:
            if not cache.pdf_slots.acquire(timeout=BUSY_WAIT_S):
                raise Busy(name)
            try:
                pdf = build()
            finally:
                cache.pdf_slots.release()
    except Busy:
        return _busy(lang)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"culturamap-kit-{name}.{lang}.pdf")


@reports_bp.get("/descargas")
def downloads() -> Response:
    cache = _cache()
    lang = _lang()
    other = next(x for x in LANGUAGES if x != lang)

    def build() -> str:
        data = cache.data
        names = dict(zip(data.layers.councils["id"], data.layers.councils["name"], strict=True))
        manifest = data.layers.manifest
        reports = [{"id": area_report_id(manifest),
                    "name": translate_area("report.title.area", lang, manifest)}] + [
            {"id": cid, "name": f"{cid} · {names.get(cid, '')}"} for cid in data.council_ids]
        sector_names = dict(zip(data.layers.sectors["id"], data.layers.sectors["name"],
                                strict=True))
        sector_reports = [{"id": sid, "name": str(sector_names[sid])}
                          for sid in sorted(data.sector_ids, key=lambda s: sector_names[s])]
        layers = [{"id": layer, "label": translate(f"report.layer.{layer}", lang),
                   "rows": translate("report.downloads.rows", lang,
                                     rows=len(cache.study.layer(layer)))}
                  for layer in LAYER_NAMES]
        return render_template(
            "downloads.html",
            lang=lang,
            html_lang=translate("report.html_lang", lang),
            t=lambda key, **kw: translate_area(key, lang, manifest, **kw),
            title=translate("report.downloads.title", lang),
            synthetic=bool(manifest.get("synthetic")),
            notice=manifest.get(f"notice_{lang}") or manifest.get("notice_es", ""),
            reports=reports,
            sector_reports=sector_reports,
            sector_report_url=lambda sid, fmt: url_for(".sector_report", name=sid, fmt=fmt,
                                                       lang=lang),
            layers=layers,
            inventory=inventory_statement(data.layers, lang),
            formats=tuple(FORMATS),
            report_url=lambda rid, fmt: url_for(".report", name=rid, fmt=fmt, lang=lang),
            kit_ids=set(data.council_ids),
            kit_url=lambda cid: url_for(".kit", name=cid, lang=lang),
            download_url=lambda layer, fmt: url_for(".download", layer=layer, fmt=fmt),
            other_language=url_for(".downloads", lang=other),
            map_url=_map_url(),
        )

    return Response(cache.get(("downloads", lang), build), mimetype="text/html")


@reports_bp.get("/descargas/<layer>.<fmt>")
def download(layer: str, fmt: str) -> Response:
    if layer not in LAYER_NAMES:
        abort(404)
    if fmt not in FORMATS:
        abort(400)
    cache = _cache()
    try:
        content = cache.get(("download", layer, fmt),
                            lambda: layer_bytes(cache.study.layer(layer), fmt, layer))
    except ExportError:
        abort(500)
    suffix = FORMATS[fmt] if FORMATS[fmt] == fmt else f"{fmt}.{FORMATS[fmt]}"  # .excel.csv
    return send_file(io.BytesIO(content), mimetype=MEDIA_TYPES[fmt], as_attachment=True,
                     download_name=f"culturamap-{layer}.{suffix}")
