"""The history of an application's clarification requests, as staff, reviewers and the applicant read it.

Each request with the fields it named, what they held before and after (after: as the answer, or the
withdrawal, left them; the audit event of that moment keeps it), the response and the dates. Three queries
whatever the number of requests. Who asked is named to staff only (an applicant never learns which reviewer
asked); who answered is not named to the reviewers of a blind call.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cade.applications.models import Application
from cade.conversations.constants import ClarificationStatus
from cade.conversations.fields import NamedField, named_fields
from cade.conversations.models import ClarificationRequest
from cade.core.audit import AuditEvent
from cade.core.permissions import is_admin
from cade.extensions import db

CLOSING_VERBS = ("clarification.answered", "clarification.withdrawn")


@dataclass(frozen=True)
class FieldChange:
    field: NamedField
    before: Any
    after: Any  # None while the request is open

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class HistoryEntry:
    clarification: ClarificationRequest
    changes: list[FieldChange]
    asked_by: str | None  # a name for staff; None: say "the programme" (or "a reviewer" to reviewers)
    answered_by: str | None  # None: say "the applicant"
    closed_at: datetime | None  # answered or withdrawn

    @property
    def is_open(self) -> bool:
        return self.clarification.status == ClarificationStatus.OPEN


def clarification_history(viewer, application: Application) -> list[HistoryEntry]:
    """Every request on `application`, newest first, as `viewer` may read it (see the module's docstring).

    The caller has checked that `viewer` may see the application's requests (can_see_clarifications).
    """
    requests = list(db.session.scalars(
        select(ClarificationRequest).where(ClarificationRequest.application_id == application.id)
        .options(selectinload(ClarificationRequest.requested_by), selectinload(ClarificationRequest.answered_by))
        .order_by(ClarificationRequest.id.desc())))
    if not requests:
        return []
    closings = {event.object_id: event for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == ClarificationRequest.__name__,
                                 AuditEvent.object_id.in_([r.id for r in requests]),
                                 AuditEvent.verb.in_(CLOSING_VERBS)))}
    staff = is_admin(viewer)
    member = _is_member(viewer, application)
    hide_applicant = not staff and not member and application.call.blind_review
    entries = []
    for clarification in requests:
        closing = closings.get(clarification.id)
        after = ((closing.after or {}).get("fields") or {}) if closing else None
        changes = [FieldChange(named, (clarification.before or {}).get(named.name),
                               None if after is None else after.get(named.name))
                   for named in named_fields(application.call, clarification.fields)]
        asker = clarification.requested_by
        entries.append(HistoryEntry(
            clarification=clarification, changes=changes,
            asked_by=asker.name if asker and (staff or asker.id == getattr(viewer, "id", None)) else None,
            answered_by=None if hide_applicant or clarification.answered_by is None
            else clarification.answered_by.name,
            closed_at=clarification.answered_at or (closing.at if closing else None)))
    return entries


def _is_member(viewer, application: Application) -> bool:
    from cade.organisations.services import is_member

    return is_member(viewer, application.organisation_id)
