"""The leader's phone view (issue 13, items 4-5): it works offline after one visit, the
address bar follows the choice (shareable as it is), a shared council link frames the whole
council, and the answer comes into view right after choosing."""

from __future__ import annotations

import urllib.parse

from tests.browser.test_nearby_page import PHONE, nearest, result_names, wait_results


def council_point(page, council_id: str) -> tuple[float, float]:
    option = page.locator(f'#council-select option[value="{council_id}"]')
    return float(option.get_attribute("data-lat")), float(option.get_attribute("data-lon"))


def test_works_offline_after_one_visit(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca?junta=JV-05")
    page = w.page
    wait_results(page, "resultados")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker: this visit's search is kept
    wait_results(page, "resultados")
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    online = result_names(page)
    lat, lon = council_point(page, "JV-05")
    expected = [r["name"] for r in nearest(base_url, lat=f"{lat:.6f}", lon=f"{lon:.6f}",
                                           limit="10", category="library,cultural_centre,"
                                           "theatre,museum")]
    assert online == expected
    page.context.set_offline(True)
    page.reload()
    wait_results(page, "resultados")
    assert result_names(page) == online
    w.shot("nearby_offline_phone")
    page.context.set_offline(False)
    w.errors = [e for e in w.errors if "ERR_INTERNET_DISCONNECTED" not in e]
    w.assert_clean()


def test_the_address_follows_the_choice_and_frames_the_council(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca")
    page = w.page
    page.locator("#council-select").select_option("JV-12")
    wait_results(page, "resultados")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["junta"] == ["JV-12"]
    status = page.locator("#nearby-status").bounding_box()
    assert status["y"] >= 0 and status["y"] + status["height"] <= 844  # in view, no scrolling
    page.locator("#category-select").select_option("school")
    wait_results(page, "resultados")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["categoria"] == ["school"] and query["junta"] == ["JV-12"]
    # the whole council is inside the view opened from that address
    shared = make_page(base_url, **PHONE)
    shared.goto(page.url.replace(base_url, ""))
    wait_results(shared.page, "resultados")
    inside = shared.page.evaluate(
        "() => { const m = culturamapNearby.map; let all = true;"
        " m.eachLayer(l => { if (l.feature && l.feature.properties.id === 'JV-12')"
        " all = m.getBounds().contains(l.getBounds()); }); return all; }")
    assert inside
    assert shared.page.locator("#category-select").input_value() == "school"
    w.assert_clean()
    shared.assert_clean()


def test_a_tapped_point_goes_in_the_address(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca")
    page = w.page
    page.evaluate("() => culturamapNearby.setOrigin(-29.9655, -71.3405, null)")
    wait_results(page, "resultados")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["lat"] == ["-29.96550"] and query["lon"] == ["-71.34050"]
    again = make_page(base_url, **PHONE)
    again.goto(page.url.replace(base_url, ""))
    wait_results(again.page, "resultados")
    assert result_names(again.page) == result_names(page)
    w.assert_clean()
