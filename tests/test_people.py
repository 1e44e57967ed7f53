"""Issue 16: residents' proposals and the creators directory, on SQLite and PostgreSQL.

Nothing sent by the public is shown before a planner publishes it; script stays text;
photos are checked by decoding and stored without metadata; the per-address limit, the
honeypot and the word list hold abuse; contact data never reach a public response.
"""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from PIL import Image
from sqlalchemy import select

from tests.support.layers import copy_fixture_data, with_gse_classes
from tests.support.workspace import csrf_token, sign_in, sqlite_url, workspace_app
from webmap.workspace import photos
from webmap.workspace.models import Change, Proposal
from webmap.workspace.people_models import Creator, CreatorMessage

MARK = "Club de lectura en la sede zq7"  # a text no page contains by chance
SCRIPT = "<script>alert('zq8')</script> mural"
EMAIL = "creadora.zq9@example.org"
PHONE = "+56 9 1234 5678"
COUNCIL = "JV-03"


@pytest.fixture
def app(tmp_path, session_cache, database_url):
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache, database_url)
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.fixture
def sqlite_app(tmp_path, session_cache):
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                        sqlite_url(tmp_path))
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


def _db(app):
    return app.extensions["culturamap_workspace"].db


def _token(client, path="/participa") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def _propose(client, text=MARK, token=None, address="10.0.0.1", **fields):
    data = {"text": text, "category": "lectura", "council": COUNCIL,
            "csrf_token": token or _token(client), **fields}
    return client.post("/participa", data=data, environ_base={"REMOTE_ADDR": address},
                       content_type="multipart/form-data")


def _planner(app, name="ana"):
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _planner_post(client, path, **data):
    token = _token(client, "/planificar/participacion")
    return client.post(path, data={"csrf_token": token, **data})


def _proposals(app):
    with _db(app).session() as s:
        return list(s.scalars(select(Proposal).order_by(Proposal.id)))


PUBLIC_VIEWS = ("/", f"/cerca?junta={COUNCIL}", "/participa", "/participa/propuestas.geojson",
                "/creadores", "/collections/workshops/items", "/descargas")


def _public_text(client) -> str:
    return "\n".join(client.get(p).get_data(as_text=True) for p in PUBLIC_VIEWS)


# --- publication only after approval ------------------------------------------------------


def test_a_proposal_is_published_only_after_a_planner_approves_it(app):
    public = app.test_client()
    assert _propose(public).status_code == 201
    [proposal] = _proposals(app)
    assert (proposal.origin, proposal.moderation, proposal.councils) == (
        "vecinos", "pendiente", COUNCIL)
    assert MARK not in _public_text(public)
    assert public.get(f"/participa/propuestas/{proposal.id}").status_code == 404
    assert public.get("/participa/propuestas.geojson").get_json()["features"] == []

    planner = _planner(app)
    assert MARK in planner.get("/planificar/participacion").get_data(as_text=True)
    assert _planner_post(planner, f"/planificar/participacion/{proposal.id}/aprobar"
                         ).status_code == 302
    assert public.get(f"/participa/propuestas/{proposal.id}").status_code == 200
    for path in ("/", f"/cerca?junta={COUNCIL}", "/participa"):
        assert MARK in public.get(path).get_data(as_text=True), path
    [feature] = public.get("/participa/propuestas.geojson").get_json()["features"]
    assert feature["properties"]["text"] == MARK
    # attached to a council without a point: shown at the point the app keeps inside it
    points = app.extensions["culturamap"].cache["council_points"]
    assert feature["geometry"]["coordinates"] == list(points[COUNCIL])
    with _db(app).session() as s:
        rows = list(s.scalars(select(Change).where(Change.kind == "proposal")
                              .order_by(Change.id)))
        assert [(r.action, r.user_id is None) for r in rows] == [("submit", True),
                                                                 ("approve", False)]
        assert rows[1].before["moderation"] == "pendiente"
        assert rows[1].after["moderation"] == "publicada"


def test_a_clicked_point_is_kept_and_gives_its_council(app):
    councils = app.extensions["culturamap"].layers.councils
    inside = councils.geometry.iloc[4].representative_point()
    public = app.test_client()
    assert _propose(public, council="", lon=f"{inside.x:.6f}", lat=f"{inside.y:.6f}"
                    ).status_code == 201
    [p] = _proposals(app)
    assert p.councils == str(councils["id"].iloc[4])
    assert (round(p.lon, 6), round(p.lat, 6)) == (round(inside.x, 6), round(inside.y, 6))
    response = _propose(public, council="", lon="-70.0", lat="-29.0")  # far out at sea
    assert response.status_code == 400
    assert "no está dentro de una unidad vecinal" in response.get_data(as_text=True)


def test_script_in_a_proposal_shows_as_text(sqlite_app):
    public = sqlite_app.test_client()
    _propose(public, text=SCRIPT)
    [p] = _proposals(sqlite_app)
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{p.id}/aprobar")
    for path in ("/participa", f"/cerca?junta={COUNCIL}", f"/participa/propuestas/{p.id}"):
        html = public.get(path).get_data(as_text=True)
        assert "<script>alert('zq8')" not in html, path
        assert "&lt;script&gt;alert(" in html, path
    page = public.get("/").get_data(as_text=True)
    assert "<script>alert('zq8')" not in page  # inside the map's JSON: \u003cscript\u003e
    assert "\\u003cscript\\u003ealert" in page


# --- abuse controls -----------------------------------------------------------------------


def test_the_text_limit_is_500_characters(sqlite_app):
    public = sqlite_app.test_client()
    assert _propose(public, text="a" * 500).status_code == 201
    response = _propose(public, text="a" * 501)
    assert response.status_code == 400
    assert "1 a 500 caracteres; tiene 501" in response.get_data(as_text=True)
    assert len(_proposals(sqlite_app)) == 1


def test_a_filled_honeypot_stores_nothing(sqlite_app):
    public = sqlite_app.test_client()
    response = _propose(public, website="http://spam.example")
    assert response.status_code == 201  # looks like success to the bot
    assert _proposals(sqlite_app) == []


def test_posts_without_the_csrf_token_are_refused(sqlite_app):
    public = sqlite_app.test_client()
    public.get("/participa")
    response = public.post("/participa", data={"text": MARK, "category": "lectura",
                                               "council": COUNCIL})
    assert response.status_code == 400
    assert _proposals(sqlite_app) == []


def test_posts_from_one_address_are_throttled_at_the_documented_limit(sqlite_app):
    """POST_LIMIT is 5 a minute per address: the 5th is stored, the 6th refused; of 30
    posts in a minute only 5 get through; another address is not affected."""
    public = sqlite_app.test_client()
    token = _token(public)
    codes = [_propose(public, text=f"{MARK} {i}", token=token).status_code for i in range(30)]
    assert codes[:5] == [201] * 5
    assert codes[5:] == [429] * 25
    assert len(_proposals(sqlite_app)) == 5
    refused = _propose(public, token=token)
    assert "Espere un minuto" in refused.get_data(as_text=True)
    assert _propose(public, token=token, address="10.0.0.2").status_code == 201


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_visitor_has_their_own_limit(tmp_path, session_cache, proxies):
    """Behind Caddy every request comes from 127.0.0.1 with the visitor in X-Forwarded-For.
    With trusted_proxies = 1 two visitors are counted apart (the 6th post of one is refused,
    the other's first goes through); with 0 the header is ignored, so it cannot be forged to
    escape the limit, and the proxy's address is the one counted."""
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                        sqlite_url(tmp_path), TRUSTED_PROXIES=proxies)
    public = app.test_client()
    token = _token(public)

    def propose_as(visitor: str, text: str) -> int:
        data = {"text": text, "category": "lectura", "council": COUNCIL, "csrf_token": token}
        return public.post("/participa", data=data, content_type="multipart/form-data",
                           environ_base={"REMOTE_ADDR": "127.0.0.1"},
                           headers={"X-Forwarded-For": visitor}).status_code

    assert [propose_as("190.1.1.1", f"{MARK} {i}") for i in range(6)] == [201] * 5 + [429]
    assert propose_as("190.2.2.2", f"{MARK} otra") == (201 if proxies else 429)
    app.extensions["culturamap_workspace"].db.dispose()


def test_a_listed_word_holds_the_proposal_for_review(sqlite_app):
    public = sqlite_app.test_client()
    _propose(public, text="Que el IMBÉCIL del alcalde haga algo")
    _propose(public, text="Vean www.casino-example.com")
    held = _proposals(sqlite_app)
    assert [p.moderation for p in held] == ["retenida", "retenida"]
    assert held[0].held_reason == "lista de palabras: imbecil"
    assert held[1].held_reason == "lista de palabras: casino"
    page = _planner(sqlite_app).get("/planificar/participacion").get_data(as_text=True)
    assert "Retenida automáticamente: lista de palabras: imbecil" in page
    assert "IMBÉCIL" not in _public_text(public)


# --- photos -------------------------------------------------------------------------------


def _jpeg_with_exif(size=(3200, 1000)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker zq"  # Make
    exif[0x0131] = "Secret software zq"  # Software
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_is_stored_resized_and_without_exif(sqlite_app):
    content = _jpeg_with_exif()
    assert b"PhoneMaker zq" in content  # the oracle: the upload carries metadata
    public = sqlite_app.test_client()
    response = _propose(public, photo=(io.BytesIO(content), "foto.jpg"))
    assert response.status_code == 201
    [p] = _proposals(sqlite_app)
    stored = photos.photo_path(sqlite_app.extensions["culturamap_workspace"].settings.data_dir,
                               p.photo)
    data = stored.read_bytes()
    assert b"PhoneMaker zq" not in data and b"Exif" not in data
    image = Image.open(stored)
    assert image.format == "JPEG"
    assert image.size == (1600, 500)  # 3200 x 1000 scaled by 1/2 to fit 1600 x 1600
    assert dict(image.getexif()) == {}
    # not visible before approval, visible after
    assert public.get(f"/participa/fotos/{p.photo}").status_code == 404
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{p.id}/aprobar")
    assert public.get(f"/participa/fotos/{p.photo}").data == data


def test_a_non_image_or_oversized_upload_is_refused_with_a_clear_message(sqlite_app):
    public = sqlite_app.test_client()
    fake = _propose(public, photo=(io.BytesIO(b"%PDF-1.4 not a photo" * 50), "foto.jpg"))
    assert fake.status_code == 400
    assert "no es una foto JPEG, PNG o WebP legible" in fake.get_data(as_text=True)
    big = _propose(public, photo=(io.BytesIO(b"\xff\xd8" + b"0" * photos.MAX_BYTES),
                                  "grande.jpg"))
    assert big.status_code == 400
    assert "la foto pesa más de 5 MB" in big.get_data(as_text=True)
    huge = _propose(public, photo=(io.BytesIO(b"0" * (photos.MAX_BYTES + 100_000)), "x.jpg"))
    assert huge.status_code == 413
    assert "la foto pesa más de 5 MB" in huge.get_data(as_text=True)
    assert _proposals(sqlite_app) == []
    folder = sqlite_app.extensions["culturamap_workspace"].settings.data_dir / photos.FOLDER
    assert not folder.exists() or list(folder.iterdir()) == []


def test_photo_limits_sit_on_their_thresholds():
    def png(w, h):
        out = io.BytesIO()
        Image.new("L", (w, h)).save(out, "PNG")
        return out.getvalue()

    assert Image.open(io.BytesIO(photos.clean_photo(png(1600, 1)))).size == (1600, 1)
    assert Image.open(io.BytesIO(photos.clean_photo(png(1601, 2)))).size == (1600, 2)
    assert photos.clean_photo(png(8000, 5000))  # exactly 40 000 000 pixels: accepted
    with pytest.raises(photos.PhotoError, match="más de 40 megapíxeles"):
        photos.clean_photo(png(8000, 5001))
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(photos.PhotoError, match="no es una foto"):
        photos.clean_photo(gif.getvalue())


# --- moderation: reject, merge, answer, supports ------------------------------------------


def test_moderation_reject_merge_answer_and_history(app):
    public = app.test_client()
    for text in (MARK, MARK + " (otra vez)", "Rechazable zq"):
        _propose(public, text=text)
    first, duplicate, bad = _proposals(app)
    planner = _planner(app)
    for p in (first, duplicate):
        _planner_post(planner, f"/planificar/participacion/{p.id}/aprobar")
    _planner_post(planner, f"/planificar/participacion/{bad.id}/rechazar")
    # the duplicate had a support; merging moves it to the first
    token = _token(public, f"/participa/propuestas/{duplicate.id}")
    public.post(f"/participa/propuestas/{duplicate.id}/apoyo", data={"csrf_token": token})
    assert _planner_post(planner, f"/planificar/participacion/{duplicate.id}/fusionar",
                         into=str(first.id)).status_code == 302
    no_reason = _planner_post(planner, f"/planificar/participacion/{first.id}/responder",
                              answer="descartada", answer_text="")
    assert no_reason.status_code == 400
    assert "diga por qué se descarta" in no_reason.get_data(as_text=True)
    assert _planner_post(planner, f"/planificar/participacion/{first.id}/responder",
                         answer="descartada", answer_text="ya existe en la sede zq"
                         ).status_code == 302
    rows = {p.id: p for p in _proposals(app)}
    assert rows[duplicate.id].moderation == "fusionada"
    assert rows[duplicate.id].merged_into_id == first.id
    assert (rows[first.id].supports, rows[duplicate.id].supports) == (1, 0)
    assert rows[bad.id].moderation == "rechazada"
    page = public.get(f"/participa/propuestas/{first.id}").get_data(as_text=True)
    assert "descartada" in page and "ya existe en la sede zq" in page
    assert public.get(f"/participa/propuestas/{duplicate.id}").status_code == 404
    listing = _public_text(public)
    assert "Rechazable zq" not in listing and "(otra vez)" not in listing
    with _db(app).session() as s:
        actions = {(c.record_id, c.action) for c in s.scalars(select(Change).where(
            Change.kind == "proposal", Change.user_id.is_not(None)))}
    assert actions == {(str(first.id), "approve"), (str(duplicate.id), "approve"),
                       (str(bad.id), "reject"), (str(duplicate.id), "merge"),
                       (str(first.id), "merged_in"), (str(first.id), "answer")}
    history = planner.get(f"/planificar/participacion/{first.id}/historial")
    assert history.status_code == 200 and "answer" in history.get_data(as_text=True)


def test_support_counts_once_per_browser_and_only_for_published(sqlite_app):
    sqlite_app.config["SUPPORTS_REFRESH_S"] = 1  # the map's count follows within 1 s
    public = sqlite_app.test_client()
    _propose(public)
    [p] = _proposals(sqlite_app)
    token = _token(public)
    assert public.post(f"/participa/propuestas/{p.id}/apoyo",
                       data={"csrf_token": token}).status_code == 404
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{p.id}/aprobar")
    assert '"supports_label": "0 apoyos"' in public.get("/?lang=es").get_data(as_text=True)
    for _ in range(3):
        public.post(f"/participa/propuestas/{p.id}/apoyo", data={"csrf_token": token})
    other = sqlite_app.test_client()
    other.post(f"/participa/propuestas/{p.id}/apoyo", data={"csrf_token": _token(other)})
    assert _proposals(sqlite_app)[0].supports == 2
    # the map's popup (a kept page) counts them within SUPPORTS_REFRESH_S, not at the next
    # moderation step
    deadline = time.monotonic() + 20
    while '"supports_label": "2 apoyos"' not in public.get("/?lang=es").get_data(as_text=True):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    page = public.get(f"/participa/propuestas/{p.id}").get_data(as_text=True)
    assert "2 apoyos" in page and "no una votación" in page
    assert "Ya apoyó esta propuesta" in page


def test_published_proposals_are_an_ogc_collection_for_qgis(sqlite_app):
    """/ogc/collections/proposals: only published proposals, flat properties (the councils
    as one ";"-joined text), supports as the map shows them (here refreshed at once),
    queryable like any layer."""
    sqlite_app.config["SUPPORTS_REFRESH_S"] = 0
    public = sqlite_app.test_client()
    _propose(public)
    _propose(public, text="Otra zq sin aprobar")
    first, _waiting = _proposals(sqlite_app)
    items = "/ogc/collections/proposals/items"
    assert public.get(items).get_json()["features"] == []
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{first.id}/aprobar")
    public.post(f"/participa/propuestas/{first.id}/apoyo", data={"csrf_token": _token(public)})
    [feature] = public.get(items).get_json()["features"]
    props = feature["properties"]
    assert feature["id"] == str(first.id) and props["text"] == MARK
    assert (props["councils"], props["supports"], props["origin"]) == (COUNCIL, 1, "vecinos")
    assert feature["geometry"]["type"] == "Point"
    one = public.get(f"{items}/{first.id}").get_json()
    assert one["properties"]["text"] == MARK
    assert public.get(f"{items}/{_waiting.id}").status_code == 404
    meta = public.get("/ogc/collections/proposals").get_json()
    assert meta["title"] == "Propuestas publicadas"
    assert "supports" in public.get("/ogc/collections/proposals/queryables").get_json()[
        "properties"]


def test_supports_redraw_the_map_at_most_once_per_refresh_window(sqlite_app):
    """Anyone can support, and each refresh makes the next map view draw its page again:
    within the window (here 60 s after the approval refreshed the layer) a support waits
    for one refresh due at its end, and further supports join it; with no window left the
    refresh is immediate."""
    from webmap.workspace.people_views import SUPPORTS_REFRESH_S, SUPPORTS_SHOWN_KEY

    assert SUPPORTS_REFRESH_S == 10.0
    sqlite_app.config["SUPPORTS_REFRESH_S"] = 60
    public = sqlite_app.test_client()
    _propose(public)
    [p] = _proposals(sqlite_app)
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{p.id}/aprobar")
    state = sqlite_app.extensions[SUPPORTS_SHOWN_KEY]
    for client in (public, sqlite_app.test_client()):
        client.post(f"/participa/propuestas/{p.id}/apoyo", data={"csrf_token": _token(client)})
    timer = state["timer"]
    assert timer is not None and timer.is_alive()  # one refresh due, for both supports
    assert '"supports_label": "0 apoyos"' in public.get("/?lang=es").get_data(as_text=True)
    timer.cancel()
    state["timer"] = None
    sqlite_app.config["SUPPORTS_REFRESH_S"] = 0
    third = sqlite_app.test_client()
    third.post(f"/participa/propuestas/{p.id}/apoyo", data={"csrf_token": _token(third)})
    assert state["timer"] is None
    assert '"supports_label": "3 apoyos"' in public.get("/?lang=es").get_data(as_text=True)


def test_a_failed_supports_refresh_is_logged_and_the_next_one_works(sqlite_app, monkeypatch,
                                                                    caplog):
    from webmap.workspace import people_views

    state = sqlite_app.extensions[people_views.SUPPORTS_SHOWN_KEY]
    state["timer"] = "due"

    def gone(*_args):
        raise OSError("database gone")

    monkeypatch.setattr(people_views, "published_features", gone)
    people_views._due_refresh(sqlite_app)
    assert state["timer"] is None
    assert "refreshing the map's proposals after a support failed" in caplog.text
    monkeypatch.undo()
    people_views._due_refresh(sqlite_app)
    assert sqlite_app.extensions["culturamap"].cache["proposal_features"] == []


def test_moderation_needs_a_signed_in_planner(sqlite_app):
    public = sqlite_app.test_client()
    _propose(public)
    [p] = _proposals(sqlite_app)
    token = _token(public)
    assert public.get("/planificar/participacion").status_code == 302
    assert public.post(f"/planificar/participacion/{p.id}/aprobar",
                       data={"csrf_token": token}).status_code == 302
    assert public.get("/planificar/participacion/propuestas.csv").status_code == 302
    assert _proposals(sqlite_app)[0].moderation == "pendiente"


def _main_gse_by_hand(data_dir, council):
    """Oracle: residents of each class among the blocks whose inner point is in the council."""
    import geopandas as gpd

    blocks = gpd.read_file(data_dir / "population" / "blocks.geojson")
    councils = gpd.read_file(data_dir / "boundaries" / "councils.geojson")
    shape = councils.loc[councils["id"] == council].geometry.iloc[0]
    inside = blocks[blocks.geometry.to_crs(32719).representative_point().to_crs(4326)
                    .within(shape)]
    totals = inside.groupby("gse")["residents"].sum()
    return str(totals.idxmax())


def test_export_sets_proposals_beside_their_council_figures(tmp_path, session_cache,
                                                            database_url):
    data_dir = with_gse_classes(copy_fixture_data(tmp_path / "data"))
    app = workspace_app(data_dir, session_cache, database_url)
    public = app.test_client()
    _propose(public)
    _propose(public, text="=HYPERLINK(\"http://x.invalid\";\"ver\") zq", council="JV-05")
    planner = _planner(app)
    for p in _proposals(app):
        _planner_post(planner, f"/planificar/participacion/{p.id}/aprobar")
    rows = list(__import__("csv").DictReader(io.StringIO(planner.get(
        f"/planificar/participacion/propuestas.csv?junta={COUNCIL}").get_data(as_text=True))))
    assert [r["text"] for r in rows] == [MARK]
    # a resident's text a spreadsheet would run as a formula is written as text
    other = list(__import__("csv").DictReader(io.StringIO(planner.get(
        "/planificar/participacion/propuestas.csv?junta=JV-05").get_data(as_text=True))))
    assert [r["text"] for r in other] == ["'=HYPERLINK(\"http://x.invalid\";\"ver\") zq"]
    api = public.get(f"/api/councils/{COUNCIL}").get_json()  # the independent source
    share_key = next(k for k in api if k.startswith("share_within_"))
    assert float(rows[0]["share_within_threshold"]) == pytest.approx(api[share_key])
    assert float(rows[0]["mean_time_min"]) == pytest.approx(api["mean_time_min"])
    assert rows[0]["main_gse"] == _main_gse_by_hand(data_dir, COUNCIL)
    geo = planner.get("/planificar/participacion/propuestas.geojson").get_json()
    assert sorted(f["properties"]["council_id"] for f in geo["features"]) == [COUNCIL, "JV-05"]
    table = planner.get("/planificar/participacion").get_data(as_text=True)
    assert re.search(rf'data-council="{COUNCIL}">.*?class="published">1<', table, re.S)
    _db(app).dispose()


# --- creators directory, contact relayed, privacy -----------------------------------------

CREATOR = "Colectivo Mural Zq"


def _register(client, address="10.0.1.1", **fields):
    data = {"name": CREATOR, "kind": "colectivo", "disciplines": ["muralismo", "danza"],
            "councils": [COUNCIL], "links": "https://example.org/mural-zq",
            "contact_email": EMAIL, "contact_phone": PHONE,
            "csrf_token": _token(client, "/creadores/registro"), **fields}
    return client.post("/creadores/registro", data=data,
                       environ_base={"REMOTE_ADDR": address})


def _creators(app):
    with _db(app).session() as s:
        return list(s.scalars(select(Creator).order_by(Creator.id)))


def _public_urls(app, client, creator_id: int) -> list[str]:
    """Every public GET route of the app: those without arguments, and those with one
    filled from the data (collections, councils, reports, downloads, people's pages)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith(
                ("/planificar", "/static")):
            continue
        urls.append(rule.rule)
    lon, lat = app.extensions["culturamap"].cache["council_points"][COUNCIL]
    venue = app.extensions["culturamap"].layers.venues["id"].iloc[0]
    urls[urls.index("/api/nearest")] = f"/api/nearest?lat={lat}&lon={lon}"
    urls[urls.index("/api/isochrone")] = f"/api/isochrone?venue={venue}"
    collections = client.get("/collections?f=json").get_json()["collections"]
    for c in collections:
        urls += [f"/collections/{c['id']}", f"/collections/{c['id']}/items?limit=1000"]
    urls += [f"/api/councils/{COUNCIL}", f"/api/councils/{COUNCIL}/equity",
             f"/cerca?junta={COUNCIL}", f"/reportes/{COUNCIL}.html", f"/creadores?junta={COUNCIL}",
             f"/creadores/{creator_id}/contacto", "/creadores?disciplina=muralismo",
             "/privacy", "/participa?lang=en"]
    downloads = client.get("/descargas").get_data(as_text=True)
    urls += sorted({u for u in re.findall(r'href="(/descargas/[^"]+\.(?:geojson|csv))"',
                                          downloads)})
    return urls


def test_a_creator_is_listed_after_moderation_and_their_contact_never_public(app):
    public = app.test_client()
    assert _register(public).status_code == 201
    [creator] = _creators(app)
    assert (creator.moderation, creator.origin) == ("pendiente", "registro")
    assert CREATOR not in public.get("/creadores").get_data(as_text=True)
    planner = _planner(app)
    queue = planner.get("/planificar/participacion").get_data(as_text=True)
    assert CREATOR in queue and EMAIL in queue  # planners see the contact
    _planner_post(planner, f"/planificar/creadores/{creator.id}/aprobar")
    # a message relayed by the service, kept for the planners
    token = _token(public, f"/creadores/{creator.id}/contacto")
    sent = public.post(f"/creadores/{creator.id}/contacto",
                       data={"csrf_token": token, "text": "Hola, taller en la sede zq",
                             "reply_to": "vecina.zq@example.org"})
    assert sent.status_code == 201
    with _db(app).session() as s:
        [message] = s.scalars(select(CreatorMessage)).all()
        assert (message.creator_id, message.relayed) == (creator.id, False)
    assert "vecina.zq@example.org" in planner.get("/planificar/participacion").get_data(
        as_text=True)
    # now every public page, API answer and download: the name shows, the contact never
    urls = _public_urls(app, public, creator.id)
    assert len(urls) > 40
    bodies = {}
    for url in urls:
        response = public.get(url)
        assert response.status_code in (200, 202), url
        bodies[url] = response.get_data(as_text=True)
    assert CREATOR in bodies["/creadores"] and CREATOR in bodies[f"/cerca?junta={COUNCIL}"]
    for url, body in bodies.items():
        for secret in (EMAIL, PHONE, "vecina.zq@example.org", "taller en la sede zq"):
            assert secret not in body, (url, secret)


def test_creators_near_a_council_and_planner_filters(app):
    geo = app.extensions["culturamap"].cache["people_geo"]
    neighbour = sorted(geo.neighbours[COUNCIL])[0]
    far = next(c for c in sorted(geo.names) if c != COUNCIL and c not in geo.neighbours[COUNCIL])
    planner = _planner(app)
    for name, councils, discipline in (("Aquí Zq", COUNCIL, "teatro"),
                                       ("Vecino Zq", neighbour, "musica"),
                                       ("Lejos Zq", far, "teatro")):
        response = _planner_post(planner, "/planificar/creadores", name=name, kind="artista",
                                 disciplines=discipline, councils=councils)
        assert response.status_code == 302
    page = app.test_client().get(f"/cerca?junta={COUNCIL}").get_data(as_text=True)
    section = page[page.index('id="nearby-creators"'):]
    assert section.index("Aquí Zq") < section.index("Vecino Zq")
    assert "Lejos Zq" not in section
    filtered = planner.get(f"/planificar/participacion?disciplina=teatro&junta={far}"
                           ).get_data(as_text=True)
    table = filtered[filtered.index('id="planner-creators"'):]
    assert "Lejos Zq" in table and "Aquí Zq" not in table and "Vecino Zq" not in table


def test_a_creator_is_placed_by_council_or_sector_never_by_address(sqlite_app):
    public = sqlite_app.test_client()
    response = _register(public, councils=[], sectors=[])
    assert response.status_code == 400
    assert "nunca una dirección" in response.get_data(as_text=True)
    response = _register(public, councils=["Calle Falsa 123"])
    assert "desconocidos: Calle Falsa 123" in response.get_data(as_text=True)
    assert _register(public, councils=[], sectors=["parte-alta"]).status_code == 201
    assert _register(public, contact_email="").status_code == 400  # relaying needs it
    assert _register(public, website="x").status_code == 201  # honeypot
    assert [(c.councils, c.area) for c in _creators(sqlite_app)] == [("", "parte-alta")]


def test_an_admin_exports_and_deletes_a_persons_data(app):
    public = app.test_client()
    _register(public)
    [creator] = _creators(app)
    planner = _planner(app)
    _planner_post(planner, f"/planificar/creadores/{creator.id}/aprobar")
    token = _token(public, f"/creadores/{creator.id}/contacto")
    public.post(f"/creadores/{creator.id}/contacto",
                data={"csrf_token": token, "text": "Hola zq", "reply_to": "otra.zq@example.org"})
    assert _planner_post(planner, "/planificar/privacidad/exportar",
                         email=EMAIL).status_code == 403  # planners cannot
    admin = _planner(app, "root")
    exported = _planner_post(admin, "/planificar/privacidad/exportar", email=EMAIL.upper())
    assert exported.status_code == 200
    data = exported.get_json()
    assert [c["contact_email"] for c in data["creators"]] == [EMAIL]
    assert [m["reply_to"] for m in data["messages"]] == ["otra.zq@example.org"]
    by_sender = _planner_post(admin, "/planificar/privacidad/exportar",
                              email="otra.zq@example.org").get_json()
    assert (by_sender["creators"], [m["text"] for m in by_sender["messages"]]) == ([], ["Hola zq"])
    deleted = _planner_post(admin, "/planificar/privacidad/borrar", creator_id=str(creator.id))
    assert deleted.status_code == 200
    assert "1 registros de creador y 1 mensajes" in deleted.get_data(as_text=True)
    assert _creators(app) == []
    with _db(app).session() as s:
        assert s.scalars(select(CreatorMessage)).all() == []
        rows = list(s.scalars(select(Change).where(Change.kind == "creator")))
        assert [r.action for r in rows] == ["add", "approve", "delete"]
        assert CREATOR not in json.dumps([[r.before, r.after] for r in rows])
    assert CREATOR not in public.get("/creadores").get_data(as_text=True)
    assert _planner_post(admin, "/planificar/privacidad/borrar",
                         creator_id=str(creator.id)).status_code == 404


def test_the_privacy_note_is_in_spanish_and_english(sqlite_app):
    client = sqlite_app.test_client()
    es = client.get("/privacidad").get_data(as_text=True)
    en = client.get("/privacidad?lang=en").get_data(as_text=True)
    assert "Nota de privacidad" in es and "nunca una dirección" in es
    assert "Privacy note" in en and "never an address" in en


def test_the_migration_keeps_workshop_proposals_published(tmp_path, database_url):
    """A database at 0003 with a workshop's proposal, brought to 0005: the proposal is a
    published one from a workshop; the new columns start empty."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from webmap.workspace.db import MIGRATIONS, make_engine, upgrade

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO workshops (id, title, date, councils, source, lon, lat, extra, "
            "retired, version) VALUES ('T-1', 'Taller', '2015-01-01', 'JV-01', 'acta', "
            "-71.3, -29.96, '{}', false, 1)"))
        connection.execute(text(
            "INSERT INTO proposals (workshop_id, text, councils, retired, version) "
            "VALUES ('T-1', 'Una biblioteca', 'JV-01', false, 1)"))
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT origin, moderation, supports, lon, photo FROM proposals")).one()
    assert tuple(row) == ("taller", "publicada", 0, None, None)
    engine.dispose()


def test_workshop_proposals_sit_beside_residents_marked_by_origin(sqlite_app):
    """A planner's workshop proposal is published at once (origin "taller") and reaches the
    map and /cerca; retiring it takes it away again."""
    planner = _planner(sqlite_app)
    token = csrf_token(planner.get("/planificar").get_data(as_text=True))
    added = planner.post("/planificar/talleres/T-1/propuestas",
                         json={"text": "Taller de teatro zq", "councils": [COUNCIL]},
                         headers={"X-CSRFToken": token})
    assert added.status_code == 201
    public = sqlite_app.test_client()
    _propose(public)
    resident = _proposals(sqlite_app)[-1]
    _planner_post(planner, f"/planificar/participacion/{resident.id}/aprobar")
    page = public.get(f"/cerca?junta={COUNCIL}").get_data(as_text=True)
    assert re.search(r"Taller de teatro zq</p>\s*<p class=\"proposal-meta\">taller ·", page)
    assert re.search(rf"{MARK}</p>\s*<p class=\"proposal-meta\">vecinos ·", page)
    origins = {f["properties"]["text"]: f["properties"]["origin"] for f in
               public.get("/participa/propuestas.geojson").get_json()["features"]}
    assert origins == {"Taller de teatro zq": "taller", MARK: "vecinos"}
    assert "Taller de teatro zq" in public.get("/").get_data(as_text=True)
    workshop_proposal = added.get_json()["proposal"]
    retired = planner.post(f"/planificar/propuestas/{workshop_proposal['id']}/retirar",
                           json={"version": workshop_proposal["version"]},
                           headers={"X-CSRFToken": token})
    assert retired.status_code == 200
    assert "Taller de teatro zq" not in public.get("/").get_data(as_text=True)
    assert "Taller de teatro zq" not in public.get(f"/cerca?junta={COUNCIL}").get_data(
        as_text=True)


def test_a_deletion_by_e_mail_matches_that_address_only(app):
    """'_' and '%' in an address are characters, not wildcards: deleting a_b@... leaves
    axb@... alone."""
    planner = _planner(app)
    for name, email in (("Uno Zq", "a_b@example.org"), ("Dos Zq", "axb@example.org")):
        _planner_post(planner, "/planificar/creadores", name=name, kind="artista",
                      disciplines="teatro", councils=COUNCIL, contact_email=email)
    admin = _planner(app, "root")
    assert _planner_post(admin, "/planificar/privacidad/borrar",
                         email="A_B@example.org").status_code == 200
    assert [c.name for c in _creators(app)] == ["Dos Zq"]
    exported = _planner_post(admin, "/planificar/privacidad/exportar", email="a%@example.org")
    assert exported.get_json() == {"creators": [], "messages": []}


def test_a_rejected_proposals_photo_is_deleted(sqlite_app):
    public = sqlite_app.test_client()
    _propose(public, photo=(io.BytesIO(_jpeg_with_exif((40, 30))), "foto.jpg"))
    [p] = _proposals(sqlite_app)
    data_dir = sqlite_app.extensions["culturamap_workspace"].settings.data_dir
    assert photos.photo_path(data_dir, p.photo) is not None
    _planner_post(_planner(sqlite_app), f"/planificar/participacion/{p.id}/rechazar")
    assert photos.photo_path(data_dir, p.photo) is None
    assert _proposals(sqlite_app)[0].photo is None


def test_a_self_registration_matching_the_word_list_is_flagged(sqlite_app):
    _register(sqlite_app.test_client(), name="Casino Zq")
    page = _planner(sqlite_app).get("/planificar/participacion").get_data(as_text=True)
    assert "Retenida automáticamente: lista de palabras: casino" in page


def test_every_people_text_is_in_both_languages():
    """Keys of webmap/translations/people.*.json agree, with the same placeholders, and
    every key the people templates and views ask for exists (prefixes: every value)."""
    from pathlib import Path

    from webmap.workspace import creators as creator_rules
    from webmap.workspace import participation as rules

    root = Path(__file__).resolve().parents[1] / "webmap"
    es, en = (json.loads((root / "translations" / f"people.{lang}.json").read_text("utf-8"))
              for lang in ("es", "en"))
    assert set(es) == set(en)
    for key in es:
        assert set(re.findall(r"\{\w+\}", es[key])) == set(re.findall(r"\{\w+\}", en[key])), key
    sources = [*(root / "templates" / "people").glob("*.html"),
               root / "workspace" / "people_views.py", root / "map_builder.py"]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""t\(\s*["'](people\.[a-z_.]+[a-z_])["']\s*[,)]""",
                               source.read_text("utf-8")))
    used |= {f"people.category.{c}" for c in rules.CATEGORIES}
    used |= {f"people.answer.{a.replace(' ', '_')}" for a in rules.ANSWERS}
    used |= {f"people.origin.{o}" for o in (rules.RESIDENTS, rules.WORKSHOP)}
    used |= {f"people.kind.{k}" for k in creator_rules.KINDS}
    used |= {f"people.discipline.{d}" for d in creator_rules.DISCIPLINES}
    used |= {f"people.privacy.p{i}" for i in range(1, 8)}
    used |= {f"people.privacy_admin.{a}" for a in ("exportar", "borrar")}
    assert used - set(es) == set()


def test_a_relayed_message_is_deleted_and_the_history_keeps_no_text(sqlite_app):
    planner = _planner(sqlite_app)
    _planner_post(planner, "/planificar/creadores", name="Tres Zq", kind="artista",
                  disciplines="teatro", councils=COUNCIL)
    public = sqlite_app.test_client()
    token = _token(public, "/creadores/1/contacto")
    public.post("/creadores/1/contacto", data={"csrf_token": token, "text": "Hola zq",
                                               "reply_to": "vecino.zq@example.org"})
    assert _planner_post(planner, "/planificar/mensajes/1/reenviado").status_code == 302
    with _db(sqlite_app).session() as s:
        assert s.scalars(select(CreatorMessage)).all() == []
        [row] = s.scalars(select(Change).where(Change.kind == "message")).all()
        assert (row.action, row.before, row.after) == ("relayed", {"creator_id": 1}, None)
    assert "vecino.zq" not in planner.get("/planificar/participacion").get_data(as_text=True)


# --- the council report -------------------------------------------------------------------


def _report_section(client, council, lang="es") -> str:
    page = client.get(f"/reportes/{council}.html?lang={lang}").get_data(as_text=True)
    if '<section id="proposals">' not in page:
        return ""
    section = page[page.index('<section id="proposals">'):]
    return section[:section.index("</section>")]


def test_the_council_report_lists_its_published_proposals_with_their_answer(sqlite_app):
    import subprocess

    public = sqlite_app.test_client()
    assert _report_section(public, COUNCIL) == ""  # nothing published: no section at all
    _propose(public, text=SCRIPT)
    _propose(public, text="Otra unidad zq", council="JV-01")
    script, other = _proposals(sqlite_app)
    assert _report_section(public, COUNCIL) == ""  # pending is not published
    planner = _planner(sqlite_app)
    for p in (script, other):
        _planner_post(planner, f"/planificar/participacion/{p.id}/aprobar")
    _planner_post(planner, f"/planificar/participacion/{script.id}/responder",
                  answer="en estudio", answer_text="con la junta zq")
    section = _report_section(public, COUNCIL)
    assert section.count("data-proposal=") == 1 and "Otra unidad zq" not in section
    assert "&lt;script&gt;alert(&#39;zq8&#39;)&lt;/script&gt; mural" in section  # as text
    assert "<script>" not in section
    assert "vecinos" in section and "en estudio: con la junta zq" in section
    assert "Ninguna propuesta publicada" in _report_section(public, "JV-02")
    # the kept PDF follows the answer (reports are made again after a moderation step)
    pdf = public.get(f"/reportes/{COUNCIL}.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "con la junta zq" in text
    _planner_post(planner, f"/planificar/participacion/{script.id}/responder",
                  answer="realizada", answer_text="mural pintado zq")
    pdf = public.get(f"/reportes/{COUNCIL}.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "mural pintado zq" in text and "con la junta zq" not in text


# --- messages relayed by e-mail -------------------------------------------------------------


class _Inbox:
    """An aiosmtpd handler keeping what a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        import email

        self.received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


def _contact(public, creator_id, text="Hola, taller en la sede zq"):
    token = _token(public, f"/creadores/{creator_id}/contacto")
    return public.post(f"/creadores/{creator_id}/contacto",
                       data={"csrf_token": token, "text": text,
                             "reply_to": "vecina.zq@example.org"})


def _approved_creator(app):
    public = app.test_client()
    _register(public)
    [creator] = _creators(app)
    _planner_post(_planner(app), f"/planificar/creadores/{creator.id}/aprobar")
    return public, creator


def test_with_a_mail_server_a_message_reaches_the_creator_and_is_not_kept(tmp_path,
                                                                          session_cache):
    from aiosmtpd.controller import Controller

    from tests.support.web import free_port

    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                            sqlite_url(tmp_path), SMTP_URL=f"smtp://127.0.0.1:{port}",
                            MAIL_FROM="cultura@example.cl")
        public, creator = _approved_creator(app)
        assert _contact(public, creator.id).status_code == 201
    finally:
        controller.stop()
    [(recipients, message)] = inbox.received
    assert recipients == [EMAIL]
    assert (message["From"], message["Reply-To"]) == ("cultura@example.cl",
                                                      "vecina.zq@example.org")
    assert CREATOR in message["Subject"]
    assert "Hola, taller en la sede zq" in message.get_payload(decode=True).decode()
    with _db(app).session() as s:
        assert s.scalars(select(CreatorMessage)).all() == []  # not kept once relayed
        [row] = s.scalars(select(Change).where(Change.kind == "message")).all()
        assert (row.action, row.before) == ("relayed_by_mail", {"creator_id": creator.id})
    app.extensions["culturamap_workspace"].db.dispose()


def test_when_the_mail_server_fails_the_message_waits_for_a_planner(tmp_path, session_cache):
    from tests.support.web import free_port

    closed = free_port()  # nothing listens there
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                        sqlite_url(tmp_path), SMTP_URL=f"smtp://127.0.0.1:{closed}")
    public, creator = _approved_creator(app)
    assert _contact(public, creator.id).status_code == 201  # the sender is not failed
    with _db(app).session() as s:
        [message] = s.scalars(select(CreatorMessage)).all()
        assert message.creator_id == creator.id and not message.relayed
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.mark.parametrize(("name", "value"), [("smtp_url", "http://mail.example.cl"),
                                             ("smtp_url", "smtp://"),
                                             ("mail_from", "cultura")])
def test_mail_settings_are_refused_with_the_setting_named(name, value):
    from geo.errors import ConfigError
    from geo.settings import Settings
    from tests.support.data import FIXTURE_DATA_DIR

    with pytest.raises(ConfigError, match=name):
        Settings(data_dir=FIXTURE_DATA_DIR, **{name: value})
