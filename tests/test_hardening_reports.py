"""PDF reports never make a reader wait behind others: rendered ahead, kept whole on disk,
a 202 page that refreshes itself for one not ready yet, HEAD never renders.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.layers import copy_fixture_data
from webmap import report_routes
from webmap.app import create_app
from webmap.pdf_store import TMP_PREFIX, report_version
from webmap.report_routes import pdf_store, start_prerender

COUNCILS, SECTORS = 20, 2  # the fixture's; reports = (area + councils + sectors) x (es, en)
REPORTS = (1 + COUNCILS + SECTORS) * 2


def make_app(cache, data=FIXTURE_DATA_DIR, wait=120.0):
    app = create_app({"DATA_DIR": data, "CACHE_DIR": cache, "TESTING": True})
    app.config["REPORT_WAIT_S"] = wait
    return app


def is_whole_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")


@pytest.fixture
def counted(monkeypatch):
    """Count (and optionally hold) every PDF render, still rendering for real."""
    real = report_routes.render_pdf
    state = {"calls": [], "gate": threading.Event(), "started": threading.Event()}
    state["gate"].set()

    def render(html):
        state["calls"].append(1)
        state["started"].set()
        assert state["gate"].wait(30)
        return real(html)

    monkeypatch.setattr(report_routes, "render_pdf", render)
    return state


def test_the_same_pdf_asked_at_once_is_rendered_once(tmp_path, counted):
    app = make_app(tmp_path / "cache")
    counted["gate"].clear()
    url = "/reportes/JV-03.pdf?lang=es"
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(lambda: app.test_client().get(url)) for _ in range(4)]
        assert counted["started"].wait(30)
        counted["gate"].set()
        responses = [f.result() for f in futures]
    assert len(counted["calls"]) == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.data for r in responses}) == 1 and is_whole_pdf(responses[0].data)


def test_a_pdf_not_ready_gets_a_refreshing_202_page_with_progress(tmp_path, counted):
    app = make_app(tmp_path / "cache", wait=0.05)
    counted["gate"].clear()
    client = app.test_client()
    page = client.get("/reportes/JV-01.pdf?lang=es")
    try:
        assert page.status_code == 202
        assert page.headers["Retry-After"] == "3"
        assert page.headers["Cache-Control"] == "no-store"
        text = page.get_data(as_text=True)
        assert '<meta http-equiv="refresh" content="3">' in text
        total = REPORTS
        assert f"(0 de {total} reportes listos)" in text
        assert f'<progress max="{total}" value="0">' in text
        as_json = client.get("/reportes/JV-01.pdf?lang=en", headers={"Accept": "application/json"})
        assert as_json.status_code == 202
        assert as_json.get_json()["status"] == "rendering"
        assert as_json.get_json()["total"] == total
        assert client.get("/descargas/venues.csv").status_code == 200  # not held up
    finally:
        counted["gate"].set()
    app.config["REPORT_WAIT_S"] = 120
    done = client.get("/reportes/JV-01.pdf?lang=es")
    assert done.status_code == 200 and is_whole_pdf(done.data)


def test_head_never_renders_a_pdf(tmp_path, counted):
    app = make_app(tmp_path / "cache")
    client = app.test_client()
    head = client.head("/reportes/JV-02.pdf?lang=es")
    assert head.status_code == 202 and head.data == b""
    assert counted["calls"] == []
    assert client.get("/reportes/JV-02.pdf?lang=es").status_code == 200
    assert len(counted["calls"]) == 1
    head = client.head("/reportes/JV-02.pdf?lang=es")
    assert head.status_code == 200 and head.mimetype == "application/pdf"
    assert len(counted["calls"]) == 1


def test_rendered_ahead_ten_readers_at_once_all_get_200_fast(tmp_path, counted):
    cache = tmp_path / "cache"
    app = make_app(cache, wait=0.0)  # after warm-up nobody may need to wait
    store = start_prerender(app)
    deadline = time.monotonic() + 300
    while store.progress()[0] < store.progress()[1]:
        assert time.monotonic() < deadline, store.progress()
        time.sleep(0.2)
    total = REPORTS
    assert store.progress() == (total, total)
    assert len(counted["calls"]) == total  # each report once
    urls = [f"/reportes/JV-{n:02d}.pdf?lang={'es' if n % 2 else 'en'}" for n in range(1, 11)]

    def fetch(url):
        start = time.perf_counter()
        response = app.test_client().get(url)
        return response, time.perf_counter() - start

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(fetch, urls))
    assert all(r.status_code == 200 and is_whole_pdf(r.data) for r, _ in results)
    assert max(seconds for _, seconds in results) < 1.0
    # a restart on the same data and settings serves the kept files without rendering
    again = make_app(cache, wait=0.0)
    assert pdf_store(again).progress() == (total, total)
    assert again.test_client().get("/reportes/parte-alta.pdf?lang=en").status_code == 200
    sector = again.test_client().get("/reportes/sector/parte-alta.pdf?lang=es")
    assert sector.status_code == 200 and is_whole_pdf(sector.data)
    assert len(counted["calls"]) == total


def test_half_written_files_are_removed_at_start(tmp_path, counted):
    cache = tmp_path / "cache"
    app = make_app(cache)
    folder = pdf_store(app).folder
    stray = folder / f"{TMP_PREFIX}abc.pdf"
    stray.write_bytes(b"%PDF-1.7 half")  # what a kill -9 during a render leaves
    old = folder.parent / "0123456789abcdef"
    old.mkdir()
    (old / "JV-01.es.pdf").write_bytes(b"%PDF old version")
    restarted = make_app(cache)
    assert pdf_store(restarted).folder == folder
    assert not stray.exists() and not old.exists()
    assert pdf_store(restarted).progress()[0] == 0


def test_the_version_follows_data_and_settings(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    first = make_app(tmp_path / "c1", data=data)
    settings = first.extensions["culturamap"].settings
    same = report_version(settings)
    assert report_version(settings) == same  # deterministic
    assert report_version(settings.with_changes(threshold_min=10)) != same
    assert report_version(settings.with_changes(public_url="https://x.example")) == same
    # the workspace's own files beside the layers (database, its journal, photos, the secret
    # key) change with every support or sign-in, never what a report shows
    for name in ("culturamap.sqlite", "culturamap.sqlite-wal", ".secret_key",
                 "photos/0123456789abcdef0123456789abcdef.jpg", "notes.txt"):
        (data / name).parent.mkdir(exist_ok=True)
        (data / name).write_bytes(b"changed")
    assert report_version(settings) == same
    for layer_file in ("population/blocks.geojson", "venues/venues.geojson", "manifest.json",
                       "boundaries/councils.geojson"):
        path = data / layer_file
        before = path.read_bytes()
        path.write_bytes(before + b"\n")  # same data, other bytes
        assert report_version(settings) != same, layer_file
        path.write_bytes(before)
    (data / "venues" / "por_ubicar.csv").write_text("id,name\n", "utf-8")  # places to locate
    assert report_version(settings) != same
    (data / "venues" / "por_ubicar.csv").unlink()
    (data / "network").mkdir(exist_ok=True)
    (data / "network" / "streets.osm").write_text("<osm/>", "utf-8")
    assert report_version(settings) != same


def test_an_edit_in_the_planner_workspace_renders_the_pdfs_again(tmp_path, counted):
    """The database, not the files, holds the venues once the workspace runs: an added
    venue must give new PDFs (new version), not the kept ones of the old data."""
    import json as json_module

    from tests.support.workspace import page_token, sign_in, sqlite_url, workspace_app

    data = copy_fixture_data(tmp_path / "data")
    app = workspace_app(data, tmp_path / "cache", sqlite_url(tmp_path))
    app.config["REPORT_WAIT_S"] = 120
    try:
        client = app.test_client()
        url = "/reportes/JV-01.pdf?lang=es"
        first = client.get(url)
        old = pdf_store(app)
        assert first.status_code == 200 and len(counted["calls"]) == 1
        assert client.get(url).data == first.data and len(counted["calls"]) == 1  # kept
        assert sign_in(client).status_code == 302
        venue = {"name": "Biblioteca nueva", "category": "library", "address": "Calle 1",
                 "source": "visita a terreno 2026", "lon": -71.322, "lat": -29.978}
        added = client.post("/planificar/espacios", data=json_module.dumps(venue),
                            content_type="application/json",
                            headers={"X-CSRFToken": page_token(client)})
        assert added.status_code == 201
        again = client.get(url)
        assert again.status_code == 200 and is_whole_pdf(again.data)
        assert len(counted["calls"]) == 2  # rendered again for the new data
        new = pdf_store(app)
        assert new is not old and old.closed
        assert new.folder != old.folder and not old.folder.exists()
    finally:
        app.extensions["culturamap_workspace"].db.dispose()
