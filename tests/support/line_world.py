"""A hand-made world on ONE straight street, where every walking time is computable by hand.

Why a straight street: along it the walking distance between two points on it is |x1 - x2|,
so a test's expectation needs no graph search and no code under test (the independent
oracle of tests/test_boundaries.py and tests/test_numbers_read.py). At 4.5 km/h people
walk exactly 75 m a minute, so 5/10/15/20 minutes are 375/750/1,125/1,500 m: every threshold
lands EXACTLY on a street node (nodes every 375 m), with a resident there, one a metre
closer and one a metre farther.

Positions are metres east of ``tests.support.network.ORIGIN`` (y = 0 is the street).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.layers import Layers
from geo.settings import Settings
from geo.study import Study
from tests.support.network import ORIGIN, direct_network, make_layers, walking

ORIGIN_X, ORIGIN_Y = ORIGIN
SPEED_KMH = 4.5
M_PER_MIN = 75.0  # 4.5 km/h
STREET_END = 6000.0
NODE_STEP = 375.0  # 5 minutes: every threshold is a node

# venues: id -> (category, x). The two counted offerings sit 4 km apart; the halls are the
# candidate sites, placed a threshold away from council JV-B's point (x = 1,400).
VENUES: dict[str, tuple[str, float]] = {
    "V-LIB": ("library", 0.0),
    "V-MUS": ("museum", 4000.0),
    "H-IN": ("community_hall", 2525.0),  # exactly 1,125 m (15 min) from x = 1,400
    "H-OUT": ("community_hall", 2526.0),  # one metre farther
    "H-NEAR": ("community_hall", 2524.0),  # one metre closer
    "H-FAR": ("school", 5500.0),
}

# blocks: id -> (x, residents). Distinct head-counts so a sum tells which blocks were counted.
BLOCKS: dict[str, tuple[float, int]] = {
    "B-0374": (374.0, 11),
    "B-0375": (375.0, 13),  # exactly 5 min from the library
    "B-0376": (376.0, 17),
    "B-0749": (749.0, 19),
    "B-0750": (750.0, 23),  # exactly 10 min
    "B-0751": (751.0, 29),
    "B-1124": (1124.0, 31),
    "B-1125": (1125.0, 37),  # exactly 15 min
    "B-1126": (1126.0, 41),
    "B-1399": (1399.0, 43),  # 1,126 m from H-IN
    "B-1400": (1400.0, 47),  # exactly 15 min from H-IN
    "B-1401": (1401.0, 53),
    "B-1499": (1499.0, 59),
    "B-1500": (1500.0, 61),  # exactly 20 min from the library
    "B-1501": (1501.0, 67),
    "B-2874": (2874.0, 71),  # 1,126 m from the museum
    "B-2875": (2875.0, 73),  # exactly 15 min from the museum
    "B-5125": (5125.0, 79),  # exactly 15 min from the museum, on the other side
    "B-5126": (5126.0, 83),
    "B-5900": (5900.0, 89),
}

# councils: id -> (x0, x1); each a box 200 m tall around the street; its point is the centre.
COUNCILS: dict[str, tuple[float, float]] = {
    "JV-A": (-100.0, 800.0),  # point x = 350
    "JV-B": (800.0, 2000.0),  # point x = 1,400
    "JV-C": (2000.0, 6100.0),  # point x = 4,050
}


def council_point_x(council_id: str) -> float:
    x0, x1 = COUNCILS[council_id]
    return (x0 + x1) / 2


def layers() -> Layers:
    return make_layers(
        councils=[(cid, (x0, -100.0, x1, 100.0)) for cid, (x0, x1) in COUNCILS.items()],
        venues=[(vid, cat, x, 0.0) for vid, (cat, x) in VENUES.items()],
        blocks=[(bid, res, x, 0.0) for bid, (x, res) in BLOCKS.items()],
    )


def travel():
    xs = np.arange(0.0, STREET_END + NODE_STEP / 2, NODE_STEP)
    nodes = {i + 1: (float(x), 0.0) for i, x in enumerate(xs)}
    edges = [(i, i + 1) for i in range(1, len(xs))]
    return walking(direct_network(nodes, edges), SPEED_KMH)


def study(tmp_path: Path, **settings: object) -> Study:
    """A Study on the line world (no files: layers and network given)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    options = {"walking_speed_kmh": SPEED_KMH, "sites_k": 2, "focus_sectors": ("test",),
               **settings}
    s = Settings(data_dir=data, cache_dir=tmp_path / "cache", **options)
    return Study(s, layers=layers(), travel=travel())


# --- the oracle: plain arithmetic on positions --------------------------------------------


@dataclass(frozen=True)
class Hand:
    """Hand computations on the line world (no call into geo/ or webmap/)."""

    counted: tuple[str, ...] = ("library", "cultural_centre", "theatre", "museum")

    def offerings(self) -> dict[str, float]:
        return {v: x for v, (cat, x) in VENUES.items() if cat in self.counted}

    def block_metres(self) -> dict[str, float]:
        """Metres from each block to its nearest counted offering (whole metres: exact)."""
        xs = self.offerings().values()
        return {b: min(abs(x - v) for v in xs) for b, (x, _r) in BLOCKS.items()}

    def block_minutes(self) -> dict[str, float]:
        return {b: d / M_PER_MIN for b, d in self.block_metres().items()}

    def nearest_offering(self) -> dict[str, str]:
        offer = self.offerings()
        return {b: min(offer, key=lambda v: abs(x - offer[v])) for b, (x, _r) in BLOCKS.items()}

    def blocks_of(self, council_id: str | None) -> list[str]:
        if council_id is None:
            return list(BLOCKS)
        x0, x1 = COUNCILS[council_id]
        return [b for b, (x, _r) in BLOCKS.items() if x0 <= x < x1]

    def share_within(self, minutes: float, council_id: str | None = None) -> float:
        ids = self.blocks_of(council_id)
        d = self.block_metres()
        total = sum(BLOCKS[b][1] for b in ids)
        return sum(BLOCKS[b][1] for b in ids if d[b] <= minutes * M_PER_MIN) / total

    def mean_minutes(self, council_id: str | None = None) -> float:
        ids = self.blocks_of(council_id)
        t = self.block_minutes()
        w = np.array([BLOCKS[b][1] for b in ids], dtype=float)
        return float(np.average([t[b] for b in ids], weights=w))

    def residents(self, council_id: str | None = None) -> int:
        return sum(BLOCKS[b][1] for b in self.blocks_of(council_id))
