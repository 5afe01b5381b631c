"""Which grantee reports are overdue: the one definition the eligibility rule, the reminders and the admin list ask.

A report is overdue on `today` when it is still a draft after its due date,
or when it was sent back for changes and is still not resubmitted after the
later of its due date and REPORT_RESUBMIT_DAYS after it was sent back (the
grantee always gets that long to fix it, even past the original due date).
A submitted report waits for the admins, not the grantee, so it is never
overdue; nor is anything of a closed grant, which asks nothing more of anyone.

The condition is plain SQL with the day limits computed here, so it reads the
same on SQLite and PostgreSQL and each question below is one query.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import joinedload

from cade.extensions import db
from cade.grants.constants import REPORT_RESUBMIT_DAYS, GrantStatus, ReportStatus
from cade.grants.models import Grant, GrantReport


def resubmit_limit(reviewed_at: datetime | None) -> date | None:
    """The last day a report sent back on `reviewed_at` (UTC) may be resubmitted without being overdue."""
    if reviewed_at is None:
        return None
    return reviewed_at.astimezone(UTC).date() + timedelta(days=REPORT_RESUBMIT_DAYS)


def deadline_of(report: GrantReport) -> date:
    """The last day the grantee may hand `report` in without it being overdue (for its status now)."""
    if report.status == ReportStatus.CHANGES_REQUESTED:
        limit = resubmit_limit(report.reviewed_at)
        if limit is not None and limit > report.due_on:
            return limit
    return report.due_on


def overdue_clause(today: date) -> ColumnElement[bool]:
    """A WHERE condition on GrantReport: overdue on `today` (see the module docstring)."""
    # reviewed date + RESUBMIT_DAYS < today  ⟺  reviewed_at before midnight UTC starting today - RESUBMIT_DAYS.
    sent_back_before = datetime.combine(today - timedelta(days=REPORT_RESUBMIT_DAYS), time(0), tzinfo=UTC)
    active_grants = select(Grant.id).where(Grant.status == GrantStatus.ACTIVE)
    return and_(
        GrantReport.grant_id.in_(active_grants),
        GrantReport.due_on < today,
        or_(GrantReport.status == ReportStatus.DRAFT,
            and_(GrantReport.status == ReportStatus.CHANGES_REQUESTED,
                 or_(GrantReport.reviewed_at.is_(None), GrantReport.reviewed_at < sent_back_before))),
    )


def is_overdue(report: GrantReport, today: date) -> bool:
    """The same question for one loaded report, without a query (pages that already hold the report)."""
    if report.grant is not None and report.grant.status != GrantStatus.ACTIVE:
        return False
    if report.status not in (ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED):
        return False
    return today > deadline_of(report)


def overdue_reports(today: date) -> list[GrantReport]:
    """Every overdue report, oldest due first, with its grant loaded (one query)."""
    return list(db.session.scalars(
        select(GrantReport).options(joinedload(GrantReport.grant)).where(overdue_clause(today))
        .order_by(GrantReport.due_on, GrantReport.id)))


def overdue_reports_of_organisation(organisation_id: int, today: date) -> list[GrantReport]:
    """The organisation's overdue reports, oldest due first, each with its grant and the grant's call (one query)."""
    return overdue_reports_of_organisations([organisation_id], today).get(organisation_id, [])


def overdue_reports_of_organisations(organisation_ids, today: date) -> dict[int, list[GrantReport]]:
    """{organisation id: its overdue reports, oldest due first} for several organisations (one query)."""
    found: dict[int, list[GrantReport]] = {}
    for report in db.session.scalars(
            select(GrantReport).join(Grant, Grant.id == GrantReport.grant_id)
            .options(joinedload(GrantReport.grant).joinedload(Grant.call))
            .where(Grant.organisation_id.in_(list(organisation_ids)), overdue_clause(today))
            .order_by(GrantReport.due_on, GrantReport.id)):
        found.setdefault(report.grant.organisation_id, []).append(report)
    return found


def overdue_grant_ids(today: date) -> set[int]:
    """The ids of the grants with at least one overdue report: the admin list's "overdue" filter (one query)."""
    return set(db.session.scalars(select(GrantReport.grant_id).where(overdue_clause(today)).distinct()))
