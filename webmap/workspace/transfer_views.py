"""Export of the editable layers for signed-in planners (the import is in ``views``).

Why signed-in only and never cached: a junta's contact is private to planners.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, send_file

from geo.export import MEDIA_TYPES
from webmap.workspace.exchange import export_bytes
from webmap.workspace.views import planner_required
from webmap.workspace.web import current_workspace

bp = Blueprint("workspace_transfer", __name__)


@bp.get("/planificar/exportar/<any(venues, workshops, proposals, juntas):layer>"
        ".<any(csv, geojson):fmt>")
@planner_required
def export(layer: str, fmt: str) -> Response:
    with current_workspace().db.session() as session:
        content = export_bytes(session, layer, fmt)
    response = send_file(BytesIO(content), mimetype=MEDIA_TYPES[fmt], as_attachment=True,
                         download_name=f"culturamap-{layer}.{fmt}", max_age=0)
    response.headers["Cache-Control"] = "no-store, private"
    return response
