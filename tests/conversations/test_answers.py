"""The applicant's answer: only the named fields reopen, a draft keeps everything, sending resumes review."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.services import DraftInput
from cade.applications.services import NotADraft
from cade.applications.services.drafts import save_draft
from cade.conversations.answers import AlreadyAnswered, ResponseInput, answer_clarification, save_answer
from cade.conversations.clarifications import ClarificationClosed, withdraw_clarification
from cade.conversations.constants import ClarificationStatus, MessageSide
from cade.conversations.models import Message
from cade.core.audit import AuditEvent
from cade.core.errors import DeadlinePassed, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from tests.conversations.conftest import ask
from tests.factories import AssignmentFactory, ReviewerProfileFactory

NEW_SUMMARY = "Three villages; the masts are maintained by the cooperative's two technicians."


def _save(actor, clarification, response="The cooperative maintains them.", **fields):
    data = DraftInput.from_input(fields or {"summary": NEW_SUMMARY}, currency="USD")
    save_answer(actor, clarification.id, data, ResponseInput.from_input({"response": response}))
    _db.session.commit()


def test_a_draft_answer_keeps_the_named_fields_and_the_response_and_review_stays_paused(admin, application, owner):
    clarification = ask(admin, application)
    _save(owner, clarification)
    _db.session.expire_all()
    assert application.summary == NEW_SUMMARY
    assert clarification.response == "The cooperative maintains them."
    assert application.status == ApplicationStatus.INFO_REQUESTED
    assert clarification.status == ClarificationStatus.OPEN


def test_a_field_the_request_did_not_name_stays_locked(admin, application, owner):
    clarification = ask(admin, application)
    with pytest.raises(ValidationFailed) as refused:
        _save(owner, clarification, summary=NEW_SUMMARY, title="A new title", requested_amount="1")
    assert set(refused.value.errors) == {"title", "requested_amount"}
    _db.session.rollback()
    _db.session.expire_all()
    assert application.summary == "We will connect three villages."  # nothing of a refused save is kept


def test_the_ordinary_draft_save_does_not_reach_an_application_in_review(admin, application, owner):
    ask(admin, application)
    with pytest.raises(NotADraft):
        save_draft(owner, application.id, DraftInput.from_input({"summary": "sneaky"}, currency="USD"))


def test_sending_the_answer_resumes_review_and_tells_the_admins_and_the_asker(admin, application, owner, call,
                                                                              reviewer, outbox):
    call.reviewers_may_clarify = True
    call.blind_review = True
    _db.session.commit()
    clarification = ask(reviewer, application)
    _save(owner, clarification)
    answer_clarification(owner, clarification.id)
    _db.session.commit()

    _db.session.expire_all()
    # Asked while submitted; a reviewer is assigned, so review resumes under review.
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert clarification.status == ClarificationStatus.ANSWERED
    assert clarification.answered_by_id == owner.id and clarification.answered_at is not None
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "clarification.answered"))
    # The request's own move (CLARIFICATION_MACHINE) is in the same audit row as the fields before and after.
    assert event.before == {"summary": "We will connect three villages.", "status": "open"}
    assert event.after["fields"] == {"summary": NEW_SUMMARY} and event.after["status"] == "answered"
    answer = _db.session.scalars(select(Message).where(Message.side == MessageSide.ORGANISATION)).one()
    assert (answer.clarification_id, answer.body) == (clarification.id, "The cooperative maintains them.")
    told = {row.recipient_id: row for row in outbox("conversations.clarification_answered")}
    assert set(told) == {admin.id, reviewer.id}
    # The call is blind: the reviewer learns the answer, never who gave it.
    assert told[reviewer.id].context["organisation_name"] == ""
    assert told[reviewer.id].context["answered_by_name"] == ""
    assert told[admin.id].context["organisation_name"] == "Mtaani Mesh"


def test_review_resumes_where_it_stood_or_under_review_once_a_reviewer_was_assigned(admin, application, owner):
    clarification = ask(admin, application)
    _save(owner, clarification)
    answer_clarification(owner, clarification.id)
    _db.session.commit()
    assert application.status == ApplicationStatus.SUBMITTED

    clarification = ask(admin, application)
    AssignmentFactory(application=application, reviewer=ReviewerProfileFactory().user)
    _save(owner, clarification)
    answer_clarification(owner, clarification.id)
    _db.session.commit()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_an_answer_after_its_due_date_is_kept_as_a_draft_with_what_to_do(admin, application, owner):
    clarification = ask(admin, application)
    _save(owner, clarification)
    with pytest.raises(DeadlinePassed) as refused:
        answer_clarification(owner, clarification.id, now=clarification.due_at + timedelta(seconds=1))
    assert "kept as a draft" in str(refused.value) and "more time" in str(refused.value)
    _db.session.rollback()
    _db.session.expire_all()
    assert application.status == ApplicationStatus.INFO_REQUESTED
    assert application.summary == NEW_SUMMARY and clarification.response
    # Still savable after the due date, and sent once staff move it.
    _save(owner, clarification, response="Sorry for the delay.")


def test_an_answer_without_a_response_is_refused_on_the_response(admin, application, owner):
    clarification = ask(admin, application)
    _save(owner, clarification, response="")
    with pytest.raises(ValidationFailed) as refused:
        answer_clarification(owner, clarification.id)
    assert set(refused.value.errors) == {"response"}


def test_the_whole_application_must_be_complete_as_at_submission(admin, application, owner):
    clarification = ask(admin, application, fields=["summary", "requested_amount"])
    _save(owner, clarification, summary="", requested_amount="30000")
    with pytest.raises(ValidationFailed) as refused:
        answer_clarification(owner, clarification.id)
    assert set(refused.value.errors) == {"summary", "budget_lines"}


def test_a_second_click_is_told_the_answer_was_sent(admin, application, owner):
    clarification = ask(admin, application)
    _save(owner, clarification)
    answer_clarification(owner, clarification.id)
    _db.session.commit()
    with pytest.raises(AlreadyAnswered):
        answer_clarification(owner, clarification.id)
    _db.session.rollback()
    with pytest.raises(AlreadyAnswered):
        _save(owner, clarification)


def test_a_withdrawn_request_takes_no_more_answers(admin, application, owner):
    clarification = ask(admin, application)
    withdraw_clarification(admin, clarification.id)
    _db.session.commit()
    with pytest.raises(ClarificationClosed):
        _save(owner, clarification)


def test_only_the_organisation_answers(admin, application, stranger, reviewer):
    clarification = ask(admin, application)
    with pytest.raises(NotFound):
        _save(stranger, clarification)
    for actor in (admin, reviewer):
        with pytest.raises(PermissionDenied):
            answer_clarification(actor, clarification.id)
