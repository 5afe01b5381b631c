"""The history of requests as each side reads it; deciding paused; the due-soon reminder; the call's setting."""

from datetime import timedelta

import pytest
from sqlalchemy import select

import tasks  # noqa: F401  (registers the tasks)
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
from cade.conversations.clarifications import DueDateInput, extend_clarification, withdraw_clarification
from cade.conversations.history import clarification_history
from cade.conversations.reminders import remind_due_clarifications
from cade.conversations.settings import ClarificationSettingsInput, set_clarification_settings
from cade.applications.services import DraftInput
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.reminders import run_sweeps
from cade.extensions import db as _db
from tests.conversations.conftest import ask, tomorrow
from tests.factories import CallFactory


def _answered(admin, application, owner, summary="Run by the cooperative."):
    clarification = ask(admin, application, fields=["summary", "requested_amount"])
    save_answer(owner, clarification.id, DraftInput.from_input({"summary": summary}, currency="USD"),
                ResponseInput.from_input({"response": "Done."}))
    _db.session.commit()
    answer_clarification(owner, clarification.id)
    _db.session.commit()
    return clarification


def test_staff_read_each_request_with_before_and_after_and_who_did_what(admin, application, owner):
    first = _answered(admin, application, owner)
    second = ask(admin, application, fields=["title"])
    [open_entry, answered] = clarification_history(admin, application)
    assert (open_entry.clarification.id, answered.clarification.id) == (second.id, first.id)
    assert open_entry.is_open and [c.after for c in open_entry.changes] == [None]
    summary, amount = answered.changes
    assert (summary.before, summary.after, summary.changed) == ("We will connect three villages.",
                                                                "Run by the cooperative.", True)
    assert amount.changed is False and amount.after == {"minor": 20_000_00, "currency": "USD"}
    assert (answered.asked_by, answered.answered_by) == ("Ada Admin", "Amina Owner")
    assert answered.closed_at == answered.clarification.answered_at


def test_the_applicant_never_learns_who_asked_and_blind_reviewers_never_who_answered(admin, application, owner,
                                                                                     reviewer, call):
    call.reviewers_may_clarify, call.blind_review = True, True
    _db.session.commit()
    clarification = ask(reviewer, application)
    save_answer(owner, clarification.id, DraftInput.from_input({}, currency="USD"),
                ResponseInput.from_input({"response": "Done."}))
    answer_clarification(owner, clarification.id)
    _db.session.commit()
    [seen_by_applicant] = clarification_history(owner, application)
    assert seen_by_applicant.asked_by is None and seen_by_applicant.answered_by == "Amina Owner"
    [seen_by_reviewer] = clarification_history(reviewer, application)
    assert seen_by_reviewer.asked_by == "Rita Reviewer"  # their own request
    assert seen_by_reviewer.answered_by is None


def test_a_withdrawn_request_shows_what_changed_meanwhile(admin, application, owner):
    clarification = ask(admin, application)
    save_answer(owner, clarification.id, DraftInput.from_input({"summary": "Half done"}, currency="USD"),
                ResponseInput.from_input({}))
    withdraw_clarification(admin, clarification.id)
    _db.session.commit()
    [entry] = clarification_history(admin, application)
    assert entry.changes[0].after == "Half done" and entry.closed_at is not None


def test_deciding_waits_for_the_answer(admin, application):
    ask(admin, application)
    command = DecisionInput.from_input({"outcome": "reject", "feedback": "No.", "rationale": "Weak."},
                                       currency="USD")
    with pytest.raises(InvalidTransition) as refused:
        decide_application(admin, application.id, command)
    assert "Information has been requested" in str(refused.value)


def test_the_applicant_is_reminded_once_two_days_before_and_again_for_a_later_due_date(admin, application, owner,
                                                                                    colleague, outbox):
    clarification = ask(admin, application, due_on=(utcnow() + timedelta(days=1)).date())
    assert remind_due_clarifications(now=clarification.due_at - timedelta(days=3)) == 0
    assert run_sweeps()["clarifications due"] == 2
    _db.session.commit()
    assert remind_due_clarifications() == 0
    assert sorted(row.recipient_id for row in outbox("conversations.clarification_due")) == sorted(
        [owner.id, colleague.id])
    later = (utcnow() + timedelta(days=8)).date()
    extend_clarification(admin, clarification.id, DueDateInput.from_input({"due_on": later.isoformat()}))
    _db.session.commit()
    assert remind_due_clarifications(now=clarification.due_at - timedelta(days=1)) == 2
    assert remind_due_clarifications(now=clarification.due_at + timedelta(seconds=1)) == 0  # late: no reminder


def test_admins_let_a_calls_reviewers_ask_audited_with_a_reason_once_in_review(admin, owner):
    call = CallFactory(closed=True)
    allow = ClarificationSettingsInput.from_input({"reviewers_may_clarify": "y"})
    with pytest.raises(PermissionDenied):
        set_clarification_settings(owner, call.id, allow)
    with pytest.raises(ValidationFailed) as refused:
        set_clarification_settings(admin, call.id, allow)
    assert set(refused.value.errors) == {"reason"}
    _db.session.rollback()
    set_clarification_settings(admin, call.id, ClarificationSettingsInput.from_input(
        {"reviewers_may_clarify": "y", "reason": "Technical questions go faster from reviewers."}))
    _db.session.commit()
    assert call.reviewers_may_clarify is True
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.clarifications_set"))
    assert (event.before, event.after["reviewers_may_clarify"]) == ({"reviewers_may_clarify": False}, True)
    assert event.after["reason"].startswith("Technical")


def test_the_due_day_is_today_at_the_earliest(admin, application):
    with pytest.raises(ValidationFailed):
        ask(admin, application, due_on=tomorrow() - timedelta(days=4))


def test_the_beat_runs_the_clarification_reminders_daily_through_its_task(app, admin, application, owner, outbox):
    from celery.schedules import crontab

    [entry] = [e for e in app.extensions["celery"].conf.beat_schedule.values()
               if e["task"] == "conversations.clarification_reminders"]
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {6}
    ask(admin, application, due_on=(utcnow() + timedelta(days=1)).date())
    task = app.extensions["celery"].tasks["conversations.clarification_reminders"]
    assert task.apply().get() >= 1
    assert task.apply().get() == 0  # a second run (or a second worker) sends nothing more
    assert owner.id in {row.recipient_id for row in outbox("conversations.clarification_due")}
