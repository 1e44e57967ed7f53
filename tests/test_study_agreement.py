"""One settings object, one study: the command line and the web give the same figures.

Issue 8's promise, checked end to end on the synthetic fixture data: with a non-default
walking speed, threshold and number of suggested sites set ONLY by environment variables,
``culturamap report``, ``culturamap export`` and the web downloads and reports agree, and
differ from what the defaults give (so the test fails if any of them ignored a setting).
"""

from __future__ import annotations

import csv
import io

import pytest

from culturamap.cli import main as cli_main
from geo.settings import Settings
from tests.support.data import FIXTURE_DATA_DIR
from tests.test_reports import parse
from webmap.app import create_app

COUNCIL = "JV-07"
ENV = {"CULTURAMAP_WALKING_SPEED_KMH": "3.2", "CULTURAMAP_THRESHOLD_MIN": "12",
       "CULTURAMAP_SITES_K": "2"}


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """CLI report + CLI export + web app, all made under the same environment."""
    tmp = tmp_path_factory.mktemp("agree")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CULTURAMAP_CONFIG", raising=False)
        for key, value in {**ENV, "CULTURAMAP_DATA_DIR": str(FIXTURE_DATA_DIR),
                           "CULTURAMAP_CACHE_DIR": str(tmp / "cache")}.items():
            mp.setenv(key, value)
        assert cli_main(["report", "--council", COUNCIL, "--format", "html",
                         "--out", str(tmp / "report")]) == 0
        for layer in ("access-councils", "sites"):
            assert cli_main(["export", "--layer", layer, "--format", "csv",
                             "--out", str(tmp / "export")]) == 0
        client = create_app({"TESTING": True}).test_client()
        web = {
            "report": client.get(f"/reportes/{COUNCIL}.html?lang=es").get_data(as_text=True),
            "councils": client.get("/descargas/access-councils.csv").get_data(as_text=True),
            "sites": client.get("/descargas/sites.csv").get_data(as_text=True),
        }
    cli = {
        "report": (tmp / "report" / f"{COUNCIL}.es.html").read_text("utf-8"),
        "councils": (tmp / "export" / "access-councils.csv").read_bytes().decode("utf-8"),
        "sites": (tmp / "export" / "sites.csv").read_bytes().decode("utf-8"),
    }
    default_client = create_app({"DATA_DIR": FIXTURE_DATA_DIR, "CACHE_DIR": tmp / "cache",
                                 "TESTING": True}).test_client()
    default = default_client.get("/descargas/access-councils.csv").get_data(as_text=True)
    return cli, web, default


def test_cli_export_and_web_download_are_the_same_file(outputs):
    cli, web, _ = outputs
    assert cli["councils"] == web["councils"]
    assert cli["sites"] == web["sites"]


def test_the_settings_from_the_environment_were_used(outputs):
    cli, _, default = outputs
    rows = _rows(cli["councils"])
    assert "share_within_12min" in rows[COUNCIL]  # the threshold
    assert "share_within_12min" not in _rows(default)[COUNCIL]
    # slower walkers (3.2 instead of 4.5 km/h): longer mean times everywhere
    slow = float(rows[COUNCIL]["mean_time_min"])
    normal = float(_rows(default)[COUNCIL]["mean_time_min"])
    assert slow == pytest.approx(normal * 4.5 / 3.2, rel=1e-6)
    assert len(list(csv.DictReader(io.StringIO(cli["sites"])))) == 2  # sites_k
    assert Settings().sites_k != 2 and Settings().threshold_min != 12


def test_cli_report_and_web_report_show_the_same_figures(outputs):
    cli, web, _ = outputs
    from_cli, from_web = parse(cli["report"]).figures, parse(web["report"]).figures
    assert from_cli == from_web
    share = float(_rows(cli["councils"])[COUNCIL]["share_within_12min"])
    assert float(from_cli[("share_within_12min", "council")][0]) == pytest.approx(share)
