"""WCAG 2.1 AA with axe-core (vendored, tests/support/vendor/axe.min.js) on every page, in
both languages, inside headless Chromium, with the WCAG 2.1 A/AA rules and axe's best
practices. Every violation is printed (rule, impact, the first offending elements); any
violation fails the test (the issue asks for no serious or critical one; the pages have
none of any impact, and this keeps it so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import open_page

AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"minor", "moderate", "serious", "critical"}
PAGES = [
    ("/", "map"),
    ("/?nivel=sectores", "map"),
    ("/cerca", "page"),
    ("/cerca?junta=JV-05", "page"),
    ("/acerca", "page"),
    ("/descargas", "page"),
    ("/reportes/JV-05.html", "page"),
    ("/reportes/parte-alta.html", "page"),
    ("/reportes/sector/parte-alta.html", "page"),
]


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        WCAG_TAGS,
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
                     for v in violations)


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize(("path", "kind"), PAGES)
def test_no_serious_wcag_violation(browser, base_url, path, kind, lang):
    w = open_page(browser, base_url, bypass_csp=True)  # axe is injected as an inline script
    url = path + ("&" if "?" in path else "?") + f"lang={lang}"
    if kind == "map" or path.startswith("/cerca"):
        w.goto(url)
    else:
        w.page.goto(base_url + url)
    violations = axe_violations(w.page)
    print(describe(violations) or f"{url}: no WCAG 2.1 AA violation")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"{url}:\n{describe(blocking)}"


PLANNER_PAGES = ["/planificar", "/planificar/importar", "/planificar/cuentas",
                 "/planificar/espacios/V-001/historial", "/planificar/escenarios"]


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory, session_cache):
    from tests.support.layers import copy_fixture_data
    from tests.support.web import serve
    from tests.support.workspace import sqlite_url, workspace_app

    root = tmp_path_factory.mktemp("a11y-workspace")
    app = workspace_app(copy_fixture_data(root / "data"), session_cache, sqlite_url(root))
    with serve(app) as url:
        yield url
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_planner_pages_have_no_wcag_violation(browser, workspace_url, lang):
    """The sign-in page, then every planner page of an admin (who sees them all)."""
    from tests.support.workspace import PASSWORD

    w = open_page(browser, workspace_url, bypass_csp=True)  # axe is injected inline
    page = w.page
    page.goto(f"{workspace_url}/entrar?lang={lang}")
    found = {"/entrar": axe_violations(page)}
    page.fill("#name", "root")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    for path in PLANNER_PAGES:
        page.goto(f"{workspace_url}{path}?lang={lang}")
        found[path] = axe_violations(page)
    for path, violations in found.items():
        print(describe(violations) or f"{path} ({lang}): no WCAG 2.1 AA violation")
    blocking = {p: v for p, v in found.items() if any(x["impact"] in BLOCKING for x in v)}
    assert blocking == {}, "\n".join(f"{p}:\n{describe(v)}" for p, v in blocking.items())
