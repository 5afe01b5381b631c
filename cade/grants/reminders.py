"""Report reminders to the grantee's owners: a report due in REPORT_REMINDER_DAYS, and a report become overdue.

Run daily by beat (tasks/grants.py). Each message has an idempotency key naming
the report, the period and the owner, so a second run (or two workers at once)
sends nothing more, while a new period does get its message: a due date moved
by the admins, or a report sent back for changes that is then overdue again
after its resubmission time ("report-overdue:<report>:<deadline>:<owner>").
Only draft reports are reminded before their due date (a report sent back
gets the admins' own message); "overdue" is cade/grants/overdue.py's definition.
"""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cade.accounts.models import User
from cade.awards.models import Decision
from cade.core.db import utcnow
from cade.extensions import db
from cade.grants.constants import REPORT_REMINDER_DAYS, GrantStatus, ReportStatus
from cade.grants.models import Grant, GrantReport
from cade.grants.overdue import deadline_of, overdue_clause
from cade.notifications.services import notify, queued_keys
from cade.organisations.models import Membership


def _owned(*criteria) -> list[tuple[GrantReport, User]]:
    """(report, owner) for every report matching `criteria` and every active owner of its organisation (one query)."""
    return list(db.session.execute(
        select(GrantReport, User)
        .join(Grant, Grant.id == GrantReport.grant_id)
        .join(Membership, Membership.organisation_id == Grant.organisation_id)
        .join(User, User.id == Membership.user_id)
        .options(joinedload(GrantReport.grant).joinedload(Grant.decision).joinedload(Decision.application),
                 joinedload(GrantReport.grant).joinedload(Grant.call))
        .where(*criteria, Membership.role == "owner", User.active.is_(True))
        .order_by(GrantReport.due_on, GrantReport.id, User.id)
    ).tuples())


def _context(report: GrantReport) -> dict:
    grant = report.grant
    application = grant.decision.application
    return {"grant_id": grant.id, "report_id": report.id, "kind": report.kind, "title": application.title,
            "reference": application.reference or "", "call_title": grant.call.title,
            "due_on": report.due_on.isoformat()}


def _send(kind: str, keyed: dict[str, tuple[GrantReport, User, dict]]) -> int:
    fresh = [key for key in keyed if key not in queued_keys(keyed)]
    for key in fresh:
        _report, owner, context = keyed[key]
        notify(kind, recipient=owner, key=key, known_new=True, context=context)
    return len(fresh)


def remind_reports_due(today: date | None = None) -> int:
    """Tell each owner of a draft report due within REPORT_REMINDER_DAYS (`grants.report_due`); once per due date.

    Returns how many messages were queued now. Flushes, never commits.
    """
    today = today or utcnow().date()
    rows = _owned(GrantReport.status == ReportStatus.DRAFT, Grant.status == GrantStatus.ACTIVE,
                  GrantReport.due_on >= today, GrantReport.due_on <= today + timedelta(days=REPORT_REMINDER_DAYS))
    keyed = {f"report-due:{report.id}:{report.due_on.isoformat()}:{owner.id}": (report, owner, _context(report))
             for report, owner in rows}
    return _send("grants.report_due", keyed)


def remind_reports_overdue(today: date | None = None) -> int:
    """Tell each owner of an overdue report (`grants.report_overdue`); once per report and deadline.

    Returns how many messages were queued now. Flushes, never commits.
    """
    today = today or utcnow().date()
    keyed = {}
    for report, owner in _owned(overdue_clause(today)):
        deadline = deadline_of(report)
        context = {**_context(report), "deadline": deadline.isoformat(),
                   "sent_back": report.status == ReportStatus.CHANGES_REQUESTED}
        keyed[f"report-overdue:{report.id}:{deadline.isoformat()}:{owner.id}"] = (report, owner, context)
    return _send("grants.report_overdue", keyed)


def send_report_reminders(today: date | None = None) -> dict:
    """Both reminders for `today` (UTC by default); {"due": queued, "overdue": queued}. Flushes, never commits."""
    today = today or utcnow().date()
    return {"due": remind_reports_due(today), "overdue": remind_reports_overdue(today)}
