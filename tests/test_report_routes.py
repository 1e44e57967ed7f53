"""Web routes of the reports and downloads, through the real app factory."""

from __future__ import annotations

import csv
import io
import re
import threading
from html.parser import HTMLParser

import geopandas as gpd
import pytest

from culturamap.cli import main as cli_main
from geo.export import FORMATS
from geo.layers import load_all
from geo.study import LAYER_NAMES
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR
from webmap.app import create_app
from webmap.report_routes import reports_bp


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href", ""))
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def links_of(html: bytes) -> Links:
    parser = Links()
    parser.feed(html.decode("utf-8"))
    return parser


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app({"DATA_DIR": FIXTURE_DATA_DIR, "CACHE_DIR": tmp_path_factory.mktemp("cache")})
    if "reports" not in app.blueprints:  # until webmap.app registers it itself
        app.register_blueprint(reports_bp)
    app.config["TESTING"] = True
    app.config["REPORT_WAIT_S"] = 120  # a slow machine gets the PDF, not the 202 page
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_council_and_area_reports_are_served_in_both_languages(client):
    layers = load_all(FIXTURE_DATA_DIR)
    names = dict(zip(layers.councils["id"], layers.councils["name"], strict=True))
    for council_id in sorted(names):
        response = client.get(f"/reportes/{council_id}.html?lang=es")
        assert response.status_code == 200, council_id
        assert response.mimetype == "text/html"
        assert links_of(response.data).h1 == f"Acceso a la cultura: {names[council_id]}"
    english = client.get("/reportes/parte-alta.html?lang=en")
    assert english.status_code == 200
    assert links_of(english.data).h1 == "Access to culture: Parte Alta, Coquimbo"
    assert b"SYNTHETIC" in english.data


def test_report_page_links_resolve(client):
    page = client.get("/reportes/parte-alta.html?lang=es")
    hrefs = links_of(page.data).hrefs
    assert "/reportes/parte-alta.html?lang=en" in hrefs
    assert "/reportes/parte-alta.pdf?lang=es" in hrefs
    assert "/reportes/JV-01.html?lang=es" in hrefs  # from the gap ranking
    for href in hrefs:
        if href.endswith(".pdf?lang=es"):
            continue  # PDFs are checked below; rendering them all here is slow
        assert client.get(href).status_code == 200, href


def test_pdf_report_is_an_attachment(client):
    response = client.get("/reportes/JV-04.pdf?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "JV-04.en.pdf" in disposition


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reportes/JV-99.html", 404),
        ("/reportes/JV-99.pdf", 404),
        ("/reportes/JV-01.docx", 400),
        ("/reportes/parte-alta.txt", 400),
        ("/descargas/nope.csv", 404),
        ("/descargas/venues.xlsx", 400),
        ("/descargas/venues.shp", 400),
    ],
)
def test_unknown_names_404_bad_formats_400(client, url, status):
    assert client.get(url).status_code == status


def test_downloads_index_links_every_report_and_layer(client):
    page = client.get("/descargas?lang=es")
    assert page.status_code == 200
    hrefs = set(links_of(page.data).hrefs)
    for layer in LAYER_NAMES:
        for fmt in FORMATS:
            assert f"/descargas/{layer}.{fmt}" in hrefs
    layers = load_all(FIXTURE_DATA_DIR)
    for council_id in [*layers.councils["id"], "parte-alta"]:
        assert f"/reportes/{council_id}.html?lang=es" in hrefs
        assert f"/reportes/{council_id}.pdf?lang=es" in hrefs
    assert "/descargas?lang=en" in hrefs
    assert "Reportes y descargas" in page.data.decode("utf-8")


@pytest.mark.parametrize("layer", LAYER_NAMES)
def test_every_download_reads_back_in_every_format(client, layer, tmp_path):
    for fmt in FORMATS:
        response = client.get(f"/descargas/{layer}.{fmt}")
        assert response.status_code == 200, (layer, fmt)
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert f"culturamap-{layer}.{fmt}" in disposition
        if fmt in ("csv", "excel"):
            text, delimiter = response.data.decode("utf-8"), ","
            if fmt == "excel":  # Excel (es-CL) flavour: BOM and ';' (tests/test_hardening_csv)
                text, delimiter = response.data.decode("utf-8-sig"), ";"
            rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
            assert rows and ("wkt" in rows[0] or {"lon", "lat"} <= set(rows[0]))
            ids = [r.get("id") or r.get("candidate_id") for r in rows]
        else:
            path = tmp_path / f"{layer}.{fmt}"
            path.write_bytes(response.data)
            gdf = gpd.read_file(path)
            assert gdf.crs.to_epsg() == 4326
            ids = list(gdf["id"] if "id" in gdf else gdf["candidate_id"])
        if layer in ("councils", "access-councils"):
            assert sorted(ids) == [f"JV-{i:02d}" for i in range(1, 21)]
        elif layer == "venues":
            assert sorted(ids) == sorted(load_all(FIXTURE_DATA_DIR).venues["id"])
        else:
            assert len(ids) > 0


def test_download_content_types_are_exact(client):
    expected = {
        "csv": "text/csv; charset=utf-8",  # once: not "...; charset=utf-8; charset=utf-8"
        "geojson": "application/geo+json",
        "gpkg": "application/geopackage+sqlite3",
    }
    for fmt, content_type in expected.items():
        response = client.get(f"/descargas/venues.{fmt}")
        assert response.headers["Content-Type"] == content_type, fmt


def test_csv_download_matches_the_geojson_download(client, tmp_path):
    path = tmp_path / "access-councils.geojson"
    path.write_bytes(client.get("/descargas/access-councils.geojson").data)
    geojson = gpd.read_file(path)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/descargas/access-councils.csv").data.decode("utf-8"))))
    by_id = {r["id"]: r for r in rows}
    for _, row in geojson.iterrows():
        assert float(by_id[row["id"]]["share_within_15min"]) == pytest.approx(
            row["share_within_15min"])


def test_web_download_equals_cli_export(client, tmp_path):
    """The web and the CLI share one writer: the same layer gives the same bytes."""
    assert cli_main(["export", *FIXTURE_ARGS, "--layer", "venues", "--format", "csv",
                     "--out", str(tmp_path)]) == 0
    web = client.get("/descargas/venues.csv").data
    assert web == (tmp_path / "venues.csv").read_bytes()


def test_map_page_links_to_reports_and_downloads(app):
    """Issue 5 point 3: once the app factory registers the blueprint, the map links to the
    downloads page and to each council's report (in the page or in its own scripts)."""
    fresh = create_app({"DATA_DIR": FIXTURE_DATA_DIR,
                        "CACHE_DIR": app.extensions["culturamap"].settings.cache_dir})
    assert "reports" in fresh.blueprints
    client = fresh.test_client()
    page = client.get("/?lang=es").data.decode("utf-8")
    scripts = re.findall(r"""<script[^>]+src=["'](/[^"']+)["']""", page)
    text = page + "".join(client.get(src).data.decode("utf-8") for src in scripts)
    assert "/descargas" in text
    assert "/reportes/" in text


# --- concurrency: one lock per file ---------------------------------------------------------


@pytest.fixture
def fresh_app(tmp_path_factory):
    """An app whose report cache is still empty."""
    app = create_app({"DATA_DIR": FIXTURE_DATA_DIR, "CACHE_DIR": tmp_path_factory.mktemp("cache"),
                      "TESTING": True})
    if "reports" not in app.blueprints:
        app.register_blueprint(reports_bp)
    return app


def _get_in_thread(app, url, results, **kwargs):
    def run():
        results[url] = app.test_client().get(url, **kwargs)  # one client per thread

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_different_files_build_side_by_side(fresh_app, monkeypatch):
    from webmap import report_routes

    real = report_routes.layer_bytes
    venues_started, councils_started, release = (threading.Event() for _ in range(3))

    def instrumented(frame, fmt, layer):
        if layer == "venues":
            venues_started.set()
            release.wait(10)  # blocked until the other file has started
        elif layer == "councils":
            councils_started.set()
        return real(frame, fmt, layer)

    monkeypatch.setattr(report_routes, "layer_bytes", instrumented)
    fresh_app.test_client().get("/descargas")  # the shared analysis, built once, first
    results: dict = {}
    first = _get_in_thread(fresh_app, "/descargas/venues.csv", results)
    assert venues_started.wait(10)
    second = _get_in_thread(fresh_app, "/descargas/councils.csv", results)
    try:
        # with one lock for every file this would wait for the venues file
        assert councils_started.wait(5), "the councils file waited for the venues file"
        second.join(10)
        assert results["/descargas/councils.csv"].status_code == 200
        assert first.is_alive()  # the venues file is still blocked
    finally:
        release.set()
    first.join(10)
    assert results["/descargas/venues.csv"].status_code == 200


# PDF rendering ahead, waiting and the 202 page: tests/test_hardening_reports.py
