"""Reminders to organisations with a draft when a call is about to close."""

from datetime import timedelta

from sqlalchemy import select

from cade.accounts.models import User
from cade.applications.constants import CLOSING_REMINDERS, ApplicationStatus
from cade.applications.models import Application
from cade.core.timeutil import moment_json, utcnow
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.models import Membership, Organisation
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call


def queue_call_closing_reminders(now=None) -> int:
    """Queue "call closing" reminders to every member of each organisation holding a draft.

    A call closing within 48 hours gets the 48-hour reminder; one closing
    within 7 days (but not 48 hours) the 7-day one. Idempotency keys make a
    second run send nothing more: the keys already queued are looked up once
    per window. A key names the deadline it reminds of, so a deadline extended
    after a reminder went out (cade/enquiries/notices.py) is reminded of again.
    Returns how many reminders were newly queued.
    """
    now = now or utcnow()
    queued = 0
    lower = now
    for kind, prefix, hours in sorted(CLOSING_REMINDERS, key=lambda r: r[2]):
        upper = now + timedelta(hours=hours)
        rows = db.session.execute(
            select(Application, User, Call, Organisation.name)
            .join(Call, Call.id == Application.call_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .join(Membership, Membership.organisation_id == Application.organisation_id)
            .join(User, User.id == Membership.user_id)
            .where(Call.status == CallStatus.PUBLISHED, Call.closes_at > lower,
                   Call.closes_at <= upper, Application.status == ApplicationStatus.DRAFT,
                   User.active.is_(True))
            .order_by(Application.id, User.id)
        ).all()
        def key_of(application, user, call):
            return f"{prefix}:{application.id}:{user.id}:{int(call.closes_at.timestamp())}"

        done = queued_keys(key_of(application, user, call) for application, user, call, _name in rows)
        for application, user, call, organisation_name in rows:
            key = key_of(application, user, call)
            if key in done:
                continue
            notify(kind, recipient=user, locale=user.locale, key=key, known_new=True, context={
                "application_id": application.id,
                "title": application.title,
                "call_title": call.title,
                "organisation_name": organisation_name,
                "closes_at": call.closes_at.isoformat(),
                "deadline": moment_json(call.closes_at, call.timezone),
            })
            queued += 1
        lower = upper
    return queued
