"""Questions and answers on a call in a real browser, JavaScript off: an applicant asks, an admin rewords the question
and publishes the answer, the applicant reads it on the call page (numbered, without their name). Then, JavaScript
on, axe on every page of it: the call page with answers and notices, the question form with an error, and the
admin pages of questions, answers and notices."""

from datetime import timedelta

import pytest

from cade.enquiries import answering, asking, notices
from cade.extensions import db as _db
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import CallFactory, UserFactory


@pytest.fixture()
def no_js(browser, live_server, db):
    context = browser.new_context(base_url=live_server, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_an_applicant_asks_an_admin_answers_and_the_applicant_reads_the_answer(no_js, admin):
    page = no_js
    call = CallFactory(title="Community networks 2026", timezone="Africa/Nairobi")
    applicant = UserFactory(name="Wanjiru Kamau")

    page.goto(f"/calls/{call.id}")
    assert "Sign in to ask a question" in _main(page)
    sign_in(page, applicant)
    page.goto(f"/calls/{call.id}")
    send(page, page.get_by_role("link", name="Ask a question"))
    page.get_by_label("Your question").fill("I am Wanjiru from Kisumu Mesh: can a network registered last year "
                                            "apply?")
    send(page, page.get_by_role("button", name="Send the question"))
    assert "Your question is sent." in _main(page) and "Waiting for an answer" in _main(page)

    sign_in(page, admin)
    page.goto(f"/admin/calls/{call.id}")
    send(page, page.get_by_role("link", name="Questions and notices"))
    assert "Wanjiru Kamau" in _main(page)
    send(page, page.locator("main a.button", has_text="Answer").first)
    page.get_by_label("Question as published", exact=True).fill("Can a network registered last year apply?")
    page.get_by_label("Answer", exact=True).fill("Yes, if it was registered before the call opened.")
    page.get_by_label("Answer, in Français").fill("Oui, s'il était enregistré avant l'ouverture de l'appel.")
    send(page, page.get_by_role("button", name="Publish the answer"))
    assert "The answer is published." in _main(page) and "Published answers (1)" in _main(page)

    sign_in(page, applicant)
    page.goto(f"/calls/{call.id}/questions/ask")
    assert "Answered on the call page" in _main(page)
    send(page, page.get_by_role("link", name="Read answer 1"))
    answer = page.locator("#answer-1")
    assert "Question 1" in answer.inner_text()
    assert "Yes, if it was registered before the call opened." in answer.inner_text()
    assert "Wanjiru" not in _main(page) and "Kisumu" not in _main(page)


def test_the_question_and_notice_pages_pass_axe(browser, live_server, db, admin):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    audit = Audit(page)
    call = CallFactory(title="Community networks 2026", timezone="Africa/Nairobi")
    applicant = UserFactory()
    for n in range(2):
        question = asking.ask_question(applicant, call.id, asking.QuestionInput.from_input({"body": f"Q{n}?"}))
        if n == 0:
            answering.publish_answer(admin, question.id, answering.AnswerInput.from_input(
                {"public_question": "May we?", "answer": "Yes.", "answer_fr": "Oui."}, language="en"))
    notices.publish_corrigendum(admin, call.id, notices.CorrigendumInput.from_input({"body": "Annex 2 changes."},
                                                                                    language="en"))
    later = (call.closes_at + timedelta(days=7)).replace(tzinfo=None)
    notices.extend_deadline(admin, call.id, notices.ExtensionInput.from_input(
        {"new_closes_at": later}, language="en", timezone=call.timezone))
    _db.session.commit()
    pending = answering.questions_for_staff(call.id)["pending"][0]
    try:
        sign_in(page, applicant)
        audit.visit(f"/calls/{call.id}", "call page with answers and notices")
        page.goto(f"/calls/{call.id}/questions/ask")
        send(page, page.get_by_role("button", name="Send the question"))
        assert page.locator(".error-summary").count() == 1
        audit.check("question form with an error")
        sign_in(page, admin)
        audit.visit(f"/admin/calls/{call.id}/questions", "admin: questions")
        audit.visit(f"/admin/calls/{call.id}/questions/{pending.id}", "admin: answer form")
        audit.visit(f"/admin/calls/{call.id}/notices", "admin: notices")
        audit.assert_clean()
    finally:
        context.close()
