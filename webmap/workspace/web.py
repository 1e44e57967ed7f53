"""Flask wiring of the workspace: database, secret key, cookies, CSRF, sign-in, throttling.

Why these defaults: the public map stays read-only for everyone; everything that changes
data needs a signed-in planner AND a CSRF token (a form field, or the X-CSRFToken header
for the JSON API), so another site cannot make a planner's browser edit. Session cookies
are HttpOnly and SameSite=Lax, and Secure when ``secure_cookies`` is on (HTTPS).
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, jsonify, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from geo.settings import Settings
from geo.study import Study
from webmap.workspace.db import Database, database_url, open_database
from webmap.workspace.frames import workspace_study
from webmap.workspace.models import User
from webmap.workspace.seed import seed_if_new

EXTENSION_KEY = "culturamap_workspace"
SECRET_ENV = "CULTURAMAP_SECRET_KEY"
SECRET_FILE = ".secret_key"  # in the data folder, mode 600, never committed (.gitignore)
LOGIN_LIMIT = "10 per minute"  # per address and user name
LOGIN_LIMIT_ADDRESS = "30 per minute"  # per address, whatever the names tried

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])


@dataclass
class Workspace:
    """What the workspace views need: the database and the settings."""

    db: Database
    settings: Settings
    scope: str  # keeps the throttling counts of two apps in one process apart (tests)


def open_workspace(settings: Settings) -> Workspace:
    """Open (create, migrate) the database and seed it from the files the first time."""
    db = open_database(database_url(settings))
    with db.session() as session:
        seed_if_new(session, settings.data_dir)
    return Workspace(db=db, settings=settings, scope=uuid.uuid4().hex)


def study_of(workspace: Workspace) -> Study:
    return workspace_study(workspace.settings, workspace.db)


def secret_key(settings: Settings) -> str:
    """CULTURAMAP_SECRET_KEY, else a random key kept in the data folder (made once,
    readable by its owner only), so sessions survive a restart."""
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        return from_env
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        tmp = path.with_name(f"{SECRET_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        os.replace(tmp, path)
    return path.read_text().strip()


def current_workspace() -> Workspace:
    from flask import current_app

    return current_app.extensions[EXTENSION_KEY]


def workspace_of(app: Flask) -> Workspace | None:
    """The workspace of ``app``; None for the public map served without the database."""
    return app.extensions.get(EXTENSION_KEY)


def wants_json() -> bool:
    return request.is_json or request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def init_app(app: Flask, workspace: Workspace) -> None:
    app.extensions[EXTENSION_KEY] = workspace
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(workspace.settings)
    secure = workspace.settings.secure_cookies
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    limiter.init_app(app)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):  # noqa: ANN202 - a response
        """400 with the reason; JSON for the JSON API (the HTML error page otherwise)."""
        if wants_json():
            response = jsonify({"error": "csrf", "detail": exc.description})
            response.status_code = 400
            return response
        from flask import render_template

        return render_template("error.html", code=400), 400

    login = LoginManager(app)
    login.session_protection = "strong"

    @login.user_loader
    def _load_user(session_id: str) -> User | None:
        """The session's user, unless the password changed since it signed in (the
        stamp differs) or the account was disabled (Flask-Login: not authenticated)."""
        user_id, _, stamp = session_id.partition(":")
        if not user_id.isdigit():
            return None
        with workspace.db.session() as session:
            user = session.get(User, int(user_id))
        return user if user is not None and user.session_stamp == stamp else None

    @login.unauthorized_handler
    def _unauthorized():  # noqa: ANN202 - a response
        if wants_json():
            response = jsonify({"error": "unauthorized",
                                "detail": "inicie sesión / sign in first"})
            response.status_code = 401
            return response
        return redirect(url_for("workspace.login", next=request.path))

    from webmap.workspace.account_views import bp as account_bp
    from webmap.workspace.activity_views import bp as agenda_bp  # issue 14
    from webmap.workspace.scenario_views import bp as scenarios_bp
    from webmap.workspace.transfer_views import bp as transfer_bp
    from webmap.workspace.views import bp

    for blueprint in (bp, scenarios_bp, transfer_bp, account_bp, agenda_bp):
        app.register_blueprint(blueprint)
    from webmap.workspace import people_views

    people_views.init_app(app)  # residents' proposals, creators directory (issue 16)
