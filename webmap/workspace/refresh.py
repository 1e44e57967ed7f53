"""After an edit, rebuild what the map serves from the database's new inventory.

Why a new store rather than patching the old one: every page, API answer, report and
download reads one :class:`~webmap.store.MapStore`; building a complete new one (on the
same councils, blocks and walking network, which edits do not touch) and swapping it in
one assignment means a request sees either the old inventory or the new one, never half.
"""

from __future__ import annotations

import threading
import time

from flask import Flask

from geo.study import Study
from webmap.store import MapStore
from webmap.workspace.db import Database
from webmap.workspace.frames import inventory_layers

STORE_KEY = "culturamap"  # app.extensions key of the served MapStore (webmap.app)
REPORTS_KEY = "culturamap_reports"  # report cache of webmap.report_routes, made from a store

_lock = threading.Lock()


def rebuilt_store(store: MapStore, db: Database) -> MapStore:
    """A store like ``store`` with the venues, workshops and places to locate read again."""
    from webmap.app import prepare

    with db.session() as session:
        layers = inventory_layers(store.layers, session, store.settings.data_dir)
    study = Study(store.settings, layers=layers, travel=store.travel)
    return prepare(study)


def refresh(app: Flask, db: Database) -> float:
    """Swap in a rebuilt store; returns the seconds it took. Edits are serialised so the
    last edit's store is the one that stays."""
    start = time.perf_counter()
    with _lock:
        app.extensions[STORE_KEY] = rebuilt_store(app.extensions[STORE_KEY], db)
        app.extensions.pop(REPORTS_KEY, None)
    return time.perf_counter() - start
