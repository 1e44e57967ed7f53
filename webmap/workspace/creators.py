"""The directory of local creators (issue 16): who works where, moderated, contact private.

Why councils and sectors and never a point: a creator's place in the directory is where
they work, and a point would too easily be their home. Contact data (e-mail, phone) are
kept for planners, who relay residents' messages; they are left out of every public view
and of the history snapshots, so deleting a person's data on request deletes it all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from geo.layer_errors import Problem
from geo.validation import LIST_SEPARATOR
from webmap.workspace.edits import EditRejected, RecordNotFound
from webmap.workspace.frames import DB_PATH
from webmap.workspace.history import history_of, json_safe, record_change
from webmap.workspace.models import User
from webmap.workspace.participation import hold_reason
from webmap.workspace.people_models import Creator, CreatorMessage
from webmap.workspace.versioning import add

KINDS = ("artista", "colectivo", "organizacion", "oficio")
DISCIPLINES = ("musica", "danza", "teatro", "artes_visuales", "muralismo", "literatura",
               "audiovisual", "fotografia", "artesania", "circo", "patrimonio", "otra")
PENDING, PUBLISHED, REJECTED = "pendiente", "publicada", "rechazada"
MAX_NAME = 200
MAX_LINKS = 3
MAX_MESSAGE = 1500
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
PUBLIC_FIELDS = ("id", "name", "kind", "disciplines", "councils", "area", "links")


def _problem(es: str, en: str) -> Problem:
    return Problem(DB_PATH / "creators", es, en)


def _ids(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else str(raw or "").split(LIST_SEPARATOR)
    return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def state(creator: Creator) -> dict[str, Any]:
    """The history snapshot: public fields and the moderation, never the contact data."""
    data = {f: json_safe(getattr(creator, f)) for f in (*PUBLIC_FIELDS, "origin",
                                                         "moderation", "version")}
    data["contact_on_file"] = bool(creator.contact_email or creator.contact_phone)
    return data


def public(creator: Creator) -> dict[str, Any]:
    """What anyone may see of a published creator (no contact data)."""
    return {"id": creator.id, "name": creator.name, "kind": creator.kind,
            "disciplines": _ids(creator.disciplines), "councils": _ids(creator.councils),
            "sectors": _ids(creator.area), "links": (creator.links or "").split()}


def _checked(data: Mapping[str, Any], known_councils: set[str], known_sectors: set[str],
             need_contact: bool) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    kind = str(data.get("kind") or "").strip()
    disciplines = _ids(data.get("disciplines"))
    councils = _ids(data.get("councils"))
    sectors = _ids(data.get("sectors"))
    links = str(data.get("links") or "").split()
    email = str(data.get("contact_email") or "").strip() or None
    phone = str(data.get("contact_phone") or "").strip() or None
    problems = []
    if not name or len(name) > MAX_NAME:
        problems.append(_problem(f"escriba el nombre (1 a {MAX_NAME} caracteres)",
                                 f"write the name (1 to {MAX_NAME} characters)"))
    if kind not in KINDS:
        problems.append(_problem("elija qué es: " + ", ".join(KINDS),
                                 "choose what it is: " + ", ".join(KINDS)))
    if not disciplines or any(d not in DISCIPLINES for d in disciplines):
        problems.append(_problem("elija una o más disciplinas de la lista",
                                 "choose one or more disciplines from the list"))
    unknown = [c for c in councils if c not in known_councils] + [
        s for s in sectors if s not in known_sectors]
    if unknown or not (councils or sectors):
        problems.append(_problem(
            "elija las unidades vecinales o los sectores donde trabaja (nunca una dirección)"
            + (f"; desconocidos: {', '.join(unknown)}" if unknown else ""),
            "choose the neighbourhood units or sectors where they work (never an address)"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")))
    bad_links = [u for u in links if urlsplit(u).scheme not in ("http", "https")
                 or not urlsplit(u).netloc or len(u) > 300]
    if len(links) > MAX_LINKS or bad_links:
        problems.append(_problem(f"hasta {MAX_LINKS} enlaces que empiecen con https://",
                                 f"up to {MAX_LINKS} links starting with https://"))
    if email and not EMAIL.match(email):
        problems.append(_problem("el correo de contacto no es válido",
                                 "the contact e-mail is not valid"))
    if phone and not PHONE.match(phone):
        problems.append(_problem("el teléfono de contacto no es válido",
                                 "the contact phone is not valid"))
    if need_contact and not email:
        problems.append(_problem("deje un correo para que le reenviemos los mensajes (no se "
                                 "publica)", "leave an e-mail so we can relay messages (it "
                                 "is not published)"))
    if problems:
        raise EditRejected(problems)
    return {"name": name, "kind": kind, "disciplines": LIST_SEPARATOR.join(disciplines),
            "councils": LIST_SEPARATOR.join(councils),
            "area": LIST_SEPARATOR.join(sectors) or None, "links": "\n".join(links) or None,
            "contact_email": email, "contact_phone": phone}


def register(session: Session, user: User | None, data: Mapping[str, Any],
             known_councils: set[str], known_sectors: set[str]) -> Creator:
    """Self-registration (user None: waits for moderation) or by a planner (published)."""
    values = _checked(data, known_councils, known_sectors, need_contact=user is None)
    creator = Creator(**values, origin="registro" if user is None else "equipo",
                      moderation=PENDING if user is None else PUBLISHED)
    return add(session, user, creator, kind="creator", describe=state)


def _get(session: Session, creator_id: int) -> Creator:
    creator = session.get(Creator, creator_id)
    if creator is None:
        raise RecordNotFound(f"no hay un creador n.º {creator_id} / no creator #{creator_id}")
    return creator


def moderate(session: Session, user: User, creator_id: int, approve: bool) -> Creator:
    creator = _get(session, creator_id)
    before = state(creator)
    creator.moderation = PUBLISHED if approve else REJECTED
    session.flush()
    record_change(session, user, "creator", str(creator.id), "approve" if approve else "reject",
                  before, state(creator))
    return creator


def directory(session: Session, discipline: str | None = None, council: str | None = None,
              only_published: bool = True) -> list[Creator]:
    query = select(Creator).order_by(Creator.name)
    if only_published:
        query = query.where(Creator.moderation == PUBLISHED)
    rows = list(session.scalars(query))
    if discipline:
        rows = [c for c in rows if discipline in _ids(c.disciplines)]
    if council:
        rows = [c for c in rows if council in _ids(c.councils)]
    return rows


def near(session: Session, council: str, neighbours: set[str],
         sector_of: Mapping[str, str]) -> list[Creator]:
    """Published creators working in ``council``, in a neighbouring council, or in the
    sector that holds it: those in the council itself first."""
    sector = sector_of.get(council)
    found = []
    for creator in directory(session):
        councils = set(_ids(creator.councils))
        rank = 0 if council in councils else 1 if councils & neighbours else (
            2 if sector and sector in _ids(creator.area) else None)
        if rank is not None:
            found.append((rank, creator.name, creator))
    return [c for _, _, c in sorted(found, key=lambda x: (x[0], x[1]))]


def send_message(session: Session, creator_id: int, text: str, reply_to: str,
                 ) -> CreatorMessage:
    """A resident's message, kept for planners to relay to a published creator."""
    creator = _get(session, creator_id)
    if creator.moderation != PUBLISHED:
        raise RecordNotFound(f"creador n.º {creator_id} no publicado")
    text, reply_to = (text or "").strip(), (reply_to or "").strip()
    problems = []
    if not text or len(text) > MAX_MESSAGE:
        problems.append(_problem(f"escriba el mensaje (1 a {MAX_MESSAGE} caracteres)",
                                 f"write the message (1 to {MAX_MESSAGE} characters)"))
    if not EMAIL.match(reply_to):
        problems.append(_problem("deje un correo válido para la respuesta (no se publica)",
                                 "leave a valid e-mail for the answer (it is not published)"))
    if problems:
        raise EditRejected(problems)
    message = CreatorMessage(creator_id=creator.id, text=text, reply_to=reply_to,
                             relayed=False)
    session.add(message)
    session.flush()
    return message


def relayed_by_mail(session: Session, message_id: int) -> None:
    """The mail server took the message: deleted like one a planner passed on; the history
    keeps which creator it went to, not the text."""
    message = session.get(CreatorMessage, message_id)
    if message is None:  # a planner passed it on meanwhile
        return
    record_change(session, None, "message", str(message.id), "relayed_by_mail",
                  {"creator_id": message.creator_id}, None)
    session.delete(message)
    session.flush()


def pending_messages(session: Session) -> list[CreatorMessage]:
    return list(session.scalars(select(CreatorMessage).where(CreatorMessage.relayed.is_(False))
                                .order_by(CreatorMessage.id)))


def mark_relayed(session: Session, user: User, message_id: int) -> None:
    """The planner passed the message on: it is deleted (kept only until relayed, as the
    privacy note says); the history keeps who relayed it to which creator, not the text."""
    message = session.get(CreatorMessage, message_id)
    if message is None:
        raise RecordNotFound(f"no hay un mensaje n.º {message_id}")
    record_change(session, user, "message", str(message.id), "relayed",
                  {"creator_id": message.creator_id}, None)
    session.delete(message)
    session.flush()


def held(creator: Creator) -> str | None:
    """A self-registration whose name or links match the word list."""
    return hold_reason(f"{creator.name} {creator.links or ''}")


# --- privacy: a person's data on request (admin) -------------------------------------------


def _matching(session: Session, creator_id: int | None, email: str | None,
              ) -> tuple[list[Creator], list[CreatorMessage]]:
    email = (email or "").strip().lower() or None
    conditions = []
    if creator_id is not None:
        conditions.append(Creator.id == creator_id)
    if email:
        conditions.append(func.lower(Creator.contact_email) == email)  # not LIKE: "_" is literal
    creators = list(session.scalars(select(Creator).where(or_(*conditions)))) if conditions \
        else []
    ids = [c.id for c in creators]
    msg_conditions = []
    if ids:
        msg_conditions.append(CreatorMessage.creator_id.in_(ids))
    if email:
        msg_conditions.append(func.lower(CreatorMessage.reply_to) == email)
    messages = list(session.scalars(select(CreatorMessage).where(or_(*msg_conditions)))) \
        if msg_conditions else []
    return creators, messages


def export_person(session: Session, creator_id: int | None, email: str | None,
                  ) -> dict[str, Any]:
    """Everything stored about a person (their creator records, the messages to them, the
    messages they sent), as JSON-ready data."""
    creators, messages = _matching(session, creator_id, email)
    return {
        "creators": [{**public(c), "contact_email": c.contact_email,
                      "contact_phone": c.contact_phone, "origin": c.origin,
                      "moderation": c.moderation, "created_at": json_safe(c.created_at)}
                     for c in creators],
        "messages": [{"id": m.id, "creator_id": m.creator_id, "text": m.text,
                      "reply_to": m.reply_to, "created_at": json_safe(m.created_at),
                      "relayed": m.relayed} for m in messages],
    }


def delete_person(session: Session, user: User, creator_id: int | None, email: str | None,
                  ) -> dict[str, int]:
    """Delete a person's records and messages. Their earlier history rows are emptied too
    (they held the name); one new row says that a deletion happened and by whom."""
    creators, messages = _matching(session, creator_id, email)
    if not creators and not messages:
        raise RecordNotFound("no hay datos de esa persona / no data of that person")
    session.execute(delete(CreatorMessage).where(
        CreatorMessage.id.in_([m.id for m in messages])))
    for creator in creators:
        session.execute(delete(CreatorMessage).where(CreatorMessage.creator_id == creator.id))
        for change in history_of(session, "creator", str(creator.id)):
            change.before = {"id": creator.id, "deleted": True} if change.before else None
            change.after = {"id": creator.id, "deleted": True} if change.after else None
        record_change(session, user, "creator", str(creator.id), "delete",
                      {"id": creator.id, "deleted": True}, None)
        session.delete(creator)
    session.flush()
    return {"creators": len(creators), "messages": len(messages)}
