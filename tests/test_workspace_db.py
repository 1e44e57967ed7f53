"""The workspace database on SQLite and PostgreSQL: schema, seeding, layers from rows."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from geo.layer_errors import LayerError
from geo.layers import load_all
from tests.support.data import FIXTURE_DATA_DIR
from webmap.workspace.db import open_database
from webmap.workspace.frames import inventory_layers
from webmap.workspace.models import Change, Venue, VenueToLocate, Workshop
from webmap.workspace.seed import seed_if_new

TO_LOCATE_CSV = (
    "id,name,category,address,sector,status,source_urls\n"
    "PU-01,Biblioteca por ubicar,library,Calle Falsa 1,Demo,open,https://example.org/a\n"
    "PU-02,Museo por ubicar,museum,,Demo,open,\n"
)


def _features(path):
    import json

    return json.loads(path.read_text("utf-8"))["features"]


def test_seed_stores_every_file_record_with_a_history_row(database_url):
    db = open_database(database_url)
    with db.session() as session:
        counts = seed_if_new(session, FIXTURE_DATA_DIR)
    venues = _features(FIXTURE_DATA_DIR / "venues" / "venues.geojson")
    workshops = _features(FIXTURE_DATA_DIR / "workshops" / "workshops.geojson")
    assert counts == {"venues": len(venues), "workshops": len(workshops), "to_locate": 0}
    with db.session() as session:
        stored = {v.id: v for v in session.scalars(select(Venue))}
        assert set(stored) == {f["properties"]["id"] for f in venues}
        for feature in venues:
            venue = stored[feature["properties"]["id"]]
            assert venue.name == feature["properties"]["name"]
            assert (venue.lon, venue.lat) == tuple(feature["geometry"]["coordinates"])
            assert venue.version == 1 and not venue.retired
        assert session.scalar(select(func.count()).select_from(Workshop)) == len(workshops)
        seeds = session.scalars(select(Change).where(Change.action == "seed")).all()
        assert len(seeds) == len(venues) + len(workshops)
        assert all(c.before is None and c.user_id is None for c in seeds)
    # a second start does not seed again (planners' retirements must stay retired)
    with db.session() as session:
        assert seed_if_new(session, FIXTURE_DATA_DIR) is None
        assert session.scalar(select(func.count()).select_from(Venue)) == len(venues)
    db.dispose()


def test_layers_from_the_database_equal_the_layers_from_the_files(database_url):
    db = open_database(database_url)
    with db.session() as session:
        seed_if_new(session, FIXTURE_DATA_DIR)
    files = load_all(FIXTURE_DATA_DIR)
    with db.session() as session:
        layers = inventory_layers(files, session, FIXTURE_DATA_DIR)
    for name in ("venues", "workshops"):
        expected = getattr(files, name).sort_values("id").reset_index(drop=True)
        got = getattr(layers, name).sort_values("id").reset_index(drop=True)
        assert list(got.columns) == list(expected.columns)
        pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                      pd.DataFrame(expected.drop(columns="geometry")))
        assert got.geometry.geom_equals_exact(expected.geometry, tolerance=1e-12).all()
    db.dispose()


def test_places_to_locate_are_seeded_and_listed(database_url, fixture_copy):
    (fixture_copy / "venues" / "por_ubicar.csv").write_text(TO_LOCATE_CSV, "utf-8")
    db = open_database(database_url)
    with db.session() as session:
        assert seed_if_new(session, fixture_copy)["to_locate"] == 2
    with db.session() as session:
        assert session.get(VenueToLocate, "PU-01").extra["address"] == "Calle Falsa 1"
        layers = inventory_layers(load_all(fixture_copy), session, fixture_copy)
    assert list(layers.to_locate["id"]) == ["PU-01", "PU-02"]
    assert layers.to_locate.loc[1, "address"] == ""
    db.dispose()


def test_a_bad_stored_row_is_refused_like_a_bad_file_row(database_url):
    db = open_database(database_url)
    with db.session() as session:
        seed_if_new(session, FIXTURE_DATA_DIR)
        session.get(Venue, "V-001").lon = 10.0  # outside Coquimbo (e.g. written by SQL)
    with db.session() as session, pytest.raises(LayerError) as err:
        inventory_layers(load_all(FIXTURE_DATA_DIR), session, FIXTURE_DATA_DIR)
    assert "V-001" in str(err.value) and "outside the Coquimbo area" in str(err.value)
    db.dispose()


def test_backend_settings(database_url):
    """SQLite: WAL journal and foreign keys on every connection; PostgreSQL: PostGIS point
    column kept in step with lon/lat."""
    db = open_database(database_url)
    with db.session() as session:
        seed_if_new(session, FIXTURE_DATA_DIR)
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            x, y = conn.execute(text(
                "SELECT ST_X(geom), ST_Y(geom) FROM venues WHERE id = 'V-001'")).one()
            venue = conn.execute(text("SELECT lon, lat FROM venues WHERE id = 'V-001'")).one()
            assert (x, y) == tuple(venue)
            assert conn.execute(text("SELECT ST_SRID(geom) FROM venues LIMIT 1")).scalar() == 4326
    with pytest.raises(Exception, match="(?i)foreign key"), db.session() as session:
        session.add(Workshop(id="W-X", title="t", date=pd.Timestamp("2026-01-01").date(),
                             venue_id="NO-SUCH", councils="JV-01", source="s", lon=-71.3,
                             lat=-29.95, extra={}, retired=False))
    db.dispose()
