"""Flask test-client tests of the HTML pages: language, banner, offline assets, escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geo.layers import load_all
from geo.schema import CATEGORIES, categories
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import NASTY_ADDRESS, NASTY_NAME, app_for, copy_data, make_nasty_data

WEBMAP = Path(__file__).resolve().parents[1] / "webmap"
PAGES = ("/", "/cerca", "/nearby", "/acerca", "/about")
MANIFEST = json.loads((FIXTURE_DATA_DIR / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))


@pytest.fixture()
def client(app):
    return app.test_client()  # a fresh cookie jar for every test


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_default_to_spanish_with_banner_and_switcher(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert html_lang(page) == "es-CL"
    assert MANIFEST["notice_es"] in page
    assert f'href="{path}?lang=en"' in page  # the language switcher
    assert 'href="/descargas?lang=es"' in page  # reports and downloads (issue 5)


@pytest.mark.parametrize("path", PAGES)
def test_pages_in_english(client, path):
    page = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert html_lang(page) == "en"
    assert MANIFEST["notice_en"] in page and MANIFEST["notice_es"] not in page
    assert f'href="{path}?lang=es"' in page


def test_language_choice_is_remembered_and_accept_language_is_used(client):
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert response.headers["Content-Language"] == "en"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert html_lang(client.get("/cerca").get_data(as_text=True)) == "en"  # from the cookie
    fresh = client.application.test_client()
    english = fresh.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(english.get_data(as_text=True)) == "en"
    french = fresh.get("/", headers={"Accept-Language": "fr-FR"})
    assert html_lang(french.get_data(as_text=True)) == "es-CL"


def test_main_page_has_the_layers_legend_and_data(client):
    page = client.get("/").get_data(as_text=True)
    for label in ("Unidades vecinales: brecha de acceso", "Espacios culturales",
                  "Talleres micro-barriales", "Densidad de población", "Calles (red peatonal)"):
        assert label in page or json.dumps(label)[1:-1] in page  # folium writes \u escapes
    for cat in CATEGORIES:
        assert f"icons/{cat}.svg" in page
    assert page.count('class="swatch"') >= 4  # gap classes and density classes
    assert "L.markerClusterGroup" in page
    assert "JV-20" in page and "V-043" in page and "T-6" in page
    # the blocks are fetched when their layer is switched on, not embedded in the page
    assert "MZ-0634" not in page
    blocks = client.get("/mapa/manzanas.geojson")
    assert blocks.mimetype == "application/geo+json"
    ids = {f["id"] for f in blocks.get_json()["features"]}
    assert "MZ-0634" in ids and len(ids) == len(load_all(FIXTURE_DATA_DIR).population)


def test_no_external_resources_and_every_static_file_exists(client):
    """The page must work offline: no CDN, no tiles, and every /static URL answers."""
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), path
        assert "tile.openstreetmap" not in page
        for url in set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)):
            assert client.get(url).status_code == 200, url


def test_main_page_weighs_less_than_1_5_mb_with_its_assets(client):
    page = client.get("/").get_data()
    total = len(page)
    for url in set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', page)):
        total += len(client.get(url.decode()).get_data())
    assert total < 1.5 * 1024 * 1024


def test_nearby_page_lists_councils_and_categories(client, app):
    page = client.get("/cerca").get_data(as_text=True)
    councils = app.extensions["culturamap"].layers.councils
    assert page.count('data-lon="') == len(councils) == 20
    for name in councils["name"]:
        assert f">{name}</option>" in page
    for cat in CATEGORIES:
        assert f'<option value="{cat}">' in page
    assert 'id="locate-btn"' in page and "Usar mi ubicación" in page


def test_about_page_shows_sources_and_licences(client):
    page = client.get("/acerca").get_data(as_text=True)
    for meta in MANIFEST["layers"].values():
        assert meta["licence"] in page
    assert "/ogc" in page and "/collections" in page


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Esta página no existe" in response.get_data(as_text=True)
    assert "This page does not exist" in client.get("/no?lang=en").get_data(as_text=True)


def test_no_banner_when_data_are_not_synthetic(tmp_path):
    data = copy_data(tmp_path)
    manifest = json.loads((data / "manifest.json").read_text("utf-8"))
    manifest["synthetic"] = False
    (data / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    client = app_for(data, tmp_path / "cache").test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'id="synthetic-banner"' not in page and MANIFEST["notice_es"] not in page


def test_names_from_data_are_escaped_everywhere(tmp_path):
    data, venue_id = make_nasty_data(tmp_path)
    client = app_for(data, tmp_path / "cache").test_client()
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page, path
        assert "<img src=x" not in page, path
    # the nearby page lists the council name as escaped option text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Peñuelas&#34;" in client.get(
        "/cerca"
    ).get_data(as_text=True)
    # the APIs return the text unchanged (JSON is not HTML)
    item = client.get(f"/collections/venues/items/{venue_id}").get_json()
    assert item["properties"]["name"] == NASTY_NAME
    assert item["properties"]["address"] == NASTY_ADDRESS
    nearest = client.get("/api/nearest?lat=-29.9805&lon=-71.324&limit=43").get_json()
    assert NASTY_NAME in {r["name"] for r in nearest["results"]}


def _keys_used() -> set[str]:
    keys: set[str] = set()
    for template in (WEBMAP / "templates").glob("*.html"):
        if template.name.startswith("report"):
            continue
        keys |= set(re.findall(r't\(\s*"([a-z_.]+)"\s*[,)]', template.read_text("utf-8")))
    for script in (WEBMAP / "static" / "js").glob("*.js"):
        keys |= set(re.findall(r'tr\("([a-z_.]+)"\s*[,)]', script.read_text("utf-8")))
    return keys


def test_every_text_is_translated_in_both_languages():
    parts = {}
    for lang in ("es", "en"):
        merged = {}
        for part in ("common", "web", "agenda"):  # agenda: issue 14
            merged.update(json.loads((WEBMAP / "translations" / f"{part}.{lang}.json").read_text()))
        parts[lang] = merged
    assert set(parts["es"]) == set(parts["en"])
    used = _keys_used()
    assert len(used) > 40
    assert used <= set(parts["es"]), used - set(parts["es"])
    for cat in categories():  # category labels live in the registry, in both languages
        assert cat.label_es and cat.label_en
    for key in parts["es"]:
        if key.startswith("error."):
            continue
        # placeholders agree between languages
        assert set(re.findall(r"\{\w+\}", parts["es"][key])) == set(
            re.findall(r"\{\w+\}", parts["en"][key])
        ), key


# --- numbers in the reader's language (THRESHOLD_MIN=12.5) ------------------------------


@pytest.fixture(scope="module")
def app_12_5(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"), THRESHOLD_MIN=12.5)


def test_format_setting_has_only_the_decimals_the_value_has():
    from webmap.report_format import format_setting

    assert [format_setting(v, "es") for v in (15, 12.5, 4.5, 0.25, 1500)] == [
        "15", "12,5", "4,5", "0,25", "1.500"]
    assert [format_setting(v, "en") for v in (15.0, 12.5, 1500)] == ["15", "12.5", "1,500"]


def test_about_page_writes_the_walking_speed_in_the_reader_language(client):
    assert "4,5 km/h" in client.get("/acerca?lang=es").get_data(as_text=True)
    english = client.get("/about?lang=en").get_data(as_text=True)
    assert "4.5 km/h" in english and "4,5" not in english


def without_scripts(page: str) -> str:
    """The page's text and markup, without scripts (map data has numbers such as 2712.5)."""
    return re.sub(r"<script\b.*?</script>", "", page, flags=re.S)


@pytest.mark.parametrize("path", ["/", "/acerca", "/cerca"])
def test_a_decimal_threshold_is_written_the_spanish_way_in_spanish(app_12_5, path):
    client = app_12_5.test_client()
    spanish = client.get(f"{path}?lang=es").get_data(as_text=True)
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    if path != "/cerca":  # the nearby page writes the threshold from its script only
        assert "12,5" in without_scripts(spanish) and "12.5" not in without_scripts(spanish)
        assert "12.5" in without_scripts(english) and "12,5" not in without_scripts(english)
    config = json.loads(re.search(r'id="culturamap-config"[^>]*>([^<]*)<', spanish).group(1))
    assert config["threshold"] == "12,5"  # shown by the popups as is
    english_config = re.search(r'id="culturamap-config"[^>]*>([^<]*)<', english).group(1)
    assert json.loads(english_config)["threshold"] == "12.5"


def test_map_legend_and_summary_use_the_decimal_comma(app_12_5):
    page = app_12_5.test_client().get("/?lang=es").get_data(as_text=True)
    legend = page.split('id="area-figure"', 1)[1]
    assert "a 12,5 minutos o menos" in legend
    assert "Residentes a 12,5 min o menos a pie" in legend


def test_reports_and_their_static_map_use_the_reader_language(app_12_5):
    from matplotlib import rc_context

    from webmap.static_map import MapInput, render_map

    client = app_12_5.test_client()
    spanish = client.get("/reportes/parte-alta.html?lang=es").get_data(as_text=True)
    english = client.get("/reportes/parte-alta.html?lang=en").get_data(as_text=True)
    # what a reader sees: not the base64 map image, nor machine attributes (data-figure)
    text_es = re.sub(r'(src="data:|data-[a-z-]+=")[^"]*"', "", spanish)
    text_en = re.sub(r'(src="data:|data-[a-z-]+=")[^"]*"', "", english)
    assert "12,5" in text_es and "12.5" not in text_es
    assert "12.5" in text_en and "12,5" not in text_en
    data = app_12_5.extensions["culturamap_reports"].data
    frame = MapInput(councils=data.result.councils, venues=data.layers.venues,
                     workshops=data.layers.workshops, demand=data.result.demand,
                     sites=data.area_sites, threshold_min=data.threshold,
                     streets=data.study.travel.lines(),
                     counted=tuple(data.result.params.counted_categories))
    with rc_context({"svg.fonttype": "none"}):  # keep the legend as text to read it
        svg_es = render_map(frame, None, "es", fmt="svg").decode("utf-8")
        svg_en = render_map(frame, None, "en", fmt="svg").decode("utf-8")
    texts_es = " | ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", svg_es, flags=re.S))
    texts_en = " | ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", svg_en, flags=re.S))
    assert "12,5 min" in texts_es and "12.5" not in texts_es
    assert "12.5 min" in texts_en and "12,5" not in texts_en


def test_the_map_says_how_many_connectors_the_derived_network_guesses_and_how_long(tmp_path):
    """The map legend's note on the walking network derived from the blocks: the number of
    straight connectors and their length in km, as es-CL and English write it. The length is
    measured here on the ellipsoid (pyproj.Geod), not in the projection the app uses; an
    OpenStreetMap network has no such note."""
    import geopandas as gpd
    from pyproj import Geod

    from geo.settings import Settings
    from geo.travel import load_block_model

    lines = load_block_model(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=tmp_path)).lines()
    connectors = gpd.GeoSeries(lines.geometry[lines["kind"] == "connector"])
    km = sum(Geod(ellps="WGS84").geometry_length(g) for g in connectors) / 1000
    count = len(connectors)
    assert count > 1 and km > 0.1  # the fixture's blocks leave gaps the model bridges
    es_km, en_km = f"{km:.1f}".replace(".", ","), f"{km:.1f}"
    blocks = app_for(FIXTURE_DATA_DIR, tmp_path, TRAVEL_MODEL="blocks").test_client()
    assert f"{count} conectores rectos ({es_km} km)" in blocks.get("/?lang=es").get_data(
        as_text=True)
    assert f"{count} straight connectors ({en_km} km)" in blocks.get("/?lang=en").get_data(
        as_text=True)
    osm = app_for(FIXTURE_DATA_DIR, tmp_path, TRAVEL_MODEL="osm").test_client()
    assert "conectores rectos" not in osm.get("/?lang=es").get_data(as_text=True)
