"""The venue symbols of the web map, drawn from the category registry (geo.schema): the
registry's shape (matplotlib marker) and colour, as the static report maps draw them, with
a white or near-black glyph on top, whichever contrasts more with the colour.

Why generated: the web and the reports must show the same symbol for a category, and a new
category in the registry must get one. ``tools/make_icons.py`` writes the files into
webmap/static/icons/; tests/test_icons.py fails when a file differs from what the registry
gives.
"""

from __future__ import annotations

from geo.schema import Category, categories

SIZE = 30  # px, the icon's viewBox (L.icon in static/js/common.js shows it at 30 x 30)
OUTLINE = '#fff" stroke-width="2'  # a white rim keeps the symbol readable on any fill

# The registry's matplotlib markers as SVG shapes in a 30 x 30 box, and how the glyph
# (drawn for the 30 x 30 circle) is scaled and moved to sit inside each shape.
SHAPES: dict[str, tuple[str, float, tuple[float, float]]] = {
    "o": ('<circle cx="15" cy="15" r="13.5"', 1.0, (15, 15)),
    "s": ('<rect x="2" y="2" width="26" height="26" rx="3"', 1.0, (15, 15)),
    "D": ('<path d="M15 1.2L28.8 15 15 28.8 1.2 15z"', 0.72, (15, 15)),
    "^": ('<path d="M15 1.5L29 27.5H1z"', 0.6, (15, 18.5)),
    "v": ('<path d="M1 2.5h28L15 28.5z"', 0.6, (15, 11.5)),
}

# Glyphs in a 30 x 30 box centred on (15, 15); {fill} is the glyph colour and {cut} the
# symbol's colour (holes in the glyph).
GLYPHS: dict[str, str] = {
    "library": '<path d="M8 10h6v10H8zM16 10h6v10h-6z" fill="{fill}"/>'
               '<path d="M15 10v10" stroke="{cut}" stroke-width="1"/>',
    "cultural_centre": '<path d="M15 7l2.4 5 5.4.6-4 3.7 1.1 5.3L15 19l-4.9 2.6 1.1-5.3-4-3.7 '
                       '5.4-.6z" fill="{fill}"/>',
    "theatre": '<path d="M8 9h14v5a7 7 0 0 1-14 0z" fill="{fill}"/>'
               '<circle cx="12" cy="13" r="1.3" fill="{cut}"/>'
               '<circle cx="18" cy="13" r="1.3" fill="{cut}"/>'
               '<path d="M11.5 16.5q3.5 3 7 0" stroke="{cut}" stroke-width="1.4" fill="none"/>',
    "museum": '<path d="M15 6l8 4H7z" fill="{fill}"/>'
              '<path d="M9 11h2v8H9zM14 11h2v8h-2zM19 11h2v8h-2zM7 20h16v2H7z" fill="{fill}"/>',
    "community_hall": '<path d="M15 7l8 7h-2.5v8h-11v-8H7z" fill="{fill}"/>'
                      '<path d="M13.5 17h3v5h-3z" fill="{cut}"/>',
    "school": '<path d="M15 8l9 4-9 4-9-4z" fill="{fill}"/>'
              '<path d="M10 14v4c3 2.5 7 2.5 10 0v-4l-5 2.2z" fill="{fill}"/>',
    "plaza": '<circle cx="15" cy="12" r="5" fill="{fill}"/><path d="M14 15h2v7h-2z" '
             'fill="{fill}"/>',
    "other": '<circle cx="15" cy="15" r="4.5" fill="{fill}"/>',
}
DARK_GLYPH = "#111111"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def glyph_colour(fill: str) -> str:
    """White or near-black, whichever reads better on ``fill``."""
    return "#ffffff" if contrast("#ffffff", fill) >= contrast(DARK_GLYPH, fill) else DARK_GLYPH


def icon_svg(cat: Category) -> str:
    """The category's symbol as a standalone SVG file."""
    shape, scale, (cx, cy) = SHAPES.get(cat.marker, SHAPES["o"])
    fill = cat.colour.lower()
    glyph = GLYPHS.get(cat.id, "").format(fill=glyph_colour(fill), cut=fill)
    if glyph and (scale != 1.0 or (cx, cy) != (15, 15)):
        glyph = (f'<g transform="translate({cx:g} {cy:g}) scale({scale:g}) '
                 f'translate(-15 -15)">{glyph}</g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
            f'viewBox="0 0 {SIZE} {SIZE}">{shape} fill="{fill}" stroke="{OUTLINE}"/>'
            f"{glyph}</svg>\n")


def all_icons() -> dict[str, str]:
    """File name -> SVG text for every category of the registry in force."""
    return {cat.icon: icon_svg(cat) for cat in categories()}
