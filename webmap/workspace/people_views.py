"""Pages of issue 16: residents propose and support, creators register, planners moderate.

Routes stay thin over ``participation`` (proposals), ``creators`` (directory, privacy) and
``people_geo`` (councils and their figures). Public forms need no account but carry a CSRF
token, a honeypot field and a per-address rate limit; nothing a resident or a creator sends
is shown before a planner publishes it, and contact data are shown to planners only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user

from geo.export import table_bytes
from webmap.language import t
from webmap.map_builder import PROPOSALS_KEY
from webmap.report_routes import drop_reports
from webmap.store import MapStore
from webmap.workspace import creators, mail, participation, photos
from webmap.workspace.edits import EditRejected, RecordNotFound
from webmap.workspace.models import Proposal
from webmap.workspace.people_geo import council_context, people_geo, sector_names
from webmap.workspace.people_models import Creator
from webmap.workspace.views import _history_page, admin_required, planner_required
from webmap.workspace.web import current_workspace, limiter, workspace_of

log = logging.getLogger(__name__)
bp = Blueprint("people", __name__)

POST_LIMIT = "5 per minute;20 per hour"  # per address: proposals, registrations, messages
SUPPORT_LIMIT = "30 per minute"
SUPPORTS_REFRESH_S = 10.0  # a support shows on the map within this (Flask config overrides)
SUPPORTS_SHOWN_KEY = "culturamap_supports_shown"  # app.extensions: last refresh, timer due
_layer_lock = threading.Lock()
HONEYPOT = "website"  # a field people never see; bots fill every field
SUPPORTED = "apoyos"  # session key: the proposals this browser supported
MAX_REMEMBERED = 500
MAX_BODY = photos.MAX_BYTES + 64 * 1024  # a photo and the form around it


def _address_key() -> str:
    return f"{current_workspace().scope}|people|{request.remote_addr}"


def _store() -> MapStore:
    return current_app.extensions["culturamap"]


def _db() -> Any:
    return current_workspace().db


def _lang() -> str:
    return g.get("lang", "es")


def _texts(problems: list) -> list[str]:
    lang = _lang()
    return [p.problem_en if lang == "en" else p.problem_es for p in problems]


def _known() -> tuple[set[str], set[str]]:
    geo = people_geo(_store())
    return set(geo.names), set(sector_names(_store()))


def _options() -> dict[str, Any]:
    geo = people_geo(_store())
    return {"council_options": sorted(geo.names.items(), key=lambda kv: kv[1]),
            "sector_options": sorted(sector_names(_store()).items()),
            "categories": participation.CATEGORIES, "kinds": creators.KINDS,
            "disciplines": creators.DISCIPLINES, "answers": participation.ANSWERS,
            "max_text": participation.MAX_TEXT, "honeypot": HONEYPOT,
            "max_photo_mb": photos.MAX_BYTES // (1024 * 1024)}


# --- what the public sees ----------------------------------------------------------------


def public_proposal(p: Proposal, geo: Any) -> dict[str, Any]:
    """A published proposal as anyone may see it (no moderation notes)."""
    councils = participation.councils_of(p)
    point = (p.lon, p.lat) if p.lon is not None else (geo.points.get(councils[0])
                                                      if councils else None)
    return {"id": p.id, "text": p.text, "origin": p.origin, "category": p.category,
            "councils": councils, "council_names": [geo.names.get(c, c) for c in councils],
            "answer": p.answer, "answer_text": p.answer_text, "supports": p.supports,
            "photo": p.photo, "point": point}


def published_features(store: MapStore, db: Any) -> list[dict[str, Any]]:
    """GeoJSON features of the published proposals (their point, or their council's)."""
    geo = people_geo(store)
    with db.session() as s:
        rows = [public_proposal(p, geo) for p in participation.published(s)]
    features = []
    for row in rows:
        point = row.pop("point")
        if point is None:
            continue
        row.pop("photo")
        features.append({"type": "Feature", "id": row["id"], "properties": row,
                         "geometry": {"type": "Point", "coordinates": list(point)}})
    return features


def publication_changed(app: Any = None) -> None:
    """After a moderation step: the map's proposal layer again, the kept pages dropped
    (the map and /cerca render them) and the council reports (they list the proposals)."""
    app = app or current_app._get_current_object()
    _proposal_layer_changed(app)
    drop_reports(app)


def _proposal_layer_changed(app: Any) -> None:
    """The map's proposal layer read again and the pages that embed it dropped. One at a
    time: a refresh that read the database before a planner withdrew a proposal must not
    write its older layer after the planner's."""
    store = app.extensions["culturamap"]
    with _layer_lock:
        store.cache[PROPOSALS_KEY] = published_features(store, workspace_of(app).db)
        store.cache["pages"] = {}
        app.extensions[SUPPORTS_SHOWN_KEY]["last"] = time.monotonic()


def _supports_changed(app: Any) -> None:
    """After a support: the map's popups show the count, at most ``SUPPORTS_REFRESH_S``
    later. Why not at once: anyone can support (30 a minute per address) and each refresh
    makes the next map view draw its page again (about 0.25 s, benchmarks/results/
    people.txt); the reports do not show supports."""
    state = app.extensions[SUPPORTS_SHOWN_KEY]
    wait = state["last"] + app.config.get("SUPPORTS_REFRESH_S", SUPPORTS_REFRESH_S) \
        - time.monotonic()
    if wait <= 0:
        _proposal_layer_changed(app)
        return
    with _layer_lock:
        if state["timer"] is not None:  # a refresh is already due: it will count this one
            return
        timer = threading.Timer(wait, _due_refresh, args=(app,))
        timer.daemon = True
        state["timer"] = timer
    timer.start()


def _due_refresh(app: Any) -> None:
    """The refresh a support scheduled; a failure (the database gone away) is logged, and
    the next support or moderation step refreshes again."""
    app.extensions[SUPPORTS_SHOWN_KEY]["timer"] = None
    try:
        _proposal_layer_changed(app)
    except Exception:  # noqa: BLE001 - a background thread has no one to raise to
        log.exception("refreshing the map's proposals after a support failed")


def for_council(council: str | None) -> dict[str, Any] | None:
    """What /cerca shows for a chosen council: its published proposals and the creators
    who work in or near it (webmap.pages calls this)."""
    store = _store()
    geo = people_geo(store)
    if not council or council not in geo.names:
        return None
    with _db().session() as s:
        proposals = [public_proposal(p, geo) for p in participation.published(s)
                     if council in participation.councils_of(p)]
        near = [creators.public(c) for c in creators.near(s, council, geo.neighbours[council],
                                                          geo.sector_of)]
    return {"council": council, "council_name": geo.names[council], "proposals": proposals,
            "creators": near, "names": geo.names, "sectors": sector_names(store)}


@bp.after_app_request
def _after_workspace_edit(response: Response) -> Response:
    """A workspace edit may add, change or retire a workshop's proposal (or revert one):
    the map's proposal layer follows (a few milliseconds)."""
    if (request.method == "POST" and (request.endpoint or "").startswith("workspace.")
            and response.status_code < 400):
        publication_changed()
    return response


@bp.app_context_processor
def _people_nav() -> dict[str, Any]:
    return {"has_people": True}


@bp.errorhandler(429)
def _too_many(_exc: Exception) -> tuple[str, int]:
    return render_template("people/message.html", title=t("people.throttled.title"),
                           text=t("people.throttled.text")), 429


@bp.get("/participa")
def propose_form() -> str:
    return _propose_page()


def _propose_page(problems: list[str] | None = None, form: dict[str, Any] | None = None,
                  status: int = 200) -> Any:
    store = _store()
    geo = people_geo(store)
    with _db().session() as s:
        listed = [public_proposal(p, geo) for p in participation.published(s)]
    outline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"], "properties": {"id": f["id"]}}
        for f in json.loads(store.councils[["id", "geometry"]].to_json())["features"]]}
    map_data = {"councils": outline, "home": list(store.home),
                "proposals": [p for p in listed if p["point"]]}
    return render_template("people/propose.html", problems=problems or [], form=form or {},
                           proposals=listed, map_data=map_data, **_options()), status


def _honeypot_filled() -> bool:
    return bool((request.form.get(HONEYPOT) or "").strip())


@bp.post("/participa")
@limiter.limit(POST_LIMIT, key_func=_address_key)
def propose() -> Any:
    if request.content_length and request.content_length > MAX_BODY:
        e = photos.PhotoError(f"la foto pesa más de {photos.MAX_BYTES // (1024 * 1024)} MB",
                              f"the photo is larger than {photos.MAX_BYTES // (1024 * 1024)} MB")
        return _propose_page([e.en if _lang() == "en" else e.es], None, 413)
    form = request.form.to_dict()
    if _honeypot_filled():  # a bot: looks like success, nothing stored
        return render_template("people/message.html", title=t("people.thanks.title"),
                               text=t("people.thanks.text")), 201
    data_dir = current_workspace().settings.data_dir
    photo_name = None
    upload = request.files.get("photo")
    try:
        if upload is not None and upload.filename:
            photo_name = photos.store_photo(data_dir, upload.read(photos.MAX_BYTES + 1))
        geo = people_geo(_store())
        with _db().session() as s:
            participation.submit(s, form, set(geo.names), geo.council_at, photo_name)
    except photos.PhotoError as exc:
        return _propose_page([exc.en if _lang() == "en" else exc.es], form, 400)
    except EditRejected as exc:
        if photo_name:
            (Path(data_dir) / photos.FOLDER / photo_name).unlink(missing_ok=True)
        return _propose_page(_texts(exc.problems), form, 400)
    return render_template("people/message.html", title=t("people.thanks.title"),
                           text=t("people.thanks.text")), 201


@bp.get("/participa/propuestas/<int:proposal_id>")
def proposal_page(proposal_id: int) -> str:
    geo = people_geo(_store())
    with _db().session() as s:
        p = s.get(Proposal, proposal_id)
        if p is None or p.retired or p.moderation != participation.PUBLISHED:
            abort(404)
        shown = public_proposal(p, geo)
    supported = proposal_id in session.get(SUPPORTED, [])
    return render_template("people/proposal.html", p=shown, supported=supported)


@bp.post("/participa/propuestas/<int:proposal_id>/apoyo")
@limiter.limit(SUPPORT_LIMIT, key_func=_address_key)
def support(proposal_id: int) -> Any:
    """Once per browser (the signed session cookie remembers it): a signal, not a vote."""
    done = list(session.get(SUPPORTED, []))
    if proposal_id not in done:
        try:
            with _db().session() as s:
                participation.support(s, proposal_id)
        except RecordNotFound:
            abort(404)
        session[SUPPORTED] = [*done, proposal_id][-MAX_REMEMBERED:]
        _supports_changed(current_app._get_current_object())
    return redirect(url_for("people.proposal_page", proposal_id=proposal_id))


@bp.get("/participa/propuestas.geojson")
def proposals_geojson() -> Response:
    """The published proposals, open data (what the map shows)."""
    features = published_features(_store(), _db())
    return Response(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), mimetype="application/geo+json")


@bp.get("/participa/fotos/<name>")
def photo(name: str) -> Response:
    """A photo of a published proposal (planners also see those waiting)."""
    with _db().session() as s:
        p = s.query(Proposal).filter(Proposal.photo == name).one_or_none()
        visible = p is not None and not p.retired and (
            p.moderation == participation.PUBLISHED or _is_planner())
    path = photos.photo_path(current_workspace().settings.data_dir, name) if visible else None
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=3600)


def _is_planner() -> bool:
    return bool(current_user.is_authenticated and current_user.role in ("planner", "admin"))


@bp.get("/creadores")
def directory() -> str:
    discipline = request.args.get("disciplina") or None
    council = request.args.get("junta") or None
    with _db().session() as s:
        listed = [creators.public(c) for c in creators.directory(s, discipline, council)]
    geo = people_geo(_store())
    return render_template("people/directory.html", creators_list=listed, names=geo.names,
                           sectors=sector_names(_store()), chosen_discipline=discipline,
                           chosen_council=council, planner=False, **_options())


@bp.route("/creadores/registro", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, key_func=_address_key, methods=["POST"])
def register() -> Any:
    if request.method == "GET":
        return render_template("people/register.html", problems=[], form={}, **_options())
    if _honeypot_filled():
        return render_template("people/message.html", title=t("people.thanks.title"),
                               text=t("people.register.thanks")), 201
    data = {k: (v if k in ("disciplines", "councils", "sectors") else v[0])
            for k, v in request.form.lists()}
    councils, sectors = _known()
    try:
        with _db().session() as s:
            creators.register(s, None, data, councils, sectors)
    except EditRejected as exc:
        return render_template("people/register.html", problems=_texts(exc.problems),
                               form=data, **_options()), 400
    return render_template("people/message.html", title=t("people.thanks.title"),
                           text=t("people.register.thanks")), 201


@bp.route("/creadores/<int:creator_id>/contacto", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, key_func=_address_key, methods=["POST"])
def contact(creator_id: int) -> Any:
    """A message to a creator, relayed by the service (their contact is never shown)."""
    with _db().session() as s:
        c = s.get(Creator, creator_id)
        if c is None or c.moderation != creators.PUBLISHED:
            abort(404)
        shown = creators.public(c)
    if request.method == "GET":
        return render_template("people/contact.html", c=shown, problems=[], form={},
                               honeypot=HONEYPOT)
    if _honeypot_filled():
        return render_template("people/message.html", title=t("people.thanks.title"),
                               text=t("people.contact.thanks")), 201
    try:
        with _db().session() as s:
            message = creators.send_message(s, creator_id, request.form.get("text", ""),
                                            request.form.get("reply_to", ""))
            pending = (message.id, message.text, message.reply_to)
            to, name = s.get(Creator, creator_id).contact_email, shown["name"]
    except EditRejected as exc:
        return render_template("people/contact.html", c=shown, problems=_texts(exc.problems),
                               form=request.form.to_dict(), honeypot=HONEYPOT), 400
    _relay_by_mail(pending, to, name)
    return render_template("people/message.html", title=t("people.thanks.title"),
                           text=t("people.contact.thanks")), 201


def _relay_by_mail(pending: tuple[int, str, str], to: str | None, name: str) -> None:
    """Send the stored message on when a mail server is configured and the creator left an
    e-mail; otherwise, or if the server fails, it waits in the moderation page."""
    settings = current_workspace().settings
    if not settings.smtp_url or not to:
        return
    message_id, text, reply_to = pending
    try:
        mail.relay_message(settings, to, reply_to, name, text)
    except mail.RelayError as exc:
        log.warning("mensaje n.º %s queda para un planificador / kept for a planner: %s",
                    message_id, exc)
        return
    with _db().session() as s:
        creators.relayed_by_mail(s, message_id)


@bp.get("/privacidad")
@bp.get("/privacy")
def privacy() -> str:
    return render_template("people/privacy.html")


# --- planners: moderation, figures by council, exports -----------------------------------


def _moderation_context(problems: list[str] | None = None) -> dict[str, Any]:
    store = _store()
    geo = people_geo(store)
    discipline = request.args.get("disciplina") or None
    council = request.args.get("junta") or None
    with _db().session() as s:
        waiting = participation.queue(s)
        shown = participation.published(s)
        pending_creators = [c for c in creators.directory(s, only_published=False)
                            if c.moderation == creators.PENDING]
        listed = creators.directory(s, discipline, council)
        messages = creators.pending_messages(s)
        creator_names = {c.id: c.name for c in creators.directory(s, only_published=False)}
        creator_held = {c.id: creators.held(c) for c in pending_creators}
    context = council_context(store)
    per_council: dict[str, dict[str, int]] = {}
    for p in [*waiting, *shown]:
        for cid in participation.councils_of(p):
            row = per_council.setdefault(cid, {"published": 0, "waiting": 0, "supports": 0,
                                               "vecinos": 0, "taller": 0})
            if p.moderation == participation.PUBLISHED:
                row["published"] += 1
                row["supports"] += p.supports
                row[p.origin] = row.get(p.origin, 0) + 1
            else:
                row["waiting"] += 1
    by_council = [{**context[c], **per_council.get(c, {})} for c in sorted(context)]
    return {"waiting": waiting, "published": shown, "pending_creators": pending_creators,
            "creators_list": listed, "messages": messages, "creator_names": creator_names,
            "creator_held": creator_held,
            "by_council": by_council, "names": geo.names, "sectors": sector_names(store),
            "threshold": f"{store.threshold_min:g}", "problems": problems or [],
            "chosen_discipline": discipline, "chosen_council": council, **_options()}


@bp.get("/planificar/participacion")
@planner_required
def moderation() -> str:
    return render_template("people/moderation.html", **_moderation_context())


def _moderate(action: Callable[[Any], Any], published_change: bool = True) -> Any:
    try:
        with _db().session() as s:
            action(s)
    except EditRejected as exc:
        return render_template("people/moderation.html",
                               **_moderation_context(_texts(exc.problems))), 400
    except RecordNotFound:
        abort(404)
    if published_change:
        publication_changed()
    return redirect(url_for("people.moderation"))


@bp.post("/planificar/participacion/<int:proposal_id>/<any(aprobar, rechazar):action>")
@planner_required
def decide(proposal_id: int, action: str) -> Any:
    if action == "aprobar":
        return _moderate(lambda s: participation.approve(s, current_user, proposal_id))
    with _db().session() as s:
        record = s.get(Proposal, proposal_id)
        photo_name = record.photo if record is not None else None
    answer = _moderate(lambda s: participation.reject(s, current_user, proposal_id))
    if photo_name and answer.status_code == 302:  # rejected: its photo is not kept
        path = photos.photo_path(current_workspace().settings.data_dir, photo_name)
        if path is not None:
            path.unlink(missing_ok=True)
    return answer


@bp.post("/planificar/participacion/<int:proposal_id>/fusionar")
@planner_required
def merge(proposal_id: int) -> Any:
    into = request.form.get("into")
    return _moderate(lambda s: participation.merge(s, current_user, proposal_id, into))


@bp.post("/planificar/participacion/<int:proposal_id>/responder")
@planner_required
def answer(proposal_id: int) -> Any:
    status, text = request.form.get("answer", ""), request.form.get("answer_text", "")
    return _moderate(lambda s: participation.answer(s, current_user, proposal_id, status, text))


@bp.get("/planificar/participacion/<int:proposal_id>/historial")
@planner_required
def proposal_history(proposal_id: int) -> str:
    return _history_page(Proposal, proposal_id, lambda p: p.text[:80])


@bp.post("/planificar/creadores")
@planner_required
def add_creator() -> Any:
    data = {k: (v if k in ("disciplines", "councils", "sectors") else v[0])
            for k, v in request.form.lists()}
    councils, sectors = _known()
    return _moderate(lambda s: creators.register(s, current_user, data, councils, sectors))


@bp.post("/planificar/creadores/<int:creator_id>/<any(aprobar, rechazar):action>")
@planner_required
def decide_creator(creator_id: int, action: str) -> Any:
    return _moderate(lambda s: creators.moderate(s, current_user, creator_id,
                                                 action == "aprobar"))


@bp.post("/planificar/mensajes/<int:message_id>/reenviado")
@planner_required
def relayed(message_id: int) -> Any:
    return _moderate(lambda s: creators.mark_relayed(s, current_user, message_id), False)


EXPORT_COLUMNS = ("council_id", "council_name", "share_within_threshold", "mean_time_min",
                  "main_gse", "proposal_id", "origin", "category", "text", "answer",
                  "answer_text", "supports", "lon", "lat")


def _export_rows(council: str | None) -> list[dict[str, Any]]:
    store = _store()
    context = council_context(store)
    geo = people_geo(store)
    with _db().session() as s:
        rows = []
        for p in participation.published(s):
            shown = public_proposal(p, geo)
            for cid in shown["councils"]:
                if council and cid != council:
                    continue
                figures = context.get(cid, {})
                point = shown["point"] or (None, None)
                rows.append({"council_id": cid, "council_name": geo.names.get(cid, cid),
                             "share_within_threshold": figures.get("share"),
                             "mean_time_min": figures.get("mean_time_min"),
                             "main_gse": figures.get("main_gse"), "proposal_id": p.id,
                             "origin": p.origin, "category": p.category, "text": p.text,
                             "answer": p.answer, "answer_text": p.answer_text,
                             "supports": p.supports, "lon": point[0], "lat": point[1]})
    return sorted(rows, key=lambda r: (r["council_id"], -r["supports"], r["proposal_id"]))


@bp.get("/planificar/participacion/propuestas.<any(csv, geojson):fmt>")
@planner_required
def export(fmt: str) -> Response:
    """Published proposals, one row per council they name, beside that council's access
    figures and main GSE class (``?junta=`` for one council, to go with its report)."""
    council = request.args.get("junta") or None
    rows = _export_rows(council)
    name = f"propuestas-{council}" if council else "propuestas"
    if fmt == "csv":  # residents' texts: never run as a spreadsheet formula
        table = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
        response = Response(table_bytes(table, "csv"), mimetype="text/csv")
    else:
        features = [{"type": "Feature", "properties": r, "geometry": None if r["lon"] is None
                     else {"type": "Point", "coordinates": [r["lon"], r["lat"]]}}
                    for r in rows]
        response = Response(json.dumps({"type": "FeatureCollection", "features": features},
                                       ensure_ascii=False), mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- privacy requests (admin) ------------------------------------------------------------


def _person() -> tuple[int | None, str | None]:
    raw_id = (request.values.get("creator_id") or "").strip()
    email = (request.values.get("email") or "").strip() or None
    if raw_id and not raw_id.isdigit():
        abort(400)
    if not raw_id and not email:
        abort(400)
    return (int(raw_id) if raw_id else None), email


@bp.get("/planificar/privacidad")
@admin_required
def privacy_requests() -> str:
    return render_template("people/privacy_admin.html", result=None)


@bp.post("/planificar/privacidad/exportar")
@admin_required
def export_person() -> Response:
    creator_id, email = _person()
    with _db().session() as s:
        data = creators.export_person(s, creator_id, email)
    response = jsonify(data)
    response.headers["Content-Disposition"] = 'attachment; filename="datos-persona.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/planificar/privacidad/borrar")
@admin_required
def delete_person() -> Any:
    creator_id, email = _person()
    try:
        with _db().session() as s:
            counts = creators.delete_person(s, current_user, creator_id, email)
    except RecordNotFound:
        return render_template("people/privacy_admin.html", result={"none": True}), 404
    publication_changed()
    return render_template("people/privacy_admin.html", result=counts)


def init_app(app: Any) -> None:
    """Register the blueprint and fill the map's proposal layer from the database."""
    app.register_blueprint(bp)
    app.extensions["culturamap_people"] = for_council
    app.extensions[SUPPORTS_SHOWN_KEY] = {"last": float("-inf"), "timer": None}
    with app.app_context():
        publication_changed(app)
