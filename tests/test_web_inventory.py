"""Never let a gap in the inventory look like a gap in the city.

Pages and reports state how many cultural places are located and how many are still to be
located ("por ubicar"), say so when no workshop is recorded, name the residents the
walking model cannot bring to any cultural offering, and name the study area from the
data's manifest. Every expected count is computed here from the files themselves.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

from geo.schema import categories
from tests.support.web import app_for

try:
    from tests.support.data import FIXTURE_DATA_DIR
except ImportError:  # the fixture move may not be committed yet
    FIXTURE_DATA_DIR = Path(__file__).resolve().parent / "fixtures" / "demo_data"

SCRIPT_NAME = '<script>alert("por ubicar")</script> Sala & "Teatro"'
AREA = {"id": "coquimbo-test", "name_es": "Coquimbo de prueba", "name_en": "Test Coquimbo"}
EMPTY_WORKSHOPS_ES = "Aún no hay talleres registrados"
EMPTY_WORKSHOPS_EN = "No workshop recorded yet"
REPORTS = ("/reportes/{area}.html", "/reportes/{council}.html")


def cultural_counts(data_dir: Path) -> dict[str, int]:
    """Located cultural places, offerings, places to locate and workshops, from the files."""
    cultural = {c.id for c in categories() if c.cultural_place}
    offering = {c.id for c in categories() if c.role == "offering"}
    venues = json.loads((data_dir / "venues" / "venues.geojson").read_text("utf-8"))
    cats = [f["properties"]["category"] for f in venues["features"]]
    to_locate_path = data_dir / "venues" / "por_ubicar.csv"
    to_locate = 0
    if to_locate_path.exists():
        with to_locate_path.open(encoding="utf-8", newline="") as fh:
            to_locate = sum(1 for _ in csv.DictReader(fh))
    workshops = json.loads((data_dir / "workshops" / "workshops.geojson").read_text("utf-8"))
    return {
        "cultural_located": sum(c in cultural for c in cats),
        "offerings_located": sum(c in offering for c in cats),
        "to_locate": to_locate,
        "workshops": len(workshops["features"]),
    }


def inventory_attrs(page: str) -> dict[str, int]:
    found = re.search(r'id="inventory-note"[^>]*data-located="(\d+)" data-to-locate="(\d+)" '
                      r'data-offerings="(\d+)"', page)
    assert found, "no inventory statement on the page"
    located, to_locate, offerings = (int(v) for v in found.groups())
    return {"cultural_located": located, "to_locate": to_locate, "offerings_located": offerings}


def text_of(page: str) -> str:
    """Visible text, roughly: tags removed, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def fixture_app(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def gap_data(tmp_path_factory) -> Path:
    """The fixture with two places to locate (one named with HTML), no workshop recorded
    and a manifest naming its study area."""
    import shutil

    data = tmp_path_factory.mktemp("gaps") / "data"
    shutil.copytree(FIXTURE_DATA_DIR, data)
    with (data / "venues" / "por_ubicar.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "category", "address", "sector", "status",
                         "status_date", "source_urls", "notes"])
        writer.writerow(["EC-01", SCRIPT_NAME, "museum", "<b>calle</b> 1", "Centro", "open",
                         "2025-01-01",
                         "https://example.org/a?x=1&y=2 (2025); javascript:alert(3) (bad)", ""])
        writer.writerow(["EC-02", "Biblioteca sin coordenadas", "library", "", "", "closed",
                         "", "", ""])
    (data / "workshops" / "workshops.geojson").write_text(
        '{"type":"FeatureCollection","features":[]}', "utf-8")
    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["study_area"] = AREA
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return data


@pytest.fixture(scope="module")
def gap_app(gap_data, tmp_path_factory):
    return app_for(gap_data, tmp_path_factory.mktemp("cache"))


def first_council(app) -> str:
    return sorted(app.extensions["culturamap"].layers.councils["id"])[0]


# --- the fixture as it is ------------------------------------------------------------------


def test_fixture_pages_state_the_inventory_counted_from_the_files(fixture_app):
    expected = cultural_counts(FIXTURE_DATA_DIR)
    assert expected["to_locate"] == 0 and expected["workshops"] > 0
    client = fixture_app.test_client()
    council = first_council(fixture_app)
    for path in ("/", "/cerca", "/acerca", REPORTS[0].format(area="parte-alta"),
                 REPORTS[1].format(council=council)):
        page = client.get(path + "?lang=es").get_data(as_text=True)
        shown = inventory_attrs(page)
        assert shown == {k: expected[k] for k in shown}, path
        text = text_of(page)
        assert f"Espacios culturales ubicados: {expected['cultural_located']};" in text, path
        assert "no hay lugares culturales conocidos por ubicar" in text, path
        assert EMPTY_WORKSHOPS_ES not in text, path


def test_fixture_keeps_the_parte_alta_wording_under_the_comuna_title(fixture_app):
    client = fixture_app.test_client()
    page = client.get("/?lang=es").get_data(as_text=True)
    assert "<title>Mapa de acceso a la cultura · CulturaMap Coquimbo</title>" in page
    assert "CulturaMap Parte Alta" not in page
    assert " · Parte Alta de Coquimbo</span>" in page
    assert "En toda la Parte Alta" in text_of(page)
    report = client.get("/reportes/parte-alta.html?lang=en").get_data(as_text=True)
    assert "<title>Access to culture: Parte Alta, Coquimbo</title>" in report


# --- places to locate, no workshop, a named study area ---------------------------------


@pytest.mark.parametrize("lang", ["es", "en"])
def test_counts_shown_equal_the_counts_in_the_files(gap_app, gap_data, lang):
    expected = cultural_counts(gap_data)
    assert expected["to_locate"] == 2 and expected["workshops"] == 0
    client = gap_app.test_client()
    council = first_council(gap_app)
    sentence = {
        "es": f"Espacios culturales ubicados: {expected['cultural_located']}; "
              f"por ubicar: {expected['to_locate']}",
        "en": f"Cultural places located: {expected['cultural_located']}; "
              f"still to be located: {expected['to_locate']}",
    }[lang]
    caveat = {"es": "un vacío en el mapa puede ser un vacío del inventario",
              "en": "a gap on the map may be a gap in the inventory"}[lang]
    for path in ("/", "/cerca", "/acerca", "/descargas",
                 REPORTS[0].format(area=AREA["id"]), REPORTS[1].format(council=council)):
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        shown = inventory_attrs(page)
        assert shown == {k: expected[k] for k in shown}, path
        text = text_of(page)
        assert sentence in text, path
        assert caveat in text, path


def test_about_page_lists_the_places_to_locate_escaped(gap_app):
    page = gap_app.test_client().get("/acerca?lang=es").get_data(as_text=True)
    table = page.split('id="to-locate-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-to-locate=") == 2
    assert str(escape(SCRIPT_NAME)) in table
    assert "<script>" not in table and "<b>calle</b>" not in table
    assert "&lt;b&gt;calle&lt;/b&gt; 1" in table
    assert ">Museo<" in table and ">Centro<" in table and ">abierto" in table
    # http(s) sources become links (escaped, no referrer); anything else stays text
    assert ('<a href="https://example.org/a?x=1&amp;y=2" rel="noopener noreferrer">'
            in table)
    assert "javascript:alert(3)" in table and 'href="javascript' not in table
    # the map and /cerca link to this list
    for path in ("/", "/cerca"):
        other = gap_app.test_client().get(path).get_data(as_text=True)
        assert re.search(r'href="/(acerca|about)#to-locate"', other), path


def test_empty_workshops_are_said_not_left_blank(gap_app):
    client = gap_app.test_client()
    council = first_council(gap_app)
    page = client.get("/?lang=es").get_data(as_text=True)
    legend = page.split('data-layer="workshops"', 1)[1].split("</section>", 1)[0]
    assert EMPTY_WORKSHOPS_ES in legend and "data/workshops/workshops.geojson" in legend
    english = client.get("/?lang=en").get_data(as_text=True)
    assert EMPTY_WORKSHOPS_EN in text_of(english)
    for path in (REPORTS[0].format(area=AREA["id"]), REPORTS[1].format(council=council)):
        report = client.get(path + "?lang=en").get_data(as_text=True)
        section = report.split('<section id="workshops">', 1)[1].split("</section>", 1)[0]
        assert EMPTY_WORKSHOPS_EN in text_of(section), path
        assert "(2014–2015)" in section


def test_area_name_comes_from_the_manifest(gap_app):
    client = gap_app.test_client()
    page = client.get("/?lang=es").get_data(as_text=True)
    assert "<title>Mapa de acceso a la cultura · CulturaMap Coquimbo</title>" in page
    assert f" · {AREA['name_es']}</span>" in page
    assert f"{AREA['name_es']}: el " in text_of(page)
    # "Parte Alta" is now only the focus area's name (a municipal sector), never the area's
    without_focus = text_of(page).replace("Área foco (Parte Alta)", "")
    assert "Parte Alta" not in without_focus.replace("Área foco: Parte Alta", "")
    assert "Área foco (Parte Alta)" in text_of(page)
    for name in (AREA["id"], "parte-alta"):  # the historical URL keeps working
        report = client.get(f"/reportes/{name}.html?lang=en")
        assert report.status_code == 200
        body = report.get_data(as_text=True)
        assert f"<title>Access to culture: {AREA['name_en']}</title>" in body
        assert f'data-report="{AREA["id"]}"' in body
    downloads = client.get("/descargas?lang=es").get_data(as_text=True)
    assert f'href="/reportes/{AREA["id"]}.html?lang=es"' in downloads
    assert f"Acceso a la cultura: {AREA['name_es']}" in downloads
    assert client.get("/api/nearest?lat=0&lon=0").get_json()["detail"] == (
        f"El punto está fuera del área del mapa ({AREA['name_es']}).")
    i18n = re.search(r'id="culturamap-i18n">(.*?)</script>', page).group(1)
    assert AREA["name_es"] in json.loads(i18n)["js.geo_outside"]
    assert client.get("/reportes/otra-area.html").status_code == 404


def test_no_synthetic_notice_on_real_data(gap_app, gap_data, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(gap_data, data)
    manifest = json.loads((data / "manifest.json").read_text("utf-8"))
    manifest.update(synthetic=False, notice_es="Datos públicos reales", notice_en="Real data")
    (data / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    synthetic = gap_app.test_client()
    assert 'id="synthetic-banner"' in synthetic.get("/").get_data(as_text=True)
    assert 'class="synthetic"' in synthetic.get("/descargas").get_data(as_text=True)
    client = app_for(data, tmp_path / "cache").test_client()
    for path in ("/", "/cerca", "/acerca", f"/reportes/{AREA['id']}.html", "/descargas"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="synthetic-banner"' not in page, path
        assert 'class="synthetic"' not in page and "@top-center" not in page, path


# --- residents the walking model cannot bring to an offering --------------------------


def test_unreachable_residents_in_api_popup_and_reports(gap_data, tmp_path):
    app = app_for(gap_data, tmp_path / "cache")
    store = app.extensions["culturamap"]
    council = first_council(app)
    client = app.test_client()
    figures = client.get("/api/councils").get_json()["councils"]
    assert all(f["unreachable_residents"] == 0 for f in figures)  # one connected network
    # a remote piece of network: its residents reach no offering (as UV-028/029 really do)
    councils = store.study.access.councils
    councils.loc[councils["id"] == council, "unreachable_residents"] = 1234.0
    store.study.access.area["unreachable_residents"] = 1234.0
    one = client.get(f"/api/councils/{council}").get_json()
    assert one["unreachable_residents"] == 1234
    assert one["mean_time_min"] is not None  # the mean of the others, as computed
    listed = {f["id"]: f for f in client.get("/api/councils").get_json()["councils"]}
    assert listed[council]["unreachable_residents"] == 1234
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '"unreachable_residents": 1234' in page or '"unreachable_residents":1234' in page
    i18n = json.loads(re.search(r'id="culturamap-i18n">(.*?)</script>', page).group(1))
    assert "{count} residents live where the walking model" in i18n["js.unreachable"]
    assert "1,234 residents live where the walking model reaches no cultural offering" in (
        text_of(page))
    report = client.get(f"/reportes/{council}.html?lang=es").get_data(as_text=True)
    assert ("1.234 residentes viven donde el modelo a pie no alcanza ninguna oferta cultural"
            in text_of(report))
