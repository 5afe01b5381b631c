"""What each grant in a list needs next, for the grantee's and the admins' grant lists, in two queries.

The grantee reads the next report to write (and whether it is overdue) or
that one awaits review; the admins read which grants have an overdue report,
a report to review or a tranche they can pay, and filter on it (`needs_clause`).
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, select

from cade.extensions import db
from cade.grants.constants import ReportStatus, TrancheStatus
from cade.grants.models import Grant, GrantReport, Tranche
from cade.grants.overdue import deadline_of, is_overdue, overdue_clause

NEEDS = ("overdue", "review", "payable")  # the admin list's filter values


@dataclass
class Attention:
    next_report: GrantReport | None = None  # the first report the grantee still has to write or fix
    next_report_overdue: bool = False
    next_report_deadline: date | None = None
    overdue: int = 0  # reports past their deadline
    to_review: int = 0  # reports submitted, waiting for an admin
    payable: int = 0  # tranches whose condition is met and not paid yet
    reports: list[GrantReport] = field(default_factory=list)


def attention(grants: list[Grant], today: date) -> dict[int, Attention]:
    """Per grant id, what it needs (one query for the reports, one for the payable tranches)."""
    ids = [grant.id for grant in grants]
    found = {grant_id: Attention() for grant_id in ids}
    if not ids:
        return found
    by_id = {grant.id: grant for grant in grants}
    for report in db.session.scalars(select(GrantReport).where(GrantReport.grant_id.in_(ids))
                                      .order_by(GrantReport.due_on, GrantReport.id)):
        report.grant = by_id[report.grant_id]  # already loaded: is_overdue reads its status
        item = found[report.grant_id]
        item.reports.append(report)
        late = is_overdue(report, today)
        item.overdue += late
        item.to_review += report.status == ReportStatus.SUBMITTED
        if item.next_report is None and report.status in (ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED):
            item.next_report, item.next_report_overdue, item.next_report_deadline = report, late, deadline_of(report)
    payable = db.session.execute(select(Tranche.grant_id, func.count()).where(
        Tranche.grant_id.in_(ids), Tranche.status == TrancheStatus.PAYABLE).group_by(Tranche.grant_id))
    for grant_id, count in payable:
        found[grant_id].payable = count
    return found


def needs_clause(need: str, today: date):
    """A WHERE condition on Grant for the admin list's filter: one of NEEDS (else None: no filter)."""
    if need == "overdue":
        return exists().where(GrantReport.grant_id == Grant.id, overdue_clause(today))
    if need == "review":
        return exists().where(GrantReport.grant_id == Grant.id, GrantReport.status == ReportStatus.SUBMITTED)
    if need == "payable":
        return exists().where(Tranche.grant_id == Grant.id, Tranche.status == TrancheStatus.PAYABLE)
    return None
