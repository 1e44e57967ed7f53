"""Colour classes for choropleth layers, computed with mapclassify.

Fisher-Jenks (default) is deterministic (NaturalBreaks samples at random, which would
change the legend between restarts) and optimal for small sets such as 20 councils;
quantiles suit hundreds of skewed values (block densities) and cost nothing.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np

# ColorBrewer sequential palettes (colour-blind safe), light to dark.
GAP_PALETTE = ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9")  # low share = dark
DENSITY_PALETTE = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
NO_DATA_COLOUR = "#bdbdbd"
METHODS = ("fisher_jenks", "quantiles")


@dataclass(frozen=True)
class Classes:
    """Class bounds and colours; ``index[i]`` is the class of row i, -1 when it has no value."""

    bounds: tuple[tuple[float, float], ...]  # (lower, upper) per class, ascending
    colours: tuple[str, ...]
    index: tuple[int, ...]

    def colour_of(self, row: int) -> str:
        k = self.index[row]
        return NO_DATA_COLOUR if k < 0 else self.colours[k]

    @property
    def has_missing(self) -> bool:
        return any(k < 0 for k in self.index)


def classify(
    values: list[float | None], palette: tuple[str, ...], k: int = 5, method: str = "fisher_jenks"
) -> Classes:
    """Classes of ``values`` (None/NaN = no data), coloured from ``palette``.

    ``method`` is "fisher_jenks" or "quantiles" (anything else is a programming error).
    """
    if method not in METHODS:
        raise ValueError(f"unknown classification method {method!r}; use one of {METHODS}")
    raw = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    known = raw[~np.isnan(raw)]
    distinct = np.unique(known)
    if distinct.size == 0:
        return Classes(bounds=(), colours=(), index=tuple(-1 for _ in raw))
    k = min(k, distinct.size)
    if k == 1:
        bins = np.array([distinct[0]])
    else:
        with warnings.catch_warnings():  # "Numba not installed": fine for these sizes
            warnings.simplefilter("ignore", UserWarning)
            scheme = (
                mapclassify.Quantiles(known, k=k)
                if method == "quantiles"
                else mapclassify.FisherJenks(known, k=k)
            )
        bins = np.unique(np.asarray(scheme.bins, dtype=float))
    lowers = [float(known.min())] + [float(b) for b in bins[:-1]]
    bounds = tuple(zip(lowers, (float(b) for b in bins), strict=True))
    # Spread the palette over the classes actually found, keeping both ends.
    picks = np.linspace(0, len(palette) - 1, num=len(bounds)).round().astype(int)
    colours = tuple(palette[i] for i in picks)
    index = []
    for v in raw:
        if math.isnan(v):
            index.append(-1)
        else:
            index.append(int(min(np.searchsorted(bins, v, side="left"), len(bins) - 1)))
    return Classes(bounds=bounds, colours=colours, index=tuple(index))
