"""Residents' and workshops' proposals in a council report (issue 16: planners "export them
with the council report"): the published ones that name the council, with their public
answer. Support counts are left out on purpose: they change with every click, and a report
kept as a PDF should change only when a planner publishes or answers something.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class ReportProposal:
    """A published proposal as a report shows it."""

    id: int
    text: str
    origin: str  # "taller" | "vecinos"
    category: str | None
    councils: tuple[str, ...]
    answer: str | None
    answer_text: str | None


def published_proposals(app: Flask) -> list[ReportProposal]:
    """The published proposals (none without the workspace database)."""
    from webmap.workspace.web import workspace_of

    workspace = workspace_of(app)
    if workspace is None:
        return []
    from webmap.workspace import participation

    with workspace.db.session() as session:
        return [ReportProposal(p.id, p.text, p.origin, p.category,
                               tuple(participation.councils_of(p)), p.answer, p.answer_text)
                for p in participation.published(session)]


def council_rows(data: Any, council_id: str) -> list[ReportProposal]:
    """The published proposals that name ``council_id``, in the order they were made."""
    return sorted((p for p in getattr(data, "proposals", None) or []
                   if council_id in p.councils), key=lambda p: p.id)


def proposals_digest(data: Any) -> str:
    """What the proposals section depends on, so that a kept PDF is never an older one."""
    proposals = getattr(data, "proposals", None) or []
    return hashlib.sha256(repr(proposals).encode()).hexdigest()[:16] if proposals else ""
