"""Pages and JSON of the workspace: sign-in, the planning page, edits, history, revert.

Routes stay thin: each parses the request, calls ``webmap.workspace.edits`` inside one
transaction, then rebuilds the served map (``refresh``). The same routes answer HTML forms
(redirect back, or the page with the problems) and JSON (``Content-Type:
application/json``, CSRF token in the X-CSRFToken header).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

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
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from geo.layer_errors import LayerError
from geo.schema import categories
from webmap.geometry import rounded_geojson
from webmap.language import t
from webmap.workspace import auth, edits, juntas, workshop_edits
from webmap.workspace.auth import authenticate
from webmap.workspace.forms import LoginForm
from webmap.workspace.frames import inventory_layers
from webmap.workspace.history import KIND_OF, history_of, snapshot, user_names
from webmap.workspace.models import ROLES, Junta, Proposal, Venue, VenueToLocate, Workshop
from webmap.workspace.record_imports import IMPORTERS
from webmap.workspace.refresh import refresh
from webmap.workspace.web import (
    LOGIN_LIMIT,
    LOGIN_LIMIT_ADDRESS,
    current_workspace,
    limiter,
    wants_json,
)

bp = Blueprint("workspace", __name__)


def _address_key() -> str:
    return f"{current_workspace().scope}|{request.remote_addr}"


def _login_key() -> str:
    name = (request.form.get("name") or "").strip().lower()[:80]
    return f"{current_workspace().scope}|{request.remote_addr}|{name}"


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //other.site or http://...)."""
    if target and target.startswith("/") and not target.startswith("//") and \
            not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("workspace.plan")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"has_workspace": True}


@bp.route("/entrar", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, key_func=_login_key, methods=["POST"])
@limiter.limit(LOGIN_LIMIT_ADDRESS, key_func=_address_key, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        with current_workspace().db.session() as session:
            user = authenticate(session, form.name.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    status = 401 if failed else (400 if request.method == "POST" else 200)
    return render_template("workspace/login.html", form=form, failed=failed), status


@bp.post("/salir")
def logout() -> Response:
    logout_user()
    return redirect(url_for("pages.index"))


def planner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in as a planner or an admin."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in ("planner", "admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _data() -> dict[str, Any]:
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    # repeated fields (the councils of a workshop or a proposal) keep all their values
    return {k: (v if k == "councils" else v[0]) for k, v in request.form.lists()}


def _problem_texts(problems: list, where: bool = False) -> list[str]:
    """The problems in the page's language; ``where``: with their place (file, row, id)."""
    lang = g.get("lang", "es")
    out = []
    for p in problems:
        text = p.problem_en if lang == "en" else p.problem_es
        hint = p.hint_en if lang == "en" else p.hint_es
        line = f"{text}. {hint}" if hint else text
        place = f"{p.path.name if p.path else ''} {p.where}".strip() if where else ""
        out.append(f"{place}: {line}" if place else line)
    return out


def _store() -> Any:
    return current_app.extensions["culturamap"]


def _plan_context(problems: list[str] | None = None, form: dict[str, Any] | None = None,
                  ) -> dict[str, Any]:
    ws = current_workspace()
    with ws.db.session() as session:
        venues = list(session.scalars(select(Venue).where(Venue.retired.is_(False))
                                      .order_by(Venue.id)))
        places = list(session.scalars(select(VenueToLocate)
                                      .where(VenueToLocate.placed_venue_id.is_(None))
                                      .order_by(VenueToLocate.id)))
        workshops = list(session.scalars(select(Workshop).where(Workshop.retired.is_(False))
                                         .order_by(Workshop.date.desc(), Workshop.id)))
        proposals = workshop_edits.proposals_by_workshop(session)
        partner_list = juntas.juntas(session)
    store = _store()
    councils = store.councils.sort_values("id")
    figures = [{"id": str(r["id"]), "name": str(r["name"]),
                "share": r.get(store.share_column), "mean": r.get("mean_time_min")}
               for _, r in councils.iterrows()]
    outline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": rounded_geojson(geom, 5), "properties": {"id": cid}}
        for cid, geom in zip(store.layers.councils["id"], store.layers.councils.geometry,
                             strict=True)]}
    return {
        "venues": venues,
        "places": places,
        "workshops": workshops,
        "juntas": partner_list,
        "venue_names": {v.id: v.name for v in venues},
        "proposals": proposals,
        "council_options": [(f["id"], f["name"]) for f in figures],
        "figures": figures,
        "threshold": f"{store.threshold_min:g}",
        "category_options": [(c.id, c.label(g.get("lang", "es"))) for c in categories()],
        "problems": problems or [],
        "form": form or {},
        "map_data": {
            "councils": outline,
            "venues": [{"id": v.id, "name": v.name, "lon": v.lon, "lat": v.lat}
                       for v in venues],
            "home": list(store.home),
        },
    }


@bp.get("/planificar")
@planner_required
def plan() -> str:
    return render_template("workspace/plan.html", **_plan_context())


def _done(record: Any, status: int = 200) -> Response:
    """Rebuild the served map, then answer: the saved record (JSON) or back to the page."""
    refreshed = refresh(current_app._get_current_object(), current_workspace().db)
    kind = KIND_OF[type(record)]
    if wants_json():
        response = jsonify({kind: record_data(record),
                            "refresh_seconds": round(refreshed.figures_s, 3)})
        response.status_code = status
        return response
    anchor = f"workshop-{record.workshop_id}" if kind == "proposal" else f"{kind}-{record.id}"
    return redirect(url_for("workspace.plan", _anchor=anchor))


def record_data(record: Any) -> dict[str, Any]:
    return snapshot(record)


def _check_inventory(session: Any) -> None:
    """The whole inventory after the change must still load (e.g. no workshop may point at a
    retired venue); otherwise the change is refused and rolled back, so that the map can
    always be rebuilt from the database."""
    store = _store()
    try:
        inventory_layers(store.layers, session, store.settings.data_dir)
    except LayerError as exc:
        raise edits.EditRejected(exc.problems) from None


def _edit(action: Callable[[Any], Any], created: bool | None = None) -> Any:
    """Run one edit in one transaction; problems -> 400, stale version -> 409; 201 when
    ``created`` (None: the add routes of this blueprint), else 200."""
    try:
        with current_workspace().db.session() as session:
            record = action(session)
            _check_inventory(session)
    except edits.EditRejected as exc:
        texts = _problem_texts(exc.problems)
        if wants_json():
            return jsonify({"error": "invalid_input", "problems": texts}), 400
        return render_template("workspace/plan.html",
                               **_plan_context(texts, _data())), 400
    except edits.EditConflict as exc:
        if wants_json():
            return jsonify({"error": "conflict", "detail": t("workspace.conflict"),
                            "current": exc.current, "submitted": exc.submitted}), 409
        return render_template("workspace/conflict.html", conflict=exc), 409
    except edits.RecordNotFound:
        abort(404)
    if created is None:
        created = request.endpoint in ("workspace.add_venue", "workspace.add_workshop",
                                       "workspace.add_proposal", "workspace.add_junta")
    return _done(record, 201 if created else 200)


def _with_data(function: Callable[..., Any], *ids: Any, version: bool = False,
               councils: bool = False) -> Any:
    """One edit: ``function(session, user, *ids[, version], data[, known councils])``."""
    data = _data()
    args = [*ids, *([data.get("version")] if version else []), data,
            *([_known_councils()] if councils else [])]
    return _edit(lambda s: function(s, current_user, *args))


def _retire(function: Callable[..., Any], record_id: Any) -> Any:
    """One retirement: ``function(session, user, record_id, version)``."""
    version = _data().get("version")
    return _edit(lambda s: function(s, current_user, record_id, version))


@bp.post("/planificar/espacios")
@planner_required
def add_venue() -> Any:
    return _with_data(edits.add_venue)


@bp.post("/planificar/espacios/<venue_id>")
@planner_required
def edit_venue(venue_id: str) -> Any:
    return _with_data(edits.edit_venue, venue_id, version=True)


@bp.post("/planificar/espacios/<venue_id>/retirar")
@planner_required
def retire_venue(venue_id: str) -> Any:
    return _retire(edits.retire_venue, venue_id)


@bp.post("/planificar/por-ubicar/<place_id>/ubicar")
@planner_required
def place_venue(place_id: str) -> Any:
    data = _data()
    coords = {k: data.get(k) for k in ("lon", "lat", "capacity")}
    return _edit(lambda s: edits.place_venue(s, current_user, place_id, data.get("version"),
                                             coords))


def _history_page(model: type, record_id: Any, title: Callable[[Any], str] | None = None,
                  revert_endpoint: str = "workspace.revert") -> str:
    """A record's changes, newest first; an admin can revert one from here."""
    with current_workspace().db.session() as session:
        record = session.get(model, record_id)
        if record is None:
            abort(404)
        changes = history_of(session, KIND_OF[model], str(record_id))
        names = user_names(session)
        heading = title(record) if title is not None else None
    return render_template("workspace/history.html", venue=record, changes=changes,
                           names=names, title=heading, revert_endpoint=revert_endpoint)


@bp.get("/planificar/espacios/<venue_id>/historial")
@planner_required
def history(venue_id: str) -> str:
    return _history_page(Venue, venue_id)


@bp.post("/planificar/cambios/<int:change_id>/revertir")
@admin_required
def revert(change_id: int) -> Any:
    def action(session: Any) -> Any:
        change = edits.revert(session, current_user, change_id)
        return edits.record_of(session, change)

    return _edit(action)


# --- workshops and proposals -------------------------------------------------------------


def _known_councils() -> set[str]:
    return set(map(str, _store().layers.councils["id"]))


@bp.post("/planificar/talleres")
@planner_required
def add_workshop() -> Any:
    return _with_data(workshop_edits.add_workshop)


@bp.post("/planificar/talleres/<workshop_id>")
@planner_required
def edit_workshop(workshop_id: str) -> Any:
    return _with_data(workshop_edits.edit_workshop, workshop_id, version=True)


@bp.post("/planificar/talleres/<workshop_id>/retirar")
@planner_required
def retire_workshop(workshop_id: str) -> Any:
    return _retire(workshop_edits.retire_workshop, workshop_id)


@bp.post("/planificar/talleres/<workshop_id>/propuestas")
@planner_required
def add_proposal(workshop_id: str) -> Any:
    return _with_data(workshop_edits.add_proposal, workshop_id, councils=True)


@bp.get("/planificar/talleres/<workshop_id>/historial")
@planner_required
def workshop_history(workshop_id: str) -> str:
    return _history_page(Workshop, workshop_id, lambda w: w.title)


@bp.post("/planificar/juntas")
@planner_required
def add_junta() -> Any:
    return _with_data(juntas.add_junta, councils=True)


@bp.post("/planificar/juntas/<int:junta_id>")
@planner_required
def edit_junta(junta_id: int) -> Any:
    return _with_data(juntas.edit_junta, junta_id, version=True, councils=True)


@bp.post("/planificar/juntas/<int:junta_id>/retirar")
@planner_required
def retire_junta(junta_id: int) -> Any:
    return _retire(juntas.retire_junta, junta_id)


@bp.post("/planificar/propuestas/<int:proposal_id>")
@planner_required
def edit_proposal(proposal_id: int) -> Any:
    return _with_data(workshop_edits.edit_proposal, proposal_id, version=True,
                      councils=True)


@bp.post("/planificar/propuestas/<int:proposal_id>/retirar")
@planner_required
def retire_proposal(proposal_id: int) -> Any:
    return _retire(workshop_edits.retire_proposal, proposal_id)


@bp.get("/planificar/<any(juntas, propuestas):kind>/<int:record_id>/historial")
@planner_required
def record_history(kind: str, record_id: int) -> str:
    """History of a junta or a proposal; an admin can revert a change from here."""
    if kind == "juntas":
        return _history_page(Junta, record_id, lambda j: j.name)
    return _history_page(Proposal, record_id, lambda p: p.text[:80])


# --- accounts (admin) ---------------------------------------------------------------------


@bp.route("/planificar/cuentas", methods=["GET", "POST"])
@admin_required
def accounts() -> Any:
    """Admins list, create, disable and enable accounts and reset passwords (the first
    admin comes from the command line: culturamap users add)."""
    problem = None
    status = 200
    if request.method == "POST":
        data = request.form
        try:
            with current_workspace().db.session() as session:
                if data.get("action") == "add":
                    auth.add_user(session, data.get("name", ""), data.get("password", ""),
                                  data.get("role", ""))
                elif data.get("action") in ("disable", "enable", "password"):
                    user_id = data.get("user_id", "")
                    if not user_id.isdigit():
                        abort(400)
                    if data.get("action") == "password":  # an admin's reset
                        auth.set_password(session, int(user_id), data.get("password", ""))
                    else:
                        auth.set_active(session, current_user, int(user_id),
                                        data.get("action") == "enable")
                else:
                    abort(400)
        except auth.AccountError as exc:
            problem, status = str(exc), 400
        else:
            return redirect(url_for("workspace.accounts"))
    with current_workspace().db.session() as session:
        people = auth.users(session)
    return render_template("workspace/accounts.html", people=people, problem=problem,
                           roles=ROLES), status


# --- import ----------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _upload() -> tuple[str, bytes]:
    """The uploaded file, or the one carried by the preview's confirm form (base64)."""
    import base64
    import binascii

    if request.content_length and request.content_length > MAX_IMPORT_BYTES * 2:
        abort(413)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        content = upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            abort(413)
        return upload.filename, content
    try:
        return request.form.get("filename", ""), base64.b64decode(
            request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)


@bp.route("/planificar/importar", methods=["GET", "POST"])
@planner_required
def import_venues() -> Any:
    """GET: the upload form. POST step=preview: every row and its problems, nothing
    written. POST step=apply: checked again, then everything or nothing."""
    import base64

    if request.method == "GET":
        return render_template("workspace/import.html", preview=None)
    filename, content = _upload()
    layer = request.form.get("layer") or "venues"
    if layer not in IMPORTERS:
        abort(400)
    check, apply = IMPORTERS[layer]
    ws = current_workspace()
    with ws.db.session() as session:
        result = check(session, filename, content, _known_councils())
    texts = _problem_texts(result.problems, where=True)
    carried = base64.b64encode(content).decode("ascii")
    if request.form.get("step") != "apply" or not result.ok:
        status = 200 if result.ok or request.form.get("step") != "apply" else 400
        return render_template("workspace/import.html", preview=result, problems=texts,
                               content=carried), status
    try:
        with ws.db.session() as session:
            count = apply(session, current_user, result.checked)
            _check_inventory(session)
    except edits.EditRejected as exc:
        return render_template("workspace/import.html", preview=result, content=carried,
                               problems=_problem_texts(exc.problems, where=True)), 400
    refresh(current_app._get_current_object(), ws.db)
    return render_template("workspace/import.html", preview=None, imported=count,
                           layer=layer)
