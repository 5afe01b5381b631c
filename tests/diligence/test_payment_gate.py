"""No payment without a verified payee account and a recent clear screening; both recorded with the payment."""

from datetime import date

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition
from cade.diligence.constants import ScreeningResult
from cade.diligence.readiness import payment_readiness
from cade.extensions import db as _db
from cade.grants.constants import TrancheStatus
from cade.grants.services import open_grant
from cade.grants.tranches import PaymentInput, pay_tranche, tranches_of
from tests.diligence.payee_helpers import IBAN_SN, ready_to_pay, screening, verified_account
from tests.grants.helpers import accepted_decision


def opened():
    decision, owner = accepted_decision()
    grant = open_grant(decision)
    _db.session.commit()
    return grant


def payment(paid_on="2026-11-25"):
    return PaymentInput.from_input({"paid_on": paid_on, "reference": "WIRE-7"}, today=date(2026, 12, 5))


def refused(admin, grant, words, paid_on="2026-11-25"):
    tranche = tranches_of(grant)[0]
    with pytest.raises(InvalidTransition) as caught:
        pay_tranche(admin, tranche.id, payment(paid_on))
    assert words in str(caught.value)
    _db.session.rollback()
    assert tranches_of(grant)[0].status == TrancheStatus.PAYABLE


def test_the_payment_records_the_account_and_the_screening(db, admin):
    grant = opened()
    account, cleared = ready_to_pay(grant.organisation, grant.call.programme)
    tranche = pay_tranche(admin, tranches_of(grant)[0].id, payment())
    _db.session.commit()
    assert (tranche.status, tranche.payee_account_id, tranche.screening_id) == (TrancheStatus.PAID, account.id,
                                                                               cleared.id)
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "tranche.paid"))
    assert (event.after["payee_account_id"], event.after["screening_id"]) == (account.id, cleared.id)


def test_no_payment_without_a_verified_account(db, admin):
    grant = opened()
    screening(grant.organisation, grant.call.programme)
    refused(admin, grant, "has no verified bank details")


def test_no_payment_to_details_still_waiting_for_the_second_admin(db, admin):
    grant = opened()
    screening(grant.organisation, grant.call.programme)
    account = verified_account(grant.organisation)
    account.status = "checked"
    _db.session.commit()
    refused(admin, grant, "has no verified bank details")


def test_no_payment_without_a_screening(db, admin):
    grant = opened()
    verified_account(grant.organisation)
    refused(admin, grant, "no clear screening")


def test_no_payment_on_a_screening_older_than_the_programmes_limit(db, admin):
    grant = opened()
    grant.call.programme.screening_valid_days = 30
    ready_to_pay(grant.organisation, grant.call.programme, screened_on=date(2026, 10, 1))
    refused(admin, grant, "in the 30 days up to the payment date")
    refused(admin, grant, "no clear screening", paid_on="2026-09-30")  # screened after the money went


def test_a_later_match_blocks_the_payment(db, admin):
    grant = opened()
    ready_to_pay(grant.organisation, grant.call.programme, screened_on=date(2026, 11, 1))
    screening(grant.organisation, grant.call.programme, screened_on=date(2026, 11, 10),
              result=ScreeningResult.MATCH)
    refused(admin, grant, "found a possible match")


def test_a_match_recorded_after_a_backdated_payment_date_blocks_it_too(db, admin):
    grant = opened()
    ready_to_pay(grant.organisation, grant.call.programme, screened_on=date(2026, 11, 1))
    screening(grant.organisation, grant.call.programme, screened_on=date(2026, 12, 1),
              result=ScreeningResult.MATCH)
    refused(admin, grant, "found a possible match", paid_on="2026-11-25")


def test_payment_readiness_gives_the_admin_the_full_account_and_the_problems(db):
    grant = opened()
    empty = payment_readiness(grant, on=date(2026, 11, 25))
    assert (empty.payee, empty.screening, empty.payee_full_number, len(empty.problems)) == (None, None, "", 2)
    account, cleared = ready_to_pay(grant.organisation, grant.call.programme)
    ready = payment_readiness(grant, on=date(2026, 11, 25))
    assert (ready.payee, ready.screening, ready.problems, ready.ready) == (account, cleared, [], True)
    assert ready.payee_full_number.replace(" ", "") == IBAN_SN


def test_the_refused_pay_form_keeps_what_was_typed_and_says_what_to_do(db, client, login, admin):
    grant = opened()
    login(admin)
    tranche = tranches_of(grant)[0]
    response = client.post(f"/grants/{grant.id}/tranches/{tranche.id}/pay",
                           data={"paid_on": "2026-11-25", "reference": "MY-WIRE-991"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "MY-WIRE-991" in page and "2026-11-25" in page
    assert "no verified bank details" in page and "no clear screening" in page
    assert tranches_of(grant)[0].status == TrancheStatus.PAYABLE
