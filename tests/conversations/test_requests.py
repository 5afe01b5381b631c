"""Asking an applicant to clarify named fields: who may ask, what is refused, what moves and who is told."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.conversations.clarifications import (
    ClarificationInput,
    ClarificationOpen,
    DueDateInput,
    extend_clarification,
    request_clarification,
    withdraw_clarification,
)
from cade.conversations.constants import ClarificationStatus, MessageSide
from cade.conversations.models import Message
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from tests.conversations.conftest import ask, tomorrow
from tests.factories import ApplicationFactory, DecisionFactory, QuestionFactory


def _verbs(object_type: str) -> list[str]:
    return list(_db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == object_type)
                                    .order_by(AuditEvent.id)))


def test_an_admin_asks_and_the_application_waits_for_the_applicant(admin, application, question, owner, colleague,
                                                                   outbox):
    clarification = ask(admin, application, fields=["summary", question.field_name, "budget_lines"])

    _db.session.expire_all()
    assert application.status == ApplicationStatus.INFO_REQUESTED
    assert clarification.status == ClarificationStatus.OPEN
    assert clarification.resume_status == ApplicationStatus.SUBMITTED
    assert clarification.requested_as == "admin"
    assert clarification.before == {
        "summary": "We will connect three villages.", question.field_name: "Volunteers.",
        "budget_lines": [{"category": "equipment", "description": "Routers and solar panels",
                          "amount": {"minor": 20_000_00, "currency": "USD"}}]}
    assert "application.info_requested" in _verbs("Application")
    assert _verbs("ClarificationRequest") == ["clarification.requested"]
    [message] = _db.session.scalars(select(Message)).all()
    assert (message.side, message.clarification_id, message.body) == (
        MessageSide.PROGRAMME, clarification.id, "Please say who maintains the masts.")
    told = outbox("conversations.clarification_requested")
    assert sorted(row.recipient_id for row in told) == sorted([owner.id, colleague.id])
    assert told[0].context["field_names"] == ["summary", question.field_name, "budget_lines"]
    assert told[0].context["question_labels"] == {question.field_name: "How will the network be maintained?"}


def test_the_due_day_ends_at_midnight_in_the_calls_time_zone(admin, application):
    clarification = ask(admin, application, due_on=tomorrow())
    local = clarification.due_at.astimezone(ZoneInfo("Africa/Nairobi"))
    assert (local.date(), local.hour, local.minute) == (tomorrow(), 23, 59)


def test_every_bad_field_of_a_request_is_named_at_once(admin, application):
    with pytest.raises(ValidationFailed) as refused:
        ClarificationInput.from_input({"fields": [], "message": "  ", "due_on": "not a day"})
    assert set(refused.value.errors) == {"fields", "message", "due_on"}


def test_a_field_the_call_does_not_have_or_a_day_past_is_refused(admin, application):
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    command = ClarificationInput.from_input({"fields": ["q_999999"], "message": "Why?", "due_on": yesterday})
    with pytest.raises(ValidationFailed) as refused:
        request_clarification(admin, application.id, command)
    assert set(refused.value.errors) == {"fields", "due_on"}
    _db.session.rollback()
    assert application.status == ApplicationStatus.SUBMITTED


def test_a_file_question_is_not_named_the_document_is_asked_for_in_the_message(admin, application, call):
    upload = QuestionFactory(call=call, kind="file", label="Registration certificate")
    command = ClarificationInput.from_input({"fields": [upload.field_name], "message": "Send it.",
                                             "due_on": tomorrow().isoformat()})
    with pytest.raises(ValidationFailed) as refused:
        request_clarification(admin, application.id, command)
    assert "fields" in refused.value.errors


def test_a_second_request_while_one_is_open_is_refused_clearly(admin, application):
    ask(admin, application)
    with pytest.raises(ClarificationOpen) as refused:
        ask(admin, application, fields=["title"])
    assert "already open" in str(refused.value)


@pytest.mark.parametrize("state", ["draft", "withdrawn"])
def test_only_an_application_sent_in_and_undecided_is_asked(admin, call, state):
    application = ApplicationFactory(call=call, **{state: True} if state == "withdrawn" else {})
    with pytest.raises(InvalidTransition):
        ask(admin, application)


def test_a_decided_application_is_not_asked(admin, application):
    DecisionFactory(application=application)
    with pytest.raises(InvalidTransition) as refused:
        ask(admin, application)
    assert "decided" in str(refused.value)


def test_an_assigned_reviewer_asks_where_the_call_lets_reviewers(application, reviewer, call):
    call.reviewers_may_clarify = True
    _db.session.commit()
    clarification = ask(reviewer, application)
    assert clarification.requested_as == "reviewer"
    assert clarification.requested_by_id == reviewer.id


def test_an_assigned_reviewer_is_told_the_call_does_not_let_reviewers_ask(application, reviewer):
    with pytest.raises(PermissionDenied) as refused:
        ask(reviewer, application)
    assert "reviewers" in str(refused.value)


@pytest.mark.parametrize("who", ["undeclared_reviewer", "other_reviewer", "stranger"])
def test_reviewers_not_reading_it_and_other_organisations_find_nothing(request, application, call, who):
    call.reviewers_may_clarify = True
    _db.session.commit()
    with pytest.raises(NotFound):
        ask(request.getfixturevalue(who), application)


def test_the_applicant_cannot_ask_themselves(application, owner):
    with pytest.raises(PermissionDenied):
        ask(owner, application)


def test_withdrawing_resumes_review_and_tells_the_applicant(admin, application, owner, outbox):
    clarification = ask(admin, application)
    withdraw_clarification(admin, clarification.id)
    _db.session.commit()
    _db.session.expire_all()
    assert application.status == ApplicationStatus.SUBMITTED
    assert clarification.status == ClarificationStatus.WITHDRAWN
    assert "clarification.withdrawn" in _verbs("ClarificationRequest")
    assert owner.id in [row.recipient_id for row in outbox("conversations.clarification_withdrawn")]
    with pytest.raises(InvalidTransition):
        withdraw_clarification(admin, clarification.id)


def test_only_admins_withdraw_or_move_the_due_date(admin, application, owner, reviewer, call):
    call.reviewers_may_clarify = True
    _db.session.commit()
    clarification = ask(reviewer, application)
    for actor in (owner, reviewer):
        with pytest.raises(PermissionDenied):
            withdraw_clarification(actor, clarification.id)
        with pytest.raises(PermissionDenied):
            extend_clarification(actor, clarification.id, DueDateInput.from_input({"due_on": "2099-01-01"}))


def test_the_due_date_moves_later_only_audited_and_the_applicant_told(admin, application, owner, outbox):
    clarification = ask(admin, application)
    with pytest.raises(ValidationFailed) as refused:
        extend_clarification(admin, clarification.id, DueDateInput.from_input({"due_on": tomorrow().isoformat()}))
    assert "after the current due date" in str(refused.value.errors["due_on"][0])
    _db.session.rollback()
    later = tomorrow() + timedelta(days=7)
    extend_clarification(admin, clarification.id, DueDateInput.from_input({"due_on": later.isoformat()}))
    _db.session.commit()
    assert clarification.due_at.astimezone(ZoneInfo("Africa/Nairobi")).date() == later
    assert "clarification.extended" in _verbs("ClarificationRequest")
    assert owner.id in [row.recipient_id for row in outbox("conversations.clarification_extended")]
