"""The documented schema of every layer: column names, types and geometry kinds.

One place so that loaders, validation, the API and the reports agree on names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# --- venue categories: one registry ----------------------------------------------------------
# Everything that needs categories (validation, access, siting, the map legend and icons, the
# static map, the CLI tables, the exports, the translations) reads the registry below, so a
# new category is one more ``Category(...)`` line (plus, optionally, its icon file).

OFFERING = "offering"  # a cultural offering proper: counted in the access figures by default
HOST = "host"  # can host a workshop: a default candidate site for a new one
OPEN_SPACE = "open_space"  # a public place: shown, neither counted nor a default candidate
ROLES = (OFFERING, HOST, OPEN_SPACE)


@dataclass(frozen=True)
class Category:
    """One venue category and everything shown or accepted for it."""

    id: str  # stored in the files and the API
    label_es: str
    label_en: str
    short: str  # column heading in narrow tables (CLI)
    role: str  # OFFERING, HOST or OPEN_SPACE
    colour: str  # static map marker colour (colour-blind-friendly Okabe-Ito plus greys)
    marker: str  # matplotlib marker of the static map
    icon: str = "other.svg"  # web map marker, a file in webmap/static/icons/
    synonyms: tuple[str, ...] = ()  # words in a planner's free text that mean this category
    # Part of the inventory of cultural places (libraries... plazas, heritage sites), as
    # opposed to institutions that may only host a workshop (schools, community halls).
    cultural_place: bool = True

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("library", "Biblioteca", "Library", "lib", OFFERING, "#0072B2", "o",
             "library.svg", ("biblioteca",)),
    Category("cultural_centre", "Centro cultural", "Cultural centre", "cc", OFFERING,
             "#D55E00", "D", "cultural_centre.svg", ("centro cultural", "casa de la cultura")),
    Category("theatre", "Teatro", "Theatre", "thr", OFFERING, "#CC79A7", "^", "theatre.svg",
             ("teatro",)),
    Category("museum", "Museo", "Museum", "mus", OFFERING, "#009E73", "s", "museum.svg",
             ("museo",)),
    Category("community_hall", "Sede vecinal", "Community hall", "hall", HOST, "#E69F00", "o",
             "community_hall.svg", ("sede social", "sede vecinal", "junta de vecinos"),
             cultural_place=False),
    Category("school", "Escuela", "School", "sch", HOST, "#56B4E9", "s", "school.svg",
             ("escuela", "colegio", "liceo"), cultural_place=False),
    Category("plaza", "Plaza", "Square", "plz", OPEN_SPACE, "#009E73", "v", "plaza.svg",
             ("plaza",)),
    Category("other", "Otro", "Other", "oth", HOST, "#666666", "o", "other.svg", ("otro",)),
)

_registry: tuple[Category, ...] = DEFAULT_CATEGORIES


def categories() -> tuple[Category, ...]:
    """The categories in force, in display order."""
    return _registry


def category_ids(role: str | None = None) -> tuple[str, ...]:
    """Ids of every category, or of those with one role."""
    return tuple(c.id for c in _registry if role is None or c.role == role)


def category(category_id: str) -> Category:
    """The category with this id; KeyError names the known ids."""
    for c in _registry:
        if c.id == category_id:
            return c
    raise KeyError(f"unknown venue category {category_id!r}; known: {', '.join(category_ids())}")


def category_label(category_id: str, lang: str = "es") -> str:
    """The category's label in ``lang``; an unknown id is shown as it is."""
    try:
        return category(category_id).label(lang)
    except KeyError:
        return category_id


@contextmanager
def use_categories(registry: tuple[Category, ...]) -> Iterator[None]:
    """Put another registry in force for a while (tests with a fixture registry)."""
    global _registry
    ids = [c.id for c in registry]
    if len(set(ids)) != len(ids) or any(c.role not in ROLES for c in registry):
        raise ValueError("a category registry needs unique ids and known roles")
    previous, _registry = _registry, tuple(registry)
    try:
        yield
    finally:
        _registry = previous


# Derived names kept for readers of the default registry (never edit these by hand).
CATEGORIES: tuple[str, ...] = category_ids()
# What "a cultural offering" means by default: the cultural venues proper. Community halls,
# schools and open spaces are where workshops can be *hosted*; counting them as offerings
# would hide the gaps the workshops are meant to close (and leave nothing to suggest).
# A planner can count any set of categories (Settings.categories, --categories).
CULTURAL_CATEGORIES: tuple[str, ...] = category_ids(OFFERING)
HOST_CATEGORIES: tuple[str, ...] = category_ids(HOST)

# Coquimbo commune, generously: anything outside is an error (or swapped lat/lon).
COQUIMBO_BOUNDS = (-71.75, -30.65, -71.05, -29.70)  # lon_min, lat_min, lon_max, lat_max


@dataclass(frozen=True)
class LayerSpec:
    """What a layer file must hold."""

    name: str
    default_path: Path
    columns: dict[str, str]  # column -> "str" | "int" | "date" | "str?" | "int?" (? = nullable)
    geometry_types: tuple[str, ...]
    # An empty layer is a fact worth keeping (no workshop is recorded yet), not an export error.
    may_be_empty: bool = False


COUNCILS = LayerSpec(
    name="councils",
    default_path=DATA_DIR / "boundaries" / "councils.geojson",
    columns={
        "id": "str",
        "name": "str",
        "code": "str",
        "sector": "str?",
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
    may_be_empty=True,
)

POPULATION = LayerSpec(
    name="population",
    default_path=DATA_DIR / "population" / "blocks.geojson",
    columns={"id": "str", "residents": "int", "source": "str"},
    geometry_types=("Polygon", "MultiPolygon"),
)

# Second-level territories and the age layer: optional files. Without a sectors file the
# sectors are the councils dissolved by their ``sector`` column (geo.layers); without a
# zones file there are no age groups.
SECTORS = LayerSpec(
    name="sectors",
    default_path=DATA_DIR / "boundaries" / "sectors.geojson",
    columns={
        "id": "str",
        "name": "str",
        "residents": "int?",
        "households": "int?",
        "population_2017": "int?",
        "source": "str",
    },
    geometry_types=("Polygon", "MultiPolygon"),
)

ZONES = LayerSpec(
    name="zones",
    default_path=DATA_DIR / "population" / "zones_2017.geojson",
    columns={
        "id": "str",
        "population_2017": "int",
        "age_0_14": "int",
        "age_15_64": "int",
        "age_65_plus": "int",
        "source": "str",
    },
    geometry_types=("Polygon", "MultiPolygon"),
)
OPTIONAL_LAYERS: tuple[LayerSpec, ...] = (SECTORS, ZONES)

MANIFEST = DATA_DIR / "manifest.json"

ALL_LAYERS: tuple[LayerSpec, ...] = (COUNCILS, VENUES, WORKSHOPS, POPULATION)
