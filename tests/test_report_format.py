"""The number, percentage, minute and date formats every page and report prints
(webmap/report_format.py), on values whose text is written out by hand: es-CL groups
thousands with '.', decimals with ',' and puts a no-break space before '%' and 'min';
English the other way round, '%' attached. Each decimal limit gets a case on it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from webmap.report_format import (
    MISSING,
    format_date,
    format_minutes,
    format_number,
    format_percent,
    format_setting,
    join_words,
    lower_label,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(("value", "lang", "decimals", "text"), [
    (1234567.891, "es", 1, "1.234.567,9"),
    (1234567.891, "en", 1, "1,234,567.9"),
    (1234567.891, "es", 0, "1.234.568"),
    (999.5, "es", 0, "1.000"),
    (70000, "es", 0, "70.000"),
    (70000, "en", 0, "70,000"),
    (0.125, "es", 2, "0,12"),  # binary 0.125 rounds half to even
    (-1234.5, "es", 1, "-1.234,5"),  # a real negative keeps its sign
    (-0.04, "es", 1, "0,0"),  # but never "-0,0"
    (-0.4, "en", 0, "0"),
    (-0.6, "en", 0, "-1"),
    (12, "es-CL", 0, "12"),
])
def test_format_number(value, lang, decimals, text):
    assert format_number(value, lang, decimals) == text


@pytest.mark.parametrize("missing", [None, float("nan"), "not a number", pd.NA])
def test_missing_values_print_as_a_dash(missing):
    assert format_number(missing) == MISSING == "—"
    assert format_percent(missing) == MISSING
    assert format_minutes(missing) == MISSING
    assert format_setting(missing) == MISSING


def test_format_number_default_is_spanish_and_whole():
    assert format_number(1234.5) == "1.234"  # round half to even: 1234.5 -> 1234


@pytest.mark.parametrize(("value", "es", "en"), [
    (15, "15", "15"),
    (15.0, "15", "15"),
    (12.5, "12,5", "12.5"),
    (4.5, "4,5", "4.5"),
    (0.25, "0,25", "0.25"),
    (1.125, "1,125", "1.125"),  # three decimals: the most a setting shows
    (1 / 3, "0,333", "0.333"),  # never more than three
    (1500, "1.500", "1,500"),
])
def test_format_setting_shows_only_the_decimals_it_has(value, es, en):
    assert format_setting(value, "es") == es
    assert format_setting(value, "en") == en


@pytest.mark.parametrize(("share", "lang", "decimals", "text"), [
    (0.125, "es", 1, f"12,5{NBSP}%"),
    (0.125, "en", 1, "12.5%"),
    (0.351, "es", 0, f"35{NBSP}%"),
    (1, "es", 1, f"100,0{NBSP}%"),
    (0, "en", 1, "0.0%"),
    (12.5, "es", 1, f"1.250,0{NBSP}%"),  # a share, not a percentage: 12.5 is 1,250 %
])
def test_format_percent(share, lang, decimals, text):
    assert format_percent(share, lang, decimals) == text


def test_format_percent_default_is_spanish_with_one_decimal():
    assert format_percent(0.3509) == f"35,1{NBSP}%"


@pytest.mark.parametrize(("minutes", "lang", "decimals", "text"), [
    (7.26, "es", 1, f"7,3{NBSP}min"),
    (7.26, "en", 1, f"7.3{NBSP}min"),
    (16.7, "es", 0, f"17{NBSP}min"),
    (0, "es", 1, f"0,0{NBSP}min"),
    (float("inf"), "es", 1, MISSING),  # nobody can walk to an offering
])
def test_format_minutes(minutes, lang, decimals, text):
    assert format_minutes(minutes, lang, decimals) == text


def test_format_minutes_default_is_spanish_with_one_decimal():
    assert format_minutes(16.7089) == f"16,7{NBSP}min"


@pytest.mark.parametrize(("value", "lang", "text"), [
    ("2026-04-11", "es", "11 de abril de 2026"),
    ("2026-04-11", "en", "11 April 2026"),
    ("2026-01-02", "es", "2 de enero de 2026"),
    ("2026-12-31T18:00:00", "es", "31 de diciembre de 2026"),
    ("  2026-05-01  ", "en", "1 May 2026"),
    (dt.date(2026, 9, 18), "es", "18 de septiembre de 2026"),
    (dt.datetime(2026, 1, 2, 10, 30), "en", "2 January 2026"),
    (pd.Timestamp("2026-03-04"), "es", "4 de marzo de 2026"),
    ("por confirmar", "es", "por confirmar"),  # free text is shown as given
    (2026, "es", "2026"),
    (None, "es", MISSING),
    (float("nan"), "en", MISSING),
    (pd.NaT, "es", MISSING),
])
def test_format_date(value, lang, text):
    assert format_date(value, lang) == text


def test_format_date_default_is_spanish():
    assert format_date("2026-10-12") == "12 de octubre de 2026"


def test_lower_label_lowers_only_the_first_letter():
    assert lower_label("Centro cultural") == "centro cultural"
    assert lower_label("UNESCO") == "uNESCO"
    assert lower_label("") == ""


@pytest.mark.parametrize(("words", "lang", "conjunction", "text"), [
    ([], "es", "and", ""),
    (["museo"], "es", "or", "museo"),
    (["teatro", "museo"], "es", "and", "teatro y museo"),
    (["biblioteca", "teatro", "museo"], "es", "and", "biblioteca, teatro y museo"),
    (["teatro", "iglesia"], "es", "and", "teatro e iglesia"),  # y -> e before an i- sound
    (["teatro", "Hijuelas"], "es", "and", "teatro e Hijuelas"),
    (["teatro", "hielo"], "es", "and", "teatro y hielo"),  # but not before a y- sound
    (["teatro", "iarda"], "es", "and", "teatro y iarda"),
    (["teatro", "ieso"], "es", "and", "teatro y ieso"),
    (["teatro", "museo", "otro"], "es", "or", "teatro, museo u otro"),  # o -> u before o-
    (["teatro", "hotel"], "es", "or", "teatro u hotel"),
    (["teatro", "museo"], "es", "or", "teatro o museo"),
    (["museo", "iglesia"], "es", "or", "museo o iglesia"),
    (["library", "theatre"], "en", "and", "library and theatre"),
    (["library", "island"], "en", "and", "library and island"),
    (["a", "b", "other"], "en", "or", "a, b or other"),
])
def test_join_words(words, lang, conjunction, text):
    assert join_words(words, lang, conjunction) == text


def test_join_words_default_is_spanish_and():
    assert join_words(["a", "b"]) == "a y b"
