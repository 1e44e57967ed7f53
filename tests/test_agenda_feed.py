"""A council's iCalendar feed holds exactly the activities within its walking threshold, on
the one-street world (tests/support/line_world.py) where every walk is computable by hand.

The oracle: a walk from the council's point is its straight step onto the street (y = 0)
plus the distance along it, at 75 m a minute (4.5 km/h). The council's point is the one
/cerca walks from (kept to 6 decimals of a degree), so its offset from the street is read
back with pyproj here, not through the code under test.
"""

from __future__ import annotations

import datetime as dt

import icalendar
from pyproj import Transformer

from geo.agenda import AgendaItem
from tests.support import line_world as world
from tests.support.network import ORIGIN, lonlat
from webmap.agenda_data import AgendaRecord
from webmap.agenda_pages import council_calendar
from webmap.app import _council_points
from webmap.store import build_store

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:32719", always_xy=True)


def _record(ident: int, x: float) -> AgendaRecord:
    lon, lat = lonlat(x, 0.0)
    start = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)
    item = AgendaItem(id=ident, title=f"x = {x:.3f}", start=start,
                      end=start + dt.timedelta(hours=2), rule="FREQ=WEEKLY;BYDAY=TU",
                      lon=lon, lat=lat)
    return AgendaRecord(item, None, None, None, None, None, None)


def test_a_council_feed_holds_exactly_the_activities_within_its_threshold(tmp_path):
    store = build_store(world.study(tmp_path, threshold_min=15.0))
    store.cache["council_points"] = _council_points(store)
    lon, lat = store.cache["council_points"]["JV-B"]
    x, y = TO_METRIC.transform(lon, lat)
    x0, step = x - ORIGIN[0], abs(y - ORIGIN[1])  # ~1,400 m along; centimetres off the street
    assert abs(x0 - world.council_point_x("JV-B")) < 0.2 and step < 0.2
    limit_m = 15 * world.M_PER_MIN  # 1,125 m
    records = [
        _record(1, x0 + (limit_m - step)),          # exactly 15 min, east
        _record(2, x0 - (limit_m - step)),          # exactly 15 min, west
        _record(3, x0 + (limit_m - step) + 75.0),   # 16 min: a minute beyond
        _record(4, x0 - (limit_m - step) - 75.0),   # 16 min, west
        _record(5, x0 + 500.0),                     # well within
        _record(6, 5000.0),                         # 3,600 m away, in JV-C
    ]
    body = council_calendar(store, "JV-B", records, "es")
    cal = icalendar.Calendar.from_ical(body)
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    assert uids == ["actividad-1@culturamap", "actividad-2@culturamap",
                    "actividad-5@culturamap"]
    assert all(e["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU" for e in cal.walk("VEVENT"))
    assert "15 min" in str(cal["X-WR-CALNAME"])
    # JV-C's point (x = 4,050) reaches only the last one (950 m away)
    far = icalendar.Calendar.from_ical(council_calendar(store, "JV-C", records, "es"))
    assert [str(e["UID"]) for e in far.walk("VEVENT")] == ["actividad-6@culturamap"]
    assert council_calendar(store, "NO-SUCH", records, "es") is None
