"""How long loading, validating and joining the layers takes (prints figures; no asserts).

Run: ``.venv/bin/python benchmarks/bench_layers.py``. Uses the shipped data (real urban
Coquimbo: 3,111 census blocks, 154 venues, 28 neighbourhood units) and a scaled-up population
layer (the shipped blocks tiled 8 times, ~25,000 polygons, shifted but kept inside the
Coquimbo bounds; the tiles overlap each other) written to a temp dir.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from geo.join import assign_councils, council_summary  # noqa: E402
from geo.layers import load_all, load_layer  # noqa: E402
from geo.schema import POPULATION  # noqa: E402

TILES_X, TILES_Y = 4, 2  # the real blocks span ~0.27 x 0.34 degrees: 8 tiles fit the bounds


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def scaled_blocks(blocks: gpd.GeoDataFrame, out: Path) -> Path:
    """Tile the blocks westward and southward (staying inside Coquimbo) into one big file."""
    tiles = []
    for i in range(TILES_X):
        for j in range(TILES_Y):
            tile = blocks.copy()
            tile["geometry"] = shapely.transform(
                tile.geometry.to_numpy(), lambda xy, i=i, j=j: xy - [0.06 * i, 0.18 * j]
            )
            tile["id"] = [f"{b}-{i}{j}" for b in blocks["id"]]
            tiles.append(tile)
    big = gpd.GeoDataFrame(pd.concat(tiles, ignore_index=True), crs=blocks.crs)
    path = out / "blocks.geojson"
    big.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def main() -> None:
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))}")
    t, layers = timed(load_all)
    n_c, n_v, n_b = len(layers.councils), len(layers.venues), len(layers.population)
    print(f"load_all (shipped real data, 4 layers: {n_c} councils, {n_v} venues, "
          f"{len(layers.workshops)} workshops, {n_b} blocks), median of 5: {t * 1000:.1f} ms")
    t, _ = timed(lambda: load_layer(POPULATION))
    print(f"load_layer population (shipped, {n_b} blocks): {t * 1000:.1f} ms")
    t, _ = timed(lambda: council_summary(layers))
    print(f"council_summary ({n_c} councils, {n_v} venues, {n_b} blocks): {t * 1000:.1f} ms")
    t, _ = timed(lambda: assign_councils(layers.population, layers.councils))
    print(f"assign_councils ({n_b} shipped blocks -> {n_c} councils): {t * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = scaled_blocks(layers.population, Path(tmp))
        size_mb = path.stat().st_size / 1e6
        tiles = TILES_X * TILES_Y
        t, big = timed(lambda: load_layer(POPULATION, path), repeat=3)
        print(f"load_layer population x{tiles} ({len(big)} blocks, {size_mb:.1f} MB), "
              f"median of 3: {t:.2f} s")
        t, _ = timed(lambda: assign_councils(big, layers.councils), repeat=3)
        print(f"assign_councils ({len(big)} polygons -> {n_c} councils), median of 3: "
              f"{t:.2f} s")


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("layers"):  # benchmarks/results/layers.txt and .json
        main()
