"""A reviewer of a blind call sees nothing of an organisation at risk but its answers: every page, file and e-mail."""

import io
import re

import pytest

from cade.applications.models import Answer, Attachment
from cade.applications.services import DraftInput
from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
from cade.conversations.constants import ThreadTopic
from cade.conversations.threads import MessageInput, Upload, post_message, share_message
from cade.core.db import utcnow
from cade.core.questionnaires import QuestionKind
from cade.core.storage import get_storage
from cade.extensions import db as _db
from cade.notifications.rendering import render_in_app, render_notification
from cade.reviews.services.assignment import assign_reviewer
from tests.applications.files import make_pdf
from tests.conversations.conftest import ask
from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    OrganisationFactory,
    QuestionFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
)

ORGANISATION = {"name": "Hidden Rights Collective", "acronym": "HRCX", "city": "Labasa",
                "website": "https://hidden-rights.example.fj", "registration_number": "FJ-REG-77123"}
PEOPLE = ("Amina Owner", "Kofi Member")
FILES = ("HRCX budget quotes.pdf", "Hidden Rights annual report.pdf", "Labasa letter.pdf")
# What identifies the organisation: none of it may reach its blind reviewer.
SECRETS = (*ORGANISATION.values(), "hidden-rights", "Hidden Rights", *PEOPLE, "Amina", "Kofi", *FILES, "Labasa")


def attach(application, name, question=None) -> Attachment:
    stored_name, size, sha256 = get_storage().put(io.BytesIO(make_pdf()), 10_000_000)
    attachment = Attachment(application_id=application.id, stored_name=stored_name, original_name=name,
                            content_type="application/pdf", size=size, sha256=sha256, uploaded_at=utcnow(),
                            uploaded_by_id=None, question_id=question.id if question else None)
    _db.session.add(attachment)
    _db.session.commit()
    return attachment


@pytest.fixture()
def case(db, admin):
    """A blind call; an application of an organisation at risk with an answer, a file per question and one more,
    assigned to a reviewer through the service; the reviewer asked a clarification that the owner answered, and
    an admin shared a message of the owner's with a file."""
    call = CallFactory(blind_review=True, reviewers_may_clarify=True, reference_prefix="BL-2026",
                       timezone="UTC")
    text_question = QuestionFactory(call=call, label="How will the network be maintained?")
    file_question = QuestionFactory(call=call, label="Quotes", kind=QuestionKind.FILE, word_limit=None)
    RubricCriterionFactory(call=call, label="Relevance", max_score=5)
    organisation = OrganisationFactory(country="FJ", at_risk=True, organisation_type="ngo", **ORGANISATION)
    owner = MembershipFactory(organisation=organisation, role="owner", user__name=PEOPLE[0]).user
    MembershipFactory(organisation=organisation, role="member", user__name=PEOPLE[1])
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner, submitted=True,
                                     title="Solar mesh for three islands", requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    _db.session.add(Answer(application_id=application.id, question_id=text_question.id,
                           text="Two technicians trained by the cooperative."))
    _db.session.commit()
    attach(application, FILES[0], file_question)
    attach(application, FILES[1])
    reviewer = ReviewerProfileFactory(user__name="Rita Reviewer").user
    newcomer = ReviewerProfileFactory(user__name="Nour Newcomer").user
    assignment = assign_reviewer(admin, application.id, reviewer.id)
    undeclared = assign_reviewer(admin, application.id, newcomer.id)
    ConflictDeclarationFactory(assignment=assignment)  # "no conflict": the reviewer reads it and may ask
    _db.session.commit()
    clarification = ask(reviewer, application)
    save_answer(owner, clarification.id, DraftInput.from_input({"summary": "Three islands, one cooperative."},
                                                                currency=call.currency),
                ResponseInput.from_input({"response": "The cooperative maintains the masts."}))
    answer_clarification(owner, clarification.id)
    message = post_message(owner, application.id, ThreadTopic.APPLICATION,
                           MessageInput.from_input({"body": "Here is the letter of support."}),
                           [Upload(io.BytesIO(make_pdf()), FILES[2])])
    share_message(admin, message.id)
    _db.session.commit()
    return {"assignment": assignment, "application": application, "reviewer": reviewer, "message": message,
            "owner": owner, "undeclared": undeclared, "newcomer": newcomer}


def assert_anonymous(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), (where, secret)


def test_the_conflict_question_does_not_name_it(client, login, case):
    login(case["newcomer"])
    base = f"/review/assignments/{case['undeclared'].id}"
    for response in (client.get("/review/"), client.get(base)):
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Solar mesh for three islands" in html
        assert_anonymous(html, "before declaring")
    assert client.post(base, data={"action": "declare", "has_conflict": "no"}).status_code == 302
    assert_anonymous(client.get(base).get_data(as_text=True), "after declaring")


def test_every_page_of_the_reviewer_shows_the_answers_and_nothing_that_identifies(client, login, case):
    assignment, application = case["assignment"], case["application"]
    login(case["reviewer"])
    base = f"/review/assignments/{assignment.id}"
    pages = {"dashboard": client.get("/review/"), "review": client.get(base),
             "ask": client.get(f"/applications/{application.id}/clarifications/new")}
    for where, response in pages.items():
        assert response.status_code in (200, 409), where  # asking again is refused while a request is answered
        assert_anonymous(response.get_data(as_text=True), where)
    review = pages["review"].get_data(as_text=True)
    # The answers, the clarification's response and the shared message are there, under neutral names.
    for shown in ("Two technicians trained by the cooperative.", "Three islands, one cooperative.",
                  "The cooperative maintains the masts.", "Here is the letter of support.",
                  "Attachment 1", "Attachment 2", "The applicant"):
        assert shown in review, shown
    # Region and type stay, to judge fit to the call (Melanesia's region is Oceania); the country does not.
    assert "<dd>Oceania</dd>" in review and "Fiji" not in review


def test_every_file_downloads_under_a_number(client, login, case):
    assignment, application, message = case["assignment"], case["application"], case["message"]
    login(case["reviewer"])
    base = f"/review/assignments/{assignment.id}"
    links = re.findall(r'href="(/review/assignments/\d+/attachments/\d+|/messages/files/\d+)"',
                       client.get(base).get_data(as_text=True))
    expected = {f"{base}/attachments/{a.id}" for a in application.attachments} | {
        f"/messages/files/{f.id}" for f in message.attachments}
    assert set(links) == expected
    for link in expected:
        response = client.get(link)
        assert response.status_code == 200 and response.data == make_pdf(), link
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r"attachment; filename=attachment-\d+\.pdf", disposition), disposition


def test_the_reviewers_e_mails_do_not_name_it_either(case, outbox):
    reviewer = case["reviewer"]
    rows = [row for row in outbox() if row.recipient_id == reviewer.id]
    assert {row.kind for row in rows} == {"reviews.assigned", "conversations.clarification_answered"}
    for row in rows:
        subject, text, html = render_notification(row)
        for part in (subject, text, html or "", *render_in_app(row)):
            assert_anonymous(part, row.kind)


def test_the_same_application_in_an_open_call_names_it_to_its_reviewer(client, login, case):
    """The control: what the blind call hides is there to hide (an open call names the organisation)."""
    assignment = case["assignment"]
    assignment.call.blind_review = False
    _db.session.commit()
    login(case["reviewer"])
    base = f"/review/assignments/{assignment.id}"
    review = client.get(base).get_data(as_text=True)
    for shown in (ORGANISATION["name"], ORGANISATION["website"], PEOPLE[0], FILES[0], FILES[2]):
        assert shown in review, shown
