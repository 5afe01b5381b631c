"""Linking a full-proposal call to its concept-note call, and undoing it: every refusal named, every change audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.stages.links import StageLinkInput, concept_call_candidates, link_stages, unlink_stages
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    DecisionFactory,
    ProgrammeFactory,
    UserFactory,
    reviewed_application,
)


@pytest.fixture()
def pair(db):
    programme = ProgrammeFactory()
    concept = CallFactory(programme=programme, title="Concept notes", closes_at=utcnow() + timedelta(days=5))
    full = CallFactory(programme=programme, title="Full proposals", closes_at=utcnow() + timedelta(days=60))
    return concept, full


def link(admin, full, **values):
    data = {"concept_call_id": "", "margin_percent": "", **values}
    call = link_stages(admin, full.id, StageLinkInput.from_input(data))
    _db.session.commit()
    return call


def refusal(admin, full, **values) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        link(admin, full, **values)
    _db.session.rollback()
    return {name: " ".join(str(m) for m in messages) for name, messages in refused.value.errors.items()}


def test_a_call_becomes_the_full_proposal_stage_of_an_earlier_call_of_its_programme(admin, pair):
    concept, full = pair
    assert concept_call_candidates(full) == [concept]
    link(admin, full, concept_call_id=str(concept.id), margin_percent="15")
    assert (full.concept_call_id, full.concept_margin_percent) == (concept.id, 15)
    assert concept.is_concept_stage and concept.full_call.id == full.id
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.stages_linked"))
    assert (event.object_id, event.before, event.after["concept_call_id"], event.actor_id) == (
        full.id, {"concept_call_id": None, "concept_margin_percent": None}, concept.id, admin.id)
    # Saving the same again changes (and audits) nothing.
    link(admin, full, concept_call_id=str(concept.id), margin_percent="15")
    assert len(_db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "call.stages_linked")).all()) == 1


def test_the_margin_may_be_left_empty_but_must_be_a_whole_percentage(admin, pair):
    concept, full = pair
    link(admin, full, concept_call_id=str(concept.id))
    assert full.concept_margin_percent is None
    for typed in ("abc", "101", "-1", "7.5"):
        assert "whole percentage from 0 to 100" in refusal(admin, full, concept_call_id=str(concept.id),
                                                           margin_percent=typed)["margin_percent"]


def test_a_concept_note_call_must_be_chosen_and_be_of_the_programme_and_close_earlier(admin, pair):
    concept, full = pair
    assert refusal(admin, full)["concept_call_id"] == "Choose the concept-note call."
    elsewhere = CallFactory(closes_at=utcnow() + timedelta(days=1))
    assert "Choose a call of the programme" in refusal(admin, full, concept_call_id=str(elsewhere.id))[
        "concept_call_id"]
    assert "Choose a call of the programme" in refusal(admin, full, concept_call_id="999999")["concept_call_id"]
    assert "cannot be its own" in refusal(admin, full, concept_call_id=str(full.id))["concept_call_id"]
    later = CallFactory(programme=full.programme, title="Later", closes_at=full.closes_at + timedelta(days=1))
    message = refusal(admin, full, concept_call_id=str(later.id))["concept_call_id"]
    assert "must close before this one" in message and "“Later” closes on" in message
    assert full.concept_call_id is None


def test_a_call_is_a_stage_of_one_pair_only(admin, pair):
    concept, full = pair
    link(admin, full, concept_call_id=str(concept.id))
    other_full = CallFactory(programme=full.programme, title="Other full", closes_at=full.closes_at)
    assert "already the concept-note stage of “Full proposals”" in refusal(
        admin, other_full, concept_call_id=str(concept.id))["concept_call_id"]
    # The concept-note call cannot have a concept-note stage of its own, nor a full call be one.
    earlier = CallFactory(programme=full.programme, closes_at=utcnow() + timedelta(days=1))
    assert "is the concept-note stage of “Full proposals”" in refusal(
        admin, concept, concept_call_id=str(earlier.id))["concept_call_id"]
    assert "is itself the full-proposal stage" in refusal(
        admin, other_full, concept_call_id=str(full.id))["concept_call_id"]
    assert concept_call_candidates(other_full) == [earlier]


def test_a_call_that_awarded_cannot_become_a_concept_note_stage(admin, pair):
    concept, full = pair
    DecisionFactory(application=reviewed_application(concept, reviews=0))
    assert "already has award or waitlist decisions" in refusal(
        admin, full, concept_call_id=str(concept.id))["concept_call_id"]


def test_with_applications_the_concept_note_call_is_fixed_and_after_submissions_the_margin(admin, pair):
    concept, full = pair
    other = CallFactory(programme=full.programme, closes_at=utcnow() + timedelta(days=2))
    ApplicationFactory(call=full)  # a draft pins the concept-note call
    assert "already has applications" in refusal(admin, full, concept_call_id=str(concept.id))["concept_call_id"]
    full.concept_call_id = concept.id
    _db.session.commit()
    link(admin, full, concept_call_id=str(concept.id), margin_percent="10")  # the margin may still change
    assert "already has applications" in refusal(admin, full, concept_call_id=str(other.id))["concept_call_id"]
    ApplicationFactory(call=full, submitted=True)
    assert "submitted under the current margin" in refusal(admin, full, concept_call_id=str(concept.id),
                                                           margin_percent="20")["margin_percent"]
    assert full.concept_margin_percent == 10


def test_a_call_in_review_changes_only_with_a_reason(admin, pair):
    concept, full = pair
    concept.closes_at = utcnow() - timedelta(days=30)
    full.closes_at = utcnow() - timedelta(days=1)
    _db.session.commit()
    assert "say why" in refusal(admin, full, concept_call_id=str(concept.id))["reason"]
    link(admin, full, concept_call_id=str(concept.id), reason="The programme board chose two stages.")
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.stages_linked"))
    assert event.after["reason"] == "The programme board chose two stages."


def test_only_admins_link_calls(pair):
    concept, full = pair
    with pytest.raises(PermissionDenied):
        link(UserFactory(roles=["reviewer"]), full, concept_call_id=str(concept.id))


def test_unlinking_is_allowed_only_while_nothing_hangs_on_the_link(admin, pair):
    concept, full = pair
    with pytest.raises(InvalidTransition, match="no concept-note stage"):
        unlink_stages(admin, full.id)
    link(admin, full, concept_call_id=str(concept.id), margin_percent="10")
    note = reviewed_application(concept, reviews=0)
    DecisionFactory(application=note, outcome="shortlist", amount_minor=None)
    with pytest.raises(InvalidTransition, match="have been shortlisted"):
        unlink_stages(admin, full.id)
    _db.session.rollback()
    _db.session.delete(_db.session.get(type(note), note.id))
    application = ApplicationFactory(call=full)
    with pytest.raises(InvalidTransition, match="has applications"):
        unlink_stages(admin, full.id)
    _db.session.rollback()
    _db.session.delete(_db.session.get(type(application), application.id))
    _db.session.commit()

    unlink_stages(admin, full.id)
    _db.session.commit()
    assert (full.concept_call_id, full.concept_margin_percent, concept.is_concept_stage) == (None, None, False)
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.stages_unlinked"))
    assert event.before == {"concept_call_id": concept.id, "concept_margin_percent": 10}
