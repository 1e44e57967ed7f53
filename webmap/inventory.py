"""How complete the data are, said wherever the figures are shown.

Rule: never let a gap in the inventory look like a gap in the city. The map, the nearby
view, the about page and every report state how many cultural places are located and how
many are still to be located (``Layers.inventory()``), say so when no workshop is recorded,
and name the residents the walking model cannot bring to any cultural offering.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from geo.layers import Layers
from geo.schema import category_ids, category_label
from webmap.area import translate_area
from webmap.report_format import format_number

_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)


def inventory_statement(layers: Layers, lang: str) -> dict[str, Any]:
    """The inventory sentences in ``lang`` and the raw counts they are made of."""
    counts = layers.inventory()
    manifest = layers.manifest

    def say(key: str, **values: object) -> str:
        return translate_area(key, lang, manifest, **values)

    located = format_number(counts["cultural_located"], lang)
    if counts["to_locate"]:
        text = say("inventory.counts", located=located,
                   to_locate=format_number(counts["to_locate"], lang))
    else:
        text = say("inventory.counts_complete", located=located)
    return {
        **counts,
        "counts_text": text,
        "offerings_text": say("inventory.offerings",
                              offerings=format_number(counts["offerings_located"], lang)),
        "caveat": say("inventory.caveat"),
        "workshops_none": say("workshops.none_recorded") if counts["workshops"] == 0 else None,
    }


def unreachable_text(residents: Any, lang: str, manifest: dict | None = None,
                     total: Any = None) -> str | None:
    """"N residents live where the walking model reaches no cultural offering. The mean
    walking time describes the other residents." (or, when ``total`` residents are all
    unreachable, that none of them reaches one); None when everybody can reach one."""
    try:
        count = float(residents)
    except (TypeError, ValueError):
        return None
    if not count > 0:  # also NaN
        return None
    number = format_number(count, lang)
    try:
        everybody = total is not None and count >= float(total)
    except (TypeError, ValueError):
        everybody = False
    if everybody:
        return translate_area("unreachable.all", lang, manifest, count=number)
    return " ".join((translate_area("unreachable.residents", lang, manifest, count=number),
                     translate_area("unreachable.mean_note", lang, manifest)))


def source_links(text: Any) -> list[dict[str, str | None]]:
    """A "url (note); url (note)" cell as parts; ``href`` only for http(s) addresses.

    Anything else (javascript:, data:, a bare note) stays plain text; the template escapes
    every part."""
    parts = []
    for piece in str(text or "").split(";"):
        piece = piece.strip()
        if not piece:
            continue
        first, _, rest = piece.partition(" ")
        if _LINK.match(first):  # shown by its site's name; the full address is the link
            try:
                host = urlsplit(first).hostname or first
            except ValueError:  # e.g. a malformed IPv6 literal: keep it as written
                host = first
            host = host[4:] if host.startswith("www.") else host
            parts.append({"href": first, "text": host, "note": rest.strip()})
        else:
            parts.append({"href": None, "text": piece, "note": ""})
    return parts


def to_locate_rows(layers: Layers, lang: str) -> list[dict[str, Any]]:
    """The known places still without coordinates, as the about page lists them."""
    known = set(category_ids())
    rows = []
    for _, row in layers.to_locate.iterrows():
        category = str(row.get("category") or "")
        status = str(row.get("status") or "")
        status_label = translate_area(f"status.{status}", lang, None) if status else ""
        rows.append({
            "id": str(row.get("id") or ""),
            "name": str(row.get("name") or ""),
            "category": category_label(category, lang) if category in known else category,
            "address": str(row.get("address") or ""),
            "sector": str(row.get("sector") or ""),
            "status": status if status_label == f"status.{status}" else status_label,
            "status_date": str(row.get("status_date") or ""),
            "sources": source_links(row.get("source_urls")),
        })
    return rows
