"""Which language a request is answered in: ?lang=, then the cookie, then Accept-Language.

Spanish (es-CL) is the default; a ?lang= choice is remembered in a cookie for a year.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from webmap.area import translate_area
from webmap.i18n import LANGUAGES
from webmap.report_format import format_number, format_percent

COOKIE = "lang"
HTML_LANG = {"es": "es-CL", "en": "en"}


def pick_language() -> str:
    asked = request.args.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    best = request.accept_languages.best_match(["es-CL", "es", "en"])
    if best:
        return best.split("-")[0]
    return current_app.config["DEFAULT_LANGUAGE"]


def t(key: str, **values: object) -> str:
    """Translate into the language of the current request, naming the data's study area
    (webmap.area) where the text speaks of it."""
    store = current_app.extensions.get("culturamap")
    manifest = store.layers.manifest if store is not None else {}
    return translate_area(key, g.get("lang", current_app.config["DEFAULT_LANGUAGE"]), manifest,
                          **values)


def init_app(app: Flask) -> None:
    @app.before_request
    def _set_language() -> None:
        g.lang = pick_language()

    @app.after_request
    def _remember_language(response: Response) -> Response:
        asked = request.args.get("lang", "").strip().lower()
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        if response.mimetype == "text/html" and "lang" in g:
            response.headers["Content-Language"] = HTML_LANG[g.lang]
        return response

    @app.context_processor
    def _language_helpers() -> dict[str, object]:
        lang = g.get("lang", app.config["DEFAULT_LANGUAGE"])
        return {"t": t, "lang": lang, "html_lang": HTML_LANG[lang], "languages": LANGUAGES,
                # figures in the reader's language (es: 70,9 %, 13,0; en: 70.9%, 13.0)
                "number": lambda value, decimals=0: format_number(value, lang, decimals),
                "percent": lambda share, decimals=1: format_percent(share, lang, decimals)}
