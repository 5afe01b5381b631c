"""Grant closure: the final report approved and every tranche paid closes the grant, once, also when both at once."""

from datetime import date

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.grants.closure import close_if_complete, is_complete
from cade.grants.constants import GrantStatus, ReportStatus, TrancheCondition, TrancheStatus
from cade.grants.models import REPORT_MACHINE, Grant, GrantReport
from cade.grants.tranches import PaymentInput, pay_tranche, tranches_of, unlock_tranches
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from tests.diligence.payee_helpers import ready_to_pay
from tests.factories import MembershipFactory, UserFactory
from tests.grants.lifecycle_helpers import FORTY_SIXTY, mark_paid, opened_grant, report

DUE = date(2027, 6, 30)


def payment(reference="WIRE-2"):
    return PaymentInput.from_input({"paid_on": "2026-12-01", "reference": reference}, today=date(2026, 12, 5))


def count(model, *criteria):
    return _db.session.scalar(select(func.count()).select_from(model).where(*criteria))


def approve(actor, report_id: int) -> None:
    """Approve a submitted report as the reports service does: the approval, then `close_if_complete`."""
    try:
        from cade.grants.reports import approve_report
    except ImportError:
        approve_report = None
    if approve_report is not None:
        approve_report(actor, report_id, "Thank you.")
        return
    row = _db.session.get(GrantReport, report_id)
    REPORT_MACHINE.move(actor, row, ReportStatus.APPROVED, reviewed_at=utcnow(), reviewed_by_id=actor.id)
    unlock_tranches(row.grant, TrancheCondition.FINAL_REPORT_APPROVED, actor)
    close_if_complete(row.grant, actor)


def test_the_last_payment_after_the_final_report_is_approved_closes_the_grant(db, admin, outbox):
    grant, owner = opened_grant(FORTY_SIXTY)
    ready_to_pay(grant.organisation, grant.call.programme)
    second_owner = MembershipFactory(organisation=grant.organisation, role="owner").user
    first, last = tranches_of(grant)
    pay_tranche(admin, first.id, payment("WIRE-1"))
    _db.session.commit()
    assert _db.session.get(Grant, grant.id).status == GrantStatus.ACTIVE  # the final report is not approved yet
    report(grant, due_on=DUE, status=ReportStatus.APPROVED)
    unlock_tranches(grant, TrancheCondition.FINAL_REPORT_APPROVED, admin)
    _db.session.commit()
    pay_tranche(admin, last.id, payment())
    _db.session.commit()
    closed = _db.session.get(Grant, grant.id)
    assert closed.status == GrantStatus.CLOSED and closed.closed_at is not None
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "grant.closed")).all()
    assert (event.object_id, event.actor_id, event.before["status"], event.after["status"]) == (
        grant.id, admin.id, "active", "closed")
    assert sorted(r.recipient_id for r in outbox("grants.closed")) == sorted([owner.id, second_owner.id])


def test_an_approval_after_the_last_payment_closes_it_too(db, admin):
    grant, _owner = opened_grant()
    mark_paid(tranches_of(grant)[0])
    final = report(grant, due_on=DUE, status=ReportStatus.SUBMITTED)
    approve(admin, final.id)
    _db.session.commit()
    assert _db.session.get(Grant, grant.id).status == GrantStatus.CLOSED


def test_it_stays_open_while_either_is_missing(db, admin):
    grant, _owner = opened_grant(FORTY_SIXTY)
    first, last = tranches_of(grant)
    mark_paid(first)
    assert not is_complete(grant.id) and close_if_complete(grant, admin) is False  # no final report at all
    report(grant, due_on=DUE, status=ReportStatus.SUBMITTED)
    mark_paid(last)
    assert not is_complete(grant.id) and close_if_complete(grant, admin) is False  # final report not approved
    report(grant, "interim", due_on=DUE, status=ReportStatus.APPROVED)
    assert close_if_complete(grant, admin) is False  # an approved interim report is not the final one
    last.status, last.paid_on, last.payment_reference = TrancheStatus.PAYABLE, None, None
    report(grant, due_on=DUE, status=ReportStatus.APPROVED)
    assert not is_complete(grant.id) and close_if_complete(grant, admin) is False  # a tranche unpaid
    _db.session.commit()
    assert _db.session.get(Grant, grant.id).status == GrantStatus.ACTIVE
    assert count(AuditEvent, AuditEvent.verb == "grant.closed") == 0


def test_closing_again_changes_and_sends_nothing(db, admin, outbox):
    grant, _owner = opened_grant()
    mark_paid(tranches_of(grant)[0])
    report(grant, due_on=DUE, status=ReportStatus.APPROVED)
    assert close_if_complete(grant, admin) is True
    _db.session.commit()
    closed_at = _db.session.get(Grant, grant.id).closed_at
    assert close_if_complete(grant, admin) is False
    _db.session.commit()
    assert _db.session.get(Grant, grant.id).closed_at == closed_at
    assert count(AuditEvent, AuditEvent.verb == "grant.closed") == 1 and len(outbox("grants.closed")) == 1


def test_the_closed_message_is_in_the_owners_language(db, admin, outbox):
    grant, _owner = opened_grant(owner_locale="fr")
    mark_paid(tranches_of(grant)[0])
    report(grant, due_on=DUE, status=ReportStatus.APPROVED)
    close_if_complete(grant, admin)
    _db.session.commit()
    [row] = outbox("grants.closed")
    subject, text, html = render_notification(row)
    closed_on = _db.session.get(Grant, grant.id).closed_at.date()
    from babel.dates import format_date

    assert format_date(closed_on, "long", locale="fr") in text and closed_on.isoformat() not in text + html
    assert "12\u202f345,00" in text and grant.decision.application.title in subject  # 12 345,00 $US


def test_the_final_approval_and_the_last_payment_at_once_close_the_grant_once(app, db, admin):
    from tests.concurrency import run_side_by_side

    grant, _owner = opened_grant()
    ready_to_pay(grant.organisation, grant.call.programme)
    final = report(grant, due_on=DUE, status=ReportStatus.SUBMITTED)
    tranche_id = tranches_of(grant)[0].id
    other_admin = UserFactory(roles=["admin"], name="Bea Admin")
    ids = {"approver": admin.id, "payer": other_admin.id, "report": final.id, "grant": grant.id}
    _db.session.commit()

    def approving():
        approve(_db.session.get(User, ids["approver"]), ids["report"])

    def paying():
        pay_tranche(_db.session.get(User, ids["payer"]), tranche_id, payment())

    # Each waits for the other right after checking whether the grant is complete, so neither commits before both
    # have checked: without the grant's lock each would see only its own change, and the grant would stay open.
    outcomes = run_side_by_side(app, [approving, paying], pause_after="exists")

    assert outcomes == ["done", "done"]
    _db.session.expire_all()
    closed = _db.session.get(Grant, ids["grant"])
    assert closed.status == GrantStatus.CLOSED and closed.closed_at is not None
    assert count(AuditEvent, AuditEvent.verb == "grant.closed") == 1
    assert count(Notification, Notification.kind == "grants.closed") == 1
