"""The web map's venue symbols are the reports' symbols: the registry's shape and colour
(webmap.icons), with a glyph that contrasts with it; the files on disk are up to date."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from geo.schema import DEFAULT_CATEGORIES, categories
from webmap.icons import all_icons, contrast

ICONS = Path(__file__).resolve().parents[1] / "webmap" / "static" / "icons"
SVG = "{http://www.w3.org/2000/svg}"
# matplotlib marker -> the SVG element and outline an independent reader expects
EXPECTED_SHAPE = {"o": ("circle", None), "s": ("rect", None), "D": ("path", 4),
                  "^": ("path", 3), "v": ("path", 3)}


def polygon_corners(d: str) -> int:
    """Corners of a straight-sided SVG path (M, L, H, V, absolute or relative, then z)."""
    tokens = re.findall(r"[MLHVmlhvz]|-?\d*\.?\d+", d)
    x = y = 0.0
    points, command, i = [], None, 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "zZ":
                continue
        if command in "ML":
            x, y = float(tokens[i]), float(tokens[i + 1])
            i += 2
        elif command in "ml":
            x, y = x + float(tokens[i]), y + float(tokens[i + 1])
            i += 2
        elif command in "Hh":
            x = float(tokens[i]) + (x if command == "h" else 0)
            i += 1
        elif command in "Vv":
            y = float(tokens[i]) + (y if command == "v" else 0)
            i += 1
        points.append((round(x, 3), round(y, 3)))
    return len(set(points))


def test_the_committed_icons_are_what_the_registry_gives():
    for name, text in all_icons().items():
        assert (ICONS / name).read_text("utf-8") == text, (
            f"{name} is out of date: run python tools/make_icons.py")


@pytest.mark.parametrize("cat", DEFAULT_CATEGORIES, ids=lambda c: c.id)
def test_icon_has_the_report_shape_and_colour_and_a_readable_glyph(cat):
    root = ET.fromstring((ICONS / cat.icon).read_text("utf-8"))
    shape = list(root)[0]
    tag, corners = EXPECTED_SHAPE[cat.marker]
    assert shape.tag == SVG + tag
    if corners:
        assert polygon_corners(shape.get("d")) == corners
    assert shape.get("fill").lower() == cat.colour.lower()  # the static map's colour
    glyph_fills = {e.get("fill") for e in root.iter() if e is not shape
                   and e.get("fill") not in (None, "none", cat.colour.lower())}
    assert glyph_fills, "a glyph names the category beyond its colour"
    for fill in glyph_fills:  # WCAG 1.4.11: graphics need 3:1, here 4.5:1 like text
        assert contrast(fill, cat.colour) >= 4.5


def test_every_category_in_force_has_its_file():
    assert {c.icon for c in categories()} <= {p.name for p in ICONS.glob("*.svg")}
