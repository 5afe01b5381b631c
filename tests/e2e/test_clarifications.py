"""Issue 14's clarification journey in a real browser: an admin asks the applicant to clarify the summary; the
applicant answers that field alone (a send without a response is refused beside it, nothing typed lost) and
resubmits; the application is back in review with the history, before and after, on the admin's page. A message
with a file goes through the thread, and the admin shares it with the reviewer, who reads it beside the history.
Axe checks every page on the way."""

from datetime import timedelta

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Answer, Application
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.applications.files import make_pdf
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (ApplicationFactory, AssignmentFactory, BudgetLineFactory, CallFactory,
                             ConflictDeclarationFactory, MembershipFactory, OrganisationFactory, QuestionFactory,
                             ReviewerProfileFactory, UserFactory)


def _submitted():
    call = CallFactory(title="Community networks 2026", min_award_minor=1_000_00, max_award_minor=40_000_00)
    question = QuestionFactory(call=call, label="How will the network be maintained?")
    organisation = OrganisationFactory(name="Mtaani Mesh")
    owner = UserFactory(name="Amina Diallo")
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner, submitted=True,
                                     requested_amount_minor=20_000_00, title="Mesh for three villages")
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    _db.session.add(Answer(application_id=application.id, question_id=question.id, text="Volunteers."))
    reviewer = ReviewerProfileFactory(user__name="Rita Reviewer").user
    ConflictDeclarationFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer))
    _db.session.commit()
    return application, owner, reviewer


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_admin_asks_the_applicant_answers_the_named_field_and_review_resumes(page, admin, tmp_path):
    audit = Audit(page)
    application, owner, reviewer = _submitted()

    sign_in(page, admin)
    page.goto(f"/applications/{application.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Ask the applicant to clarify").click()
    audit.check("ask page")
    page.get_by_label("Summary", exact=True).check()
    page.get_by_label("What to clarify").fill("Who maintains the masts once the grant ends?")
    page.get_by_label("Answer due by").fill((utcnow() + timedelta(days=7)).date().isoformat())
    send(page, page.get_by_role("button", name="Send the request"))
    assert "Review is paused" in _main(page)
    audit.check("application page, request open (admin)")

    sign_in(page, owner)
    page.goto(f"/applications/{application.id}")
    assert "The programme asks you to clarify your application" in _main(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Answer the request").click()
    audit.check("answer page")
    assert page.get_by_label("Title").count() == 0, "only the named field reopens"
    page.get_by_label("Summary").fill("Three villages; two trained technicians of the cooperative maintain the masts.")
    send(page, page.get_by_role("button", name="Send my answer"))
    assert "Write your answer to the request." in _main(page)
    assert page.get_by_label("Summary").input_value().startswith("Three villages; two trained technicians")
    audit.check("answer page with an error")
    page.get_by_label("Your answer to the request").fill("The summary now names who maintains the masts.")
    send(page, page.get_by_role("button", name="Send my answer"))
    assert "back in review" in _main(page)
    _db.session.expire_all()
    # A reviewer is assigned: review resumes under review.
    assert _db.session.get(Application, application.id).status == ApplicationStatus.UNDER_REVIEW

    with page.expect_navigation():
        page.get_by_role("link", name="Read and write messages").click()
    quote = tmp_path / "maintenance-contract.pdf"
    quote.write_bytes(make_pdf())
    page.get_by_label("Your message").fill("The maintenance contract is attached.")
    page.get_by_label("Files").set_input_files(str(quote))
    send(page, page.get_by_role("button", name="Send the message"))
    assert "maintenance-contract.pdf" in _main(page)
    audit.check("thread page")

    sign_in(page, admin)
    page.goto(f"/applications/{application.id}#clarifications")
    history = _main(page)
    assert "We will connect three villages." in history  # before
    assert "two trained technicians of the cooperative" in history  # after
    assert "The summary now names who maintains the masts." in history and "Answered" in history
    audit.check("application page with the history (admin)")
    page.goto(f"/applications/{application.id}/messages")
    send(page, page.get_by_role("button", name="Share with the reviewers").last)
    audit.check("thread page (admin)")

    sign_in(page, reviewer)
    page.goto("/review/")
    with page.expect_navigation():
        page.get_by_role("link", name="Mesh for three villages").click()
    review = _main(page)
    assert "The summary now names who maintains the masts." in review  # the history
    assert "The maintenance contract is attached." in review  # the message shared
    audit.check("review page with the history and a shared message")
    audit.assert_clean()
