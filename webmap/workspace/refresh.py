"""After an edit, rebuild what the map serves from the database's new inventory.

Why a new store rather than patching the old one: every page, API answer, report and
download reads one :class:`~webmap.store.MapStore`; a new one swapped in by one assignment
means a request sees either the old inventory or the new one, never half.

Why in two steps: on the real data the access figures take ~0.1 s but the exact site
suggestion (an MCLP) takes ~2 s. Step one (in the edit's request) swaps in a store with the
new layers, access figures and GeoJSON collections; step two (a background thread) computes
the nearest-venue index and the suggested sites of that same study. Meanwhile the store is
marked ``sites_pending``: the map page says the suggested sites are being updated and the
OGC ``sites`` collection answers 503 with Retry-After (never the old sites, never an empty
list as if there were none); /api/sites and the reports wait for the new ones (the study
computes each stage once, under a lock). Parts that no edit touches
(streets, council points, and anything else ``webmap.app.prepare`` keeps) are carried over
from the previous store.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field

import geopandas as gpd
from flask import Flask

from geo.layers import Layers
from geo.study import Study
from webmap.features import build_collections, sites_collection
from webmap.report_routes import drop_reports
from webmap.store import SITES_PENDING, MapStore
from webmap.workspace.db import Database
from webmap.workspace.frames import inventory_layers

STORE_KEY = "culturamap"  # app.extensions key of the served MapStore (webmap.app)
INVENTORY_DEPENDENT = ("collections", "pages")  # store.cache entries rebuilt after an edit

log = logging.getLogger(__name__)
_lock = threading.Lock()


class _Partial(MapStore):
    """The new store as ``build_collections`` sees it in step one: no sites yet (step two
    adds them) and no blocks (an edit of the inventory never changes the census blocks:
    their collection, the largest, is the previous store's)."""

    stub_layers: Layers | None = None
    stub_sites: gpd.GeoDataFrame | None = None

    @property
    def layers(self) -> Layers:
        return self.stub_layers

    @property
    def sites(self) -> gpd.GeoDataFrame:
        return self.stub_sites


@dataclass
class Refreshed:
    """What one refresh did, and how long each step took (seconds)."""

    store: MapStore
    figures_s: float  # until the new store (figures, collections) was served
    background: threading.Thread | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def wait(self, timeout: float | None = None) -> None:
        """Until the nearest-venue index and the sites are ready too (tests, benchmarks)."""
        if self.background is not None:
            self.background.join(timeout)


def rebuilt_store(old: MapStore, db: Database) -> tuple[MapStore, dict[str, float]]:
    """A store like ``old`` with the inventory read again and the access figures computed
    (its sites and nearest-venue index are left to ``finish``)."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with db.session() as session:
        layers = inventory_layers(old.layers, session, old.settings.data_dir)
    timings["inventory"] = time.perf_counter() - start
    study = Study(old.settings, layers=layers, travel=old.travel)
    start = time.perf_counter()
    study.access  # noqa: B018 - computed now, for its cache
    timings["access"] = time.perf_counter() - start
    cache = {k: v for k, v in old.cache.items() if k not in INVENTORY_DEPENDENT}
    store = MapStore(study=study, extent=old.extent, home=old.home, cache=cache)
    partial = _Partial(study=study, extent=old.extent, home=old.home, cache=cache)
    partial.stub_layers = dataclasses.replace(layers, population=layers.population.iloc[0:0])
    partial.stub_sites = old.sites.iloc[0:0]
    start = time.perf_counter()
    collections = build_collections(partial)
    collections["population"] = old.cache["collections"]["population"]
    store.cache["collections"] = collections
    store.cache["pages"] = {}
    store.cache[SITES_PENDING] = True  # until ``finish``: pages say the sites are updating
    timings["collections"] = time.perf_counter() - start
    return store, timings


def finish(store: MapStore, timings: dict[str, float]) -> None:
    """Step two: the nearest-venue index, then the sites and their collection."""
    try:
        start = time.perf_counter()
        store.nearest_index  # noqa: B018
        timings["nearest"] = time.perf_counter() - start
        start = time.perf_counter()
        sites = store.sites
        collections = dict(store.cache["collections"])
        collections["sites"] = sites_collection(sites)
        store.cache["collections"] = collections
        timings["sites"] = time.perf_counter() - start
    except Exception:  # noqa: BLE001 - a background failure must be logged, not lost
        log.exception("computing the suggested sites after an edit failed")
    finally:  # never "being updated" for ever: a failure shows when the sites are asked for
        store.cache.pop(SITES_PENDING, None)
        store.cache["pages"] = {}  # pages rendered meanwhile said "being updated"


def refresh(app: Flask, db: Database) -> Refreshed:
    """Swap in a store with the new inventory and figures; finish it in the background.
    Edits are serialised so the last edit's store is the one that stays."""
    start = time.perf_counter()
    with _lock:
        store, timings = rebuilt_store(app.extensions[STORE_KEY], db)
        app.extensions[STORE_KEY] = store
        drop_reports(app)
    figures_s = time.perf_counter() - start
    thread = threading.Thread(target=finish, args=(store, timings), daemon=True,
                              name="culturamap-refresh")
    thread.start()
    app.extensions["culturamap_last_refresh"] = result = Refreshed(store, figures_s, thread,
                                                                   timings)
    return result
