"""Browser fixtures: Debian's Chromium driven by Playwright against a loopback server.

Every page is opened with all non-loopback requests blocked and recorded, so a test fails
if the map tries to reach a CDN or a tile server; page errors and alert() dialogs are
recorded too (the escaping tests assert none happened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.needs import require
from tests.support.web import app_for, make_nasty_data, serve

CSP_VIOLATION = "Content Security Policy"  # Chromium's console text for a refused resource
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@dataclass
class Watched:
    """A page plus what it did wrong: errors, external requests, dialogs."""

    page: object
    base: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-map-ready='1']", state="attached", timeout=15000)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.wait_for_timeout(400)  # let Leaflet's fade and pan animations finish
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.external == [], self.external
        assert self.dialogs == [], self.dialogs


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"Debian Chromium ({CHROMIUM})",
            "run `make browser` (apt-get install chromium chromium-driver poppler-utils)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    app = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def nasty(tmp_path_factory):
    """(base URL, venue id) of a server whose data hold HTML/JS in a venue and a council."""
    root = tmp_path_factory.mktemp("nasty")
    data, venue_id = make_nasty_data(root)
    with serve(app_for(data, root / "cache")) as url:
        yield url, venue_id


def open_page(browser, base: str, **context_options) -> Watched:
    options = {"locale": "es-CL", "viewport": {"width": 1280, "height": 800}}
    options.update(context_options)
    context = browser.new_context(**options)
    page = context.new_page()
    watched = Watched(page=page, base=base)

    def route(route_obj):
        if route_obj.request.url.startswith(base):
            route_obj.continue_()
        else:
            watched.external.append(route_obj.request.url)
            route_obj.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.on("console", lambda msg: watched.errors.append(msg.text)
            if CSP_VIOLATION in msg.text else None)  # the pages run under their CSP
    page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    return watched


@pytest.fixture()
def make_page(browser):
    opened: list[Watched] = []

    def factory(base: str, **context_options) -> Watched:
        watched = open_page(browser, base, **context_options)
        opened.append(watched)
        return watched

    yield factory
    for watched in opened:
        watched.page.context.close()
