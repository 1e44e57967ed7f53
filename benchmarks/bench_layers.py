"""How long loading, validating and joining the layers takes (prints figures; no asserts).

Run: ``.venv/bin/python benchmarks/bench_layers.py``. Uses the shipped data and a scaled-up
population layer (the shipped blocks tiled 32 times, ~20,000 polygons) written to a temp dir.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.join import assign_councils, council_summary
from geo.layers import load_all, load_layer
from geo.schema import POPULATION


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
    for i in range(8):
        for j in range(4):
            tile = blocks.copy()
            tile["geometry"] = shapely.transform(
                tile.geometry.to_numpy(), lambda xy, i=i, j=j: xy - [0.05 * i, 0.035 * j]
            )
            tile["id"] = [f"{b}-{i}{j}" for b in blocks["id"]]
            tiles.append(tile)
    big = gpd.GeoDataFrame(pd.concat(tiles, ignore_index=True), crs=blocks.crs)
    path = out / "blocks.geojson"
    big.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def main() -> None:
    t, layers = timed(load_all)
    print(f"load_all (shipped, 4 layers, {len(layers.population)} blocks): {t * 1000:.1f} ms")
    t, _ = timed(lambda: council_summary(layers))
    print(f"council_summary (20 councils, {len(layers.venues)} venues): {t * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = scaled_blocks(layers.population, Path(tmp))
        size_mb = path.stat().st_size / 1e6
        t, big = timed(lambda: load_layer(POPULATION, path), repeat=3)
        print(f"load_layer population x32 ({len(big)} blocks, {size_mb:.1f} MB): {t:.2f} s")
        t, _ = timed(lambda: assign_councils(big, layers.councils), repeat=3)
        print(f"assign_councils ({len(big)} polygons -> 20 councils): {t:.2f} s")


if __name__ == "__main__":
    main()
