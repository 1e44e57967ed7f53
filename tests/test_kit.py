"""The leader's kit: one A4 page per unit whose QR code opens /cerca, with the study's figures.

Oracles, independent of webmap.kit: page count and size from poppler's ``pdfinfo`` (A4 is
210 x 297 mm), the QR read back by zxing-cpp from the page rasterised by ``pdftoppm``, the
expected /cerca address written out by hand, and the share within the threshold recomputed
from the per-block table (``study.access.demand``: residents with time_min <= threshold over
all residents of the unit).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from culturamap.cli import main as cli_main
from geo.errors import ConfigError
from geo.schema import categories
from geo.settings import Settings, load_settings
from geo.study import Study
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR
from tests.support.needs import require
from tests.support.web import app_for
from webmap.kit import KitError, render_kit_html, render_kit_pdf, share_sentence
from webmap.reports import ReportData
from webmap.static_map import MapInput, print_markers, render_map

needs_poppler = pytest.mark.usefixtures("poppler")


@pytest.fixture
def poppler():
    require(shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None,
            "poppler's pdftoppm and pdfinfo", "run `make browser` (apt-get install poppler-utils)")
BASE = "https://cultura.example.cl"
A4_PT = (210 / 25.4 * 72, 297 / 25.4 * 72)  # 595.28 x 841.89 points


@pytest.fixture(scope="module")
def data(session_cache) -> ReportData:
    return ReportData(Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=session_cache)))


# --- oracles ------------------------------------------------------------------------------

def pdf_pages_and_size(pdf: bytes, tmp_path: Path) -> tuple[int, tuple[float, float]]:
    path = tmp_path / "kit.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                          text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    w, h = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups()
    return pages, (float(w), float(h))


def qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code zxing-cpp finds on the first page rasterised at 150 dpi."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(tmp_path / "qr")], check=True, capture_output=True)
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_text(pdf: bytes) -> str:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    return text.replace("\u00a0", " ")


def expected_share(data: ReportData, council_id: str) -> tuple[float, float]:
    """(share within the threshold, residents) of a unit, from the per-block table."""
    demand = data.study.access.demand
    blocks = demand[demand["council_id"] == council_id]
    residents = float(blocks["residents"].sum())
    near = float(blocks.loc[blocks["time_min"] <= data.threshold, "residents"].sum())
    return (near / residents if residents else math.nan), residents


def percent_text(share: float, lang: str) -> str:
    """12.5 % as each language writes it (es: comma and a space; en: point, no space)."""
    number = f"{share * 100:.1f}"
    return number.replace(".", ",") + " %" if lang == "es" else number + "%"


def expected_sentence_start(share: float, lang: str) -> str:
    """How the plain sentence must begin, written from the share by hand."""
    out_of_ten = math.floor(share * 10 + 0.5)
    if lang == "es":
        if share == 0:
            return "En esta unidad vecinal, ningún vecino vive"
        if share == 1:
            return "En esta unidad vecinal, todos los vecinos viven"
        if out_of_ten == 0:
            return "En esta unidad vecinal, menos de 1 de cada 10 vecinos vive"
        if out_of_ten == 10:
            return "En esta unidad vecinal, más de 9 de cada 10 vecinos viven"
        return f"En esta unidad vecinal, {out_of_ten} de cada 10 vecinos viven"
    if share == 0:
        return "In this neighbourhood unit, no resident lives"
    if share == 1:
        return "In this neighbourhood unit, every resident lives"
    if out_of_ten == 0:
        return "In this neighbourhood unit, fewer than 1 in 10 residents lives"
    if out_of_ten == 10:
        return "In this neighbourhood unit, more than 9 in 10 residents live"
    return f"In this neighbourhood unit, {out_of_ten} in 10 residents live"


class KitPage(HTMLParser):
    """The figures (data-figure -> data-value, text), the sentence and the listed places."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, tuple[str, str]] = {}
        self.sentence = ""
        self.places: list[str] = []
        self.place_times: list[tuple[str, str]] = []
        self._figure: tuple[str, str] | None = None
        self._time: str | None = None
        self._text: list[str] = []
        self._in_sentence = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "strong" and "data-figure" in a:
            self._figure, self._text = (a["data-figure"], a["data-value"]), []
        if tag == "p" and "sentence" in (a.get("class") or ""):
            self._in_sentence = True
        if tag == "tr" and "data-venue" in a:
            self.places.append(a["data-venue"])
        if tag == "td" and "data-value" in a:
            self._time, self._text = a["data-value"], []

    def handle_endtag(self, tag):
        if tag == "strong" and self._figure is not None:
            self.figures[self._figure[0]] = (self._figure[1], "".join(self._text).strip())
            self._figure = None
        if tag == "p":
            self._in_sentence = False
        if tag == "td" and self._time is not None:
            self.place_times.append((self._time, "".join(self._text).strip()))
            self._time = None

    def handle_data(self, text):
        if self._figure is not None or self._time is not None:
            self._text.append(text)
        if self._in_sentence:
            self.sentence += text


def kit_page(html: str) -> KitPage:
    page = KitPage()
    page.feed(html)
    return page


# --- the page -----------------------------------------------------------------------------

@needs_poppler
def test_every_kit_is_one_a4_page_whose_qr_opens_cerca(data, tmp_path):
    """Every third unit in Spanish, every fifth in English (the maps take seconds each):
    one A4 page; the QR, read by zxing-cpp from the printed page, is the unit's /cerca
    address (English names its language)."""
    targets = [(cid, "es") for cid in data.council_ids[::3]]
    targets += [(cid, "en") for cid in data.council_ids[::5]]
    for council_id, lang in targets:
        pdf = render_kit_pdf(data, council_id, lang, BASE + "/")
        pages, (width, height) = pdf_pages_and_size(pdf, tmp_path)
        assert pages == 1, (council_id, lang)
        assert width == pytest.approx(A4_PT[0], abs=0.5)
        assert height == pytest.approx(A4_PT[1], abs=0.5)
        wanted = f"{BASE}/cerca?junta={council_id}" + ("&lang=en" if lang == "en" else "")
        assert qr_texts(pdf, tmp_path) == [wanted], (council_id, lang)


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_kit_figures_are_the_units_figures(data, lang, tmp_path):
    """The share, residents and sentence on the kits (the units of the page test, whose maps
    are drawn already, plus the lowest and highest shares) equal the per-block table's, on
    the page (HTML) and in the PDF's text."""
    label = {"es": "DATOS SINTÉTICOS", "en": "SYNTHETIC DATA"}[lang]
    shares = {cid: expected_share(data, cid)[0] for cid in data.council_ids}
    extremes = [min(shares, key=shares.get), max(shares, key=shares.get)]
    units = data.council_ids[::3] if lang == "es" else data.council_ids[::5]
    checked_pdf = 0
    for council_id in dict.fromkeys([*units, *extremes]):
        share, residents = expected_share(data, council_id)
        page = kit_page(render_kit_html(data, council_id, lang, BASE))
        key = f"share_within_{data.threshold:g}min"
        assert float(page.figures[key][0]) == pytest.approx(share, abs=1e-12), council_id
        assert page.figures[key][1].replace("\u00a0", " ") == percent_text(share, lang)
        assert float(page.figures["residents"][0]) == pytest.approx(residents)
        assert page.sentence.startswith(expected_sentence_start(share, lang)), council_id
        # the nearest places: at most five, nearest first, minutes rounded up
        assert 1 <= len(page.places) <= 5
        times = [float(raw) for raw, _ in page.place_times]
        assert times == sorted(times)
        for raw, text in page.place_times:
            assert text.replace("\u00a0", " ") == f"{max(1, math.ceil(float(raw)))} min"
        if checked_pdf < 2 and 0 < share < 1:  # the printed text, for a few units
            text = pdf_text(render_kit_pdf(data, council_id, lang, BASE))
            assert percent_text(share, lang) in text
            assert label in text and council_id in text
            checked_pdf += 1
    assert checked_pdf == 2


def test_a_block_exactly_on_the_threshold_counts_as_within(session_cache):
    """Threshold set to one block's own walking time: that block's residents are counted
    (time_min <= threshold), on the kit as in the per-block table."""
    base = Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=session_cache))
    demand = base.access.demand
    finite = demand[np.isfinite(demand["time_min"]) & (demand["residents"] > 0)
                    & (demand["time_min"] > 1)]
    block = finite.sort_values("time_min").iloc[len(finite) // 2]
    threshold = float(block["time_min"])
    settings = Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=session_cache,
                        threshold_min=threshold, thresholds_min=(threshold,))
    data = ReportData(Study(settings))
    council_id = str(block["council_id"])
    share, _ = expected_share(data, council_id)
    blocks = data.study.access.demand
    blocks = blocks[blocks["council_id"] == council_id]
    strictly = blocks.loc[blocks["time_min"] < threshold, "residents"].sum()
    assert share > strictly / blocks["residents"].sum()  # the block on the limit matters
    page = kit_page(render_kit_html(data, council_id, "es", BASE))
    assert float(page.figures[f"share_within_{threshold:g}min"][0]) == pytest.approx(share)


@pytest.mark.parametrize(("share", "kind", "count"), [
    (0.0, "none", 0), (0.0001, "under_one", 0), (0.0499, "under_one", 0),
    (0.05, "some", 1), (0.35, "some", 4), (0.3499, "some", 3), (0.9499, "some", 9),
    (0.95, "over_nine", 0), (0.9999, "over_nine", 0), (1.0, "all", 0),
])
def test_out_of_ten_rounds_half_up_and_never_says_0_or_10_of_a_part(share, kind, count):
    got_kind, sentence = share_sentence(share, 100, "es", minutes="15", offerings="museo")
    assert got_kind == kind
    if kind == "some":
        assert f", {count} de cada 10 vecinos viven a 15 minutos o menos" in sentence
    assert " 0 de cada 10" not in sentence and " 10 de cada 10" not in sentence


def test_a_unit_without_residents_says_so():
    kind, sentence = share_sentence(float("nan"), 0, "en", minutes="15", offerings="museum")
    assert kind == "no_residents" and "no residents" in sentence


def test_kit_text_from_the_data_is_escaped(tmp_path, session_cache):
    from tests.support.web import NASTY_NAME, make_nasty_data

    data_dir, _ = make_nasty_data(tmp_path)
    data = ReportData(Study(Settings(data_dir=data_dir, cache_dir=session_cache)))
    html = render_kit_html(data, data.council_ids[0], "es", BASE)
    assert NASTY_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_kit_states_the_inventory(data):
    html = render_kit_html(data, "JV-05", "es", BASE)
    counts = data.layers.inventory()
    assert f'data-located="{counts["cultural_located"]}"' in html
    assert "un vacío en el mapa puede ser un vacío del inventario" in html


# --- the public address -------------------------------------------------------------------

def test_public_url_setting_is_checked_once():
    assert Settings().public_url == ""
    assert Settings(public_url=" https://x.example.cl/app/ ").public_url == \
        "https://x.example.cl/app"
    for bad in ("ftp://x.example.cl", "x.example.cl", "https://x.cl/?a=1", "https://x.cl/#f",
                "https://", "https://x.cl/a b"):
        with pytest.raises(ConfigError, match="public_url"):
            Settings(public_url=bad)
    got = load_settings(environ={"CULTURAMAP_PUBLIC_URL": "http://10.0.0.5:8000"})
    assert got.public_url == "http://10.0.0.5:8000"


def test_kit_without_public_address_is_a_clear_error(data):
    with pytest.raises(KitError, match="public_url"):
        render_kit_html(data, "JV-05", "es", "")
    with pytest.raises(KitError, match="JV-99"):
        render_kit_html(data, "JV-99", "es", BASE)


@needs_poppler
def test_cli_writes_kits_and_needs_a_public_url(tmp_path, session_cache, capsys):
    common = ["report", "--kit", *FIXTURE_ARGS, "--cache-dir", str(session_cache),
              "--council", "JV-05", "--out", str(tmp_path / "out")]
    assert cli_main(common) == 2
    assert "--public-url" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert cli_main(["report", "--kit", "--area", *FIXTURE_ARGS, "--public-url", BASE,
                     "--out", str(tmp_path / "o")]) == 2
    assert "--area" in capsys.readouterr().err
    assert cli_main([*common, "--lang", "es,en",
                     "--public-url", "https://x.example.cl/cultura/"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["kit-JV-05.en.pdf", "kit-JV-05.es.pdf"]
    pdf = (tmp_path / "out" / "kit-JV-05.es.pdf").read_bytes()
    assert qr_texts(pdf, tmp_path) == ["https://x.example.cl/cultura/cerca?junta=JV-05"]


# --- the web ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(session_cache):
    return app_for(FIXTURE_DATA_DIR, session_cache).test_client()


@needs_poppler
def test_web_kit_qr_opens_the_units_cerca_on_this_host(client, tmp_path):
    response = client.get("/reportes/kit/JV-05.pdf?lang=es")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "culturamap-kit-JV-05.es.pdf" in response.headers["Content-Disposition"]
    assert pdf_pages_and_size(response.data, tmp_path)[0] == 1
    (url,) = qr_texts(response.data, tmp_path)
    assert url == "http://localhost/cerca?junta=JV-05"
    parts = urlsplit(url)
    nearby = client.get(f"{parts.path}?{parts.query}")
    assert nearby.status_code == 200
    assert b"junta=JV-05" in nearby.data  # the page keeps the unit (language switch)
    # a forged Host header reaches only its own answer: nothing is kept for the next one
    client.get("/reportes/kit/JV-05.pdf?lang=es", headers={"Host": "evil.example"})
    files = client.application.extensions["culturamap_reports"].files
    assert not [k for k in files if k[0] == "kit"]
    assert client.get("/reportes/kit/JV-99.pdf").status_code == 404
    # every PDF slot taken: 503 + Retry-After at once, like the reports
    slots = client.application.extensions["culturamap_reports"].pdf_slots
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        busy = client.get("/reportes/kit/JV-06.pdf")
    finally:
        for _ in range(taken):
            slots.release()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert client.get("/reportes/kit/JV-05.html").status_code == 404


@needs_poppler
def test_web_kit_uses_the_public_url_setting(tmp_path, session_cache):
    app = app_for(FIXTURE_DATA_DIR, session_cache, PUBLIC_URL="https://cultura.example.cl")
    client = app.test_client()
    response = client.get("/reportes/kit/JV-02.pdf?lang=en")
    assert response.status_code == 200
    assert qr_texts(response.data, tmp_path) == [f"{BASE}/cerca?junta=JV-02&lang=en"]
    again = client.get("/reportes/kit/JV-02.pdf?lang=en", headers={"Host": "evil.example"})
    assert again.data == response.data  # the setting wins over the request's host


def test_downloads_link_a_kit_for_every_unit_and_only_units(client):
    for lang in ("es", "en"):
        html = client.get(f"/descargas?lang={lang}").data.decode("utf-8")
        kits = re.findall(r'href="(/reportes/kit/([^".]+)\.pdf\?lang=(\w+))"', html)
        ids = client.application.extensions["culturamap_reports"].data.council_ids
        assert sorted(k[1] for k in kits) == ids
        assert {k[2] for k in kits} == {lang}
        label = "Kit para la sede (PDF, A4)" if lang == "es" else "Kit for the hall (PDF, A4)"
        councils = client.application.extensions["culturamap_reports"].data.layers.councils
        names = dict(zip(councils["id"], councils["name"], strict=True))
        for cid in ids:  # each link says what it downloads: the kit, and whose
            assert (f'data-kit="{cid}">{label}<span class="visually-hidden"> · '
                    f'{cid} · {names[cid]}</span></a>') in html
    assert client.get(kits[0][0]).status_code == 200


# --- the print map ------------------------------------------------------------------------

def test_print_map_is_grey_only_and_shapes_tell_categories_apart(data):
    """No colour at all (a black-and-white printer loses nothing) and one shape per
    category."""
    inputs = MapInput(councils=data.result.councils, venues=data.layers.venues,
                      workshops=data.layers.workshops, demand=data.result.demand,
                      sites=data.council_sites("JV-05"), threshold_min=data.threshold,
                      streets=data.study.travel.lines(),
                      counted=tuple(data.result.params.counted_categories))
    png = render_map(inputs, "JV-05", "es", dpi=60, style="print")
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    assert chroma.max() <= 2, f"{(chroma > 2).mean():.2%} of the pixels are coloured"
    colour = np.asarray(Image.open(io.BytesIO(render_map(inputs, "JV-05", "es", dpi=60)))
                        .convert("RGB")).astype(int)
    assert (colour.max(axis=2) - colour.min(axis=2)).max() > 50  # the colour map is colour
    shapes = print_markers()
    assert set(shapes) == {c.id for c in categories()}
    assert len(set(shapes.values())) == len(shapes)
    assert "*" not in shapes.values()  # the star is the workshops'
    with pytest.raises(ValueError, match="style"):
        render_map(inputs, "JV-05", "es", style="sepia")


def test_every_kit_string_exists_in_both_languages():
    import json

    webmap = Path(__file__).resolve().parents[1] / "webmap"
    used = set(re.findall(r"""t\(\s*['"]([a-z_.]+)['"]""",
                          (webmap / "templates" / "kit.html").read_text("utf-8")))
    used |= set(re.findall(r"""translate\(\s*f?['"]([a-z_.]+)['"{]""",
                           (webmap / "kit.py").read_text("utf-8")))
    used = {k.rstrip(".") for k in used}
    kinds = {"some", "under_one", "over_nine", "all", "none", "no_residents"}
    used |= {f"kit.sentence.{kind}" for kind in kinds}
    for lang in ("es", "en"):
        catalogue = json.loads((webmap / "translations" / f"report.{lang}.json")
                               .read_text("utf-8"))
        catalogue |= json.loads((webmap / "translations" / f"common.{lang}.json")
                                .read_text("utf-8"))
        missing = {k for k in used if k not in catalogue and k != "kit.sentence"}
        assert not missing, (lang, missing)
    assert len(used) > 15
