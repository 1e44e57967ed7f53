"""The agenda's pure functions (geo/agenda.py): repeat rules expanded across Chile's clock
changes, and "within reach" on the one-street world (tests/support/line_world.py).

The expected UTC times are written by hand from Chile's 2026 rules (checked against the
official tz database entry, America/Santiago): summer time (UTC-3) ends at 24:00 on
Saturday 4 April (clocks go back to 23:00, UTC-4) and starts at 24:00 on Saturday
5 September (clocks jump to 01:00 on Sunday 6, UTC-3).
"""

from __future__ import annotations

import datetime as dt

import pytest

from geo.agenda import (
    SANTIAGO,
    AgendaError,
    AgendaItem,
    agenda,
    local_to_utc,
    normalise_rule,
    reachable,
    sessions,
)
from tests.support import line_world as world
from tests.support.network import lonlat

UTC = dt.UTC


def z(text: str) -> dt.datetime:
    """'2026-04-07 23:00' -> aware UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def item(start: str, end: str, rule: str | None = None, **extra) -> AgendaItem:
    """An activity whose start/end are typed as Coquimbo wall-clock times."""
    return AgendaItem(id=extra.pop("id", 1), title=extra.pop("title", "Taller"),
                      start=local_to_utc(dt.datetime.fromisoformat(start)),
                      end=local_to_utc(dt.datetime.fromisoformat(end)),
                      rule=normalise_rule(rule), **extra)


YEAR = (z("2026-01-01 00:00"), z("2027-01-01 00:00"))


def test_weekly_19h_stays_19h_when_summer_time_ends_in_april():
    workshop = item("2026-03-31 19:00", "2026-03-31 21:00", "FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    got = sessions(workshop, *YEAR)
    # 31 March is summer time (UTC-3): 22:00Z; from 5 April winter time (UTC-4): 23:00Z
    assert [s.start for s in got] == [z("2026-03-31 22:00"), z("2026-04-07 23:00"),
                                      z("2026-04-14 23:00")]
    assert [s.end for s in got] == [z("2026-04-01 00:00"), z("2026-04-08 01:00"),
                                    z("2026-04-15 01:00")]
    assert {(s.local_start.hour, s.local_start.minute, s.local_end.hour) for s in got} == {
        (19, 0, 21)}


def test_weekly_19h_stays_19h_when_summer_time_starts_in_september():
    workshop = item("2026-08-29 19:00", "2026-08-29 20:30",
                    "FREQ=WEEKLY;BYDAY=SA;UNTIL=20260912")
    got = sessions(workshop, *YEAR)
    # winter (UTC-4) 23:00Z on 29 Aug and 5 Sep; summer (UTC-3) 22:00Z on 12 Sep; UNTIL is a
    # local date, so the session of 12 September (19:00 that day) is still in
    assert [s.start for s in got] == [z("2026-08-29 23:00"), z("2026-09-05 23:00"),
                                      z("2026-09-12 22:00")]
    assert [s.local_start.strftime("%H:%M") for s in got] == ["19:00"] * 3


def test_a_session_in_the_skipped_hour_and_in_the_repeated_hour():
    # 00:30 on 6 September does not exist (00:00 -> 01:00): read with the winter offset,
    # 04:30Z, which the clock shows as 01:30
    daily = item("2026-09-05 00:30", "2026-09-05 01:00", "FREQ=DAILY;COUNT=3")
    got = sessions(daily, *YEAR)
    assert [s.start for s in got] == [z("2026-09-05 04:30"), z("2026-09-06 04:30"),
                                      z("2026-09-07 03:30")]
    assert got[1].local_start.strftime("%H:%M") == "01:30"
    # 23:30 on 4 April happens twice: the first one (summer time, UTC-3) is meant
    late = item("2026-04-03 23:30", "2026-04-03 23:45", "FREQ=DAILY;COUNT=2")
    assert [s.start for s in sessions(late, *YEAR)] == [z("2026-04-04 02:30"),
                                                       z("2026-04-05 02:30")]


def test_the_window_keeps_sessions_that_overlap_it_and_cancelled_gives_none():
    workshop = item("2026-04-07 19:00", "2026-04-07 21:00", "FREQ=WEEKLY;BYDAY=TU")
    # a window that starts during the 14 April session (19:00-21:00 = 23:00Z-01:00Z)
    got = sessions(workshop, z("2026-04-15 00:00"), z("2026-04-22 00:00"))
    assert [s.start for s in got] == [z("2026-04-14 23:00"), z("2026-04-21 23:00")]
    got = sessions(workshop, z("2026-04-15 01:00"), z("2026-04-21 23:00"))
    assert got == []  # the 14th ended exactly at the window's start; the 21st starts at its end
    cancelled = AgendaItem(**{**workshop.__dict__, "cancelled": True})
    assert sessions(cancelled, *YEAR) == []


def test_until_in_utc_is_kept_and_a_local_until_is_written_in_utc():
    assert normalise_rule("RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T030000Z") == (
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T030000Z")
    # 15 December 23:59:59 in Coquimbo is summer time (UTC-3): 16 December 02:59:59Z
    assert normalise_rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215") == (
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261216T025959Z")
    assert normalise_rule("") is None


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=MINUTELY;COUNT=5", "BYDAY=TU",
                                  "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY\nDTSTART:2026",
                                  "FREQ=WEEKLY;UNTIL=20261340"])
def test_unusable_rules_are_refused_in_both_languages(rule):
    with pytest.raises(AgendaError) as caught:
        normalise_rule(rule)
    assert " / " in str(caught.value)


def test_agenda_orders_by_date_and_filters_audience_and_free():
    a = item("2026-05-02 11:00", "2026-05-02 12:00", id=1, title="B", audience="children",
             free=True)
    b = item("2026-05-01 18:00", "2026-05-01 19:00", id=2, title="A", audience="adults",
             free=False)
    c = item("2026-05-02 11:00", "2026-05-02 12:00", id=3, title="A", audience="all",
             free=True)
    both = [(a, 3.0), (b, 4.0), (c, 5.0)]
    assert [s.item.id for s in agenda(both, *YEAR)] == [2, 3, 1]
    assert [s.item.id for s in agenda(both, *YEAR, audience="children")] == [3, 1]
    assert [s.item.id for s in agenda(both, *YEAR, free_only=True)] == [3, 1]


# --- within reach on the one-street world -------------------------------------------------


def at(x: float, ident: int) -> AgendaItem:
    lon, lat = lonlat(x, 0.0)
    return AgendaItem(id=ident, title=f"x={x}", start=z("2026-05-01 22:00"),
                      end=z("2026-05-01 23:00"), lon=lon, lat=lat)


def test_within_reach_is_the_walk_along_the_street_with_the_threshold_included(tmp_path):
    study = world.study(tmp_path)
    origin = lonlat(world.council_point_x("JV-B"), 0.0)  # x = 1,400
    # by hand: |x - 1400| / 75 m per minute
    items = [at(2525.0, 1),  # 1,125 m: exactly 15 min
             at(2600.0, 2),  # 1,200 m: 16 min, a minute beyond
             at(275.0, 3),   # 1,125 m the other way: exactly 15 min
             at(1400.0, 4),  # where the council's point is: 0 min
             at(199.0, 5)]   # 1,201 m
    got = dict((i.id, m) for i, m in reachable(study.travel, origin, items, 15.0))
    assert sorted(got) == [1, 3, 4]
    assert got[1] == pytest.approx(15.0, abs=1e-6)
    assert got[4] == pytest.approx(0.0, abs=1e-6)
    assert sorted(i.id for i, _ in reachable(study.travel, origin, items, 16.0)) == [1, 2, 3, 4]
    unplaced = AgendaItem(id=9, title="sin lugar", start=z("2026-05-01 22:00"),
                          end=z("2026-05-01 23:00"))
    assert reachable(study.travel, origin, [unplaced], 60.0) == []


def test_wall_clock_is_america_santiago():
    assert str(SANTIAGO) == "America/Santiago"


def test_equity_counts_the_month_sessions_within_reach_per_10000_residents(tmp_path):
    from geo.agenda import activity_equity, month_window
    from tests.support.network import ORIGIN

    study = world.study(tmp_path)
    ids = list(world.BLOCKS)
    xs = [world.BLOCKS[b][0] for b in ids]
    residents = [world.BLOCKS[b][1] for b in ids]
    councils = [next(c for c, (x0, x1) in world.COUNCILS.items() if x0 <= x < x1) for x in xs]
    groups = ["E" if x < 1000 else "ABC1" for x in xs]
    weekly = AgendaItem(**{**at(2525.0, 1).__dict__, "rule": "FREQ=WEEKLY;BYDAY=TU",
                           "start": z("2026-11-03 22:00"), "end": z("2026-11-03 23:00")})
    once = AgendaItem(**{**at(0.0, 2).__dict__, "start": z("2026-12-10 22:00"),
                         "end": z("2026-12-10 23:00")})
    november = AgendaItem(**{**at(0.0, 3).__dict__, "start": z("2026-11-10 22:00"),
                             "end": z("2026-11-10 23:00")})
    got = activity_equity(study.travel, [(ORIGIN[0] + x, ORIGIN[1]) for x in xs], residents,
                          councils, groups, ("ABC1", "E"), [weekly, once, november],
                          *month_window(2026, 12), 15.0)
    # by hand: Tuesdays of December 2026 = 1, 8, 15, 22, 29 (5 sessions) at x = 2,525,
    # reaching x in [1,400, 3,650]; one session at x = 0, reaching x <= 1,125
    a, b, c = (got["councils"][k] for k in ("JV-A", "JV-B", "JV-C"))
    assert (a["sessions"], a["residents"]) == (1, 112)
    assert a["per_10k"] == pytest.approx(1 / 112 * 10_000)
    assert (b["sessions"], b["residents"], b["activities"]) == (6, 439, 2)
    assert b["per_10k"] == pytest.approx(6 / 439 * 10_000)
    assert b["mean_per_resident"] == pytest.approx((31 + 37 + 5 * (47 + 53 + 59 + 61 + 67))
                                                   / 439)
    assert (c["sessions"], c["residents"]) == (5, 395)
    assert got["area"]["all"]["sessions"] == 6
    # group E: blocks x < 1,000 (reached only by the one-off); ABC1: all the others
    assert got["groups"]["E"]["sessions"] == 1
    assert got["groups"]["ABC1"]["sessions"] == 6
    assert list(got["groups"]) == ["ABC1", "E"]
    assert month_window(2026, 12) == (z("2026-12-01 03:00"), z("2027-01-01 03:00"))


def test_a_session_is_ahead_until_the_last_one_has_ended_however_far():
    """has_sessions_ahead, cancelled or not: a one-off until its end (a second before: yes;
    at its end: no); a yearly rule with its last session 3 years on is ahead until then; a
    rule without an end always is; a monthly rule whose next session is 20 days on is."""
    from geo.agenda import has_sessions_ahead

    utc = dt.UTC
    once = AgendaItem(id=1, title="Una vez", start=dt.datetime(2026, 12, 1, 22, tzinfo=utc),
                      end=dt.datetime(2026, 12, 2, 0, tzinfo=utc), cancelled=True)
    assert has_sessions_ahead(once, dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=utc))
    assert not has_sessions_ahead(once, dt.datetime(2026, 12, 2, 0, 0, tzinfo=utc))
    yearly = AgendaItem(**{**once.__dict__, "rule": "FREQ=YEARLY;COUNT=4"})  # 2026..2029
    assert has_sessions_ahead(yearly, dt.datetime(2029, 12, 1, 23, 59, tzinfo=utc))
    assert not has_sessions_ahead(yearly, dt.datetime(2029, 12, 2, 0, 0, tzinfo=utc))
    assert has_sessions_ahead(yearly, dt.datetime(2027, 6, 1, tzinfo=utc))  # 6 months on
    forever = AgendaItem(**{**once.__dict__, "rule": "FREQ=WEEKLY"})
    assert has_sessions_ahead(forever, dt.datetime(2040, 1, 1, tzinfo=utc))
    monthly = AgendaItem(**{**once.__dict__, "rule": "FREQ=MONTHLY;UNTIL=20270202T030000Z"})
    assert has_sessions_ahead(monthly, dt.datetime(2027, 1, 12, tzinfo=utc))  # 1 Feb next
    assert not has_sessions_ahead(monthly, dt.datetime(2027, 2, 2, 0, 0, tzinfo=utc))
