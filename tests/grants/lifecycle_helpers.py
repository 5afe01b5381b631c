"""Grants with reports in a given state, for the overdue, reminder, closure and returned-money tests.

Reports are written directly (get or create: once the reports service creates a
grant's reports when it opens, these helpers set the state of the one it made).
"""

from datetime import UTC, date, datetime

from sqlalchemy import select

from cade.extensions import db
from cade.grants.constants import ReportStatus, TrancheStatus
from cade.grants.models import GrantReport, Tranche
from cade.grants.services import open_grant
from cade.grants.tranches import set_schedule
from tests.grants.helpers import accepted_decision

FORTY_SIXTY = [
    {"share": "40", "condition": "on_signature", "days": "0"},
    {"share": "60", "condition": "final_report_approved", "days": "365"},
]


def opened_grant(rows=None, **kwargs):
    """An accepted award's open grant (its call's schedule `rows`, else one tranche on signature) and its owner."""
    decision, owner = accepted_decision(**kwargs)
    if rows is not None:
        set_schedule(None, decision.call_id, rows)
    grant = open_grant(decision)
    db.session.commit()
    return grant, owner


def report(grant, kind="final", *, due_on: date, status=ReportStatus.DRAFT, reviewed_at: datetime | None = None):
    """The grant's report of `kind` with this due date, status and review time (committed)."""
    row = db.session.scalar(select(GrantReport).where(GrantReport.grant_id == grant.id, GrantReport.kind == kind))
    if row is None:
        row = GrantReport(grant_id=grant.id, kind=kind, due_on=due_on)
        db.session.add(row)
    row.due_on, row.status, row.reviewed_at = due_on, status, reviewed_at
    db.session.commit()
    return row


def sent_back_on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)


def mark_paid(tranche: Tranche, paid_on: date = date(2026, 11, 25), reference: str = "WIRE-1"):
    """A tranche paid as if an admin had recorded it long ago (no service: setting up, not testing)."""
    tranche.status, tranche.paid_on, tranche.payment_reference = TrancheStatus.PAID, paid_on, reference
    db.session.commit()
    return tranche
