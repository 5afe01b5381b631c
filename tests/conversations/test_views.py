"""The pages, one test per role for each rule: asking, answering, the history, the thread and its files."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.conversations.constants import ClarificationStatus
from cade.conversations.models import Message
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.applications.files import make_pdf
from tests.conversations.conftest import ask, tomorrow
from tests.quality.conftest import assets_size


def _ask_form(**overrides):
    return {"fields": ["summary"], "message": "Who maintains the masts?", "due_on": tomorrow().isoformat(),
            **overrides}


def test_an_admin_asks_from_the_application_page(client, login, admin, application):
    login(admin)
    page = client.get(f"/applications/{application.id}")
    assert "Ask the applicant to clarify" in page.text
    form = client.get(f"/applications/{application.id}/clarifications/new")
    assert form.status_code == 200 and "How will the network be maintained?" in form.text
    response = client.post(f"/applications/{application.id}/clarifications/new", data=_ask_form())
    assert response.status_code == 302
    _db.session.expire_all()
    assert application.status == ApplicationStatus.INFO_REQUESTED
    page = client.get(f"/applications/{application.id}")
    assert "Who maintains the masts?" in page.text and "Withdraw the request" in page.text


def test_a_refused_request_shows_again_with_what_was_typed(client, login, admin, application):
    login(admin)
    response = client.post(f"/applications/{application.id}/clarifications/new",
                           data=_ask_form(fields=[], due_on="2001-01-01"))
    assert response.status_code == 422
    assert "Who maintains the masts?" in response.text
    assert "Choose at least one part" in response.text and "cannot be due in the past" in response.text


def test_the_second_admin_is_told_a_request_is_open_and_keeps_what_they_typed(client, login, admin, application):
    login(admin)
    form = client.get(f"/applications/{application.id}/clarifications/new")  # read before the other admin asked
    assert form.status_code == 200
    ask(admin, application)
    response = client.post(f"/applications/{application.id}/clarifications/new",
                           data=_ask_form(message="My own question"))
    assert response.status_code == 409
    assert "already open" in response.text and "My own question" in response.text


@pytest.mark.parametrize("who,allowed,status", [
    ("reviewer", True, 200), ("reviewer", False, 403), ("undeclared_reviewer", True, 404),
    ("other_reviewer", True, 404), ("stranger", True, 404), ("owner", True, 403),
])
def test_who_may_open_the_request_form(request, client, login, call, application, who, allowed, status):
    call.reviewers_may_clarify = allowed
    _db.session.commit()
    login(request.getfixturevalue(who))
    assert client.get(f"/applications/{application.id}/clarifications/new").status_code == status


def test_the_applicant_answers_only_the_named_fields_and_review_resumes(client, login, admin, owner, application,
                                                                       question, outbox):
    clarification = ask(admin, application, fields=["summary", question.field_name])
    login(owner)
    page = client.get(f"/applications/{application.id}")
    assert "Answer the request" in page.text
    form = client.get(f"/clarifications/{clarification.id}/answer")
    assert form.status_code == 200
    assert 'name="summary"' in form.text and f'name="{question.field_name}"' in form.text
    assert 'name="title"' not in form.text and 'name="requested_amount"' not in form.text
    assert len(form.data) + assets_size(form.text) < 20_000  # an applicant's page, with its CSS and JS

    saved = client.post(f"/clarifications/{clarification.id}/answer",
                        data={"summary": "Kept by the cooperative.", question.field_name: "Two technicians.",
                              "response": "Both parts now say who.", "action": "save"})
    assert saved.status_code == 303
    _db.session.expire_all()
    assert application.summary == "Kept by the cooperative." and clarification.response == "Both parts now say who."

    sent = client.post(f"/clarifications/{clarification.id}/answer",
                       data={"summary": "Kept by the cooperative.", question.field_name: "Two technicians.",
                             "response": "Both parts now say who.", "action": "send"})
    assert sent.status_code == 303 and sent.location.endswith(f"/applications/{application.id}")
    _db.session.expire_all()
    assert application.status == ApplicationStatus.SUBMITTED
    assert clarification.status == ClarificationStatus.ANSWERED
    again = client.post(f"/clarifications/{clarification.id}/answer",
                        data={"summary": "x", "response": "y", "action": "send"})
    assert again.status_code == 302
    assert "already been answered" in client.get(again.location).text


def test_a_posted_field_that_was_not_reopened_is_refused_and_nothing_saved(client, login, admin, owner, application):
    clarification = ask(admin, application)
    login(owner)
    response = client.post(f"/clarifications/{clarification.id}/answer",
                           data={"summary": "New", "title": "Sneaky", "response": "r", "action": "save"})
    assert response.status_code == 422
    assert "was not reopened" in response.text and "New</textarea>" in response.text  # what was typed, kept
    _db.session.expire_all()
    assert application.title != "Sneaky" and application.summary == "We will connect three villages."


def test_an_answer_sent_after_the_due_date_is_kept_with_what_to_do(client, login, admin, owner, application):
    clarification = ask(admin, application)
    clarification.due_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    login(owner)
    response = client.post(f"/clarifications/{clarification.id}/answer",
                           data={"summary": "Late but here", "response": "Sorry.", "action": "send"},
                           follow_redirects=True)
    assert "kept as a draft" in response.text and "Ask the programme for more time" in response.text
    _db.session.expire_all()
    assert application.summary == "Late but here" and application.status == ApplicationStatus.INFO_REQUESTED


def test_an_incomplete_answer_is_refused_beside_the_field(client, login, admin, owner, application):
    clarification = ask(admin, application)
    login(owner)
    response = client.post(f"/clarifications/{clarification.id}/answer",
                           data={"summary": "", "response": "", "action": "send"})
    assert response.status_code == 422
    assert "Write a short summary." in response.text and "Write your answer to the request." in response.text


@pytest.mark.parametrize("who,status", [("stranger", 404), ("admin", 403), ("reviewer", 403)])
def test_only_the_organisation_opens_the_answer_page(request, client, login, admin, application, who, status):
    clarification = ask(admin, application)
    login(request.getfixturevalue(who))
    assert client.get(f"/clarifications/{clarification.id}/answer").status_code == status


def test_staff_withdraw_or_move_the_due_date_and_others_cannot(client, login, admin, owner, application):
    clarification = ask(admin, application)
    login(owner)
    assert client.post(f"/clarifications/{clarification.id}/withdraw").status_code == 404
    login(admin)
    later = (tomorrow() + timedelta(days=5)).isoformat()
    assert client.post(f"/clarifications/{clarification.id}/due", data={"due_on": later}).status_code == 302
    refused = client.post(f"/clarifications/{clarification.id}/due", data={"due_on": "2001-01-01"},
                          follow_redirects=True)
    assert "after the current due date" in refused.text
    client.post(f"/clarifications/{clarification.id}/withdraw")
    _db.session.expire_all()
    assert clarification.status == ClarificationStatus.WITHDRAWN


def test_the_reviewer_reads_the_history_and_shared_messages_without_names_in_a_blind_call(
        client, login, admin, owner, application, reviewer, call):
    call.blind_review = True
    _db.session.commit()
    clarification = ask(admin, application)
    login(owner)
    client.post(f"/applications/{application.id}/messages", data={"body": "Mtaani Mesh here: photos attached.",
                                                                   "files": (io.BytesIO(make_pdf()), "mtaani.pdf")})
    message = _db.session.scalar(select(Message).where(Message.side == "organisation"))
    login(reviewer)
    from cade.reviews.models import Assignment

    assignment = _db.session.scalar(select(Assignment).where(Assignment.reviewer_id == reviewer.id))
    page = client.get(f"/review/assignments/{assignment.id}")
    assert "Clarification requests" in page.text and clarification.message in page.text
    assert "photos attached" not in page.text  # not shared yet
    login(admin)
    client.post(f"/messages/{message.id}/share")
    login(reviewer)
    page = client.get(f"/review/assignments/{assignment.id}")
    assert "photos attached" in page.text and "The applicant" in page.text
    assert "Amina Owner" not in page.text and "mtaani.pdf" not in page.text
    download = client.get(f"/messages/files/{message.attachments[0].id}")
    assert download.status_code == 200 and "mtaani" not in download.headers["Content-Disposition"]


def test_the_thread_page_its_files_and_who_may_reach_them(client, login, admin, owner, stranger, reviewer,
                                                          application, outbox):
    login(owner)
    response = client.post(f"/applications/{application.id}/messages",
                           data={"body": "The quote", "files": (io.BytesIO(make_pdf()), "quote.pdf")})
    assert response.status_code == 303
    refused = client.post(f"/applications/{application.id}/messages",
                          data={"body": "Another", "files": (io.BytesIO(b"MZ nope"), "evil.pdf")})
    assert refused.status_code == 422 and "Another" in refused.text and "Choose the files again" in refused.text
    message = _db.session.scalar(select(Message))
    attachment_id = message.attachments[0].id
    download = client.get(f"/messages/files/{attachment_id}")
    assert download.status_code == 200
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    login(admin)
    assert "The quote" in client.get(f"/applications/{application.id}/messages").text
    for who in (stranger, reviewer):
        login(who)
        assert client.get(f"/applications/{application.id}/messages").status_code == 404
        assert client.get(f"/messages/files/{attachment_id}").status_code == 404
        assert client.post(f"/messages/{message.id}/share").status_code == 404
    login(owner)
    assert client.get(f"/applications/{application.id}/messages/grant").status_code == 404


def test_the_call_setting_page_is_for_admins(client, login, admin, owner, call):
    login(owner)
    assert client.get(f"/admin/calls/{call.id}/clarifications").status_code == 404
    login(admin)
    assert "Clarification requests" in client.get(f"/admin/calls/{call.id}").text
    assert client.get(f"/admin/calls/{call.id}/clarifications").status_code == 200
    client.post(f"/admin/calls/{call.id}/clarifications", data={"reviewers_may_clarify": "y"})
    _db.session.expire_all()
    assert call.reviewers_may_clarify is True


def test_the_decision_page_says_deciding_waits(client, login, admin, application):
    ask(admin, application)
    login(admin)
    page = client.get(f"/admin/applications/{application.id}/decision")
    assert "Decide once they have answered" in page.text


def test_the_grant_page_leads_to_the_grants_own_thread(client, login):
    from cade.grants.services import open_grant
    from tests.grants.helpers import accepted_decision

    decision, owner = accepted_decision()
    decision.application.status = ApplicationStatus.AWARDED
    grant = open_grant(decision)
    _db.session.commit()
    login(owner)
    page = client.get(f"/grants/{grant.id}")
    assert "Messages about this grant" in page.text
    thread = client.post(f"/applications/{decision.application_id}/messages/grant", data={"body": "Tranche 2?"})
    assert thread.status_code == 303 and thread.location.startswith(
        f"/applications/{decision.application_id}/messages/grant")


def test_the_pages_ask_as_many_queries_for_many_requests_and_messages_as_for_one(client, login, admin, owner,
                                                                                 application, reviewer):
    from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
    from cade.applications.services import DraftInput
    from cade.reviews.models import Assignment
    from tests.querycount import count_statements

    assignment_id = _db.session.scalar(select(Assignment.id).where(Assignment.reviewer_id == reviewer.id))

    def answered_round():
        clarification = ask(admin, application, fields=["summary", "budget_lines"])
        save_answer(owner, clarification.id, DraftInput.from_input({}, currency="USD"),
                    ResponseInput.from_input({"response": "Done."}))
        answer_clarification(owner, clarification.id)
        _db.session.commit()
        login(owner)
        client.post(f"/applications/{application.id}/messages",
                    data={"body": "A file", "files": (io.BytesIO(make_pdf()), "a.pdf")})

    def counts():
        found = {}
        thread = f"/applications/{application.id}/messages"
        for who, path in ((admin, f"/applications/{application.id}"), (admin, thread), (owner, thread),
                          (reviewer, f"/review/assignments/{assignment_id}")):
            login(who)
            response, found[(who.id, path)] = count_statements(lambda: client.get(path))
            assert response.status_code == 200, path
        return found

    answered_round()
    one = counts()
    for _ in range(3):
        answered_round()
    assert counts() == one


def test_budget_lines_reopened_are_edited_on_the_answer_page_without_javascript(client, login, admin, owner,
                                                                                application):
    clarification = ask(admin, application, fields=["budget_lines", "requested_amount"])
    login(owner)
    url = f"/clarifications/{clarification.id}/answer"
    page = client.get(url)
    assert 'name="budget_lines-0-amount"' in page.text and 'name="requested_amount"' in page.text
    line = {"budget_lines-0-category": "equipment", "budget_lines-0-description": "Solar panels",
            "budget_lines-0-amount": "12000"}
    added = client.post(url, data={**line, "requested_amount": "20000", "response": "", "action": "add_line"})
    assert added.status_code == 303 and "rows=2" in added.location
    assert 'name="budget_lines-1-amount"' in client.get(added.location).text
    refused = client.post(url, data={**line, "requested_amount": "20000", "response": "Split.", "action": "send"})
    assert refused.status_code == 422 and "add up to" in refused.text
    sent = client.post(url, data={**line, "budget_lines-1-category": "equipment",
                                  "budget_lines-1-description": "Batteries", "budget_lines-1-amount": "8000",
                                  "requested_amount": "20000", "response": "Split.", "action": "send"})
    assert sent.status_code == 303
    _db.session.expire_all()
    assert [line.amount_minor for line in application.budget_lines] == [12_000_00, 8_000_00]


def test_the_applicants_dashboard_and_application_page_lead_to_the_open_request(client, login, admin, owner,
                                                                                application):
    login(owner)
    assert "Answer the request" not in client.get("/applications/").text
    ask(admin, application)
    dashboard = client.get("/applications/").text
    assert f'/applications/{application.id}#clarification-open">Answer the request' in dashboard
    page = client.get(f"/applications/{application.id}").text
    assert 'href="#clarification-open"' in page and 'id="clarification-open"' in page
