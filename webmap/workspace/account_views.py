"""A signed-in planner or admin changes their own password.

Why the current password and a throttle: a session left open on a shared computer must not
be enough to take the account over, and the form must not become a way to guess the
password (the same limits as the sign-in page). After the change the other sessions of the
account end (``User.session_stamp``); this one is signed in again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from webmap.workspace import auth
from webmap.workspace.views import planner_required
from webmap.workspace.web import LOGIN_LIMIT, current_workspace, limiter

bp = Blueprint("workspace_account", __name__)


def _user_key() -> str:
    return f"{current_workspace().scope}|password|{current_user.get_id()}"


@bp.route("/planificar/clave", methods=["GET", "POST"])
@planner_required
@limiter.limit(LOGIN_LIMIT, key_func=_user_key, methods=["POST"])
def password() -> Any:
    problem = None
    if request.method == "POST":
        data = request.form
        try:
            if data.get("new", "") != data.get("repeat", ""):
                raise auth.AccountError("las contraseñas nuevas no coinciden / the new "
                                        "passwords differ")
            with current_workspace().db.session() as session:
                user = auth.change_own_password(session, current_user.id,
                                                data.get("current", ""), data.get("new", ""))
        except auth.AccountError as exc:
            problem = str(exc)
        else:
            login_user(user)  # the new stamp: this session goes on, the others end
            return redirect(url_for("workspace_account.password", done=1))
    return render_template("workspace/password.html", problem=problem,
                           done=request.args.get("done") == "1"), 400 if problem else 200
