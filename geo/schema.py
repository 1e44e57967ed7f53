"""The documented schema of every layer: column names, types and geometry kinds.

One place so that loaders, validation, the API and the reports agree on names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# Venue categories: fixed list, stored as these ids; labels live in the translations.
CATEGORIES: tuple[str, ...] = (
    "library",
    "cultural_centre",
    "theatre",
    "museum",
    "community_hall",
    "school",
    "plaza",
    "other",
)

# What "a cultural offering" means by default: the cultural venues proper. Community halls,
# schools and open spaces are where workshops can be *hosted*; counting them as offerings
# would hide the gaps the workshops are meant to close (and leave nothing to suggest).
# A planner can count any set of categories (AccessParams.categories, --categories).
CULTURAL_CATEGORIES: tuple[str, ...] = ("library", "cultural_centre", "theatre", "museum")
HOST_CATEGORIES: tuple[str, ...] = ("community_hall", "school", "other")

# Coquimbo commune, generously: anything outside is an error (or swapped lat/lon).
COQUIMBO_BOUNDS = (-71.75, -30.65, -71.05, -29.70)  # lon_min, lat_min, lon_max, lat_max


@dataclass(frozen=True)
class LayerSpec:
    """What a layer file must hold."""

    name: str
    default_path: Path
    columns: dict[str, str]  # column -> "str" | "int" | "date" | "str?" | "int?" (? = nullable)
    geometry_types: tuple[str, ...]


COUNCILS = LayerSpec(
    name="councils",
    default_path=DATA_DIR / "boundaries" / "councils.geojson",
    columns={
        "id": "str",
        "name": "str",
        "code": "str",
        "sector": "str",
        "population": "int?",
        "source": "str",
    },
    geometry_types=("Polygon", "MultiPolygon"),
)

VENUES = LayerSpec(
    name="venues",
    default_path=DATA_DIR / "venues" / "venues.geojson",
    columns={
        "id": "str",
        "name": "str",
        "category": "str",
        "address": "str?",
        "source": "str",
    },
    geometry_types=("Point",),
)

WORKSHOPS = LayerSpec(
    name="workshops",
    default_path=DATA_DIR / "workshops" / "workshops.geojson",
    columns={
        "id": "str",
        "title": "str",
        "date": "date",
        "venue_id": "str?",
        "councils": "str",  # council ids separated by ";"
        "source": "str",
    },
    geometry_types=("Point",),
)

POPULATION = LayerSpec(
    name="population",
    default_path=DATA_DIR / "population" / "blocks.geojson",
    columns={"id": "str", "residents": "int", "source": "str"},
    geometry_types=("Polygon", "MultiPolygon"),
)

NETWORK_OSM = DATA_DIR / "network" / "parte_alta.osm"
MANIFEST = DATA_DIR / "manifest.json"

ALL_LAYERS: tuple[LayerSpec, ...] = (COUNCILS, VENUES, WORKSHOPS, POPULATION)
