"""Owners told before a verified document expires: DOCUMENT_REMINDER_DAYS (30, 14 and 3) days ahead, once each.

Run daily by beat (tasks/diligence.py) and by `send-reminders`. A document
expiring within N days gets the reminder of the smallest threshold at or above
N, so a day the beat missed is made up the next day, and a document verified
with ten days left is told once (at 14), not three times at once. The
idempotency key names the document, the threshold and the owner
("document-expiring:<document>:<days>:<owner>"): a second run, or two workers
at once, send nothing more. A document already replaced by a verified one
that lasts longer is not reminded: there is nothing left to do.
"""

from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, joinedload

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.diligence.constants import DOCUMENT_REMINDER_DAYS, DocumentStatus
from cade.diligence.documents import document_context
from cade.diligence.models import Document
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership


def threshold_for(days_left: int) -> int | None:
    """The reminder due for a document expiring in `days_left` days: the smallest threshold at or above it."""
    return min((days for days in DOCUMENT_REMINDER_DAYS if days_left <= days), default=None)


def remind_expiring_documents(today: date | None = None) -> int:
    """Tell each active owner of a verified document expiring soon (`diligence.document_expiring`), once a threshold.

    Returns how many messages were queued now. Flushes, never commits.
    """
    today = today or utcnow().date()
    later = aliased(Document)
    replaced = exists().where(later.organisation_id == Document.organisation_id, later.kind == Document.kind,
                              later.id != Document.id, later.status == DocumentStatus.VERIFIED,
                              or_(later.expires_on.is_(None), later.expires_on > Document.expires_on))
    rows = db.session.execute(
        select(Document, User)
        .join(Membership, and_(Membership.organisation_id == Document.organisation_id,
                               Membership.role == MembershipRole.OWNER))
        .join(User, User.id == Membership.user_id)
        .options(joinedload(Document.organisation))
        .where(Document.status == DocumentStatus.VERIFIED, Document.expires_on >= today,
               Document.expires_on <= today + timedelta(days=max(DOCUMENT_REMINDER_DAYS)),
               User.active.is_(True), ~replaced)
        .order_by(Document.expires_on, Document.id, User.id)).tuples()
    keyed = {}
    for document, owner in rows:
        days = threshold_for((document.expires_on - today).days)
        keyed[f"document-expiring:{document.id}:{days}:{owner.id}"] = (document, owner, days)
    fresh = [key for key in keyed if key not in queued_keys(keyed)]
    for key in fresh:
        document, owner, days = keyed[key]
        notify("diligence.document_expiring", recipient=owner, key=key, known_new=True,
               context=document_context(document, threshold=days, days_left=(document.expires_on - today).days))
    return len(fresh)
