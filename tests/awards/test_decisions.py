"""Deciding applications: bounds, the envelope, the review override, changes until release."""

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services.commitments import committed_total
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.core.audit import AuditEvent
from cade.core.errors import BudgetExceeded, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.db import utcnow
from cade.core.money import from_minor
from cade.extensions import db as _db
from cade.notifications.models import Notification
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    DecisionFactory,
    MembershipFactory,
    ReviewFactory,
    UserFactory,
    reviewed_application,
)

FEEDBACK = "A clear plan with realistic costs."
RATIONALE = "Ranked third; strong community support."


@pytest.fixture()
def call(db):
    """USD call: envelope 50,000.00, awards 5,000.00 to 40,000.00, two reviews per application."""
    return CallFactory(closed=True, budget_envelope_minor=50_000_00, min_award_minor=5_000_00,
                       max_award_minor=40_000_00, reviews_required=2)


@pytest.fixture()
def application(call):
    """Under review, two submitted reviews, 30,000.00 requested."""
    return reviewed_application(call, requested_amount_minor=30_000_00)


def decide(actor, application, **overrides):
    """Decide as the decision page does: typed values cleaned by DecisionInput (amounts given in cents here)."""
    values = {"outcome": "award", "amount_minor": 20_000_00, "feedback": FEEDBACK, "rationale": RATIONALE}
    values.update(overrides)
    amount_minor = values.pop("amount_minor")
    currency = application.call.currency
    values["amount"] = None if amount_minor is None else from_minor(amount_minor, currency)
    return decide_application(actor, application.id, DecisionInput.from_input(values, currency=currency))


def errors_of(excinfo) -> dict[str, str]:
    return {name: " ".join(str(m) for m in messages) for name, messages in excinfo.value.errors.items()}


def audit_events(verb):
    return _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)).all()


# ---------------------------------------------------------------- a decision is recorded, not yet seen


def test_an_award_is_recorded_and_audited_but_the_applicant_sees_nothing(admin, application):
    MembershipFactory(organisation=application.organisation)
    decision = decide(admin, application)
    _db.session.commit()

    stored = _db.session.scalar(select(Decision).where(Decision.application_id == application.id))
    assert (stored.outcome, stored.amount_minor, stored.feedback, stored.rationale) == (
        "award", 20_000_00, FEEDBACK, RATIONALE)
    assert stored.decided_by_id == admin.id and stored.id == decision.id
    assert stored.status == DecisionStatus.DECIDED and stored.released_at is None
    assert stored.override_reason is None
    _db.session.refresh(application)
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert _db.session.scalar(select(func.count(Notification.id))) == 0
    [event] = audit_events("decision.made")
    assert event.actor_id == admin.id and event.before is None
    assert event.after["outcome"] == "award" and event.after["amount_minor"] == 20_000_00


def test_deciding_a_submitted_application_puts_it_under_review_so_it_can_no_longer_be_withdrawn(admin, call):
    from cade.applications.services import withdraw_application
    from cade.core.errors import DomainError

    application = reviewed_application(call)
    application.status = ApplicationStatus.SUBMITTED
    _db.session.commit()
    decide(admin, application, outcome="award", amount_minor=10_000_00)
    _db.session.commit()
    _db.session.refresh(application)
    assert application.status == ApplicationStatus.UNDER_REVIEW
    from tests.factories import MembershipFactory

    member = MembershipFactory(organisation=application.organisation).user
    with pytest.raises(DomainError):  # an award counted in the envelope cannot vanish with a withdrawal
        withdraw_application(member, application.id)


@pytest.mark.parametrize("outcome", ["waitlist", "reject"])
def test_waitlist_and_reject_carry_no_amount(admin, application, outcome):
    decision = decide(admin, application, outcome=outcome, amount_minor=15_000_00)
    assert decision.outcome == outcome and decision.amount_minor is None
    assert committed_total(application.call_id) == 0


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("amount", [4_999_99, 40_000_01])
def test_an_award_outside_the_calls_bounds_is_refused_with_the_bounds(admin, call, amount):
    application = reviewed_application(call, requested_amount_minor=40_000_00)
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, amount_minor=amount)
    assert "$5,000.00" in errors_of(excinfo)["amount"] and "$40,000.00" in errors_of(excinfo)["amount"]
    assert _db.session.scalar(select(func.count(Decision.id))) == 0


def test_an_award_of_nothing_is_refused_before_the_bounds_are_asked(admin, call):
    application = reviewed_application(call, requested_amount_minor=40_000_00)
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, amount_minor=0)
    assert errors_of(excinfo) == {"amount": "The amount must be more than zero."}
    assert _db.session.scalar(select(func.count(Decision.id))) == 0


def test_an_award_above_the_requested_amount_is_refused(admin, application):
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, amount_minor=30_000_01)
    assert "$30,000.00 requested" in errors_of(excinfo)["amount"]
    assert decide(admin, application, amount_minor=30_000_00).amount_minor == 30_000_00


def test_an_award_needs_an_amount_and_every_decision_feedback_and_a_rationale(admin, application):
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, amount_minor=None, feedback="   ", rationale="")
    errors = errors_of(excinfo)
    assert set(errors) == {"amount", "feedback", "rationale"}
    assert "amount to award" in errors["amount"]


def test_an_unknown_outcome_is_refused(admin, application):
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, outcome="maybe")
    assert set(errors_of(excinfo)) == {"outcome"}


def test_over_long_feedback_is_refused(admin, application):
    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application, feedback="x" * 10_001)
    assert "10000 characters" in errors_of(excinfo)["feedback"]


# ---------------------------------------------------------------- the envelope


def test_an_award_beyond_the_envelope_is_refused_with_the_remaining_amount(admin, call, application):
    DecisionFactory(application=reviewed_application(call), amount_minor=30_000_00)
    DecisionFactory(application=reviewed_application(call), outcome="reject", amount_minor=None)

    with pytest.raises(BudgetExceeded) as excinfo:
        decide(admin, application, amount_minor=20_000_01)
    assert "$20,000.00 remains" in str(excinfo.value)
    assert excinfo.value.field == "amount" and excinfo.value.params["remaining_minor"] == 20_000_00
    _db.session.rollback()

    decide(admin, application, amount_minor=20_000_00)  # exactly what remains
    _db.session.commit()
    assert committed_total(call.id) == call.budget_envelope_minor


def test_released_awards_count_against_the_envelope_too(admin, call, application):
    DecisionFactory(application=reviewed_application(call), amount_minor=40_000_00, released_at=utcnow())
    with pytest.raises(BudgetExceeded, match=r"\$10,000\.00 remains"):
        decide(admin, application, amount_minor=10_000_01)


def test_changing_an_award_counts_only_the_new_amount(admin, call, application):
    DecisionFactory(application=reviewed_application(call), amount_minor=20_000_00)
    decide(admin, application, amount_minor=30_000_00)
    _db.session.commit()
    # 20,000 + 30,000 is the whole envelope; lowering and raising this award again still fits.
    decide(admin, application, amount_minor=25_000_00)
    decide(admin, application, amount_minor=30_000_00)
    _db.session.commit()
    assert committed_total(call.id) == 50_000_00


def test_awards_of_other_calls_do_not_count(admin, call, application):
    other_call = CallFactory(closed=True, budget_envelope_minor=40_000_00)
    DecisionFactory(application=reviewed_application(other_call), amount_minor=40_000_00)
    assert decide(admin, application, amount_minor=30_000_00).amount_minor == 30_000_00


# ---------------------------------------------------------------- fewer reviews than required


def test_fewer_submitted_reviews_than_required_need_an_override_reason(admin, call):
    application = reviewed_application(call, reviews=1)
    ReviewFactory(assignment=AssignmentFactory(application=application))  # a draft never counts

    with pytest.raises(ValidationFailed) as excinfo:
        decide(admin, application)
    message = errors_of(excinfo)["override_reason"]
    assert "has 1 submitted review and" in message and "requires 2" in message
    _db.session.rollback()

    decision = decide(admin, application, override_reason="  The second reviewer withdrew; deadline for funder. ")
    _db.session.commit()
    assert decision.override_reason == "The second reviewer withdrew; deadline for funder."
    assert audit_events("decision.made")[0].after["override_reason"] == decision.override_reason


def test_an_override_reason_is_not_kept_when_there_are_enough_reviews(admin, application):
    assert decide(admin, application, override_reason="Just in case").override_reason is None


# ---------------------------------------------------------------- changes, release, who and what


def test_a_decision_changes_until_release_with_before_and_after_in_the_audit(admin, application):
    decide(admin, application)
    _db.session.commit()
    other_admin = UserFactory(roles=["admin"])
    decide(other_admin, application, outcome="waitlist", amount_minor=None, feedback="On the waiting list.")
    _db.session.commit()

    decisions = _db.session.scalars(select(Decision)).all()
    assert len(decisions) == 1
    assert (decisions[0].outcome, decisions[0].amount_minor, decisions[0].decided_by_id) == (
        "waitlist", None, other_admin.id)
    [changed] = audit_events("decision.changed")
    assert changed.actor_id == other_admin.id
    assert changed.before["outcome"] == "award" and changed.before["amount_minor"] == 20_000_00
    assert changed.after["outcome"] == "waitlist" and changed.after["feedback"] == "On the waiting list."
    assert committed_total(application.call_id) == 0


def test_a_released_decision_can_no_longer_change(admin, application):
    DecisionFactory(application=application, outcome="reject", amount_minor=None, released_at=utcnow())
    application.status = ApplicationStatus.REJECTED
    _db.session.commit()
    with pytest.raises(InvalidTransition, match="released"):
        decide(admin, application)
    _db.session.rollback()
    assert _db.session.scalar(select(Decision.outcome)) == "reject"
    assert audit_events("decision.changed") == []


@pytest.mark.parametrize("status", [ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
def test_drafts_and_withdrawn_applications_cannot_be_decided(admin, call, status):
    application = ApplicationFactory(call=call, status=status)
    with pytest.raises(InvalidTransition):
        decide(admin, application)


def test_only_admins_decide(call, application):
    for user in (UserFactory(roles=["reviewer"]), MembershipFactory(organisation=application.organisation).user):
        with pytest.raises(PermissionDenied):
            decide(user, application)
    assert _db.session.scalar(select(func.count(Decision.id))) == 0


def test_an_unknown_application_is_not_found(admin, db):
    with pytest.raises(NotFound):
        decide_application(admin, 987654, DecisionInput.from_input(
            {"outcome": "reject", "feedback": FEEDBACK, "rationale": RATIONALE}, currency="USD"))
