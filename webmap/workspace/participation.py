"""Residents' proposals (issue 16): submitted without an account, moderated by planners.

Why one table with the workshops' proposals: both are "what the neighbourhood asks for" for
some councils; ``origin`` tells them apart ("taller" / "vecinos"). A resident's proposal is
``pendiente`` (or ``retenida`` when the word list matched) until a planner publishes it;
only ``publicada`` rows are ever shown outside the workspace. Every moderation step is a
history row (webmap.workspace.history) by the planner who took it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.layer_errors import Problem
from geo.validation import LIST_SEPARATOR
from webmap.workspace.edits import EditRejected, RecordNotFound
from webmap.workspace.frames import DB_PATH
from webmap.workspace.history import json_safe, record_change, snapshot
from webmap.workspace.models import Proposal, User
from webmap.workspace.versioning import add

MAX_TEXT = 500  # characters of a resident's proposal
CATEGORIES = ("taller", "espacio", "evento", "arte_urbano", "lectura", "musica", "patrimonio",
              "otra")
PENDING, HELD, PUBLISHED, REJECTED, MERGED = ("pendiente", "retenida", "publicada",
                                              "rechazada", "fusionada")
IN_QUEUE = (PENDING, HELD)
ANSWERS = ("en estudio", "aprobada", "realizada", "descartada")
REASON_NEEDED = "descartada"
MAX_ANSWER = 1000
RESIDENTS, WORKSHOP = "vecinos", "taller"
WORD_LIST = Path(__file__).resolve().parent / "held_words.es.txt"
LINK = re.compile(r"https?://|www\.", re.I)
STATE_FIELDS = ("origin", "moderation", "held_reason", "category", "lon", "lat", "photo",
                "answer", "answer_text", "merged_into_id", "supports")


def _problem(es: str, en: str) -> Problem:
    return Problem(DB_PATH / "proposals", es, en)


def state(proposal: Proposal) -> dict[str, Any]:
    """The history snapshot of a proposal: the workspace's fields and the moderation ones."""
    data = snapshot(proposal)
    data.update({f: json_safe(getattr(proposal, f)) for f in STATE_FIELDS})
    return data


def plain_words(text: str) -> list[str]:
    """Lower case, accents removed, split into words (so 'IMBÉCIL' meets 'imbecil')."""
    flat = unicodedata.normalize("NFKD", text.lower())
    flat = "".join(c for c in flat if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9ñ]+", flat)


@cache
def held_words() -> frozenset[str]:
    lines = WORD_LIST.read_text("utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def hold_reason(text: str) -> str | None:
    """Why a text waits for a closer look (a listed word, a link), else None."""
    found = sorted(set(plain_words(text)) & held_words())
    if found:
        return "lista de palabras: " + ", ".join(found)
    if LINK.search(text):
        return "contiene un enlace"
    return None


def submit(session: Session, data: Mapping[str, Any], known_councils: set[str],
           council_at: Callable[[float, float], str | None], photo: str | None = None,
           ) -> Proposal:
    """A resident's proposal, waiting for moderation: a text, a category, and a clicked
    point inside a council or a chosen council."""
    text = str(data.get("text") or "").strip()
    category = str(data.get("category") or "").strip()
    council = str(data.get("council") or "").strip()
    problems = []
    if not text or len(text) > MAX_TEXT:
        problems.append(_problem(f"escriba la propuesta (1 a {MAX_TEXT} caracteres; tiene "
                                 f"{len(text)})", f"write the proposal (1 to {MAX_TEXT} "
                                 f"characters; it has {len(text)})"))
    if category not in CATEGORIES:
        problems.append(_problem("elija una categoría de la lista",
                                 "choose a category from the list"))
    lon = lat = None
    raw_lon, raw_lat = str(data.get("lon") or "").strip(), str(data.get("lat") or "").strip()
    if raw_lon or raw_lat:
        try:
            lon, lat = float(raw_lon), float(raw_lat)
        except ValueError:
            lon = lat = None
        inside = council_at(lon, lat) if lon is not None and lat is not None else None
        if inside is None:
            problems.append(_problem("el punto no está dentro de una unidad vecinal del mapa",
                                     "the point is not inside a neighbourhood unit of the map"))
        elif not council:
            council = inside
    if council and council not in known_councils:
        problems.append(_problem(f"unidad vecinal desconocida «{council}»",
                                 f"unknown neighbourhood unit '{council}'"))
    elif not council and lon is None and not problems:
        problems.append(_problem("toque el mapa o elija una unidad vecinal",
                                 "click the map or choose a neighbourhood unit"))
    if problems:
        raise EditRejected(problems)
    reason = hold_reason(text)
    proposal = Proposal(workshop_id=None, text=text, councils=council, retired=False,
                        origin=RESIDENTS, moderation=HELD if reason else PENDING,
                        held_reason=reason, category=category, lon=lon, lat=lat, photo=photo,
                        supports=0)
    return add(session, None, proposal, "submit", describe=state)


def _get(session: Session, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.retired:
        raise RecordNotFound(f"no hay una propuesta n.º {proposal_id} / no proposal "
                             f"#{proposal_id}")
    return proposal


def _moderate(session: Session, user: User, proposal: Proposal, action: str,
              **values: Any) -> Proposal:
    before = state(proposal)
    for name, value in values.items():
        setattr(proposal, name, value)
    session.flush()
    record_change(session, user, "proposal", str(proposal.id), action, before, state(proposal))
    return proposal


def approve(session: Session, user: User, proposal_id: int) -> Proposal:
    """Publish a proposal waiting in the queue (or one rejected by mistake)."""
    proposal = _get(session, proposal_id)
    if proposal.moderation not in (*IN_QUEUE, REJECTED):
        raise EditRejected([_problem("la propuesta no está en la fila de moderación",
                                     "the proposal is not in the moderation queue")])
    return _moderate(session, user, proposal, "approve", moderation=PUBLISHED)


def reject(session: Session, user: User, proposal_id: int) -> Proposal:
    """Not published; its photo (if any) is to be deleted by the caller: a rejected
    proposal's picture is not kept (``photo`` is cleared here, in the history too)."""
    proposal = _get(session, proposal_id)
    return _moderate(session, user, proposal, "reject", moderation=REJECTED, photo=None)


def merge(session: Session, user: User, proposal_id: int, into_id: Any) -> Proposal:
    """A duplicate joins another proposal: it stops being shown, its supports move."""
    try:
        target = _get(session, int(into_id))
    except (TypeError, ValueError):
        target = None
    proposal = _get(session, proposal_id)
    if target is None or target.id == proposal.id or target.moderation in (REJECTED, MERGED):
        raise EditRejected([_problem("elija otra propuesta vigente con la que fusionarla",
                                     "choose another current proposal to merge it into")])
    moved = proposal.supports
    _moderate(session, user, proposal, "merge", moderation=MERGED, merged_into_id=target.id,
              supports=0)
    if moved:
        _moderate(session, user, target, "merged_in", supports=target.supports + moved)
    return proposal


def answer(session: Session, user: User, proposal_id: int, status: str, text: str) -> Proposal:
    """The planners' public answer; "descartada" needs a reason."""
    proposal = _get(session, proposal_id)
    text = (text or "").strip()
    problems = []
    if proposal.moderation != PUBLISHED:
        problems.append(_problem("solo se responde una propuesta publicada",
                                 "only a published proposal can be answered"))
    if status not in ANSWERS:
        problems.append(_problem("elija un estado: " + ", ".join(ANSWERS),
                                 "choose a status: " + ", ".join(ANSWERS)))
    if status == REASON_NEEDED and not text:
        problems.append(_problem("diga por qué se descarta", "say why it is discarded"))
    if len(text) > MAX_ANSWER:
        problems.append(_problem(f"la respuesta tiene más de {MAX_ANSWER} caracteres",
                                 f"the answer is longer than {MAX_ANSWER} characters"))
    if problems:
        raise EditRejected(problems)
    return _moderate(session, user, proposal, "answer", answer=status, answer_text=text or None)


def support(session: Session, proposal_id: int) -> Proposal:
    """One more support of a published proposal (once per browser: the view checks)."""
    proposal = _get(session, proposal_id)
    if proposal.moderation != PUBLISHED:
        raise RecordNotFound(f"propuesta n.º {proposal_id} no publicada")
    proposal.supports = proposal.supports + 1
    return proposal


def queue(session: Session) -> list[Proposal]:
    """Residents' proposals waiting for a planner, held ones first, oldest first."""
    rows = session.scalars(select(Proposal).where(Proposal.moderation.in_(IN_QUEUE),
                                                  Proposal.retired.is_(False))
                           .order_by(Proposal.id))
    return sorted(rows, key=lambda p: p.moderation != HELD)


def published(session: Session) -> list[Proposal]:
    """What the public may see: published, not retired (both origins)."""
    return list(session.scalars(select(Proposal).where(Proposal.moderation == PUBLISHED,
                                                       Proposal.retired.is_(False))
                                .order_by(Proposal.supports.desc(), Proposal.id)))


def councils_of(proposal: Proposal) -> list[str]:
    return [c for c in proposal.councils.split(LIST_SEPARATOR) if c]
