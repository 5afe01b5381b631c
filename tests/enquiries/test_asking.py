"""Asking a question about a call: until the cut-off (said in the call's time zone), signed in with a confirmed
address, within the length and the number of questions waiting; a double click asks once."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from cade.core.errors import DeadlinePassed, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.enquiries import asking
from cade.enquiries.constants import MAX_PENDING_PER_ASKER, QUESTION_MAX_CHARS, EnquiryStatus
from cade.enquiries.models import CallQuestion
from cade.extensions import db as _db
from tests.concurrency import run_side_by_side
from tests.enquiries.conftest import ask
from tests.factories import CallFactory, UserFactory


def count_questions() -> int:
    return _db.session.scalar(select(func.count()).select_from(CallQuestion))


def test_a_signed_in_person_asks_and_the_question_waits_for_staff(call, asker):
    question = ask(asker, call, "  Can a network registered last year apply?\r\nWe started in May.  ")

    assert question.status == EnquiryStatus.PENDING
    assert question.body == "Can a network registered last year apply?\nWe started in May."
    assert question.asked_by_id == asker.id and question.number is None and question.published_at is None
    assert [q.id for q in asking.questions_of_asker(asker, call.id)] == [question.id]


def test_the_cut_off_is_the_deadline_unless_set_earlier_and_never_later(call):
    assert asking.question_cutoff(call) == call.closes_at
    call.questions_close_at = call.closes_at - timedelta(days=5)
    assert asking.question_cutoff(call) == call.questions_close_at
    call.questions_close_at = call.closes_at + timedelta(days=5)  # a deadline moved earlier since
    assert asking.question_cutoff(call) == call.closes_at


def test_a_question_after_the_cut_off_is_refused_with_the_cut_off_in_the_calls_time_zone(call, asker):
    call.questions_close_at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    call.closes_at = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
    _db.session.commit()

    with pytest.raises(DeadlinePassed) as refused:
        asking.ask_question(asker, call.id, asking.QuestionInput.from_input({"body": "Too late?"}),
                            now=datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc))

    said = str(refused.value).replace("\u202f", " ")
    assert said == "Questions about this call closed on Mar 1, 2026, 3:00 PM (Africa/Nairobi)."
    assert refused.value.field == "body"
    assert asking.questions_open(call, now=datetime(2026, 3, 1, 11, 59, tzinfo=timezone.utc))


def test_the_deadline_is_the_cut_off_when_none_is_set(call, asker):
    with pytest.raises(DeadlinePassed):
        asking.ask_question(asker, call.id, asking.QuestionInput.from_input({"body": "Late?"}),
                            now=call.closes_at)
    assert count_questions() == 0


def test_an_unconfirmed_account_and_an_unpublished_or_missing_call_are_refused(call):
    unconfirmed = UserFactory(unverified=True)
    with pytest.raises(PermissionDenied, match="confirm your e-mail address"):
        asking.ask_question(unconfirmed, call.id, asking.QuestionInput.from_input({"body": "Hello?"}))
    draft = CallFactory(draft=True)
    someone = UserFactory()
    for call_id in (draft.id, 987654):
        with pytest.raises(NotFound):
            asking.ask_question(someone, call_id, asking.QuestionInput.from_input({"body": "Hello?"}))
    assert count_questions() == 0


@pytest.mark.parametrize(("body", "message"), [
    ("", "This field is required."),
    ("   \n ", "This field is required."),
    ("x" * (QUESTION_MAX_CHARS + 1), f"Use at most {QUESTION_MAX_CHARS} characters."),
    (["a list"], "Enter text."),
])
def test_an_empty_or_too_long_question_is_refused_by_name(body, message):
    with pytest.raises(ValidationFailed) as refused:
        asking.QuestionInput.from_input({"body": body})
    assert [str(m) for m in refused.value.errors["body"]] == [message]


def test_a_question_of_the_longest_length_is_taken(call, asker):
    assert len(ask(asker, call, "y" * QUESTION_MAX_CHARS).body) == QUESTION_MAX_CHARS


def test_the_same_text_sent_twice_while_waiting_is_one_question(call, asker):
    first = ask(asker, call, "Is co-financing required?")
    again = ask(asker, call, "Is co-financing required?")
    assert again.id == first.id and count_questions() == 1


def test_at_most_ten_questions_wait_per_person_and_call(call, asker):
    for n in range(MAX_PENDING_PER_ASKER):
        ask(asker, call, f"Question {n}?")

    with pytest.raises(InvalidTransition) as refused:
        ask(asker, call, "One more?")
    assert "already have 10 questions waiting" in str(refused.value) and refused.value.field == "body"

    other_call = CallFactory()
    ask(asker, other_call, "About the other call?")  # counted per call
    ask(UserFactory(), call, "Someone else's question?")  # and per person
    _db.session.get(CallQuestion, asking.questions_of_asker(asker, call.id)[0].id).status = EnquiryStatus.PUBLISHED
    _db.session.commit()
    ask(asker, call, "One more, now that one is answered?")
    assert asking.count_questions_of_asker(asker, call.id) == MAX_PENDING_PER_ASKER + 1


def test_two_identical_questions_sent_at_once_are_one(app, call, asker):
    call_id, user_id = call.id, asker.id

    def send():
        from cade.accounts.models import User

        asking.ask_question(_db.session.get(User, user_id), call_id,
                            asking.QuestionInput.from_input({"body": "Double click?"}))

    outcomes = run_side_by_side(app, [send, send], pause_after="from call_questions")

    assert outcomes == ["done", "done"]
    assert count_questions() == 1
