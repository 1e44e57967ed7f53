"""What-if scenarios in the planner workspace: make, run, list, compare, print (issue 11).

Why here and thin: the engine is ``geo.scenarios`` (the same one ``culturamap scenario``
runs) on the study the map serves, and the PDF is ``webmap.scenario_report``; these pages
only read forms, call them and show the saved files. Saved scenarios are the CLI's JSON
files, in ``<data folder>/scenarios``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from geo import WEB_CRS
from geo.access import share_column
from geo.equity import AGE_GROUPS
from geo.scenarios import (
    ScenarioError,
    list_saved,
    load_saved,
    run_scenario,
    save_result,
    scenario_from_dict,
    side_by_side,
)
from geo.schema import categories
from webmap.geometry import rounded_geojson
from webmap.i18n import translate
from webmap.report_format import MISSING, format_number
from webmap.workspace.views import planner_required
from webmap.workspace.web import current_workspace

bp = Blueprint("scenarios", __name__)

FOLDER = "scenarios"  # inside the data folder
ADD_ROWS = 3  # hypothetical venues one form can add
SAVED_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a slug (geo.scenarios.Scenario.slug)


def _folder() -> Path:
    return Path(current_workspace().settings.data_dir) / FOLDER


def _lang() -> str:
    return g.get("lang", "es")


def _study() -> Any:
    """The study the map serves (rebuilt after each edit), so a scenario starts from it."""
    return current_app.extensions["culturamap"].study


def _saved(slug: str) -> dict[str, Any]:
    path = _folder() / f"{slug}.json"
    if not SAVED_NAME.match(slug) or not path.is_file():
        abort(404)
    return load_saved(path)


def _pts(change: float | None) -> str:
    if change is None:
        return MISSING
    return f"{'+' if change > 0 else ''}{format_number(change * 100, _lang(), 1)}"


def _pct(value: float | None) -> str:
    return MISSING if value is None else f"{format_number(value * 100, _lang(), 1)} %"


def _signed(value: float | None, decimals: int) -> str:
    if value is None:
        return MISSING
    return f"{'+' if value > 0 else ''}{format_number(value, _lang(), decimals)}"


def _row(label: str, figures: dict[str, Any], share_col: str) -> dict[str, Any]:
    share = figures[share_col]
    return {"label": label, "before": _pct(share["before"]), "after": _pct(share["after"]),
            "change": _pts(share["change"]),
            "time": _signed(figures["mean_time_min"]["change"], 1),
            "sfca": _signed(figures["sfca_score"]["change"], 3),
            "newly": format_number(figures.get("newly_within"), _lang())
            if "newly_within" in figures else MISSING}


def _form_scenario(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the dict a scenario file holds (checked by the engine); the
    map's clicks fill the lon/lat fields, which can also be typed."""
    add = []
    for i in range(1, ADD_ROWS + 1):
        # a decimal comma (es-CL) is read as a point
        lon = (form.get(f"add_lon_{i}") or "").strip().replace(",", ".")
        lat = (form.get(f"add_lat_{i}") or "").strip().replace(",", ".")
        if not lon and not lat:
            continue
        add.append({"id": f"ESC-{i}", "category": form.get(f"add_category_{i}", ""),
                    "name": (form.get(f"add_name_{i}") or "").strip() or f"ESC-{i}",
                    "lon": lon, "lat": lat})
    return {"name": form.get("name", ""), "add": add, "close": form.getlist("close")}


def _index_context(problems: list[str] | None = None) -> dict[str, Any]:
    folder = _folder()
    saved = []
    for row in list_saved(folder) if folder.is_dir() else []:
        when = datetime.fromtimestamp((folder / row["file"]).stat().st_mtime, UTC)
        saved.append({**row, "slug": row["file"].removesuffix(".json"),
                      "date": when.strftime("%Y-%m-%d %H:%M UTC"),
                      "change": _pts(row["share_change"]),
                      "newly": format_number(row["newly_within"], _lang())})
    layers = _study().layers
    venues = layers.venues.sort_values("id")
    lonlat = venues.to_crs(WEB_CRS).geometry
    map_data = {
        "councils": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": rounded_geojson(geom, 5), "properties": {}}
            for geom in layers.councils.to_crs(WEB_CRS).geometry]},
        "venues": [{"id": str(v), "name": str(n), "lon": p.x, "lat": p.y}
                   for v, n, p in zip(venues["id"], venues["name"], lonlat, strict=True)],
        "home": list(current_app.extensions["culturamap"].home)}
    return {"saved": saved, "problems": problems or [], "form": request.form,
            "map_data": map_data,
            "rows": range(1, ADD_ROWS + 1),
            "category_options": [(c.id, c.label(_lang())) for c in categories()],
            "venues": [(str(v["id"]), str(v["name"])) for _, v in venues.iterrows()]}


@bp.get("/planificar/escenarios")
@planner_required
def index() -> str:
    return render_template("workspace/scenarios.html", **_index_context())


@bp.post("/planificar/escenarios")
@planner_required
def run() -> Any:
    """Run the form's scenario on the served study, save it, show it; 400 with the
    engine's reason when the scenario cannot be used."""
    try:
        scenario = scenario_from_dict(_form_scenario(request.form), "form")
        if (_folder() / f"{scenario.slug}.json").exists():  # never overwrite a saved one
            raise ScenarioError(translate("workspace.scenarios.name_taken", _lang(),
                                          name=scenario.name))
        result = run_scenario(_study(), scenario)
    except ScenarioError as exc:
        return render_template("workspace/scenarios.html",
                               **_index_context([str(exc)])), 400
    path = save_result(result, _folder())
    return redirect(url_for("scenarios.show", slug=path.stem))


@bp.get("/planificar/escenarios/<slug>")
@planner_required
def show(slug: str) -> str:
    saved = _saved(slug)
    share_col = share_column(saved["threshold_min"])
    area = saved["area"]
    names = dict(zip(_study().layers.venues["id"].astype(str),
                     _study().layers.venues["name"], strict=True))
    groups = [_row(_t("report.equity.quintile", q=q[1:]), f, share_col)
              for q, f in area.get("by_quintile", {}).items()]
    groups += [_row(gse, f, share_col) for gse, f in area.get("by_gse", {}).items()]
    groups += [_row(_t(f"report.equity.{a}"), area["by_age"][a], share_col)
               for a in AGE_GROUPS if a in area.get("by_age", {})]
    councils = [{**_row(f"{cid} · {c['name']}", c, share_col), "id": cid,
                 "changed": bool(c["newly_within"] or c["no_longer_within"]
                                 or c[share_col]["change"])}
                for cid, c in saved["councils"].items()]
    return render_template(
        "workspace/scenario.html", slug=slug, saved=saved,
        minutes=format_number(saved["threshold_min"], _lang()),
        area=_row("", area, share_col), groups=groups, councils=councils,
        lost=format_number(area["no_longer_within"], _lang()),
        blocks_changed=format_number(area["blocks_changed"], _lang()),
        closed=[(v, names.get(v, MISSING)) for v in saved.get("close", [])])


@bp.get("/planificar/escenarios/<slug>.pdf")
@planner_required
def pdf(slug: str) -> Response:
    from webmap.scenario_report import render_scenario_pdf

    content = render_scenario_pdf(_saved(slug), _study().layers, _lang())
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="escenario-{slug}.pdf"'})


@bp.get("/planificar/escenarios/comparar")
@planner_required
def compare() -> Any:
    """Two or more saved scenarios side by side (``geo.scenarios.side_by_side``)."""
    slugs = list(dict.fromkeys(request.args.getlist("s")))
    if len(slugs) < 2:
        return render_template("workspace/scenarios.html", **_index_context(
            [_t("workspace.scenarios.compare_two")])), 400
    table = side_by_side([_saved(s) for s in slugs])
    return render_template("workspace/scenario_compare.html", columns=list(table.columns),
                           rows=[(label, list(values)) for label, values in table.iterrows()])


def _t(key: str, **values: Any) -> str:
    from webmap.language import t

    return t(key, **values)
