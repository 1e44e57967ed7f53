"""The plain-language sentence of the text route, on hand-made shares (every branch and
the rounding limits)."""

from __future__ import annotations

import pytest

from webmap.territory_table import out_of_ten, plain_summary

OFFERINGS = "una biblioteca o un museo"


@pytest.mark.parametrize(("share", "expected"), [
    (0.6, 4), (0.55, 4), (0.549, 5), (0.0, 10), (1.0, 0), (None, None), (float("nan"), None)])
def test_out_of_ten_counts_those_farther_than_the_threshold(share, expected):
    assert out_of_ten(share) == expected


def test_sentences_read_right_at_every_limit():
    def say(share):
        return plain_summary("UV-001", share, "councils", "15", OFFERINGS, "es")

    assert say(0.6) == ("En la unidad vecinal UV-001, 4 de cada 10 vecinos viven a más de "
                        "15 minutos a pie de una biblioteca o un museo.")
    assert say(0.0).startswith("En la unidad vecinal UV-001, 10 de cada 10 vecinos")
    assert "casi todos los vecinos (más de 9 de cada 10) viven a más de 15" in say(0.02)
    assert "casi todos los vecinos (más de 9 de cada 10) viven a 15 minutos o menos" in say(0.97)
    assert "todos los vecinos viven a 15 minutos o menos" in say(1.0)
    assert say(None) == "En la unidad vecinal UV-001 no hay residentes con cifras de acceso."
    english = plain_summary("Parte Alta", 0.3, "sectors", "15", "a library", "en")
    assert english == ("In the sector Parte Alta, 7 in 10 residents live more than 15 minutes' "
                       "walk from a library.")


def test_no_figures_sentence_in_english():
    assert plain_summary("Parte Alta", None, "sectors", "15", "a library", "en") == (
        "In the sector Parte Alta no resident has access figures.")
