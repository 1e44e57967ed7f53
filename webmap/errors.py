"""Errors of the JSON API: always {"error": <code>, "detail": <translated sentence>}.

Machines read the stable ``error`` code; people read ``detail`` in their language.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from geo.errors import CulturamapError
from webmap.language import t

API_PREFIXES = ("/api/", "/collections", "/conformance", "/ogc")


class ApiError(Exception):
    """Raised by API views; becomes a JSON response with the given status."""

    def __init__(self, status: int, error: str, **values: object) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.values = values

    def response(self) -> Response:
        body = {"error": self.error, "detail": t(f"error.{self.error}", **self.values)}
        resp = jsonify(body)
        resp.status_code = self.status
        return resp


def bad_request(error: str, **values: object) -> ApiError:
    return ApiError(400, error, **values)


def not_found(error: str, **values: object) -> ApiError:
    return ApiError(404, error, **values)


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIXES) or request.args.get("f") == "json"


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return exc.response()

    @app.errorhandler(CulturamapError)
    def _user_error(exc: CulturamapError) -> Response | tuple[str, int]:
        """Bad input or data met while answering (the same errors the CLI prints): 400,
        with the error's own message (it names the input and the problem)."""
        if _wants_json():
            resp = jsonify({"error": "invalid_input",
                            "detail": t("error.invalid_input", detail=str(exc))})
            resp.status_code = 400
            return resp
        return render_template("error.html", code=400), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if request_ctx.url_adapter is None:
            # The request could not even be routed (a malformed Host such as a label over
            # 63 characters): no page can build its links, so a plain answer, never a 500.
            resp = Response(f"{code} {exc.name}\n", status=code, mimetype="text/plain")
        elif _wants_json():
            kind = {404: "not_found", 405: "method_not_allowed"}.get(code, "http_error")
            resp = jsonify({"error": kind, "detail": t(f"error.{kind}", path=request.path)})
            resp.status_code = code
        else:
            resp = Response(render_template("error.html", code=code), status=code,
                            mimetype="text/html")
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110 §15.5.6
        return resp
