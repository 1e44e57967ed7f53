"""The numbers people read, checked against hand computations (issue 15, point 3).

The map's headline share, the council figures behind the popups (/api/councils), the
minutes /cerca shows (/api/nearest), and the report tables (council vs area figures,
residents served and mean minutes per venue, sites) are rendered by the real app on the
straight-street world of tests/support/line_world.py, where every walk is |x1 - x2| metres at
75 m a minute. The expected figures come from that arithmetic (``Hand``) and numpy, and
the expected text is written the way es-CL reads it ("35,1 %", "16,7 min"), never from
the code under test. An audit's "mean not divided by residents" and "headline shows 1 %
instead of 35 %" fail here.
"""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import pytest

from tests.support import line_world as world
from tests.support.line_world import BLOCKS, M_PER_MIN, VENUES, Hand
from tests.support.network import lonlat
from webmap.app import create_app

NBSP = "\u00a0"
HAND = Hand()


def es(value: float, decimals: int) -> str:
    """es-CL: thousands '.', decimals ','."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("numbers")
    study = world.study(tmp)
    app = create_app({"TESTING": True, "DATA_DIR": tmp / "data", "CACHE_DIR": tmp / "cache"},
                     study=study)
    return app.test_client()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def figures(html: str) -> dict[tuple[str, str | None], str]:
    """(figure key, scope) -> the text shown, from the report's data-figure cells."""
    out = {}
    for m in re.finditer(r'data-figure="([^"]+)"(?: data-scope="([^"]+)")?[^>]*>([^<]*)<', html):
        out.setdefault((m.group(1), m.group(2)), m.group(3))
    return out


# --- the hand figures, written out once ---------------------------------------------------


def test_the_hand_figures_themselves():
    """The arithmetic the other tests lean on, spelled out: 946 residents; within 15 min
    of the library (x = 0) or the museum (x = 4,000): 180 + 152 = 332."""
    assert HAND.residents() == 946
    assert HAND.share_within(15) == pytest.approx(332 / 946)
    assert HAND.residents("JV-B") == 439
    assert HAND.share_within(15, "JV-B") == pytest.approx(68 / 439)
    metres = np.array([min(abs(x), abs(x - 4000)) for x, _r in BLOCKS.values()])
    people = np.array([r for _x, r in BLOCKS.values()], dtype=float)
    assert HAND.mean_minutes() == pytest.approx((metres * people).sum() / people.sum() / 75)


# --- the map ------------------------------------------------------------------------------


def test_map_headline_share_is_the_area_share_in_percent(client):
    html = page(client, "/?lang=es")
    headline = re.search(r'id="area-figure">([^<]*)<', html).group(1)
    share = round(HAND.share_within(15) * 100)  # 332 / 946 = 35.1 %
    assert share == 35
    assert f"el {share} % de los residentes vive a 15 minutos o menos" in headline
    english = re.search(r'id="area-figure">([^<]*)<', page(client, "/?lang=en")).group(1)
    assert f"{share}% of residents live 15 minutes or less" in english


def test_council_popup_figures_equal_hand_computations(client):
    """/api/councils is what the council popups print (map.js formats, tested in Chromium)."""
    body = client.get("/api/councils").get_json()
    assert body["threshold_min"] == 15
    got = {c["id"]: c for c in body["councils"]}
    ranks = sorted(world.COUNCILS, key=lambda c: HAND.share_within(15, c))  # worst first
    for cid in world.COUNCILS:
        c = got[cid]
        assert c["residents"] == HAND.residents(cid)
        assert c["share_within_threshold"] == pytest.approx(HAND.share_within(15, cid))
        assert c["mean_time_min"] == pytest.approx(HAND.mean_minutes(cid))
        assert c["gap_rank"] == ranks.index(cid) + 1
        assert c["unreachable_residents"] == 0
    one = client.get("/api/councils/JV-B").get_json()
    assert one["residents"] == 439 and one["mean_time_min"] == pytest.approx(
        HAND.mean_minutes("JV-B"))


def test_sector_popup_figures_and_unknown_territories(client):
    """/api/sectors/<id>: the line world's one sector ("test") is its three councils: 946
    residents, 332 within 15 min, a 6,200 m x 200 m box = 1.24 km2, its point inside it.
    An id of the other level is unknown: 404 naming the kind of territory."""
    one = client.get("/api/sectors/test").get_json()
    assert one["id"] == "test" and one["residents"] == 946
    assert one["share_within_threshold"] == pytest.approx(332 / 946)
    assert one["area_km2"] == pytest.approx(6.2 * 0.2)
    assert one["threshold_min"] == 15
    for body, (x0, x1) in ((one, (-100.0, 6100.0)),
                           (client.get("/api/councils/JV-B").get_json(), world.COUNCILS["JV-B"])):
        (lon0, lat0), (lon1, lat1) = lonlat(x0, -100.0), lonlat(x1, 100.0)
        assert lon0 < body["lon"] < lon1 and lat0 < body["lat"] < lat1
    for path, error in (("/api/sectors/JV-B", "unknown_sector"),
                        ("/api/councils/test", "unknown_council")):
        response = client.get(path, query_string={"lang": "es"})
        assert response.status_code == 404 and response.get_json()["error"] == error, path
        assert f"«{path.rsplit('/', 1)[1]}»" in response.get_json()["detail"], path


def table_rows(html: str) -> dict[str, dict[str, str]]:
    """The map's council table: id -> rank, residents, share and mean (the raw values the
    sorter reads), the cells shown, summary."""
    rows = {}
    pattern = (r'<tr data-id="([^"]+)" data-rank="(\d+)" data-residents="([^"]*)" '
               r'data-share="([^"]*)" data-mean="([^"]*)">(.*?)</tr>')
    for m in re.finditer(pattern, html, re.S):
        body = m.group(6)
        rows[m.group(1)] = {
            "rank": m.group(2), "residents": m.group(3), "share": m.group(4),
            "mean": m.group(5),
            "name": re.search(r'class="territory-select"[^>]*>([^<]*)<', body).group(1),
            "cells": re.findall(r'<td class="num">([^<]*)</td>', body)[1:],
            "summary": re.search(r'class="visually-hidden"[^>]*>([^<]*)<', body).group(1),
        }
    return rows


@pytest.mark.parametrize("lang", ["es", "en"])
def test_map_council_table_figures_equal_hand_computations(tmp_path, lang):
    """The table beside the map, worst gap first: JV-B 68 of 439 within 15 min (15 %),
    JV-C 152 of 395 (38 %), JV-A all 112 (100 %); mean minutes to the whole minute; the
    sentence read aloud counts those farther out of 10 (JV-B: 8). Its own app: the map
    page is rendered when the app starts, so a test that wants it built must start one."""
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path / "data",
                      "CACHE_DIR": tmp_path / "cache"}, study=world.study(tmp_path))
    rows = table_rows(page(app.test_client(), f"/?lang={lang}"))
    assert list(rows) == ["JV-B", "JV-C", "JV-A"]
    percent = (lambda v: f"{es(v, 0)}{NBSP}%") if lang == "es" else (lambda v: f"{v:.0f}%")
    number = (lambda v: es(v, 0)) if lang == "es" else (lambda v: f"{v:,.0f}")
    for rank, cid in enumerate(rows, start=1):
        row = rows[cid]
        assert row["rank"] == str(rank) and row["name"] == f"Junta {cid}"
        assert row["residents"] == str(HAND.residents(cid))  # raw values the sorter reads
        assert float(row["share"]) == pytest.approx(HAND.share_within(15, cid))
        assert float(row["mean"]) == pytest.approx(HAND.mean_minutes(cid))
        assert row["cells"] == [number(HAND.residents(cid)),
                                percent(HAND.share_within(15, cid) * 100),
                                f"{number(HAND.mean_minutes(cid))}{NBSP}min"], cid
    if lang == "es":
        assert rows["JV-B"]["summary"] == (
            "En la unidad vecinal Junta JV-B, 8 de cada 10 vecinos viven a más de 15 minutos "
            "a pie de una biblioteca, un centro cultural, un teatro o un museo.")
        assert "todos los vecinos viven a 15 minutos o menos" in rows["JV-A"]["summary"]
    else:
        assert rows["JV-B"]["summary"] == (
            "In neighbourhood unit Junta JV-B, 8 in 10 residents live more than 15 minutes&#39; "
            "walk from a library, a cultural centre, a theatre or a museum.")


@pytest.mark.parametrize(("lang", "expected"), [("es", "4.390"), ("en", "4,390")])
def test_map_council_table_residents_carry_the_languages_thousands_separator(
        tmp_path, lang, expected):
    """Ten times the street's residents: JV-B's 4,390 read "4.390" in Spanish and "4,390" in
    English (the raw value the sorter reads stays 4390); shares and minutes do not change."""
    import dataclasses

    from geo.study import Study

    base = world.layers()
    crowded = dataclasses.replace(
        base, population=base.population.assign(residents=base.population["residents"] * 10))
    study = world.study(tmp_path)
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path / "data",
                      "CACHE_DIR": tmp_path / "cache"},
                     study=Study(study.settings, layers=crowded, travel=world.travel()))
    rows = table_rows(page(app.test_client(), f"/?lang={lang}"))
    assert HAND.residents("JV-B") * 10 == 4390
    assert rows["JV-B"]["residents"] == "4390" and rows["JV-B"]["cells"][0] == expected
    assert float(rows["JV-B"]["share"]) == pytest.approx(HAND.share_within(15, "JV-B"))


def test_nearby_of_one_category_lists_only_that_category(client):
    """/cerca filtered to halls and museums, from x = 1,400: the three halls at 1,124, 1,125
    and 1,126 m, then the museum at 2,600 m (34.7 min); no library, no school."""
    lon, lat = lonlat(1400.0, 0.0)
    body = client.get("/api/nearest", query_string={
        "lon": lon, "lat": lat, "category": "community_hall,museum", "limit": 10}).get_json()
    assert [r["id"] for r in body["results"]] == ["H-NEAR", "H-IN", "H-OUT", "V-MUS"]
    assert [r["dist_m"] for r in body["results"]] == pytest.approx([1124, 1125, 1126, 2600])
    assert body["results"][-1]["time_min"] == 34.7  # 2,600 / 75 = 34.67, one decimal


def test_map_council_table_shows_dashes_for_a_council_without_residents(tmp_path):
    """A council with no block (JV-D, east of the street's end): 0 residents, no share and
    no mean (dashes, not "0 %" or "nan"), the last rank, and the no-figures sentence."""
    import dataclasses

    import pandas as pd

    from geo.settings import Settings
    from geo.study import Study
    from tests.support.network import make_layers

    base = world.layers()
    empty = make_layers(councils=[("JV-D", (6100.0, -100.0, 7000.0, 100.0))], venues=[],
                        blocks=[])
    layers = dataclasses.replace(
        base, councils=pd.concat([base.councils, empty.councils], ignore_index=True))
    (tmp_path / "data").mkdir()
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                        walking_speed_kmh=world.SPEED_KMH, sites_k=2, focus_sectors=("test",))
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path / "data",
                      "CACHE_DIR": tmp_path / "cache"},
                     study=Study(settings, layers=layers, travel=world.travel()))
    rows = table_rows(page(app.test_client(), "/?lang=es"))
    assert list(rows) == ["JV-B", "JV-C", "JV-A", "JV-D"]
    none = rows["JV-D"]
    assert (none["rank"], none["residents"], none["share"], none["mean"]) == ("4", "0", "", "")
    assert none["cells"] == ["0", "—", "—"]
    assert none["summary"] == (
        "En la unidad vecinal Junta JV-D no hay residentes con cifras de acceso.")


def test_nearby_minutes_and_metres_equal_the_walk_along_the_street(client):
    """/cerca asks /api/nearest; from x = 1,400 the halls are 1,124/1,125/1,126 m away."""
    lon, lat = lonlat(1400.0, 0.0)
    body = client.get("/api/nearest", query_string={"lon": lon, "lat": lat, "limit": 6}).get_json()
    want = sorted(VENUES, key=lambda v: abs(VENUES[v][1] - 1400.0))
    assert [r["id"] for r in body["results"]] == want
    for r in body["results"]:
        metres = abs(VENUES[r["id"]][1] - 1400.0)
        assert r["dist_m"] == pytest.approx(metres, abs=0.05)
        assert r["time_min"] == round(metres / M_PER_MIN, 1)
    assert [r["time_min"] for r in body["results"][:4]] == [15.0, 15.0, 15.0, 18.7]


# --- the reports --------------------------------------------------------------------------


def test_council_report_figures_beside_the_area_figures(client):
    shown = figures(page(client, "/reportes/JV-B.html?lang=es"))
    assert shown[("residents", "council")] == "439"
    assert shown[("residents", "area")] == "946"
    for minutes in (5, 10, 15, 20):
        for scope, council in (("council", "JV-B"), ("area", None)):
            want = es(HAND.share_within(minutes, council) * 100, 1) + f"{NBSP}%"
            assert shown[(f"share_within_{minutes}min", scope)] == want, (minutes, scope)
    assert shown[("share_within_15min", "council")] == f"15,5{NBSP}%"  # 68 / 439
    assert shown[("mean_time_min", "council")] == es(HAND.mean_minutes("JV-B"), 1) + f"{NBSP}min"
    assert shown[("mean_time_min", "area")] == es(HAND.mean_minutes(), 1) + f"{NBSP}min"
    assert shown[("mean_time_min", "area")] == f"16,7{NBSP}min"
    assert shown[("gap_rank", "council")] == "1 de 3"
    # JV-B's residents beyond 15 min: blocks 1,126 .. 1,501
    assert shown[("uncovered_residents", "council")] == str(41 + 43 + 47 + 53 + 59 + 61 + 67)


def test_area_report_residents_served_and_mean_minutes_per_venue(client):
    html = page(client, "/reportes/parte-alta.html?lang=es")
    rows = {m.group(1): re.findall(r"<td[^>]*>([^<]*)</td>", m.group(2))
            for m in re.finditer(r'<tr data-venue="([^"]+)">(.*?)</tr>', html, re.S)}
    nearest = HAND.nearest_offering()
    minutes = HAND.block_minutes()
    for venue in ("V-LIB", "V-MUS"):
        served = [b for b in BLOCKS if nearest[b] == venue]
        people = np.array([BLOCKS[b][1] for b in served], dtype=float)
        mean = float(np.average([minutes[b] for b in served], weights=people))
        assert rows[venue][3] == es(people.sum(), 0)
        assert rows[venue][4] == es(mean, 1) + f"{NBSP}min"
    assert rows["V-LIB"][3] == "551" and rows["V-MUS"][3] == "395"
    shown = figures(html)
    assert shown[("residents", "area")] == "946"
    assert shown[("share_within_15min", "area")] == f"35,1{NBSP}%"
    assert shown[("uncovered_residents", "area")] == "614"


def test_report_sites_equal_a_brute_force_search(client):
    """k = 2 over the four candidates; each site's gain and the council's own search."""
    uncovered = {b: r for b, (x, r) in BLOCKS.items() if HAND.block_metres()[b] > 1125}
    hosts = [v for v, (cat, _x) in VENUES.items() if cat in ("community_hall", "school")]

    def cover(sites, blocks):
        return sum(uncovered[b] for b in blocks
                   if min(abs(BLOCKS[b][0] - VENUES[s][1]) for s in sites) <= 1125)

    area = max(cover(s, uncovered) for s in combinations(hosts, 2))
    html = page(client, "/reportes/parte-alta.html?lang=es")
    gains = [int(v) for v in re.findall(r'data-figure="newly_covered" data-value="(\d+)"', html)]
    assert sum(gains) == area == 573
    own = [b for b in uncovered if b in HAND.blocks_of("JV-B")]
    council = max(cover(s, own) for s in combinations(hosts, 2))
    html = page(client, "/reportes/JV-B.html?lang=es")
    gains = [int(v) for v in re.findall(r'data-figure="newly_covered" data-value="(\d+)"', html)]
    assert sum(gains) == council == 330
