"""Approval per category: each amount within its estimate and the call's cap, the award their sum (awards' rules)."""

import pytest
from sqlalchemy import select

from cade.awards.constants import DecisionOutcome
from cade.awards.models import Decision
from cade.core.audit import AuditEvent
from cade.core.errors import BudgetExceeded, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db
from cade.travel import approval
from cade.travel.models import TripCost
from tests.factories import ApplicationFactory, DecisionFactory, UserFactory, reviewed_application
from tests.travel.approval_helpers import (CAPS, ESTIMATES, approval_input, travel_application, travel_call,
                                           within_caps)


@pytest.fixture()
def trip_case(db):
    call, event = travel_call()
    application, trip = travel_application(call, event)
    return call, application, trip


def approved(trip) -> dict:
    db.session.expire_all()
    return {cost.category: cost.approved_minor for cost in db.session.scalars(
        select(TripCost).where(TripCost.trip_id == trip.id))}


def test_the_award_is_the_sum_of_the_amounts_approved_per_category(admin, trip_case):
    call, application, trip = trip_case
    amounts = {"airfare": 950_00, "accommodation": 900_00, "per_diem": 0, "visa": 80_00}

    decision = approval.approve_costs(admin, application.id, approval_input(amounts))
    db.session.commit()

    assert decision.outcome == DecisionOutcome.AWARD and decision.amount_minor == 1_930_00
    assert approved(trip) == amounts
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "trip.costs_approved"))
    assert event.object_id == trip.id and event.after["approved_minor"]["airfare"] == 950_00


def test_an_amount_above_the_estimate_is_refused_on_its_category(admin, trip_case):
    _call, application, trip = trip_case
    amounts = {**within_caps(), "per_diem": ESTIMATES["per_diem"] + 1}

    with pytest.raises(ValidationFailed) as refused:
        approval.approve_costs(admin, application.id, approval_input(amounts))

    assert list(refused.value.errors) == ["per_diem"]
    assert "400.00" in str(refused.value.errors["per_diem"][0])
    db.session.rollback()
    assert approved(trip) == dict.fromkeys(ESTIMATES)
    assert db.session.scalar(select(Decision)) is None


def test_an_amount_above_the_calls_cap_is_refused_even_within_the_estimate(admin, trip_case):
    _call, application, _trip = trip_case
    amounts = {**within_caps(), "accommodation": CAPS["accommodation"] + 1_00}  # estimate is 1,000.00, cap 900.00

    with pytest.raises(ValidationFailed) as refused:
        approval.approve_costs(admin, application.id, approval_input(amounts))

    assert list(refused.value.errors) == ["accommodation"]
    assert "900.00" in str(refused.value.errors["accommodation"][0])


def test_a_category_left_empty_is_refused(admin, trip_case):
    _call, application, _trip = trip_case
    amounts = {category: amount for category, amount in within_caps().items() if category != "visa"}

    with pytest.raises(ValidationFailed) as refused:
        approval.approve_costs(admin, application.id, approval_input(amounts))

    assert list(refused.value.errors) == ["visa"]


def test_negative_and_malformed_amounts_are_refused_by_the_command():
    with pytest.raises(ValidationFailed) as refused:
        approval.ApprovalInput.from_input({"airfare": "-1", "visa": "abc", "feedback": "", "rationale": "r"},
                                          currency="USD")
    assert set(refused.value.errors) == {"airfare", "visa", "feedback"}


def test_the_envelope_still_applies_through_the_decide_service(admin, db):
    call, event = travel_call(envelope=2_000_00)
    first, _trip = travel_application(call, event)
    second, _other = travel_application(call, event)

    with pytest.raises(BudgetExceeded):  # 1,000 + 900 + 400 + 80 = 2,380 > 2,000
        approval.approve_costs(admin, first.id, approval_input(within_caps()))
    db.session.rollback()
    approval.approve_costs(admin, first.id, approval_input({"airfare": 1_000_00, "accommodation": 500_00,
                                                            "per_diem": 0, "visa": 0}))
    db.session.commit()
    with pytest.raises(BudgetExceeded) as refused:
        approval.approve_costs(admin, second.id, approval_input({"airfare": 600_00, "accommodation": 0,
                                                                 "per_diem": 0, "visa": 0}))
    assert "500.00" in refused.value.message


def test_the_calls_award_range_still_applies(admin, trip_case):
    _call, application, _trip = trip_case
    nothing = dict.fromkeys(ESTIMATES, 0)

    with pytest.raises(ValidationFailed) as refused:
        approval.approve_costs(admin, application.id, approval_input(nothing))

    assert "amount" in refused.value.errors


def test_only_admins_approve_and_only_travel_applications(db, trip_case):
    _call, application, _trip = trip_case
    with pytest.raises(PermissionDenied):
        approval.approve_costs(UserFactory(), application.id, approval_input(within_caps()))
    admin = UserFactory(roles=["admin"])
    ordinary = ApplicationFactory(under_review=True)
    with pytest.raises(NotFound):
        approval.approve_costs(admin, ordinary.id, approval_input(within_caps()))
    with pytest.raises(NotFound):
        approval.approve_costs(admin, 999_999, approval_input(within_caps()))


def test_a_trip_on_a_call_without_travel_settings_is_not_a_travel_application(admin, db):
    from cade.travel.models import Trip

    application = reviewed_application(ApplicationFactory(under_review=True).call)
    db.session.add(Trip(application_id=application.id))
    db.session.commit()
    with pytest.raises(NotFound):
        approval.approve_costs(admin, application.id, approval_input(within_caps()))


def test_a_released_decision_can_no_longer_be_approved_again(admin, trip_case):
    _call, application, _trip = trip_case
    DecisionFactory(application=application, released_at=application.submitted_at)

    with pytest.raises(InvalidTransition):
        approval.approve_costs(admin, application.id, approval_input(within_caps()))


def test_the_awards_page_cannot_award_a_travel_application_a_single_amount(admin, trip_case):
    from cade.awards.services.decisions import DecisionInput, decide_application

    _call, application, trip = trip_case
    single = DecisionInput(outcome=DecisionOutcome.AWARD, amount_minor=1_000_00, feedback="Well done.",
                           rationale="Strong case.", override_reason="Panel agreed.")
    with pytest.raises(ValidationFailed) as caught:
        decide_application(admin, application.id, single)
    assert "per cost category" in " ".join(str(m) for m in caught.value.errors["amount"])
    db.session.rollback()

    amounts = {"airfare": 950_00, "accommodation": 900_00, "per_diem": 0, "visa": 80_00}
    approval.approve_costs(admin, application.id, approval_input(amounts))
    db.session.commit()
    # Changing the amount on the awards page afterwards is refused too; rejecting stays possible there.
    with pytest.raises(ValidationFailed):
        decide_application(admin, application.id, single)
    db.session.rollback()
    rejected = decide_application(admin, application.id, DecisionInput(
        outcome=DecisionOutcome.REJECT, amount_minor=None, feedback="Not this time.", rationale="Budget.",
        override_reason="Panel agreed."))
    assert rejected.outcome == DecisionOutcome.REJECT
