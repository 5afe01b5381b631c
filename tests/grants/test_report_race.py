"""Two admins deciding on the same report at the same moment: one decision wins, the other is told what it was."""

from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition
from cade.extensions import db as _db
from cade.grants.constants import ReportStatus, TrancheStatus
from cade.grants.models import GrantReport
from cade.grants.reports import approve_report, request_changes, submit_report
from cade.grants.tranches import tranches_of
from cade.notifications.models import Notification
from tests.concurrency import run_side_by_side
from tests.factories import UserFactory
from tests.grants.report_helpers import command, complete_form, opened_grant


def submitted_report(admin):
    opened = opened_grant()
    report = opened.interim
    submit_report(opened.owner, report.id, command(complete_form(opened, report)))
    second = UserFactory(roles=["admin"], name="Bea Admin")
    _db.session.commit()
    return opened, report.id, [admin.id, second.id]


def as_admin(user_id, action, report_id, comments):
    def run():
        from cade.accounts.models import User

        action(_db.session.get(User, user_id), report_id, comments)
    return run


def count(verb: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == verb))


def test_two_admins_approving_at_once_approve_once(app, db, admin):
    opened, report_id, admin_ids = submitted_report(admin)

    outcomes = run_side_by_side(app, [as_admin(i, approve_report, report_id, f"OK from {i}") for i in admin_ids],
                                pause_after="from grant_reports")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already approved" in str(loser)
    _db.session.expire_all()
    assert _db.session.get(GrantReport, report_id).status == ReportStatus.APPROVED
    assert count("report.approved") == 1 and count("tranche.payable") == 1
    assert [t.status for t in tranches_of(opened.grant)] == [TrancheStatus.PAYABLE, TrancheStatus.PAYABLE,
                                                             TrancheStatus.DUE]
    assert _db.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "grants.report_approved")) == 1


def test_an_approval_and_a_request_for_changes_at_once_leave_one_decision(app, db, admin):
    opened, report_id, admin_ids = submitted_report(admin)

    outcomes = run_side_by_side(app, [as_admin(admin_ids[0], approve_report, report_id, None),
                                      as_admin(admin_ids[1], request_changes, report_id, "Add the site list.")],
                                pause_after="from grant_reports")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already" in str(loser)
    _db.session.expire_all()
    status = _db.session.get(GrantReport, report_id).status
    assert status in (ReportStatus.APPROVED, ReportStatus.CHANGES_REQUESTED)
    assert count("report.approved") + count("report.changes_requested") == 1
    unlocked = [t.status for t in tranches_of(opened.grant)][1] == TrancheStatus.PAYABLE
    assert unlocked == (status == ReportStatus.APPROVED)
