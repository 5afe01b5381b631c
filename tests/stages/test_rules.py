"""Who may apply to a full-proposal call, and the full proposal checked against its concept note at submission."""

import pytest
from sqlalchemy import select

from cade.applications import services
from cade.applications.constants import ApplicationStatus
from cade.applications.eligibility import check_eligibility
from cade.applications.models import Application
from cade.applications.services import DraftInput
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.awards.services.release import release_decisions
from cade.core.errors import NotEligible, ValidationFailed
from cade.extensions import db as _db
from cade.stages.completeness import concept_margin_completeness
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture()
def released(stages):
    """Kijiji Mesh shortlisted (concept note 20,000 USD, its full proposal started), Andes Link rejected."""
    kijiji, owner = stages.concept_note("Kijiji Mesh", amount_minor=20_000_00)
    andes, andes_owner = stages.concept_note("Andes Link")
    for note, outcome in ((kijiji, "shortlist"), (andes, "reject")):
        decide_application(stages.admin, note.id, DecisionInput.from_input(
            {"outcome": outcome, "feedback": "Feedback.", "rationale": "Panel."}, currency="USD"))
    release_decisions(stages.admin, stages.concept.id)
    _db.session.commit()
    full = _db.session.scalar(select(Application).where(Application.call_id == stages.full.id))
    return {"full": full, "owner": owner, "kijiji": kijiji, "andes": andes, "andes_owner": andes_owner}


def complete(owner, full, amount: str):
    """Fill what the concept note did not carry, at `amount` (its budget line too), as the edit page saves it."""
    question = next(q for q in full.call.questions if q.label == "How will the network pay for itself?")
    services.save_draft(owner, full.id, DraftInput.from_input({
        "requested_amount": amount, "answers": {str(question.id): "Monthly fees of 5 USD."},
        "budget_lines": [{"category": "equipment", "description": "Radios", "amount": amount}]}, currency="USD"))
    _db.session.commit()


def test_only_organisations_shortlisted_in_the_concept_stage_may_apply(stages, released):
    andes = released["andes"]
    with pytest.raises(NotEligible) as refused:
        services.start_application(released["andes_owner"], stages.full.id, andes.organisation_id)
    assert refused.value.params["reasons"] == [
        "Only organisations whose concept note to “Concept notes 2026” was shortlisted may apply to this call."]
    newcomer = OrganisationFactory(name="Never applied")
    user = UserFactory()
    MembershipFactory(user=user, organisation=newcomer)
    assert check_eligibility(stages.full, newcomer) != []
    # The shortlisted organisation is eligible, and starting hands back the draft made at release.
    kijiji = released["kijiji"]
    assert check_eligibility(stages.full, kijiji.organisation) == []
    assert services.start_application(released["owner"], stages.full.id, kijiji.organisation_id).id == \
        released["full"].id
    # Nothing changes for a call of one stage.
    assert check_eligibility(CallFactory(), newcomer) == []


def test_a_full_proposal_within_the_margin_is_submitted(stages, released):
    full, owner = released["full"], released["owner"]
    complete(owner, full, "22000")  # +10 %, the bound itself
    submitted = services.submit_application(owner, full.id)
    _db.session.commit()
    assert submitted.status == ApplicationStatus.SUBMITTED and submitted.reference == "CN-FULL-0001"


@pytest.mark.parametrize("amount,inside", [("18000", True), ("17999.99", False), ("22000.01", False)])
def test_the_margin_includes_its_bounds_to_the_cent(stages, released, amount, inside):
    full = released["full"]
    complete(released["owner"], full, amount)
    assert (concept_margin_completeness(full) == {}) is inside


def test_a_full_proposal_outside_the_margin_is_refused_naming_both_amounts_and_the_draft_is_kept(stages, released):
    full, owner = released["full"], released["owner"]
    complete(owner, full, "23000")
    with pytest.raises(ValidationFailed) as refused:
        services.submit_application(owner, full.id)
    _db.session.rollback()
    [message] = refused.value.errors["requested_amount"]
    assert message == ("You request $23,000.00, but your concept note requested $20,000.00 and the call allows the "
                       "full proposal to differ from it by at most 10 %: request from $18,000.00 to $22,000.00.")
    _db.session.expire_all()
    full = _db.session.get(Application, full.id)
    assert (full.status, full.requested_amount_minor, full.reference) == (ApplicationStatus.DRAFT, 23_000_00, None)


def test_without_a_margin_any_amount_within_the_calls_bounds_goes(stages, released):
    stages.full.concept_margin_percent = None
    _db.session.commit()
    complete(released["owner"], released["full"], "35000")
    assert concept_margin_completeness(released["full"]) == {}


def test_a_draft_started_again_after_withdrawing_is_still_held_to_its_concept_note(stages, released):
    full, owner = released["full"], released["owner"]
    services.withdraw_application(owner, full.id)
    _db.session.commit()
    again = services.start_application(owner, stages.full.id, full.organisation_id)
    _db.session.commit()
    assert again.id != full.id and again.concept_application_id is None
    complete(owner, again, "30000")
    assert "your concept note requested $20,000.00" in concept_margin_completeness(again)["requested_amount"][0]


def test_an_organisation_turned_away_is_shown_the_calls_open_now(stages, released):
    from cade.stages.eligibility import ShortlistedRule

    rule, andes = ShortlistedRule(), released["andes"].organisation
    assert [remedy.endpoint for remedy in rule.remedies(stages.full, andes)] == ["programmes.index"]
    assert rule.remedies(stages.full, released["kijiji"].organisation) == []
    assert rule.remedies(CallFactory(), andes) == []
