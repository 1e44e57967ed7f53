"""The text route through the map (issue 13): a keyboard-only person reaches a territory's
figures from the table, the table sorts, map and table stay in step, polygons and clusters
have names. Figures are checked against /api/councils (the served numbers), sums against
the table's own rows."""

from __future__ import annotations

from tests.browser.test_map_page import click_at, get_json

MAX_TABS = 250  # header links, map controls, 20 polygons, legend links: well under this


def tab_to(page, selector: str) -> None:
    """Press Tab until the focus is on an element matching ``selector``, like a person."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} not reached with {MAX_TABS} Tab presses")


def row_ids(page) -> list[str]:
    return page.eval_on_selector_all("#territory-table tbody tr",
                                     "rows => rows.map(r => r.dataset.id)")


def test_keyboard_only_opens_a_territory_from_the_table(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    tab_to(page, "button.territory-select")
    first = page.evaluate("document.activeElement.dataset.id")
    council = get_json(f"{base_url}/api/councils/{first}")
    assert council["gap_rank"] == 1  # the table starts with the largest gap
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('leaflet-popup-content')")
    text = popup.inner_text()
    assert council["name"] in text
    share = council["share_within_threshold"]
    far = round((1 - share) * 10)
    if share > 0 and far == 10:
        assert "casi todos los vecinos (más de 9 de cada 10) viven a más de 15 minutos" in text
    else:
        assert f"{far} de cada 10 vecinos viven a más de 15 minutos a pie" in text
    row = page.locator(f'#territory-table tr[data-id="{first}"]')
    assert row.get_attribute("aria-current") == "true"
    assert council["name"] in page.locator("#territory-live").inner_text()
    w.shot("text_route_keyboard")
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert page.evaluate("document.activeElement.dataset.id") == first
    w.assert_clean()


def test_table_sorts_by_residents_share_and_mean_minutes(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    served = {c["id"]: c for c in get_json(f"{base_url}/api/councils")["councils"]}
    page.locator('th[data-sort="residents"] button').click()
    ids = row_ids(page)
    assert sorted(served) == sorted(ids)
    residents = [served[i]["residents"] for i in ids]
    assert residents == sorted(residents)
    assert page.locator('th[data-sort="residents"]').get_attribute("aria-sort") == "ascending"
    page.locator('th[data-sort="residents"] button').click()
    ids = row_ids(page)
    assert [served[i]["residents"] for i in ids] == sorted(residents, reverse=True)
    page.locator('th[data-sort="share"] button').click()
    ids = row_ids(page)
    shares = [served[i]["share_within_threshold"] for i in ids]
    assert shares == sorted(shares)
    page.locator('th[data-sort="mean"] button').click()
    ids = row_ids(page)
    means = [served[i]["mean_time_min"] for i in ids]
    assert means == sorted(means) and len(set(means)) > 1
    assert page.locator('th[data-sort="share"]').get_attribute("aria-sort") == "none"
    w.assert_clean()


def test_clicking_the_map_marks_the_row_and_polygons_have_names(make_page, base_url):
    council = get_json(f"{base_url}/api/councils/JV-05")
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    names = page.eval_on_selector_all(".leaflet-overlay-pane path[role=button]",
                                      "ps => ps.map(p => p.getAttribute('aria-label'))")
    assert council["name"] in names and len(names) == 20
    for label in ("Espacios culturales", "Talleres micro-barriales"):
        page.locator(".leaflet-control-layers-overlays label", has_text=label).locator(
            "input").uncheck()
    click_at(page, council["lat"], council["lon"])
    page.locator(".leaflet-popup-content").wait_for()
    assert "selected" in page.locator('#territory-table tr[data-id="JV-05"]').get_attribute(
        "class")
    w.assert_clean()


def test_venue_clusters_say_what_they_hold(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    page.evaluate("culturamap.map.setZoom(13, {animate: false})")
    cluster = page.locator(".marker-cluster").first
    cluster.wait_for()
    label = cluster.inner_text()
    assert "lugares:" in label and "×" in label
    w.assert_clean()
