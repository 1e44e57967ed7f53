"""Security headers on every response: CSP, frame, referrer and permissions policies.

Why hashes and not nonces for the inline scripts: the map and the nearby pages are rendered
once and kept (webmap.pages), so a per-response nonce would mean rewriting a 2 MB page on
every request. The inline scripts of a kept page never change, so their SHA-256 hashes are
computed once per page body and listed in ``script-src``; any other inline script (an
injected one) is refused by the browser. Styles keep ``'unsafe-inline'``: folium writes
``style="..."`` attributes and ``<style>`` blocks, and CSP hashes cannot allow style
attributes; inline styles cannot run code, scripts stay strict.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import zlib
from urllib.parse import urlsplit

from flask import Flask, Response

# An executable inline script: <script> or <script type="text/javascript"> without src.
_SCRIPT = re.compile(rb"<script(\s[^>]*)?>(.*?)</script\s*>", re.S | re.I)
_NOT_JS = re.compile(rb"""\b(src\s*=|type\s*=\s*["']?application/(?:ld\+)?json)""", re.I)
MAX_REMEMBERED = 64  # distinct HTML bodies whose script hashes are kept

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def script_hashes(html: bytes) -> list[str]:
    """CSP sources ('sha256-...') of every executable inline script of a page, in order."""
    found = []
    for attrs, body in _SCRIPT.findall(html):
        if attrs and _NOT_JS.search(attrs):
            continue
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        found.append(f"'sha256-{digest}'")
    return list(dict.fromkeys(found))


def policy(hashes: list[str], tile_origin: str = "") -> str:
    """The Content-Security-Policy of a page whose inline scripts have these hashes."""
    images = " ".join(x for x in ("'self'", "data:", tile_origin) if x)
    return "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def tile_origin(tile_url: str) -> str:
    """scheme://host of the optional tile server ({s}.tile... becomes *.tile...)."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class _PolicyMemo:
    """Policies of the HTML bodies already seen (pages are kept, so few distinct ones)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_body: dict[tuple[int, int], str] = {}

    def get(self, body: bytes, tiles: str) -> str:
        key = (len(body), zlib.crc32(body))
        found = self.by_body.get(key)
        if found is None:
            found = policy(script_hashes(body), tiles)
            with self.lock:
                if len(self.by_body) >= MAX_REMEMBERED:
                    self.by_body.clear()
                self.by_body[key] = found
        return found


def init_app(app: Flask) -> None:
    memo = _PolicyMemo()
    tiles = tile_origin(app.extensions["culturamap"].settings.tile_url)
    no_scripts = policy([], tiles)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in BASE_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" and not response.direct_passthrough:
            csp = memo.get(response.get_data(), tiles)
        else:
            csp = no_scripts
        response.headers.setdefault("Content-Security-Policy", csp)
        return response
