"""The agenda in the planner workspace: list, add, edit, cancel, history and import of
activities (issue 14).

Thin like ``webmap.workspace.views``: each route reads the request, calls
``webmap.workspace.activities`` (or ``agenda_import``) in one transaction, and then tells the
public side that the agenda changed (``webmap.agenda_data.invalidate``). Forms carry the
CSRF token; the JSON API the X-CSRFToken header.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from geo.agenda import AUDIENCES
from webmap import agenda_data
from webmap.language import t
from webmap.workspace import activities, agenda_import, edits
from webmap.workspace.agenda_models import Activity
from webmap.workspace.edits import EditConflict, EditRejected, RecordNotFound
from webmap.workspace.history import snapshot
from webmap.workspace.models import Venue
from webmap.workspace.views import (
    _data,
    _history_page,
    _problem_texts,
    _upload,
    admin_required,
    planner_required,
)
from webmap.workspace.web import current_workspace, wants_json

bp = Blueprint("agenda_ws", __name__)


def _context(problems: list[str] | None = None, form: dict[str, Any] | None = None,
             ) -> dict[str, Any]:
    with current_workspace().db.session() as session:
        rows = activities.all_activities(session, include_cancelled=True)
        venues = list(session.scalars(select(Venue).where(Venue.retired.is_(False))
                                      .order_by(Venue.name)))
        venue_options = [(v.id, v.name) for v in venues]
    return {"activities": rows, "venue_options": venue_options, "audiences": AUDIENCES,
            "problems": problems or [], "form": form or {"audience": "all"},
            "local": _local}


def _local(value: Any) -> str:
    from geo.agenda import SANTIAGO, aware_utc

    return aware_utc(value).astimezone(SANTIAGO).strftime("%Y-%m-%d %H:%M")


@bp.get("/planificar/actividades")
@planner_required
def index() -> str:
    return render_template("workspace/activities.html", **_context())


def _save(action: Callable[[Any], Activity], status: int, template_form: dict[str, Any],
          ) -> Any:
    """One change in one transaction; problems -> 400, stale version -> 409."""
    try:
        with current_workspace().db.session() as session:
            activity = action(session)
            saved = snapshot(activity)
    except EditRejected as exc:
        texts = _problem_texts(exc.problems)
        if wants_json():
            return jsonify({"error": "invalid_input", "problems": texts}), 400
        return render_template("workspace/activities.html",
                               **_context(texts, template_form)), 400
    except EditConflict as exc:
        if wants_json():
            return jsonify({"error": "conflict", "detail": t("workspace.conflict"),
                            "current": exc.current, "submitted": exc.submitted}), 409
        return render_template("workspace/conflict.html", conflict=exc), 409
    except RecordNotFound:
        abort(404)
    agenda_data.invalidate(current_app._get_current_object())
    if wants_json():
        return jsonify({"activity": saved}), status
    return redirect(url_for("agenda_ws.index", _anchor=f"activity-{saved['id']}"))


@bp.post("/planificar/actividades")
@planner_required
def add() -> Any:
    data = _data()
    return _save(lambda s: activities.add_activity(s, current_user, data), 201, data)


@bp.get("/planificar/actividades/<int:activity_id>")
@planner_required
def edit_form(activity_id: int) -> str:
    with current_workspace().db.session() as session:
        activity = session.get(Activity, activity_id)
        if activity is None:
            abort(404)
        values = activities.form_values(activity)
        cancelled = activity.cancelled
    context = _context(form=values)
    return render_template("workspace/activity_edit.html", activity_id=activity_id,
                           cancelled=cancelled, **context)


@bp.post("/planificar/actividades/<int:activity_id>")
@planner_required
def edit(activity_id: int) -> Any:
    data = _data()
    return _save(lambda s: activities.edit_activity(s, current_user, activity_id,
                                                    data.get("version"), data), 200, data)


@bp.post("/planificar/actividades/<int:activity_id>/cancelar")
@planner_required
def cancel(activity_id: int) -> Any:
    data = _data()
    return _save(lambda s: activities.cancel_activity(s, current_user, activity_id,
                                                      data.get("version")), 200, {})


@bp.get("/planificar/actividades/<int:activity_id>/historial")
@planner_required
def history(activity_id: int) -> str:
    return _history_page(Activity, activity_id, lambda a: a.title,
                         revert_endpoint="agenda_ws.revert")


@bp.post("/planificar/actividades/cambios/<int:change_id>/revertir")
@admin_required
def revert(change_id: int) -> Any:
    """An admin puts an activity back as it was before one change (a new history row)."""
    def action(session: Any) -> Activity:
        change = edits.revert(session, current_user, change_id, kinds=("activity",))
        return edits.record_of(session, change)

    return _save(action, 200, {})


@bp.route("/planificar/actividades/importar", methods=["GET", "POST"])
@planner_required
def import_file() -> Any:
    """GET: the form. POST step=preview: every problem, nothing written. POST step=apply:
    checked again, then the whole file in one transaction or nothing."""
    if request.method == "GET":
        return render_template("workspace/activity_import.html", preview=None)
    filename, content = _upload()
    ws = current_workspace()
    with ws.db.session() as session:
        result = agenda_import.preview(session, filename, content)
    texts = _problem_texts(result.problems, where=True)
    carried = base64.b64encode(content).decode("ascii")
    applying = request.form.get("step") == "apply"
    if not applying or not result.ok:
        status = 400 if result.problems else 200
        return render_template("workspace/activity_import.html", preview=result,
                               problems=texts, content=carried), status
    try:
        with ws.db.session() as session:
            count = agenda_import.apply(session, current_user, result.records)
    except (EditRejected, EditConflict) as exc:
        problems = getattr(exc, "problems", None)
        texts = _problem_texts(problems, where=True) if problems else [str(exc)]
        return render_template("workspace/activity_import.html", preview=result,
                               problems=texts, content=carried), 400
    agenda_data.invalidate(current_app._get_current_object())
    return render_template("workspace/activity_import.html", preview=None, imported=count)


def _equity_month() -> tuple[str, Any]:
    """The ``mes`` asked for (YYYY-MM; this month in Coquimbo by default); 400 otherwise."""
    import datetime as dt

    raw = request.args.get("mes") or agenda_data.local_today().strftime("%Y-%m")
    try:
        return raw, dt.datetime.strptime(raw, "%Y-%m")
    except ValueError:
        abort(400)


def _equity_figures(month: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The month's activity figures (``geo.agenda.activity_equity``), the council names
    and each council's share of residents within reach of a venue (the gaps)."""
    from geo.access import points_xy
    from geo.agenda import activity_equity, month_window
    from geo.equity import GSE_ORDER, block_table

    store = current_app.extensions["culturamap"]
    access = store.study.access
    table = block_table(access, store.layers, None)
    xy = points_xy(access.demand)  # metres (EPSG:32719), as the access figures walk
    figures = activity_equity(
        store.travel, xy, table["residents"].to_numpy(), table["council_id"].tolist(),
        table["gse"].tolist(), GSE_ORDER, [r.item for r in agenda_data.records()],
        *month_window(month.year, month.month), store.threshold_min)
    names = dict(zip(store.layers.councils["id"].astype(str), store.layers.councils["name"],
                     strict=True))
    shares = {str(r["id"]): r.get(store.share_column) for _, r in store.councils.iterrows()}
    return figures, names, shares


@bp.get("/planificar/actividades/equidad")
@planner_required
def equity() -> Any:
    """Where the month's activities went: sessions within reach per 10,000 residents, per
    council and per socio-economic group (``geo.agenda.activity_equity``), beside each
    council's share of residents within reach of a cultural venue (the gaps)."""
    from webmap.report_format import format_number, format_percent

    raw, month = _equity_month()
    figures, names, shares = _equity_figures(month)
    store = current_app.extensions["culturamap"]
    lang = g.get("lang", "es")

    def row(label: str, f: dict[str, Any], share: Any = None) -> dict[str, Any]:
        return {"label": label, "residents": format_number(f["residents"], lang),
                "activities": f["activities"], "sessions": f["sessions"],
                "per_10k": format_number(f["per_10k"], lang, 1),
                "mean": format_number(f["mean_per_resident"], lang, 2),
                "share": format_percent(share, lang) if share is not None else "—"}

    return render_template(
        "workspace/activity_equity.html", month=raw, registered=len(agenda_data.records()),
        minutes=f"{store.threshold_min:g}",
        area=row(t("agenda.equity.area"), figures["area"]["all"],
                 store.area.get(store.share_column)),
        councils=[row(f"{c} · {names.get(c, c)}", f, shares.get(c))
                  for c, f in figures["councils"].items()],
        groups=[row(g, f) for g, f in figures["groups"].items()])


EQUITY_COLUMNS = ("month", "scope", "id", "name", "residents", "activities", "sessions",
                  "sessions_per_10k_residents", "sessions_per_resident",
                  "share_within_threshold", "threshold_min")


@bp.get("/planificar/actividades/equidad.<any(csv, excel):fmt>")
@planner_required
def equity_table(fmt: str) -> Any:
    """The equity page as a table for a spreadsheet: one row for the area, one per council,
    one per socio-economic group, plain numbers (``excel``: Excel with es-CL settings)."""
    import pandas as pd
    from flask import Response

    from geo.export import MEDIA_TYPES, table_bytes

    raw, month = _equity_month()
    figures, names, shares = _equity_figures(month)
    store = current_app.extensions["culturamap"]
    threshold, share_area = store.threshold_min, store.area.get(store.share_column)
    scoped = [("area", "area", t("agenda.equity.area"), figures["area"]["all"], share_area),
              *(("council", c, names.get(c, c), f, shares.get(c))
                for c, f in figures["councils"].items()),
              *(("group", grp, grp, f, None) for grp, f in figures["groups"].items())]
    rows = [dict(zip(EQUITY_COLUMNS, (raw, scope, ident, name, f["residents"],
                                      f["activities"], f["sessions"], f["per_10k"],
                                      f["mean_per_resident"], share, threshold), strict=True))
            for scope, ident, name, f, share in scoped]
    content = table_bytes(pd.DataFrame(rows, columns=list(EQUITY_COLUMNS)), fmt)
    name = f"actividades-equidad-{raw}.{'excel.csv' if fmt == 'excel' else 'csv'}"
    response = Response(content, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
