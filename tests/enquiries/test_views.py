"""The pages of questions and answers, per role: a visitor, the asker, another applicant, an admin; bad input keeps
what was typed and says what is wrong beside the field."""

from datetime import timedelta

import pytest

from sqlalchemy import func, select

from cade.core.db import utcnow
from cade.enquiries.constants import EnquiryStatus
from cade.enquiries.models import CallNotice, CallQuestion
from cade.extensions import db as _db
from tests.enquiries.conftest import ask, publish
from tests.factories import CallFactory, UserFactory


@pytest.fixture()
def asker(db):
    """The asker reads the site in English here (the notification tests read it in French)."""
    return UserFactory(name="Wanjiru Kamau", email="wanjiru@example.org", locale="en")


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).replace("\u202f", " ").split())


def test_a_visitor_reads_answers_and_is_asked_to_sign_in(client, call, asker, admin):
    publish(admin, ask(asker, call), call)
    page = text(client.get(f"/calls/{call.id}"))
    assert "Question 1" in page and "May a network registered last year apply?" in page
    assert "Yes, if it was registered before the call opened." in page
    assert asker.name not in page and "Can a network registered last year apply?" not in page  # never who asked
    assert "Sign in to ask a question" in page and "Ask a question</a>" not in page
    response = client.get(f"/calls/{call.id}/questions/ask")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(f"/calls/{call.id}/questions/ask", data={"body": "Hi?"}).status_code == 302
    assert _db.session.scalar(select(func.count()).select_from(CallQuestion)) == 1


def test_the_asker_asks_sees_the_status_and_reads_the_answer(client, login, call, asker, admin):
    login(asker)
    page = text(client.get(f"/calls/{call.id}"))
    assert "Ask a question" in page and "No answer has been published yet." in page
    assert "Ask a question about “Community networks 2026”" in text(client.get(f"/calls/{call.id}/questions/ask"))
    response = client.post(f"/calls/{call.id}/questions/ask", data={"body": "Is co-financing required?"})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Your question is sent." in page and "Waiting for an answer" in page and "Is co-financing required?" in page
    question = _db.session.scalar(select(CallQuestion))
    publish(admin, question, call)
    page = text(client.get(f"/calls/{call.id}/questions/ask"))
    assert "Answered on the call page" in page and f'/calls/{call.id}#answer-1' in page
    assert "Your 1 question and its status" in text(client.get(f"/calls/{call.id}"))


def test_another_applicant_never_sees_someone_elses_question(client, login, call, asker):
    ask(asker, call, "A private worry about our registration?")
    login(UserFactory())
    assert "A private worry" not in text(client.get(f"/calls/{call.id}/questions/ask"))
    assert "A private worry" not in text(client.get(f"/calls/{call.id}"))
    question = _db.session.scalar(select(CallQuestion))
    for url in (f"/admin/calls/{call.id}/questions", f"/admin/calls/{call.id}/questions/{question.id}",
                f"/admin/calls/{call.id}/notices"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/calls/{call.id}/questions/{question.id}/dismiss",
                       data={"reason": "duplicate"}).status_code == 404
    assert client.post(f"/admin/calls/{call.id}/notices/corrigendum",
                       data={"corrigendum-body": "Sneaky."}).status_code == 404
    assert _db.session.get(CallQuestion, question.id).status == EnquiryStatus.PENDING
    assert _db.session.scalar(select(func.count()).select_from(CallNotice)) == 0


def test_a_question_after_the_cut_off_is_refused_and_the_text_is_kept(client, login, call, asker):
    login(asker)
    assert "Send the question" in text(client.get(f"/calls/{call.id}/questions/ask"))
    call.questions_close_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    response = client.post(f"/calls/{call.id}/questions/ask", data={"body": "My long, careful question?"})
    assert response.status_code == 422
    page = text(response)
    assert "Questions about this call closed on" in page and "(Africa/Nairobi)" in page
    assert "My long, careful question?</textarea>" in page and 'aria-invalid="true"' in page
    assert "Send the question" not in text(client.get(f"/calls/{call.id}/questions/ask"))
    assert "Questions about this call closed on" in text(client.get(f"/calls/{call.id}"))


def test_empty_too_long_and_too_many_questions_say_why_beside_the_field(client, login, call, asker):
    login(asker)
    response = client.post(f"/calls/{call.id}/questions/ask", data={"body": "  "})
    assert response.status_code == 422 and "This field is required." in text(response)
    long = "x" * 4001
    response = client.post(f"/calls/{call.id}/questions/ask", data={"body": long})
    assert "Use at most 4000 characters." in text(response) and long in text(response)
    for n in range(10):
        ask(asker, call, f"Question {n}?")
    response = client.post(f"/calls/{call.id}/questions/ask", data={"body": "Eleventh?"})
    assert response.status_code == 422 and "already have 10 questions waiting" in text(response)
    assert "Eleventh?</textarea>" in text(response)


def test_an_unconfirmed_account_is_told_to_confirm_first(client, login, call):
    login(UserFactory(unverified=True))
    response = client.get(f"/calls/{call.id}/questions/ask")
    assert response.status_code == 403 and "confirm your e-mail address" in text(response)
    assert client.post(f"/calls/{call.id}/questions/ask", data={"body": "Hi?"}).status_code == 403
    assert "Confirm your e-mail address to ask a question." in text(client.get(f"/calls/{call.id}"))
    assert _db.session.scalar(select(func.count()).select_from(CallQuestion)) == 0


def test_a_draft_or_missing_call_has_no_question_page(client, login, asker):
    login(asker)
    draft = CallFactory(draft=True)
    assert client.get(f"/calls/{draft.id}/questions/ask").status_code == 404
    assert client.get("/calls/987654/questions/ask").status_code == 404


def test_an_admin_answers_rewording_the_question_and_the_call_page_shows_it(client, login, call, asker, admin):
    question = ask(asker, call, "I am Wanjiru: may we apply?")
    login(admin)
    assert "Questions and notices" in text(client.get(f"/admin/calls/{call.id}"))
    page = text(client.get(f"/admin/calls/{call.id}/questions"))
    assert "I am Wanjiru: may we apply?" in page and "Wanjiru Kamau" in page and "Waiting for an answer (1)" in page
    form = client.get(f"/admin/calls/{call.id}/questions/{question.id}").get_data(as_text=True)
    assert "I am Wanjiru: may we apply?</textarea>" in form  # prefilled from the question as asked
    assert 'name="answer_fr"' in form and 'lang="fr"' in form and 'name="answer_en"' not in form
    response = client.post(f"/admin/calls/{call.id}/questions/{question.id}",
                           data={"public_question": "May we apply?", "answer": ""})
    assert response.status_code == 422 and "May we apply?</textarea>" in text(response)
    response = client.post(f"/admin/calls/{call.id}/questions/{question.id}",
                           data={"public_question": "May we apply?", "answer": "Yes.", "answer_fr": "Oui."})
    assert response.status_code == 303
    assert "Published answers (1)" in text(client.get(response.headers["Location"]))
    again = client.post(f"/admin/calls/{call.id}/questions/{question.id}",
                        data={"public_question": "May we apply?", "answer": "Yes, really."})
    assert again.status_code == 303 and _db.session.get(CallQuestion, question.id).answer == "Yes, really."
    assert _db.session.get(CallQuestion, question.id).number == 1
    public = text(client.get(f"/calls/{call.id}"))
    assert "May we apply?" in public and "Yes, really." in public and "Wanjiru" not in public


def test_the_call_page_shows_the_readers_language_and_marks_the_fallback(client, login, call, asker, admin):
    publish(admin, ask(asker, call), call, answer_fr="Oui, s'il était enregistré avant l'ouverture.")
    html = client.get(f"/calls/{call.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Oui, s&#39;il était enregistré avant l&#39;ouverture." in html
    assert '<div lang="en" class="prose">May a network registered last year apply?</div>' in html
    card = html[html.index('id="answer-1"'):]
    assert card.count('lang="en" class="prose"') == 1  # the answer itself is in French
    assert '<div class="prose">Oui, s&#39;il' in card


def test_an_admin_sets_a_question_aside(client, login, call, asker, admin):
    question = ask(asker, call)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/questions/{question.id}/dismiss", data={"reason": "duplicate"})
    assert response.status_code == 303
    assert _db.session.get(CallQuestion, question.id).status == EnquiryStatus.DUPLICATE
    assert client.get(f"/admin/calls/{call.id}/questions/{question.id}").status_code == 404
    response = client.post(f"/admin/calls/{call.id}/questions/{question.id}/dismiss",
                           data={"reason": "out_of_scope"}, follow_redirects=True)
    assert "no longer waiting" in text(response)
    response = client.post(f"/admin/calls/{call.id}/questions/{question.id}/dismiss", data={"reason": "nonsense"},
                           follow_redirects=True)
    assert "Choose why it is not published." in text(response)


def test_another_calls_question_is_not_found_through_this_call(client, login, call, asker, admin):
    question = ask(asker, CallFactory())
    login(admin)
    assert client.get(f"/admin/calls/{call.id}/questions/{question.id}").status_code == 404
    assert client.post(f"/admin/calls/{call.id}/questions/{question.id}/dismiss",
                       data={"reason": "duplicate"}).status_code == 404
    assert client.get("/admin/calls/987654/questions").status_code == 404


def test_the_cut_off_form_keeps_a_refused_moment(client, login, call, admin):
    login(admin)
    late = (call.closes_at + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/calls/{call.id}/questions/cutoff", data={"questions_close_at": late})
    assert response.status_code == 422 and "Questions must stop before the deadline" in text(response)
    assert f'value="{late}"' in text(response)
    early = (call.closes_at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/admin/calls/{call.id}/questions/cutoff",
                       data={"questions_close_at": early}).status_code == 303
    assert call.questions_close_at is not None


def test_an_admin_publishes_a_corrigendum_and_an_extension(client, login, call, admin):
    login(admin)
    page = text(client.get(f"/admin/calls/{call.id}/notices"))
    assert "Publish a corrigendum" in page and "Extend the deadline" in page
    response = client.post(f"/admin/calls/{call.id}/notices/corrigendum", data={"corrigendum-body": ""})
    assert response.status_code == 422 and "This field is required." in text(response)
    response = client.post(f"/admin/calls/{call.id}/notices/corrigendum",
                           data={"corrigendum-body": "Annex 2 replaces the template."})
    assert response.status_code == 303
    early = (call.closes_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/calls/{call.id}/notices/extension",
                           data={"extension-new_closes_at": early, "extension-body": "Why not."})
    assert response.status_code == 422 and "must be later than the current one" in text(response)
    assert f'value="{early}"' in text(response) and "Why not.</textarea>" in text(response)
    later = (call.closes_at + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/calls/{call.id}/notices/extension", data={"extension-new_closes_at": later})
    assert response.status_code == 303
    public = text(client.get(f"/calls/{call.id}"))
    assert "Notice 1: Corrigendum" in public and "Annex 2 replaces the template." in public
    assert "Notice 2: Deadline extension" in public and "The deadline moves from" in public


def test_the_applicant_pages_stay_light(client, login, call, asker, admin):
    from tests.quality.conftest import assets_size

    for n in range(5):
        publish(admin, ask(asker, call, f"Question {n}?"), call, answer="A paragraph of answer. " * 20)
    login(asker)
    for url in (f"/calls/{call.id}", f"/calls/{call.id}/questions/ask"):
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.data) + assets_size(response.get_data(as_text=True)) < 20 * 1024, url


def test_the_call_page_runs_as_many_queries_for_one_answer_as_for_six(client, login, call, asker, admin):
    from tests.querycount import count_statements

    publish(admin, ask(asker, call, "First?"), call)
    login(asker)
    _response, few = count_statements(lambda: client.get(f"/calls/{call.id}"))
    for n in range(5):
        publish(admin, ask(asker, call, f"Question {n}?"), call)
    _response, many = count_statements(lambda: client.get(f"/calls/{call.id}"))
    assert many == few
