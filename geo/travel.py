"""Travel models: the only place that knows how people walk; everything else sees minutes.

Why an interface: the access figures, the 2SFCA scores, the site suggestion and the point
queries need walking times, never streets. pysal/access works the same way (measures read a
cost table, not a network). A :class:`TravelModel` snaps points once (``snap``) and answers
in minutes: ``nearest`` (nearest source per target), ``minutes`` (a sources x targets table,
optionally cut at a limit), ``within`` (who is within a limit) and ``field`` (minutes from a
fixed set of sources to anywhere, for repeated point queries). ``lines`` gives the model's
walkable lines for drawing.

Implementations:
- ``osm``: an OpenStreetMap file in ``data/network/`` read with osmnx (``geo.network``).
- ``blocks``: a network derived from the census block outlines (``geo.block_network``).
``Settings.travel_model`` picks one (``auto``: an OSM file in data/network/ wins).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np

from geo import METRIC_CRS, WEB_CRS
from geo.network import EdgeSnap, NetworkError, WalkNetwork, load_network, same_segment_pairs
from geo.settings import Settings, check_speed

NETWORK_DIR = "network"  # inside the data folder
OSM_SUFFIXES = (".osm", ".osm.xml", ".xml")
MATCH_TOLERANCE_MIN = 1e-9  # "within 15 minutes" includes exactly 15 despite rounding


class Placed(Protocol):
    """Points as a travel model sees them (opaque apart from these)."""

    snap_m: np.ndarray  # straight walk (m) from each point onto the model

    def __len__(self) -> int: ...

    def take(self, idx: np.ndarray | slice) -> Placed: ...


class TravelField(Protocol):
    """Minutes from a fixed set of sources to any target, prepared once."""

    def to(self, targets: Placed) -> np.ndarray:
        """Minutes, shape (targets, sources); inf where unreachable."""
        ...


@runtime_checkable
class TravelModel(Protocol):
    """Walking times in minutes between points (EPSG:32719 metres in, minutes out)."""

    name: str  # "osm" or "blocks"
    walking_speed_kmh: float

    def at_speed(self, walking_speed_kmh: float) -> TravelModel: ...

    def snap(self, xy_metric: np.ndarray) -> Placed: ...

    def nearest(self, sources: Placed, targets: Placed) -> tuple[np.ndarray, np.ndarray]:
        """For each target: minutes to its nearest source and that source's index
        (inf and -1 where none can be reached)."""
        ...

    def minutes(self, sources: Placed, targets: Placed, limit_min: float = np.inf) -> np.ndarray:
        """Minutes, shape (sources, targets); pairs beyond ``limit_min`` may be inf."""
        ...

    def within(self, sources: Placed, targets: Placed, limit_min: float) -> np.ndarray:
        """Boolean (sources, targets): the walk takes at most ``limit_min``."""
        ...

    def field(self, sources: Placed) -> TravelField: ...

    def lines(self) -> gpd.GeoDataFrame:
        """The walkable lines (EPSG:4326) with a ``kind`` column, for drawing."""
        ...


@dataclass(frozen=True)
class NetworkField:
    """Distances from each source to every street node, kept as float32 (nodes x sources)."""

    sources: EdgeSnap
    node_dist: np.ndarray
    metres_per_min: float

    def to(self, targets: Placed) -> np.ndarray:
        t: EdgeSnap = targets  # type: ignore[assignment]
        d = self.node_dist
        via_u = d[t.u].astype(np.float64) + t.to_u[:, None]
        via_v = d[t.v].astype(np.float64) + t.to_v[:, None]
        dist = np.minimum(via_u, via_v) + t.snap_m[:, None]
        ti, sj, direct = same_segment_pairs(self.sources, t)  # straight along one street
        np.minimum.at(dist, (ti, sj), direct)
        return dist / self.metres_per_min


@dataclass(frozen=True)
class NetworkTravelModel:
    """Walking along a street graph (:class:`geo.network.WalkNetwork`) at a fixed speed.

    Points are snapped onto their nearest street segment; see ``geo.network`` for how the
    snap and the along-the-segment walks enter every time.
    """

    network: WalkNetwork
    walking_speed_kmh: float = Settings.walking_speed_kmh
    name: str = "osm"
    draw_lines: Callable[[], gpd.GeoDataFrame] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "walking_speed_kmh", check_speed(self.walking_speed_kmh))

    @property
    def metres_per_min(self) -> float:
        return self.walking_speed_kmh * 1000.0 / 60.0

    def at_speed(self, walking_speed_kmh: float) -> NetworkTravelModel:
        if walking_speed_kmh == self.walking_speed_kmh:
            return self
        return replace(self, walking_speed_kmh=walking_speed_kmh)

    def snap(self, xy_metric: np.ndarray) -> EdgeSnap:
        return self.network.snap_edges(xy_metric)

    def nearest(self, sources: Placed, targets: Placed) -> tuple[np.ndarray, np.ndarray]:
        dist, src = self.network.nearest_snapped(sources, targets)  # type: ignore[arg-type]
        return dist / self.metres_per_min, src

    def minutes(self, sources: Placed, targets: Placed, limit_min: float = np.inf) -> np.ndarray:
        limit_m = limit_min * self.metres_per_min
        d = self.network.distances_snapped(sources, targets, limit=limit_m)  # type: ignore[arg-type]
        return d / self.metres_per_min

    def within(self, sources: Placed, targets: Placed, limit_min: float) -> np.ndarray:
        return self.minutes(sources, targets, limit_min) <= limit_min + MATCH_TOLERANCE_MIN

    def field(self, sources: Placed) -> NetworkField:
        s: EdgeSnap = sources  # type: ignore[assignment]
        d = self.network.distances_from(s.ends, s.end_offsets)
        return NetworkField(s, np.ascontiguousarray(d.T, np.float32),
                            self.metres_per_min)

    def lines(self) -> gpd.GeoDataFrame:
        if self.draw_lines is not None:
            return self.draw_lines()
        return network_lines(self.network)


def network_lines(network: WalkNetwork, kind: str = "street") -> gpd.GeoDataFrame:
    """Every street segment of a network as a line (EPSG:4326), when no nicer drawing exists."""
    import shapely

    coords = np.stack([network.xy[network.edge_u], network.xy[network.edge_v]], axis=1)
    lines = gpd.GeoDataFrame({"kind": [kind] * len(coords)}, geometry=shapely.linestrings(coords),
                             crs=METRIC_CRS)
    return lines.to_crs(WEB_CRS)


# --- choosing and loading a model from the settings -----------------------------------------


def osm_file(data_dir: Path) -> Path | None:
    """The OpenStreetMap file in ``data_dir/network/`` (the first by name), if any."""
    folder = Path(data_dir) / NETWORK_DIR
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(OSM_SUFFIXES))
    return found[0] if found else None


def chosen_model(settings: Settings) -> str:
    """Which model the settings pick: ``auto`` means an OSM file wins, else the blocks."""
    if settings.travel_model != "auto":
        return settings.travel_model
    return "osm" if osm_file(settings.data_dir) is not None else "blocks"


def load_travel_model(settings: Settings) -> TravelModel:
    """The travel model the settings pick, with the network cached under ``cache_dir``."""
    kind = chosen_model(settings)
    cache_dir = Path(settings.cache_dir)
    if kind == "osm":
        path = osm_file(settings.data_dir)
        if path is None:
            raise NetworkError(
                f"{Path(settings.data_dir) / NETWORK_DIR}: no OpenStreetMap file (.osm) found; "
                "add one or set travel_model = \"blocks\""
            )
        network = load_network(path, cache_dir=_usable(cache_dir))
        return NetworkTravelModel(network, settings.walking_speed_kmh, "osm",
                                  draw_lines=lambda: read_osm_lines(path))
    return load_block_model(settings)


def load_block_model(settings: Settings) -> NetworkTravelModel:
    """The walking network derived from the census block outlines of the data folder."""
    from geo.block_network import load_block_network
    from geo.layers import layer_path
    from geo.schema import POPULATION

    derived = load_block_network(layer_path(POPULATION, settings.data_dir),
                                 cache_dir=_usable(Path(settings.cache_dir)))
    lines = derived.lines[["kind", "geometry"]].to_crs(WEB_CRS)
    return NetworkTravelModel(derived.network, settings.walking_speed_kmh, "blocks",
                              draw_lines=lambda: lines)


def _usable(cache_dir: Path) -> Path:
    """Create the cache folder if possible; a read-only place only loses the cache."""
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
    return cache_dir


STREET_KINDS = {"primary", "secondary", "tertiary", "residential", "footway", "path",
                "pedestrian"}


def read_osm_lines(osm_path: Path) -> gpd.GeoDataFrame:
    """The OSM file's ways as lines (EPSG:4326) with a ``kind`` column (street class)."""
    import pyogrio

    lines = pyogrio.read_dataframe(osm_path, layer="lines", columns=["highway"])
    lines = lines[lines["highway"].notna()].copy()
    lines["kind"] = [k if k in STREET_KINDS else "other" for k in lines["highway"]]
    return lines[["kind", "geometry"]].reset_index(drop=True)  # GDAL's OSM driver: EPSG:4326
