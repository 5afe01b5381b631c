"""Publishing answers: reworded, numbered per call without gap or repeat (also when two admins publish at once),
dated, translated, corrected under the same number (audited), set aside; the asker told in their language; the
cut-off set before the deadline."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.enquiries import answering
from cade.enquiries.constants import EnquiryStatus
from cade.enquiries.models import CallQuestion
from cade.extensions import db as _db
from cade.notifications.rendering import render_notification
from tests.concurrency import run_side_by_side
from tests.enquiries.conftest import answer_input, ask, publish
from tests.factories import CallFactory, UserFactory


def events(verb: str) -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


def test_publishing_rewords_numbers_dates_and_tells_the_asker(call, asker, admin, outbox):
    question = ask(asker, call, "I am Wanjiru from Kisumu Mesh. Can we apply, registered last year?")

    published = publish(admin, question, call)

    assert published.status == EnquiryStatus.PUBLISHED and published.number == 1
    assert published.public_question == "May a network registered last year apply?"
    assert published.body.startswith("I am Wanjiru")  # kept as asked, for staff
    assert published.answered_by_id == admin.id and published.published_at is not None
    [told] = outbox("enquiries.answered")
    assert told.recipient_id == asker.id and told.locale == "fr" and told.idempotency_key == f"question-answered:{question.id}"
    assert told.context["number"] == 1 and told.context["call_id"] == call.id
    assert told.context["texts"]["en"]["answer"] == "Yes, if it was registered before the call opened."
    [event] = events("call_question.published")
    assert event.before["status"] == "pending" and event.after["number"] == 1


def test_numbers_follow_per_call_and_set_aside_questions_take_none(call, asker, admin):
    first, second, third = (ask(asker, call, f"Question {n}?") for n in range(3))
    other = CallFactory()
    elsewhere = ask(asker, other, "About the other call?")

    answering.dismiss_question(admin, second.id, answering.DismissInput.from_input({"reason": "duplicate"}))
    assert publish(admin, third, call).number == 1
    assert publish(admin, first, call).number == 2
    assert publish(admin, elsewhere, other).number == 1
    assert _db.session.get(CallQuestion, second.id).number is None


def test_the_answer_is_kept_in_the_other_languages_given(call, asker, admin):
    question = ask(asker, call)
    published = publish(admin, question, call, public_question_fr="Un réseau enregistré l'an dernier peut-il postuler ?",
                        answer_fr="Oui, s'il était enregistré avant l'ouverture.", answer_es="  ", answer_pt="Sim.")
    assert published.translations == {
        "fr": {"public_question": "Un réseau enregistré l'an dernier peut-il postuler ?",
               "answer": "Oui, s'il était enregistré avant l'ouverture."},
        "pt": {"answer": "Sim."},
    }


def test_an_answer_without_question_or_answer_is_refused_by_field(db):
    with pytest.raises(ValidationFailed) as refused:
        answering.AnswerInput.from_input({"public_question": " ", "answer": "", "answer_fr": "x" * 20_001},
                                         language="en")
    assert set(refused.value.errors) == {"public_question", "answer", "answer_fr"}


def test_the_asker_reads_the_notice_in_their_language_with_the_fallback_said(app, call, asker, admin, outbox):
    question = ask(asker, call)
    publish(admin, question, call, answer_fr="Oui, s'il était enregistré avant l'ouverture.")
    [told] = outbox("enquiries.answered")

    subject, text, html = render_notification(told)

    assert "Question 1" in text and "Oui, s'il était enregistré avant l'ouverture." in text
    assert "May a network registered last year apply?" in text  # no French version: the call's language
    assert f"/calls/{call.id}#answer-1" in text and html and "Oui, s" in html
    assert "Community networks 2026" in subject
    english, _text, _html = render_notification(told, locale="en")
    assert english.startswith("Your question about")


def test_publishing_twice_gives_one_answer_and_a_set_aside_question_is_refused(call, asker, admin):
    question = ask(asker, call)
    publish(admin, question, call)
    assert answering.publish_answer(admin, question.id, answer_input(call)).number == 1  # a double click
    assert len(events("call_question.published")) == 1
    with pytest.raises(InvalidTransition, match="already answered, as number 1"):
        answering.publish_answer(admin, question.id, answer_input(call, answer="Another answer."))
    aside = ask(asker, call, "Out of scope?")
    answering.dismiss_question(admin, aside.id, answering.DismissInput.from_input({"reason": "out_of_scope"}))
    with pytest.raises(InvalidTransition, match="set aside"):
        answering.publish_answer(admin, aside.id, answer_input(call))
    again = answering.dismiss_question(admin, aside.id, answering.DismissInput.from_input({"reason": "out_of_scope"}))
    assert again.status == EnquiryStatus.OUT_OF_SCOPE and len(events("call_question.dismissed")) == 1
    with pytest.raises(InvalidTransition, match="no longer waiting"):
        answering.dismiss_question(admin, aside.id, answering.DismissInput.from_input({"reason": "duplicate"}))


def test_only_admins_answer_and_a_missing_question_is_not_found(call, asker, admin):
    question = ask(asker, call)
    for action in (lambda who: answering.publish_answer(who, question.id, answer_input(call)),
                   lambda who: answering.dismiss_question(who, question.id,
                                                          answering.DismissInput.from_input({"reason": "duplicate"}))):
        with pytest.raises(PermissionDenied):
            action(asker)
        with pytest.raises(PermissionDenied):
            action(UserFactory(roles=["reviewer"]))
    with pytest.raises(NotFound):
        answering.publish_answer(admin, 987654, answer_input(call))
    with pytest.raises(ValidationFailed):
        answering.DismissInput.from_input({"reason": "published"})


def test_a_correction_keeps_number_and_date_and_the_audit_keeps_both_versions(call, asker, admin, outbox):
    question = ask(asker, call)
    published = publish(admin, question, call)
    number, day = published.number, published.published_at

    corrected = answering.correct_answer(admin, question.id, answer_input(
        call, answer="Yes, if it was registered before 1 March 2026."))
    _db.session.commit()

    assert (corrected.number, corrected.published_at) == (number, day)
    assert corrected.answer == "Yes, if it was registered before 1 March 2026."
    [event] = events("call_question.corrected")
    assert event.before["answer"] == "Yes, if it was registered before the call opened."
    assert event.after["answer"] == "Yes, if it was registered before 1 March 2026."
    answering.correct_answer(admin, question.id, answer_input(call, answer="Yes, if it was registered before "
                                                                          "1 March 2026."))
    assert len(events("call_question.corrected")) == 1  # nothing changed, nothing audited
    assert len(outbox("enquiries.answered")) == 1  # a correction tells nobody again
    pending = ask(asker, call, "Still waiting?")
    with pytest.raises(InvalidTransition, match="Only a published answer"):
        answering.correct_answer(admin, pending.id, answer_input(call))


def test_two_admins_publishing_at_once_get_different_numbers(app, call, asker, admin):
    second_admin = UserFactory(roles=["admin"])
    questions = [ask(asker, call, f"Question {n}?") for n in range(2)]
    language = call.language
    pairs = [(admin.id, questions[0].id), (second_admin.id, questions[1].id)]

    def publishing(user_id, question_id):
        def run():
            from cade.accounts.models import User

            answering.publish_answer(_db.session.get(User, user_id), question_id, answering.AnswerInput.from_input(
                {"public_question": "Q?", "answer": "A."}, language=language))
        return run

    outcomes = run_side_by_side(app, [publishing(*pair) for pair in pairs], pause_after="max(call_questions.number)")

    assert outcomes == ["done", "done"]
    _db.session.expire_all()
    assert sorted(_db.session.get(CallQuestion, q.id).number for q in questions) == [1, 2]


def test_two_admins_publishing_the_same_question_at_once_publish_it_once(app, call, asker, admin):
    second_admin = UserFactory(roles=["admin"])
    question_id, language = ask(asker, call).id, call.language

    def publishing(user_id):
        def run():
            from cade.accounts.models import User

            answering.publish_answer(_db.session.get(User, user_id), question_id, answering.AnswerInput.from_input(
                {"public_question": "Q?", "answer": f"A by {user_id}."}, language=language))
        return run

    outcomes = run_side_by_side(app, [publishing(admin.id), publishing(second_admin.id)],
                                pause_after="from call_questions")

    assert sorted(o == "done" for o in outcomes) == [False, True]  # the answers differ: the second is refused
    assert "already answered" in str(next(o for o in outcomes if o != "done"))
    assert len(events("call_question.published")) == 1


def test_the_cut_off_is_set_in_the_calls_zone_before_the_deadline_and_audited(call, admin):
    call.closes_at = datetime(2026, 6, 30, 14, 0, tzinfo=call.closes_at.tzinfo)
    _db.session.commit()

    answering.set_question_cutoff(admin, call.id, answering.CutoffInput.from_input(
        {"questions_close_at": datetime(2026, 6, 20, 17, 0)}, timezone=call.timezone))
    _db.session.commit()

    assert call.questions_close_at.isoformat() == "2026-06-20T14:00:00+00:00"  # 17:00 in Nairobi
    [event] = events("call.questions_cutoff_set")
    assert event.before == {"questions_close_at": None}
    assert event.after == {"questions_close_at": "2026-06-20T14:00:00+00:00"}
    with pytest.raises(ValidationFailed) as refused:
        answering.set_question_cutoff(admin, call.id, answering.CutoffInput.from_input(
            {"questions_close_at": datetime(2026, 6, 30, 17, 0)}, timezone=call.timezone))
    assert "before the deadline" in str(refused.value.errors["questions_close_at"][0])
    answering.set_question_cutoff(admin, call.id, answering.CutoffInput.from_input(
        {"questions_close_at": ""}, timezone=call.timezone))
    assert call.questions_close_at is None
    with pytest.raises(PermissionDenied):
        answering.set_question_cutoff(UserFactory(), call.id, answering.CutoffInput.from_input(
            {"questions_close_at": ""}, timezone=call.timezone))


def test_staff_see_questions_by_state(call, asker, admin):
    waiting = ask(asker, call, "Waiting?")
    answered = ask(asker, call, "Answered?")
    aside = ask(asker, call, "Aside?")
    publish(admin, answered, call)
    answering.dismiss_question(admin, aside.id, answering.DismissInput.from_input({"reason": "duplicate"}))
    listed = answering.questions_for_staff(call.id)
    assert [q.id for q in listed["pending"]] == [waiting.id]
    assert [q.id for q in listed["published"]] == [answered.id]
    assert [q.id for q in listed["dismissed"]] == [aside.id]
    assert listed["pending"][0].asked_at < datetime.now(tz=listed["pending"][0].asked_at.tzinfo) + timedelta(1)
