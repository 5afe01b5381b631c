"""A call's kept award figures (issue 18): always what a recomputation from its decisions gives, whatever the path.

Decisions are made, changed, released, accepted, declined, lapsed and made
again from the waiting list through the real services, one step at a time;
after each step the kept row must equal the figures `award_figures` computes
afresh from the decisions, and say what a reader of the ranking expects.
"""

from datetime import timedelta

import pytest

from cade.awards.models import CallAwardFigures
from cade.awards.services import offers
from cade.awards.services.decisions import DecisionInput, decide_application, decision_for
from cade.awards.services.figures import award_figures, kept_award_figures
from cade.awards.services.release import release_decisions, unreleased_decision_count
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, reviewed_application
from tests.querycount import count_statements


class Desk:
    """A call and three applications from Kenya (civil society), Brazil (academia) and Kenya (academia)."""

    def __init__(self, admin):
        self.admin = admin
        self.call = CallFactory(closed=True, budget_envelope_minor=100_000_00, reviews_required=0)
        self.kenya = self.application("KE", "civil_society")
        self.brazil = self.application("BR", "academia")
        self.kenya_academia = self.application("KE", "academia")
        _db.session.commit()

    def application(self, country, group):
        organisation = OrganisationFactory(country=country, stakeholder_group=group)
        MembershipFactory(organisation=organisation, role="owner")
        return reviewed_application(self.call, reviews=0, organisation=organisation, requested_amount_minor=50_000_00)

    def decide(self, application, outcome, amount=None):
        decide_application(self.admin, application.id, DecisionInput.from_input(
            {"outcome": outcome, "amount": amount, "feedback": "Thank you.", "rationale": "As ranked."},
            currency=self.call.currency))
        _db.session.commit()

    def kept(self) -> CallAwardFigures:
        _db.session.expire_all()
        kept = kept_award_figures(self.call.id)
        fresh = award_figures(self.call.id)
        assert (kept.waiting_count, kept.by_region, kept.by_stakeholder_group) == (
            fresh.waiting_count, fresh.by_region, fresh.by_stakeholder_group)
        return kept


def _decision_of(application):
    return decision_for(application.id)


def _owner(application):
    return next(m.user for m in application.organisation.memberships if m.role == "owner")


@pytest.fixture()
def desk(db, admin):
    return Desk(admin)


def test_a_call_without_decisions_has_nothing_kept(desk):
    kept = desk.kept()

    assert (kept.waiting_count, kept.by_region, kept.by_stakeholder_group) == (0, {}, {})


def test_deciding_and_changing_decisions_keeps_the_shares_and_the_waiting_count(desk):
    desk.decide(desk.kenya, "award", "20000")
    assert (desk.kept().by_region, desk.kept().waiting_count) == ({"002": 20_000_00}, 1)

    desk.decide(desk.brazil, "award", "10000")
    desk.decide(desk.kenya_academia, "waitlist")
    kept = desk.kept()
    assert kept.by_region == {"002": 20_000_00, "019": 10_000_00}
    assert kept.by_stakeholder_group == {"civil_society": 20_000_00, "academia": 10_000_00}
    assert kept.waiting_count == 3 == unreleased_decision_count(desk.call.id)

    desk.decide(desk.kenya, "award", "5000")  # a changed amount
    desk.decide(desk.brazil, "reject")  # an award no longer
    kept = desk.kept()
    assert kept.by_region == {"002": 5_000_00}
    assert kept.by_stakeholder_group == {"civil_society": 5_000_00}
    assert kept.waiting_count == 3


def test_release_answers_and_the_waiting_list_keep_the_figures(desk):
    desk.decide(desk.kenya, "award", "20000")
    desk.decide(desk.brazil, "award", "10000")
    desk.decide(desk.kenya_academia, "waitlist")
    release_decisions(desk.admin, desk.call.id)
    _db.session.commit()
    kept = desk.kept()
    assert (kept.waiting_count, kept.by_region) == (0, {"002": 20_000_00, "019": 10_000_00})

    offers.accept_offer(_owner(desk.kenya), _decision_of(desk.kenya).id, offers.AcceptOfferInput.from_input(
        {"signatory_name": "O. Owner", "signatory_position": "Director",
         "confirmation": desk.kenya.organisation.name}))
    _db.session.commit()
    assert desk.kept().by_region == {"002": 20_000_00, "019": 10_000_00}  # an accepted offer still holds its money

    offers.decline_offer(_owner(desk.brazil), _decision_of(desk.brazil).id,
                         offers.DeclineOfferInput.from_input({"reason": "We found other funding."}))
    _db.session.commit()
    assert desk.kept().by_region == {"002": 20_000_00}  # its money is free again

    offers.award_waitlisted(desk.admin, desk.kenya_academia.id, offers.AwardWaitlistedInput.from_input(
        {"amount": "30000", "feedback": "Funds freed up."}, currency=desk.call.currency))
    _db.session.commit()
    kept = desk.kept()
    assert kept.by_region == {"002": 50_000_00}
    assert kept.by_stakeholder_group == {"civil_society": 20_000_00, "academia": 30_000_00}

    offers.lapse_offers(now=utcnow() + timedelta(days=365))  # the waiting list's offer was never answered
    _db.session.commit()
    kept = desk.kept()
    assert (kept.by_region, kept.by_stakeholder_group) == ({"002": 20_000_00}, {"civil_society": 20_000_00})


def test_keeping_runs_a_fixed_number_of_statements_whatever_the_decisions(desk):
    desk.decide(desk.kenya, "award", "20000")
    _, one = count_statements(lambda: desk.decide(desk.brazil, "award", "10000"))
    _, again = count_statements(lambda: desk.decide(desk.kenya_academia, "award", "10000"))

    assert one == again
