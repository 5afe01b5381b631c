"""Shortlisting on a concept-note call: the outcomes each call decides, and what releasing a shortlist starts."""

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.services.decisions import DecisionInput, decide_application, outcomes_for
from cade.awards.services.release import release_decisions, release_preview
from cade.core.audit import AuditEvent
from cade.core.errors import ValidationFailed
from cade.extensions import db as _db
from cade.notifications.rendering import render_notification
from cade.stages.invitations import on_decisions_released
from cade.accounts.models import User
from tests.concurrency import run_side_by_side
from tests.factories import CallFactory, DecisionFactory, UserFactory, reviewed_application
from tests.stages.conftest import opens_later


def decide(admin, note, outcome, feedback="Well argued."):
    decision = decide_application(admin, note.id, DecisionInput.from_input(
        {"outcome": outcome, "feedback": feedback, "rationale": "Panel view."}, currency="USD"))
    _db.session.commit()
    return decision


def test_a_concept_note_call_shortlists_or_rejects_and_other_calls_never_shortlist(stages):
    assert outcomes_for(stages.concept) == ("shortlist", "reject")
    assert outcomes_for(stages.full) == ("award", "waitlist", "reject")
    assert outcomes_for(CallFactory()) == ("award", "waitlist", "reject")


def test_shortlisting_holds_nothing_against_the_envelope(stages):
    note, _owner = stages.concept_note("Kijiji Mesh")
    decision = decide(stages.admin, note, "shortlist")
    assert (decision.outcome, decision.amount_minor) == ("shortlist", None)
    assert release_preview(stages.concept.id).by_outcome == {"shortlist": 1}


def test_an_award_on_a_concept_note_call_is_refused_by_name(stages):
    note, _owner = stages.concept_note("Kijiji Mesh")
    with pytest.raises(ValidationFailed) as refused:
        decide_application(stages.admin, note.id, DecisionInput.from_input(
            {"outcome": "award", "amount": "20000", "feedback": "Yes.", "rationale": "Panel."}, currency="USD"))
    assert "shortlist the concept note or reject it" in str(refused.value.errors["outcome"][0])
    assert "amount" not in refused.value.errors  # the amount is not what is wrong
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Application).where(
        Application.status == ApplicationStatus.SHORTLISTED)) == 0


def test_shortlisting_on_an_ordinary_call_is_refused(db, admin):
    call = CallFactory(closed=True, reviews_required=0)
    application = reviewed_application(call, reviews=0)
    with pytest.raises(ValidationFailed) as refused:
        decide(admin, application, "shortlist")
    assert "Only the concept-note stage of a two-stage call shortlists" in str(refused.value.errors["outcome"][0])


def _release(stages):
    count = release_decisions(stages.admin, stages.concept.id)
    _db.session.commit()
    return count


def _full_proposals(stages):
    return _db.session.scalars(select(Application).where(Application.call_id == stages.full.id)
                               .order_by(Application.id)).all()


def test_releasing_the_shortlist_starts_each_full_proposal_from_its_concept_note(stages, outbox):
    kijiji, kijiji_owner = stages.concept_note("Kijiji Mesh", amount_minor=20_000_00, members=2)
    andes, _andes_owner = stages.concept_note("Andes Link", amount_minor=30_000_00)
    decide(stages.admin, kijiji, "shortlist", feedback="Bring quotes for the radios.")
    decide(stages.admin, andes, "reject", feedback="Outside the call's focus.")

    assert _release(stages) == 2
    assert (kijiji.status, andes.status) == (ApplicationStatus.SHORTLISTED, ApplicationStatus.REJECTED)
    [full] = _full_proposals(stages)
    assert (full.organisation_id, full.status, full.concept_application_id) == (
        kijiji.organisation_id, ApplicationStatus.DRAFT, kijiji.id)
    assert full.created_by_id == kijiji_owner.id
    assert (full.title, full.summary, full.requested_amount_minor) == (
        "Concept: Kijiji Mesh", "Summary of Kijiji Mesh.", 20_000_00)
    assert [(line.category, line.description, line.amount_minor) for line in full.budget_lines] == [
        ("equipment", "Radios", 20_000_00)]
    answers = {answer.question.label: answer.text for answer in full.answers}
    # Same label and kind: carried; a question the full call does not ask, or a file: not.
    assert answers == {"Describe the network you will build.": "Mesh network of Kijiji Mesh.",
                       "What stage is the network at?": "Pilot"}
    started = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "application.started",
                                                          AuditEvent.object_id == full.id))
    assert started.after["concept_application_id"] == kijiji.id

    invited = outbox("stages.invited")
    assert sorted(row.recipient_id for row in invited) == sorted(
        m.user_id for m in kijiji.organisation.memberships)
    context = invited[0].context
    assert (context["application_id"], context["call_title"], context["margin_percent"]) == (
        full.id, "Full proposals 2026", 10)
    assert context["deadline"]["zone"] == stages.full.timezone and context["opens"] is None
    subject, text, _html = render_notification(invited[0])
    assert subject == "Invitation to submit a full proposal: Full proposals 2026"
    assert "was shortlisted" in text and f"/applications/{full.id}/edit" in text
    # Both outcomes go out with their feedback, the shortlist worded as such.
    released = {row.context["outcome"]: row for row in outbox("awards.decision_released")}
    assert set(released) == {"shortlist", "reject"}
    _subject, text, _html = render_notification(released["shortlist"])
    assert "has been shortlisted" in text and "Bring quotes for the radios." in text
    _subject, text, _html = render_notification(released["reject"])
    assert "has not been shortlisted" in text and "selected for funding" not in text


def test_a_second_release_or_a_second_run_of_the_hook_starts_nothing_more(stages, outbox):
    note, _owner = stages.concept_note("Kijiji Mesh")
    decision = decide(stages.admin, note, "shortlist")
    assert _release(stages) == 1
    assert _release(stages) == 0
    on_decisions_released([decision])  # the hook itself, again
    _db.session.commit()
    assert len(_full_proposals(stages)) == 1
    assert len(outbox("stages.invited")) == 1


def test_an_organisation_that_already_applied_to_the_full_call_keeps_its_application(stages, outbox):
    note, owner = stages.concept_note("Kijiji Mesh")
    own = Application(call=stages.full, organisation_id=note.organisation_id, created_by_id=owner.id,
                      status=ApplicationStatus.DRAFT, title="Our own start", summary="")
    _db.session.add(own)
    _db.session.commit()
    decide(stages.admin, note, "shortlist")
    _release(stages)
    assert [a.title for a in _full_proposals(stages)] == ["Our own start"]
    assert outbox("stages.invited") == []


def test_a_full_call_not_open_yet_still_gets_the_draft_and_the_message_says_when_it_opens(stages, outbox):
    opens_later(stages.full, days=5)
    note, _owner = stages.concept_note("Kijiji Mesh")
    decide(stages.admin, note, "shortlist")
    _release(stages)
    [full] = _full_proposals(stages)
    assert full.status == ApplicationStatus.DRAFT
    [message] = outbox("stages.invited")
    assert message.context["opens"]["zone"] == stages.full.timezone
    assert "The call opens on" in render_notification(message)[1]


def test_releasing_an_ordinary_calls_decisions_starts_nothing(db, admin, outbox):
    call = CallFactory(closed=True)
    DecisionFactory(application=reviewed_application(call, reviews=0, members=1), amount_minor=10_000_00)
    release_decisions(admin, call.id)
    _db.session.commit()
    assert outbox("stages.invited") == []


def test_two_admins_releasing_the_shortlist_at_once_start_one_full_proposal(app, stages, outbox):
    note, _owner = stages.concept_note("Kijiji Mesh")
    decide(stages.admin, note, "shortlist")
    other = UserFactory(roles=["admin"])
    admin_ids, call_id, counts = (stages.admin.id, other.id), stages.concept.id, []

    def releaser(user_id):
        def action():
            counts.append(release_decisions(_db.session.get(User, user_id), call_id))
        return action

    outcomes = run_side_by_side(app, [releaser(admin_id) for admin_id in admin_ids], pause_after="from calls")
    assert outcomes == ["done", "done"] and sorted(counts) == [0, 1]
    _db.session.expire_all()
    assert len(_full_proposals(stages)) == 1 and len(outbox("stages.invited")) == 1
