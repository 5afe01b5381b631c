"""Tranches: the schedule per call, the split of a grant, unlocking, and paying each tranche once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.extensions import db as _db
from cade.grants.constants import TrancheCondition, TrancheStatus
from cade.grants.models import Tranche, TrancheTemplate
from cade.grants.services import open_grant
from cade.grants.tranches import (PaymentInput, call_schedule, pay_tranche, set_schedule, split_amount,
                                  tranches_of, unlock_tranches)
from cade.notifications.models import Notification
from tests.diligence.payee_helpers import ready_to_pay
from tests.grants.helpers import ACCEPTED_AT, accepted_decision

FORTY_FORTY_TWENTY = [
    {"share": "40", "condition": "on_signature", "days": "0"},
    {"share": "40", "condition": "interim_report_approved", "days": "180"},
    {"share": "20", "condition": "final_report_approved", "days": "365"},
]


def opened_with(rows=None, **kwargs):
    decision, owner = accepted_decision(**kwargs)
    if rows is not None:
        set_schedule(None, decision.call_id, rows)
    grant = open_grant(decision)
    _db.session.commit()
    ready_to_pay(grant.organisation, grant.call.programme)
    return grant, owner


def payment(paid_on="2026-11-25", reference="WIRE-2026-0042"):
    return PaymentInput.from_input({"paid_on": paid_on, "reference": reference}, today=date(2026, 12, 5))


def test_the_split_adds_up_exactly_with_the_remainder_on_the_last():
    third = Decimal("0.3333")
    shares = [third, third, Decimal("0.3334")]
    amounts = split_amount(1_234_501, shares)
    assert sum(amounts) == 1_234_501
    assert amounts[0] == amounts[1] == 411_459  # 33.33 % of 1,234,501, rounded down
    assert amounts[2] == 1_234_501 - 2 * 411_459
    assert split_amount(1, [Decimal("0.5"), Decimal("0.5")]) == [0, 1]
    assert split_amount(999, [Decimal(1)]) == [999]


def test_a_call_without_a_schedule_pays_everything_on_signature(db):
    grant, _owner = opened_with()
    tranches = tranches_of(grant)
    assert [(t.amount_minor, t.currency, t.condition, t.status) for t in tranches] == [
        (12_345_00, "USD", TrancheCondition.ON_SIGNATURE, TrancheStatus.PAYABLE)]
    assert tranches[0].due_on == ACCEPTED_AT.date()


def test_a_grant_gets_its_calls_schedule(db):
    grant, _owner = opened_with(FORTY_FORTY_TWENTY)
    tranches = tranches_of(grant)
    assert [t.amount_minor for t in tranches] == [4_938_00, 4_938_00, 2_469_00]
    assert sum(t.amount_minor for t in tranches) == grant.amount_minor
    assert [t.status for t in tranches] == ["payable", "due", "due"]
    assert [t.due_on for t in tranches] == [ACCEPTED_AT.date(), ACCEPTED_AT.date() + timedelta(days=180),
                                             ACCEPTED_AT.date() + timedelta(days=365)]
    # Opening again makes no second set.
    open_grant(grant.decision)
    _db.session.commit()
    assert _db.session.scalar(select(func.count()).select_from(Tranche)) == 3


def test_the_schedule_must_add_up_to_100_percent_and_each_share_be_positive(db):
    decision, _owner = accepted_decision()
    with pytest.raises(ValidationFailed) as caught:
        set_schedule(None, decision.call_id, [{"share": "40", "condition": "on_signature", "days": "0"},
                                              {"share": "50", "condition": "final_report_approved", "days": "30"}])
    assert "shares" in caught.value.errors and "100" in str(caught.value.errors["shares"][0])
    with pytest.raises(ValidationFailed) as caught:
        set_schedule(None, decision.call_id, [{"share": "0", "condition": "on_signature", "days": "0"},
                                              {"share": "100", "condition": "bogus", "days": "-1"}])
    assert {"share-0", "condition-1", "days-1"} <= set(caught.value.errors)
    with pytest.raises(ValidationFailed):
        set_schedule(None, decision.call_id, [{"share": "", "condition": "", "days": ""}])  # nothing at all
    assert _db.session.scalar(select(func.count()).select_from(TrancheTemplate)) == 0


def test_thirds_of_an_odd_amount_are_allowed_and_add_up(db):
    rows = [{"share": "33.33", "condition": "on_signature", "days": "0"},
            {"share": "33.33", "condition": "interim_report_approved", "days": "90"},
            {"share": "33.34", "condition": "final_report_approved", "days": "200"},
            {"share": "", "condition": "", "days": ""}]  # a blank row is ignored
    grant, _owner = opened_with(rows, amount_minor=12_345_01)
    assert [row.share for row in call_schedule(grant.call_id)] == [Decimal("0.3333"), Decimal("0.3333"),
                                                                    Decimal("0.3334")]
    assert sum(t.amount_minor for t in tranches_of(grant)) == 12_345_01


def test_a_locked_tranche_cannot_be_paid_and_says_what_unlocks_it(db, admin):
    grant, _owner = opened_with(FORTY_FORTY_TWENTY)
    locked = tranches_of(grant)[1]
    with pytest.raises(InvalidTransition) as caught:
        pay_tranche(admin, locked.id, payment())
    assert "interim report is approved" in str(caught.value)
    assert locked.status == TrancheStatus.DUE and locked.paid_on is None


def test_a_payment_is_recorded_audited_and_the_grantee_told(db, admin):
    grant, owner = opened_with(FORTY_FORTY_TWENTY)
    first = tranches_of(grant)[0]
    pay_tranche(admin, first.id, payment())
    _db.session.commit()

    _db.session.refresh(first)
    assert first.status == TrancheStatus.PAID
    assert (first.paid_on, first.payment_reference, first.paid_by_id) == (date(2026, 11, 25), "WIRE-2026-0042",
                                                                          admin.id)
    assert first.paid_at is not None
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "tranche.paid"))
    assert event is not None and event.object_id == first.id
    note = _db.session.scalar(select(Notification).where(Notification.kind == "grants.tranche_paid"))
    assert note is not None and note.recipient_id == owner.id
    assert note.context["amount"] == {"minor": 4_938_00, "currency": "USD"}


def test_paying_twice_is_refused_with_when_and_by_whom(db, admin):
    grant, _owner = opened_with()
    tranche = tranches_of(grant)[0]
    pay_tranche(admin, tranche.id, payment())
    _db.session.commit()
    with pytest.raises(InvalidTransition) as caught:
        pay_tranche(admin, tranche.id, payment(reference="WIRE-AGAIN"))
    assert "already paid" in str(caught.value) and "Ada Admin" in str(caught.value)
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "tranche.paid")) == 1


def test_bad_payment_input_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        PaymentInput.from_input({"paid_on": "2026-12-06", "reference": ""}, today=date(2026, 12, 5))
    assert {"paid_on", "reference"} <= set(caught.value.errors)
    with pytest.raises(ValidationFailed) as caught:
        PaymentInput.from_input({"paid_on": "not a date", "reference": "x" * 101}, today=date(2026, 12, 5))
    assert {"paid_on", "reference"} <= set(caught.value.errors)


def test_two_admins_at_once_record_one_payment(app, db, admin):
    from tests.concurrency import run_side_by_side
    from tests.factories import UserFactory

    grant, _owner = opened_with()
    tranche_id = tranches_of(grant)[0].id
    admin_ids = [admin.id, UserFactory(roles=["admin"], name="Bea Admin").id]
    _db.session.commit()

    def pay_as(user_id):
        def action():
            from cade.accounts.models import User
            pay_tranche(_db.session.get(User, user_id), tranche_id, payment(reference=f"REF-{user_id}"))
        return action

    outcomes = run_side_by_side(app, [pay_as(i) for i in admin_ids], pause_after="from tranches")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already paid" in str(loser)
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "tranche.paid")) == 1
    assert _db.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "grants.tranche_paid")) == 1
    assert _db.session.get(Tranche, tranche_id).status == TrancheStatus.PAID


def test_unlock_tranches_makes_only_that_conditions_tranches_payable(db):
    grant, _owner = opened_with(FORTY_FORTY_TWENTY)
    assert unlock_tranches(grant, TrancheCondition.INTERIM_REPORT_APPROVED) == [tranches_of(grant)[1].id]
    _db.session.commit()
    assert [t.status for t in tranches_of(grant)] == ["payable", "payable", "due"]
    assert unlock_tranches(grant, TrancheCondition.INTERIM_REPORT_APPROVED) == []  # twice: nothing more
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "tranche.payable")) == 1


def test_the_payment_message_renders_in_the_grantees_language(db, admin):
    from cade.notifications.rendering import render_notification

    grant, owner = opened_with()
    pay_tranche(admin, tranches_of(grant)[0].id, payment())
    _db.session.commit()
    note = _db.session.scalar(select(Notification).where(Notification.kind == "grants.tranche_paid"))
    rendered = " ".join(part or "" for part in render_notification(note))
    assert "$12,345.00" in rendered and "WIRE-2026-0042" in rendered and f"/grants/{grant.id}" in rendered


def test_shares_are_read_as_the_reader_types_them(app, db):
    from flask_babel import force_locale

    from cade.grants.tranches import clean_schedule

    rows = [{"share": "33,33 %", "condition": "on_signature", "days": "0"},
            {"share": "66,67", "condition": "final_report_approved", "days": "30"}]
    with app.test_request_context(), force_locale("fr"):
        schedule = clean_schedule(rows)
    assert [row.share for row in schedule] == [Decimal("0.3333"), Decimal("0.6667")]
