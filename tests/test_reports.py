"""Reports: every report renders, its figures match the analysis, data text is escaped,
the PDF's first page is a real picture (pdftoppm), and the CLI writes linked files."""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from culturamap.cli import main as cli_main
from geo import METRIC_CRS
from geo.access import AccessParams, NearestIndex, analyse
from geo.join import assign_councils
from geo.schema import CATEGORIES, CULTURAL_CATEGORIES
from geo.settings import Settings
from geo.study import Study
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR
from tests.support.needs import require
from webmap.report_format import (
    format_date,
    format_minutes,
    format_number,
    format_percent,
    join_words,
)
from webmap.reports import (
    AREA_ID,
    MIN_OFFERINGS_LISTED,
    ReportData,
    ReportError,
    ReportLinks,
    render_html,
    render_pdf,
)
from webmap.static_map import MapInput, gap_classes, render_map

NASTY = '<b>x</b> & "Peñuelas"'
needs_poppler = pytest.mark.usefixtures("poppler")


@pytest.fixture
def poppler():
    require(shutil.which("pdftoppm") is not None, "poppler's pdftoppm",
            "run `make browser` (apt-get install poppler-utils)")


class ReportParser(HTMLParser):
    """Collects what the tests read back: figure cells, rows by kind, texts, images, links."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[tuple[str, str], tuple[str, str]] = {}
        self.rows: dict[str, list[str]] = {"venue": [], "host": [], "workshop": [], "site": [],
                                          "council": []}
        self.venue_times: list[str] = []
        self.host_times: list[str] = []
        self.nearest_of: dict[str, str] = {}  # category -> venue id marked nearest of it
        self.images: list[str] = []
        self.links: list[str] = []
        self.h1 = ""
        self.synthetic = False
        self._cell: tuple[str, str, str] | None = None
        self._cell_text: list[str] = []
        self._in_h1 = False
        self._row_kind: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
        if a.get("data-synthetic") == "true":
            self.synthetic = True
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "tr":
            self._row_kind = None
        for kind in self.rows:
            if f"data-{kind}" in a:
                self.rows[kind].append(a[f"data-{kind}"])
                if tag == "tr":
                    self._row_kind = kind
        if "data-nearest-of" in a:
            self.nearest_of[a["data-nearest-of"]] = a["data-venue"]
        if tag in ("td", "strong") and "data-value" in a:
            self._cell = (a.get("data-figure", ""), a.get("data-scope", ""), a["data-value"])
            self._cell_text = []

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        if tag in ("td", "strong") and self._cell is not None:
            figure, scope, value = self._cell
            text = "".join(self._cell_text).strip()
            if scope:
                self.figures[(figure, scope)] = (value, text)
            elif self._row_kind == "venue":
                self.venue_times.append(value)
            elif self._row_kind == "host":
                self.host_times.append(value)
            self._cell = None

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data
        if self._cell is not None:
            self._cell_text.append(data)


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def data(session_cache) -> ReportData:
    return ReportData(Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=session_cache)))


def expected_text(key: str, value, lang: str, total: int) -> str:
    """The figure as a reader of that language expects it, written out independently."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    dec = "," if lang == "es" else "."
    thousands = "." if lang == "es" else ","

    def number(x: float, places: int) -> str:
        return f"{x:,.{places}f}".replace(",", "#").replace(".", dec).replace("#", thousands)

    if key.startswith("share_within_"):
        return number(value * 100, 1) + ("\u00a0%" if lang == "es" else "%")
    if key in ("mean_time_min", "p90_time_min"):
        return number(value, 1) + "\u00a0min"
    if key == "gap_rank":
        return f"{int(value)} de {total}" if lang == "es" else f"{int(value)} of {total}"
    places = {"area_km2": 2, "venues_per_10k": 1, "sfca_score": 2}.get(key, 0)
    return number(value, places)


FIGURE_KEYS_BASE = ["residents", "area_km2", "venues_total", "venues_per_10k", "mean_time_min",
                    "p90_time_min", "sfca_score"]


def figure_keys(data: ReportData) -> list[str]:
    shares = [f"share_within_{t:g}min" for t in data.result.params.thresholds_min]
    cats = [c for c in data.result.councils.columns if c.startswith("venues_")
            and c not in ("venues_total", "venues_per_10k")]
    return FIGURE_KEYS_BASE + shares + cats


def test_every_report_renders_with_the_analysis_figures(data):
    """All 20 council reports and the area report, in Spanish, against AccessResult."""
    result = data.result
    total = len(result.councils)
    keys = figure_keys(data)
    venue_council = assign_councils(data.layers.venues, data.layers.councils)
    assert len(data.council_ids) == 20
    for council_id in [*data.council_ids, None]:
        html = render_html(data, council_id, "es")
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:|//|file:)""", html)
        page = parse(html)
        assert page.synthetic, council_id
        assert page.images and all(src.startswith("data:image/png;base64,")
                                   for src in page.images)
        for key in keys:
            area_value, area_text = page.figures[(key, "area")]
            expected = result.area[key]
            assert float(area_value) == pytest.approx(float(expected)), key
            assert area_text == expected_text(key, float(expected), "es", total), key
        if council_id is None:
            assert page.h1 == "Acceso a la cultura: Parte Alta de Coquimbo"
            ranked = result.councils.sort_values("gap_rank")["id"].tolist()
            assert page.rows["council"] == ranked
            assert sorted(page.rows["workshop"]) == sorted(data.layers.workshops["id"])
            venues = data.layers.venues
            offering = venues["category"].isin(CULTURAL_CATEGORIES)
            assert sorted(page.rows["venue"]) == sorted(venues.loc[offering, "id"])
            assert sorted(page.rows["host"]) == sorted(venues.loc[~offering, "id"])
            continue
        row = result.councils.set_index("id").loc[council_id]
        for key in [*keys, "gap_rank"]:
            value, text = page.figures[(key, "council")]
            assert float(value) == pytest.approx(float(row[key])), (council_id, key)
            assert text == expected_text(key, float(row[key]), "es", total), (council_id, key)
        name = data.layers.councils.set_index("id").loc[council_id, "name"]
        assert page.h1 == f"Acceso a la cultura: {name}"
        invited = [w["id"] for _, w in data.layers.workshops.iterrows()
                   if council_id in str(w["councils"]).split(";")]
        assert sorted(page.rows["workshop"]) == sorted(invited)
        inside = set(venue_council.loc[venue_council["council_id"] == council_id, "id"])
        category = data.layers.venues.set_index("id")["category"]
        assert {v for v in inside if category[v] in CULTURAL_CATEGORIES} <= set(page.rows["venue"])
        assert {v for v in inside if category[v] not in CULTURAL_CATEGORIES} <= set(
            page.rows["host"])
        assert all(category[v] in CULTURAL_CATEGORIES for v in page.rows["venue"])
        assert all(category[v] not in CULTURAL_CATEGORIES for v in page.rows["host"])
        present = set(data.layers.venues["category"]) & set(CULTURAL_CATEGORIES)
        assert set(page.nearest_of) == present, council_id  # nearest of each, always
        times = [float(t) for t in page.venue_times]
        assert times == sorted(times)  # nearest first
        assert len(times) >= max(MIN_OFFERINGS_LISTED, len(present))
        for position, (v, t) in enumerate(zip(page.rows["venue"], times, strict=True)):
            assert (v in inside or t <= data.threshold or v in page.nearest_of.values()
                    or position < MIN_OFFERINGS_LISTED), (council_id, v)
        host_times = [float(t) for t in page.host_times]
        assert host_times == sorted(host_times)
        assert all(v in inside or t <= data.threshold
                   for v, t in zip(page.rows["host"], host_times, strict=True))


def test_english_report_uses_english_words_and_dot_decimals(data):
    council_id = data.result.councils.sort_values("gap_rank")["id"].iloc[0]
    page = parse(render_html(data, council_id, "en"))
    row = data.result.councils.set_index("id").loc[council_id]
    value, text = page.figures[("share_within_15min", "council")]
    assert text == expected_text("share_within_15min", float(row["share_within_15min"]), "en",
                                 20)
    assert "," not in text
    assert page.figures[("gap_rank", "council")][1] == "1 of 20"
    assert page.h1.startswith("Access to culture: ")


def test_suggested_sites_come_from_site_suggestion(data):
    """Area: the sites of geo.siting; councils: sites for their own uncovered residents."""
    cultural = analyse(data.layers, AccessParams(categories=CULTURAL_CATEGORIES),
                       data.study.travel)
    far = cultural.demand[~(cultural.demand["time_min"] <= data.threshold)]
    far_by_council = far.groupby("council_id")["residents"].sum()

    html = render_html(data, None, "es")
    page = parse(html)
    assert page.rows["site"] == list(data.area_sites["candidate_id"])
    for _, site in data.area_sites.iterrows():
        assert f'data-value="{int(site["newly_covered"])}"' in html
    assert float(page.figures[("uncovered_residents", "area")][0]) == far["residents"].sum()

    with_sites = 0
    for council_id in data.council_ids:
        sites = data.council_sites(council_id)
        html = render_html(data, council_id, "es")
        page = parse(html)
        assert page.rows["site"] == list(sites["candidate_id"]), council_id
        uncovered = int(far_by_council.get(council_id, 0))
        assert float(page.figures[("uncovered_residents", "council")][0]) == uncovered
        assert sites["newly_covered"].sum() <= uncovered
        if uncovered == 0:
            assert len(sites) == 0 and "no se sugieren sitios" in html
        with_sites += len(sites) > 0
    worst = data.result.councils.sort_values("gap_rank")["id"].iloc[0]
    assert len(data.council_sites(worst)) >= 1
    assert with_sites >= 5


def test_data_text_is_escaped_everywhere(data):
    """A council and a venue named with markup show literally, in HTML and in the PDF CSS."""
    layers = dataclasses.replace(data.layers)
    councils = layers.councils.copy()
    councils.loc[councils["id"] == "JV-01", "name"] = NASTY
    venues = layers.venues.copy()
    in_jv01 = assign_councils(venues, councils)
    venue_id = in_jv01.loc[in_jv01["council_id"] == "JV-01", "id"].iloc[0]
    venues.loc[venues["id"] == venue_id, "name"] = NASTY
    manifest = dict(layers.manifest, notice_es='"; } body { display: none } </style><script>x')
    layers = dataclasses.replace(layers, councils=councils, venues=venues, manifest=manifest)
    nasty_data = ReportData(Study(data.study.settings, layers=layers, travel=data.study.travel))
    html = render_html(nasty_data, "JV-01", "es")
    assert "<b>x</b>" not in html
    assert "</style><script>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &#34;Peñuelas&#34;" in html
    page = parse(html)
    assert page.h1 == f"Acceso a la cultura: {NASTY}"
    assert venue_id in page.rows["venue"] + page.rows["host"]
    assert html.count("&lt;b&gt;x&lt;/b&gt;") >= 2  # title and the venue row
    assert render_pdf(html).startswith(b"%PDF")


def test_pdf_refuses_any_external_reference():
    """The PDF is printed offline: a fetch of anything but a data URI is an error."""
    with pytest.raises(ReportError, match="external resource"):
        render_pdf('<p>x</p><img src="http://192.0.2.1/x.png">')
    with pytest.raises(ReportError, match="external resource"):
        render_pdf('<link rel="stylesheet" href="file:///etc/hostname"><p>x</p>')


def pdf_first_page_png(pdf: bytes, tmp_path: Path, stem: str) -> Path:
    pdf_path = tmp_path / f"{stem}.pdf"
    pdf_path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf_path),
                    str(tmp_path / stem)], check=True, capture_output=True)
    pngs = sorted(tmp_path.glob(f"{stem}*.png"))
    assert len(pngs) == 1
    return pngs[0]


def assert_not_blank(png: Path) -> None:
    image = np.asarray(Image.open(png).convert("RGB"))
    non_white = (image < 245).any(axis=2).mean()
    colours = len(np.unique(image.reshape(-1, 3), axis=0))
    assert non_white > 0.15, f"{png.name}: only {non_white:.1%} of the page is not white"
    assert colours > 50, f"{png.name}: only {colours} colours"


@needs_poppler
def test_every_pdf_has_a_drawn_first_page_with_the_synthetic_notice(data, tmp_path):
    """All 21 reports as PDF (Spanish; area also English): page 1 is not blank and says
    SYNTHETIC, since a forwarded PDF travels without the web page around it."""
    targets = [(cid, "es") for cid in data.council_ids] + [(None, "es"), (None, "en")]
    for council_id, lang in targets:
        stem = f"{council_id or AREA_ID}.{lang}"
        pdf = render_pdf(render_html(data, council_id, lang))
        assert pdf.startswith(b"%PDF")
        assert_not_blank(pdf_first_page_png(pdf, tmp_path, stem))
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=pdf,
                                  capture_output=True, check=True).stdout.decode("utf-8")
            label = "DATOS SINTÉTICOS" if lang == "es" else "SYNTHETIC DATA"
            assert label in text, stem
            if council_id is not None:
                assert council_id in text


def test_static_map_is_a_png_of_the_territory(data):
    inputs = MapInput(councils=data.result.councils, venues=data.layers.venues,
                      workshops=data.layers.workshops, demand=data.result.demand,
                      sites=data.area_sites, threshold_min=data.threshold)
    png = render_map(inputs, "JV-05", "es")
    assert png.startswith(b"\x89PNG")
    svg = render_map(inputs, None, "en", fmt="svg")
    assert b"<svg" in svg[:500]
    with pytest.raises(KeyError):
        render_map(inputs, "JV-99", "es")


def test_gap_classes_put_the_lowest_share_in_the_first_class():
    shares = np.array([1.0, 0.5, 0.95, np.nan, 0.2, 0.99])
    index, bins = gap_classes(shares, k=3)
    assert index[3] == -1
    assert index[4] == 0 and index[0] == len(bins) - 1
    assert bins == sorted(bins) and bins[-1] == 1.0


def test_number_formats_follow_the_language():
    assert format_number(1234567.891, "es", 1) == "1.234.567,9"
    assert format_number(1234567.891, "en", 1) == "1,234,567.9"
    assert format_percent(0.125, "es") == "12,5\u00a0%"
    assert format_percent(0.125, "en") == "12.5%"
    assert format_minutes(7.26, "es") == "7,3\u00a0min"
    assert format_minutes(7.26, "en") == "7.3\u00a0min"
    assert format_number(float("nan"), "es") == "—"
    assert format_number(-0.01, "es", 1) == "0,0"


def test_cli_writes_linked_reports(tmp_path):
    out = tmp_path / "reportes"
    code = cli_main(["report", *FIXTURE_ARGS, "--council", "JV-02", "--lang", "es,en",
                     "--format", "html,pdf", "--out", str(out)])
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["JV-02.en.html", "JV-02.en.pdf", "JV-02.es.html", "JV-02.es.pdf"]
    page = parse((out / "JV-02.es.html").read_text("utf-8"))
    assert "JV-02.en.html" in page.links and "JV-02.es.pdf" in page.links
    for link in page.links:
        assert (out / link).exists()
    src = page.images[0]
    assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    assert cli_main(["report", *FIXTURE_ARGS, "--council", "JV-99", "--out", str(out)]) == 2


def test_cli_area_report_links_only_to_written_files(tmp_path):
    args = ["report", *FIXTURE_ARGS, "--area", "--format", "html", "--out", str(tmp_path)]
    assert cli_main(args) == 0
    assert [p.name for p in tmp_path.iterdir()] == [f"{AREA_ID}.es.html"]
    page = parse((tmp_path / f"{AREA_ID}.es.html").read_text("utf-8"))
    assert page.links == []  # no PDF, no English, not all councils: nothing to link to


def test_report_links_are_used_when_given(data):
    links = ReportLinks(other_language="/x?lang=en", pdf="/x.pdf", downloads="/descargas",
                        council_pattern="/reportes/{id}.html")
    page = parse(render_html(data, None, "es", links))
    assert {"/x?lang=en", "/x.pdf", "/descargas", "/reportes/JV-01.html"} <= set(page.links)


def test_council_without_residents_still_gets_a_report(data):
    """Blocks of one council missing (e.g. census not yet joined): figures show a dash or
    zero, no site is suggested, and the report and its PDF still render."""
    blocks = assign_councils(data.layers.population, data.layers.councils)
    kept = data.layers.population[blocks["council_id"].to_numpy() != "JV-01"]
    layers = dataclasses.replace(data.layers, population=kept)
    empty = ReportData(Study(data.study.settings, layers=layers, travel=data.study.travel))
    html = render_html(empty, "JV-01", "es")
    page = parse(html)
    assert page.figures[("residents", "council")][1] in ("0", "—")
    assert page.figures[("share_within_15min", "council")][1] == "—"
    assert page.rows["site"] == []
    assert render_pdf(html).startswith(b"%PDF")


def test_every_report_string_exists_in_both_languages_with_the_same_placeholders():
    import json

    webmap = Path(__file__).resolve().parents[1] / "webmap"
    es = json.loads((webmap / "translations" / "report.es.json").read_text("utf-8"))
    en = json.loads((webmap / "translations" / "report.en.json").read_text("utf-8"))
    assert set(es) == set(en)
    for key in es:
        assert set(re.findall(r"\{\w+\}", es[key])) == set(re.findall(r"\{\w+\}", en[key])), key
    used: set[str] = set()
    for name in ("report.html", "report_base.html", "downloads.html"):
        text = (webmap / "templates" / name).read_text("utf-8")
        used |= set(re.findall(r"""t\(\s*['"](report\.[a-z_.]+)['"]""", text))
    for name in ("reports.py", "static_map.py", "report_routes.py", "report_format.py"):
        text = (webmap / name).read_text("utf-8")
        used |= set(re.findall(r"""translate\(\s*['"](report\.[a-z_.]+)['"]""", text))
    used = {key for key in used if not key.endswith(".")}  # 'report.layer.' ~ name: below
    assert len(used) > 60
    assert used <= set(es), used - set(es)
    for layer in ("councils", "venues", "workshops", "population", "network"):
        assert f"report.layer.{layer}" in es  # sources table labels manifest layers


def representative_point(data: ReportData, council_id: str) -> tuple[float, float]:
    polygon = data.layers.councils.set_index("id").loc[[council_id]].to_crs(METRIC_CRS)
    point = polygon.geometry.representative_point().to_crs(4326).iloc[0]
    return point.x, point.y


def rows_by_id(html: str, kind: str) -> dict[str, str]:
    """``data-<kind>`` row id -> the row's HTML (to read its cells)."""
    found = re.findall(rf'<tr data-{kind}="([^"]+)"(.*?)</tr>', html, flags=re.S)
    return dict(found)


@pytest.mark.parametrize("which", ["JV-03", "worst"])
def test_council_lists_its_nearest_offering_of_each_category(data, which):
    """The gap is about libraries, cultural centres, theatres and museums: the council report
    names the nearest of each with the walking time and distance of an index built here,
    and places that only host workshops sit in their own table."""
    council_id = (data.result.councils.sort_values("gap_rank")["id"].iloc[0]
                  if which == "worst" else which)
    index = NearestIndex(data.study.travel, data.layers.venues)
    lon, lat = representative_point(data, council_id)
    html = render_html(data, council_id, "es")
    page = parse(html)
    offering_rows = rows_by_id(html, "venue")
    assert set(page.nearest_of) == set(CULTURAL_CATEGORIES)  # the demo has one of each
    for category in CULTURAL_CATEGORIES:
        nearest = index.query(lon, lat, categories=[category], limit=1).iloc[0]
        assert page.nearest_of[category] == nearest["id"], (council_id, category)
        row = offering_rows[nearest["id"]]
        value = re.search(r'data-value="([^"]+)"', row).group(1)
        assert float(value) == pytest.approx(float(nearest["time_min"]), abs=1e-9)
        assert format_minutes(nearest["time_min"], "es") in row
        assert f"{format_number(nearest['dist_m'], 'es')}\u00a0m" in row
        assert "la más cercana de su categoría" in row

    hosts = [c for c in CATEGORIES if c not in CULTURAL_CATEGORIES]
    near_hosts = index.query(lon, lat, categories=hosts, limit=len(data.layers.venues))
    venue_council = assign_councils(data.layers.venues, data.layers.councils)
    inside = set(venue_council.loc[venue_council["council_id"] == council_id, "id"])
    expected = near_hosts[(near_hosts["time_min"] <= data.threshold)
                          | near_hosts["id"].isin(inside)]
    assert page.rows["host"] == list(expected["id"])
    assert not set(page.rows["host"]) & set(page.rows["venue"])
    hosts_at = html.index('id="hosts"')
    assert all(html.index(f'data-host="{v}"') > hosts_at for v in page.rows["host"])
    assert all(html.index(f'data-venue="{v}"') < hosts_at for v in page.rows["venue"])


def test_reports_say_which_categories_count_as_offerings(data):
    es = render_html(data, "JV-03", "es")
    assert ("Cuentan como oferta cultural en todas las cifras y tiempos a pie: biblioteca, "
            "centro cultural, teatro y museo.") in es
    assert "Los espacios de tipo sede vecinal, escuela, plaza u otro pueden acoger talleres" in es
    en = render_html(data, None, "en")
    assert ("Counted as cultural offerings in every figure and walking time: library, "
            "cultural centre, theatre and museum.") in en
    assert "community hall, school, square or other can host workshops" in en
    assert "solo bibliotecas" not in es and "Here only" not in en  # the old contrast is gone
    page = parse(en)
    assert len(page.rows["host"]) == (~data.layers.venues["category"].isin(
        CULTURAL_CATEGORIES)).sum()


def test_other_counted_categories_change_lists_and_sentence(data):
    """A planner counting only libraries and theatres: cultural centres become hosts."""
    narrow = ReportData(data.study.with_settings(categories=("library", "theatre")))
    html = render_html(narrow, "JV-03", "es")
    assert "Cuentan como oferta cultural en todas las cifras y tiempos a pie: biblioteca y " \
           "teatro." in html
    assert "centro cultural, museo, sede vecinal, escuela, plaza u otro" in html
    page = parse(html)
    category = data.layers.venues.set_index("id")["category"]
    assert {category[v] for v in page.rows["venue"]} == {"library", "theatre"}
    assert set(page.nearest_of) == {"library", "theatre"}
    assert "cultural_centre" not in {category[v] for v in page.rows["venue"]}
    area = parse(render_html(narrow, None, "es"))
    assert {category[v] for v in area.rows["venue"]} == {"library", "theatre"}
    assert {category[v] for v in area.rows["host"]} == set(CATEGORIES) - {"library", "theatre"}


MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]


def test_dates_are_written_long_in_each_language(data):
    import datetime as dt

    today = dt.date.today()
    data_date = dt.date.fromisoformat(str(data.layers.manifest["date"]))
    for lang, months, generated in (
        ("es", MONTHS_ES, "Generado el {} · datos del {}"),
        ("en", MONTHS_EN, "Generated {} · data of {}"),
    ):
        def long(d, months=months, lang=lang):
            return (f"{d.day} de {months[d.month - 1]} de {d.year}" if lang == "es"
                    else f"{d.day} {months[d.month - 1]} {d.year}")

        html = render_html(data, None, lang)
        assert generated.format(long(today), long(data_date)) in html
        workshop_rows = rows_by_id(html, "workshop")
        for _, w in data.layers.workshops.iterrows():
            assert f"<td>{long(w['date'])}</td>" in workshop_rows[w["id"]], (lang, w["id"])
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", html.split("<section id=\"sources\"")[0])
    assert format_date("2026-04-11", "es") == "11 de abril de 2026"
    assert format_date(dt.datetime(2026, 1, 2, 10, 30), "en") == "2 January 2026"
    assert format_date(float("nan"), "es") == "—"
    assert format_date("por confirmar", "es") == "por confirmar"
    assert join_words(["teatro", "museo", "otro"], "es", "or") == "teatro, museo u otro"
    assert join_words(["library", "theatre"], "en") == "library and theatre"
