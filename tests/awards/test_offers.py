"""The award offer: released with a deadline and a fixed rate, accepted or declined by an owner, once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services import offers
from cade.awards.services.commitments import committed_total
from cade.awards.services.release import release_decisions
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.rates import ExchangeRate
from cade.extensions import db as _db
from cade.notifications.models import Notification
from tests.concurrency import run_side_by_side
from tests.factories import (
    CallFactory,
    DecisionFactory,
    MembershipFactory,
    ProgrammeFactory,
    UserFactory,
    reviewed_application,
)


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh networks 2026", budget_envelope_minor=50_000_00)


@pytest.fixture()
def offer(admin, call):
    """A released award of 20,000.00 USD, its organisation with an owner and a plain member."""
    application = reviewed_application(call, reviews=0, members=1, title="Solar mesh")
    MembershipFactory(organisation=application.organisation, role="owner", user__name="Olga Owner")
    DecisionFactory(application=application, amount_minor=20_000_00)
    release_decisions(admin, call.id)
    _db.session.commit()
    return _db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def _owner(decision, role="owner"):
    return next(m.user for m in decision.application.organisation.memberships if m.role == role)


def _accept_input(decision, **overrides):
    data = {"signatory_name": "Olga Owner", "signatory_position": "Director",
            "confirmation": decision.application.organisation.name.upper()}
    return offers.AcceptOfferInput.from_input({**data, **overrides})


def test_release_opens_the_offer_with_a_deadline_from_config(app, offer):
    days = app.config["OFFER_ACCEPTANCE_DAYS"]
    assert days == 30
    assert offer.status == DecisionStatus.RELEASED
    assert abs(offer.offer_deadline_at - (offer.released_at + timedelta(days=days))) < timedelta(seconds=1)


def test_an_owner_accepts_with_signatory_and_confirmation_and_it_is_audited(offer, outbox, admin):
    owner = _owner(offer)
    offers.accept_offer(owner, offer.id, _accept_input(offer))
    _db.session.commit()
    decision = _db.session.get(Decision, offer.id, populate_existing=True)
    assert decision.status == DecisionStatus.ACCEPTED
    assert (decision.accepted_by_id, decision.signatory_name, decision.signatory_position) == (
        owner.id, "Olga Owner", "Director")
    assert decision.accepted_at is not None
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "decision.accepted")).all()
    assert (event.object_id, event.actor_id, event.before["status"], event.after["status"]) == (
        offer.id, owner.id, "released", "accepted")
    assert event.after["signatory_name"] == "Olga Owner"
    assert [m.recipient_id for m in outbox("awards.offer_accepted")] == [admin.id]
    assert committed_total(offer.call_id) == 20_000_00  # an accepted offer still holds its money


def test_a_plain_member_is_refused_and_a_stranger_finds_nothing(offer):
    with pytest.raises(PermissionDenied) as refused:
        offers.accept_offer(_owner(offer, "member"), offer.id, _accept_input(offer))
    assert "owner" in str(refused.value).lower()
    stranger = MembershipFactory(role="owner").user
    with pytest.raises(NotFound):
        offers.accept_offer(stranger, offer.id, _accept_input(offer))
    with pytest.raises(NotFound):
        offers.decline_offer(stranger, offer.id, offers.DeclineOfferInput.from_input({"reason": "No."}))
    assert _db.session.get(Decision, offer.id).status == DecisionStatus.RELEASED


def test_accepting_needs_signatory_position_and_the_right_confirmation(offer):
    owner = _owner(offer)
    with pytest.raises(ValidationFailed) as missing:
        offers.AcceptOfferInput.from_input({"signatory_name": " ", "signatory_position": "", "confirmation": ""})
    assert set(missing.value.errors) == {"signatory_name", "signatory_position", "confirmation"}
    with pytest.raises(ValidationFailed) as wrong:
        offers.accept_offer(owner, offer.id, _accept_input(offer, confirmation="Some other organisation"))
    assert "confirmation" in wrong.value.errors
    assert offer.application.organisation.name in str(wrong.value.errors["confirmation"][0])


def test_accepting_after_the_deadline_is_refused_naming_the_deadline_in_the_call_s_zone(offer):
    offer.offer_deadline_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    with pytest.raises(DeadlinePassed) as late:
        offers.accept_offer(_owner(offer), offer.id, _accept_input(offer))
    assert "Africa/Nairobi" in str(late.value) or "EAT" in str(late.value) or "GMT+3" in str(late.value)
    assert _db.session.get(Decision, offer.id).status == DecisionStatus.RELEASED


def test_accepting_twice_says_already_accepted(offer):
    owner = _owner(offer)
    offers.accept_offer(owner, offer.id, _accept_input(offer))
    _db.session.commit()
    with pytest.raises(InvalidTransition) as again:
        offers.accept_offer(owner, offer.id, _accept_input(offer))
    assert "already been accepted" in str(again.value)


def test_two_owners_at_once_make_one_acceptance(app, offer):
    second = MembershipFactory(organisation=offer.application.organisation, role="owner").user
    owners = [_owner(offer).id, second.id]
    decision_id, confirmation = offer.id, offer.application.organisation.name
    _db.session.commit()

    def accept(user_id):
        def action():
            user = _db.session.get(type(second), user_id)
            offers.accept_offer(user, decision_id, offers.AcceptOfferInput.from_input(
                {"signatory_name": "A", "signatory_position": "B", "confirmation": confirmation}))
        return action

    outcomes = run_side_by_side(app, [accept(owners[0]), accept(owners[1])], pause_after="from decisions")
    assert sorted(str(o) for o in outcomes).count("done") == 1
    [refused] = [o for o in outcomes if o != "done"]
    assert isinstance(refused, InvalidTransition) and "already been accepted" in str(refused)
    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "decision.accepted")).all()
    assert len(events) == 1


def test_the_acceptance_hooks_run_once_inside_the_transaction(offer):
    seen = []

    def hook(decision):
        # Inside the transaction: the row already says accepted, and the hook's own writes go with it.
        seen.append((decision.id, _db.session.scalar(select(Decision.status).where(Decision.id == decision.id))))
        _db.session.add(Notification(kind="test.hook", recipient_email="hook@example.org", locale="en",
                                     context={}, idempotency_key=f"hook:{decision.id}"))

    offers.acceptance_hooks.append(hook)
    try:
        offers.accept_offer(_owner(offer), offer.id, _accept_input(offer))
        _db.session.rollback()  # the boundary gives up: the hook's work goes too
        assert seen == [(offer.id, "accepted")]
        assert _db.session.scalar(select(Notification).where(Notification.kind == "test.hook")) is None
        assert _db.session.get(Decision, offer.id, populate_existing=True).status == DecisionStatus.RELEASED
        with pytest.raises(PermissionDenied):
            offers.accept_offer(_owner(offer, "member"), offer.id, _accept_input(offer))
        assert len(seen) == 1  # a refused acceptance calls no hook
    finally:
        offers.acceptance_hooks.remove(hook)


def test_declining_needs_a_reason_frees_the_money_and_proposes_the_first_waitlisted(admin, call, offer, outbox):
    # Two waitlisted applications: the better ranked is proposed.
    low = reviewed_application(call, reviews=0, title="Low", status="waitlisted")
    high = reviewed_application(call, reviews=0, title="High", status="waitlisted")
    DecisionFactory(application=low, outcome="waitlist", amount_minor=None, status="released",
                    released_at=utcnow(), decided_at=utcnow())
    DecisionFactory(application=high, outcome="waitlist", amount_minor=None, status="released",
                    released_at=utcnow(), decided_at=utcnow() - timedelta(days=1))
    _db.session.commit()
    owner = _owner(offer)
    with pytest.raises(ValidationFailed) as no_reason:
        offers.DeclineOfferInput.from_input({"reason": "  "})
    assert "reason" in no_reason.value.errors
    assert committed_total(call.id) == 20_000_00

    offers.decline_offer(owner, offer.id, offers.DeclineOfferInput.from_input({"reason": "We merged."}))
    _db.session.commit()
    decision = _db.session.get(Decision, offer.id, populate_existing=True)
    assert (decision.status, decision.declined_by_id, decision.decline_reason) == (
        DecisionStatus.DECLINED, owner.id, "We merged.")
    assert committed_total(call.id) == 0
    [declined] = outbox("awards.offer_declined")
    assert declined.recipient_id == admin.id
    [proposed] = outbox("awards.waitlist_proposed")
    assert proposed.recipient_id == admin.id
    assert proposed.context["application_id"] in (low.id, high.id)
    assert proposed.context["freed"] == {"minor": 20_000_00, "currency": "USD"}
    with pytest.raises(InvalidTransition):
        offers.accept_offer(owner, offer.id, _accept_input(offer))


def test_the_first_waitlisted_follows_the_ranking_s_score(admin, call, offer, outbox):
    from tests.factories import RubricCriterionFactory

    RubricCriterionFactory(call=call, weight=1, max_score=10)
    low = reviewed_application(call, scores=(3, 4), title="Low", status="waitlisted")
    high = reviewed_application(call, scores=(9, 8), title="High", status="waitlisted")
    for application in (low, high):
        DecisionFactory(application=application, outcome="waitlist", amount_minor=None, status="released",
                        released_at=utcnow())
    _db.session.commit()
    offers.decline_offer(_owner(offer), offer.id, offers.DeclineOfferInput.from_input({"reason": "No."}))
    _db.session.commit()
    [proposed] = outbox("awards.waitlist_proposed")
    assert proposed.context["application_id"] == high.id


def test_the_rate_is_fixed_at_release_and_kept_when_a_new_rate_is_added(admin, db):
    call = CallFactory(closed=True, programme=ProgrammeFactory(currency="EUR"), budget_envelope_minor=50_000_00)
    application = reviewed_application(call, reviews=0, members=1)
    DecisionFactory(application=application, amount_minor=10_000_00)
    _db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.0832"),
                                 rate_date=date.today() - timedelta(days=3), source="ECB"))
    _db.session.commit()
    release_decisions(admin, call.id)
    _db.session.commit()
    decision = _db.session.scalar(select(Decision).where(Decision.application_id == application.id))
    assert (decision.fx_currency, decision.fx_rate, decision.fx_rate_date, decision.fx_source) == (
        "USD", Decimal("1.0832"), date.today() - timedelta(days=3), "ECB")
    _db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.2"),
                                 rate_date=date.today(), source="ECB"))
    owner = MembershipFactory(organisation=application.organisation, role="owner").user
    _db.session.commit()
    offers.accept_offer(owner, decision.id, _accept_input(decision))
    _db.session.commit()
    decision = _db.session.get(Decision, decision.id, populate_existing=True)
    assert (decision.fx_rate, decision.fx_rate_date) == (Decimal("1.0832"), date.today() - timedelta(days=3))


def test_a_missing_rate_leaves_the_fx_empty_and_the_release_goes_through(admin, db):
    call = CallFactory(closed=True, programme=ProgrammeFactory(currency="KES"), budget_envelope_minor=5_000_000_00,
                       min_award_minor=1_00, max_award_minor=4_000_000_00)
    application = reviewed_application(call, reviews=0, members=1)
    DecisionFactory(application=application, amount_minor=1_000_000_00)
    assert release_decisions(admin, call.id) == 1
    _db.session.commit()
    decision = _db.session.scalar(select(Decision).where(Decision.application_id == application.id))
    assert decision.status == DecisionStatus.RELEASED
    assert (decision.fx_currency, decision.fx_rate, decision.fx_rate_date, decision.fx_source) == (None,) * 4
    assert offers.fx_missing(decision)


def test_the_same_currency_needs_no_rate(offer):
    assert offer.fx_rate is None and not offers.fx_missing(offer)


def test_a_waitlisted_application_is_awarded_in_one_action_as_its_own_offer(admin, call, offer, outbox):
    waiting = reviewed_application(call, reviews=2, members=1, title="Village Wi-Fi",
                                   requested_amount_minor=25_000_00, status="waitlisted")
    DecisionFactory(application=waiting, outcome="waitlist", amount_minor=None, status="released",
                    released_at=utcnow())
    _db.session.commit()
    award = offers.AwardWaitlistedInput.from_input({"amount": "40000", "feedback": "Funds came free."},
                                                   currency="USD")
    with pytest.raises(Exception) as too_much:  # over what was requested
        offers.award_waitlisted(admin, waiting.id, award)
    assert "requested" in str(getattr(too_much.value, "errors", too_much.value))
    _db.session.rollback()
    award = offers.AwardWaitlistedInput.from_input({"amount": "25000", "feedback": "Funds came free."},
                                                   currency="USD")
    from cade.core.errors import BudgetExceeded
    with pytest.raises(BudgetExceeded):  # 20,000 + 25,000 is within 50,000... make it not
        call.budget_envelope_minor = 40_000_00
        _db.session.commit()
        offers.award_waitlisted(admin, waiting.id, award)
    _db.session.rollback()
    offers.decline_offer(_owner(offer), offer.id, offers.DeclineOfferInput.from_input({"reason": "No."}))
    decision = offers.award_waitlisted(admin, waiting.id, award)
    _db.session.commit()
    decision = _db.session.get(Decision, decision.id, populate_existing=True)
    assert (decision.outcome, decision.status, decision.amount_minor) == ("award", "released", 25_000_00)
    assert decision.offer_deadline_at > utcnow() + timedelta(days=29)
    assert decision.released_feedback == "Funds came free."
    assert decision.application.status == "awarded"
    assert committed_total(call.id) == 25_000_00
    offered = [m for m in outbox("awards.decision_released") if m.context["application_id"] == waiting.id]
    assert len(offered) == 1 and offered[0].context["outcome"] == "award"
    assert offered[0].context["deadline"] is not None
    # A second click finds it awarded already.
    with pytest.raises(InvalidTransition):
        offers.award_waitlisted(admin, waiting.id, award)
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "decision.awarded_from_waitlist"))


def test_only_admins_award_from_the_waitlist(call, offer):
    with pytest.raises(PermissionDenied):
        offers.award_waitlisted(UserFactory(), offer.application_id, offers.AwardWaitlistedInput.from_input(
            {"amount": "1000", "feedback": "x"}, currency="USD"))


def test_the_offer_e_mail_gives_the_deadline_and_the_answers_reach_the_admins_readably(admin, offer, outbox):
    from cade.notifications.rendering import render_notification

    offered = [m for m in outbox("awards.decision_released") if m.context["application_id"] == offer.application_id]
    subject, text, html = render_notification(offered[0])
    for part in (text, html):
        assert "Please accept or decline the offer by" in part and "(Africa/Nairobi)" in part
        assert f"/applications/{offer.application_id}/decision" in part
    offers.accept_offer(_owner(offer), offer.id, _accept_input(offer))
    _db.session.commit()
    [accepted] = outbox("awards.offer_accepted")
    subject, text, html = render_notification(accepted)
    assert subject.startswith("Offer accepted") and "Olga Owner, Director" in text and "$20,000.00" in html
