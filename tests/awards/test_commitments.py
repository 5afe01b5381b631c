"""The amount committed in a call: one definition that the envelope check and the ranking both ask."""

import pytest

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionStatus
from cade.awards.services import commitments
from cade.awards.services.commitments import committed_total
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.awards.services.figures import keep_award_figures
from cade.awards.services.ranking import rank_call
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.factories import CallFactory, DecisionFactory, OrganisationFactory, reviewed_application


@pytest.fixture()
def call(db):
    """Envelope 50,000.00; awards 5,000.00 to 40,000.00; no review required, so deciding needs no override."""
    return CallFactory(closed=True, budget_envelope_minor=50_000_00, min_award_minor=5_000_00,
                       max_award_minor=40_000_00, reviews_required=0)


def application(call, region_country="KE", **kwargs):
    organisation = OrganisationFactory(country=region_country)
    return reviewed_application(call, reviews=0, organisation=organisation, requested_amount_minor=40_000_00,
                                **kwargs)


def test_awards_commit_their_amount_released_or_not_and_nothing_else_does(call):
    DecisionFactory(application=application(call), amount_minor=20_000_00)
    DecisionFactory(application=application(call), amount_minor=15_000_00, released_at=utcnow())
    DecisionFactory(application=application(call), outcome="waitlist", amount_minor=None)
    DecisionFactory(application=application(call), outcome="reject", amount_minor=None, released_at=utcnow())
    DecisionFactory(application=application(CallFactory(closed=True)), amount_minor=30_000_00)  # another call
    assert committed_total(call.id) == 35_000_00
    assert committed_total(CallFactory().id) == 0


def test_one_application_s_award_can_be_left_out(call):
    first = DecisionFactory(application=application(call), amount_minor=20_000_00)
    DecisionFactory(application=application(call), amount_minor=15_000_00)
    assert committed_total(call.id, except_application_id=first.application_id) == 15_000_00


def test_the_ranking_and_the_envelope_check_agree_on_what_is_committed(admin, call):
    DecisionFactory(application=application(call), amount_minor=20_000_00)
    DecisionFactory(application=application(call, region_country="BR"), amount_minor=15_000_00,
                    released_at=utcnow())
    ranking = rank_call(call.id)
    assert ranking.awarded_minor == committed_total(call.id) == 35_000_00
    assert ranking.remaining_minor == 15_000_00
    assert sum(share.amount_minor for share in ranking.region_shares) == 35_000_00


def test_money_a_status_stops_committing_is_free_again_for_the_ranking_and_for_deciding(admin, call, monkeypatch):
    """What a declined offer will do: once its status leaves COMMITTING_STATUSES, every reader frees the money."""
    DecisionFactory(application=application(call), amount_minor=40_000_00, released_at=utcnow())
    waiting = application(call, status=ApplicationStatus.UNDER_REVIEW)
    assert rank_call(call.id).remaining_minor == 10_000_00

    monkeypatch.setattr(commitments, "COMMITTING_STATUSES", (DecisionStatus.DECIDED,))
    keep_award_figures(call.id)  # as the service that moves the status does (decline_offer, lapse_offers)
    assert committed_total(call.id) == 0
    ranking = rank_call(call.id)
    assert (ranking.awarded_minor, ranking.remaining_minor, ranking.region_shares) == (0, 50_000_00, [])
    decision = decide_application(admin, waiting.id, DecisionInput.from_input(
        {"outcome": "award", "amount": "40000", "feedback": "Funded.", "rationale": "Money freed."},
        currency=call.currency))
    _db.session.commit()
    assert decision.amount_minor == 40_000_00 and committed_total(call.id) == 40_000_00
