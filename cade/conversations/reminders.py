"""Clarification requests due soon: the applicant organisation's members are reminded once, two days ahead.

Run by `send-reminders` and the beat like every sweep (cade/core/reminders.py). The idempotency key names
the request, its due date and the member, so a second run sends nothing more, while a due date moved
later by the staff gets its own reminder.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cade.applications.models import Application
from cade.conversations.constants import DUE_SOON_DAYS, ClarificationStatus
from cade.conversations.models import ClarificationRequest
from cade.conversations.notices import tell_applicant
from cade.core.db import utcnow
from cade.extensions import db


def remind_due_clarifications(now: datetime | None = None) -> int:
    """Queue `conversations.clarification_due` for each open request due within two days, once per request, due
    date and member; returns how many reminders were queued now. Flushes, never commits."""
    now = now or utcnow()
    due = db.session.scalars(
        select(ClarificationRequest)
        .where(ClarificationRequest.status == ClarificationStatus.OPEN, ClarificationRequest.due_at > now,
               ClarificationRequest.due_at <= now + timedelta(days=DUE_SOON_DAYS))
        .options(selectinload(ClarificationRequest.application).selectinload(Application.call))
        .order_by(ClarificationRequest.id)).all()
    return sum(tell_applicant(clarification, "clarification_due",
                              f"clarification-due:{clarification.id}:{clarification.due_at.isoformat()}")
               for clarification in due)
