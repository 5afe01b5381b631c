"""The reviewer's pages: one test per role for each rule, blind reading, and nothing typed lost."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.reviews.models import Assignment, Review
from tests.applications.files import make_pdf
from tests.factories import (
    AssignmentFactory,
    BudgetLineFactory,
    CallReviewSettingsFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    QuestionFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.reviews.test_scoring import add_pdf, count_queries

ORG_NAME = "Kijiji Mesh Collective"
WEBSITE = "https://kijiji.example"
MEMBER = "Amina Odhiambo"
FILE_NAME = "Kijiji budget quotes.pdf"


@pytest.fixture()
def assignment(db):
    """Assigned, not yet declared; the applicant has a website, a named member and a file."""
    assignment = AssignmentFactory(application__organisation__name=ORG_NAME,
                                   application__organisation__website=WEBSITE,
                                   application__title="Solar mesh for Kijiji",
                                   reviewer=ReviewerProfileFactory(user__timezone="America/Lima").user)
    MembershipFactory(organisation=assignment.application.organisation, user__name=MEMBER)
    RubricCriterionFactory(call=assignment.call, label="Relevance", guidance="Does it fit the call?", max_score=5)
    RubricCriterionFactory(call=assignment.call, label="Feasibility", max_score=10, weight=2)
    add_pdf(assignment.application, FILE_NAME)
    return assignment


@pytest.fixture()
def declared(assignment):
    ConflictDeclarationFactory(assignment=assignment)
    return assignment


@pytest.fixture()
def blind(assignment):
    assignment.call.blind_review = True
    _db.session.commit()
    return assignment


def url(assignment, suffix=""):
    return f"/review/assignments/{assignment.id}{suffix}"


def review_data(assignment, action="save", **overrides):
    relevance, feasibility = assignment.call.criteria
    data = {f"score_{relevance.id}": "4", f"score_{feasibility.id}": "8", "recommendation": "fund",
            "comment_to_applicant": "Clear plan for the villages.", "confidential_comment": "Strong local team.",
            "action": action}
    data.update(overrides)
    return data


def page(response) -> str:
    return response.get_data(as_text=True)


# --- who may see what --------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in(client, declared):
    attachment_id = declared.application.attachments[0].id
    for path in ["/review/", url(declared), url(declared, f"/attachments/{attachment_id}")]:
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "/auth/login" in client.post(url(declared), data=review_data(declared)).headers["Location"]
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


@pytest.mark.parametrize("who", ["applicant", "other reviewer", "admin", "own organisation"])
def test_only_the_assigned_reviewer_sees_the_assignment(client, login, declared, who):
    attachment_id = declared.application.attachments[0].id
    if who == "applicant":
        user = _db.session.scalars(select(User).where(User.name == MEMBER)).one()
    elif who == "other reviewer":
        user = ReviewerProfileFactory().user
    elif who == "admin":
        user = UserFactory(roles=["admin"])
    else:
        user = declared.reviewer
        MembershipFactory(user=user, organisation=declared.application.organisation)
    login(user)
    for path in [url(declared), url(declared, f"/attachments/{attachment_id}")]:
        assert client.get(path).status_code == 404
    assert client.post(url(declared), data=review_data(declared)).status_code == 404
    if who in ("applicant", "admin"):
        assert client.get("/review/").status_code == 404
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_an_unknown_assignment_is_not_found(client, login, assignment):
    login(assignment.reviewer)
    assert client.get("/review/assignments/999999").status_code == 404


# --- declaring -------------------------------------------------------------------

def test_before_declaring_only_the_title_and_the_question_are_shown(client, login, assignment):
    login(assignment.reviewer)
    html = page(client.get(url(assignment)))
    assert "Solar mesh for Kijiji" in html and assignment.application.reference in html
    assert ORG_NAME in html  # an open call: the reviewer needs the name to judge the conflict
    assert "I have no conflict of interest" in html and 'name="reason"' in html
    assert assignment.application.summary not in html and FILE_NAME not in html
    attachment_id = assignment.application.attachments[0].id
    assert client.get(url(assignment, f"/attachments/{attachment_id}")).status_code == 404
    # Posting scores before declaring changes nothing.
    response = client.post(url(assignment), data=review_data(assignment))
    assert "conflicts of interest first" in page(response)
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_declaring_no_conflict_opens_the_application(client, login, assignment):
    login(assignment.reviewer)
    response = client.post(url(assignment), data={"action": "declare", "has_conflict": "no"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url(assignment))
    html = page(client.get(url(assignment)))
    assert assignment.application.summary in html and FILE_NAME in html and MEMBER in html
    assert "Relevance" in html and "Does it fit the call?" in html and 'max="10"' in html
    assert "Sent to the applicant with the decision, without your name." in html
    assert "Save and come back later" in html and "Submit review" in html


def test_a_conflict_without_a_reason_is_refused_and_keeps_the_answer(client, login, assignment):
    login(assignment.reviewer)
    response = client.post(url(assignment), data={"action": "declare", "has_conflict": "yes", "reason": " "})
    html = page(response)
    assert response.status_code == 422 and "Please say why you have a conflict of interest." in html
    assert 'checked id="has_conflict-1"' in html
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    response = client.post(url(assignment), data={"action": "declare"})
    assert response.status_code == 422 and "Please choose one of the answers." in page(response)


def test_declaring_a_conflict_removes_the_assignment_and_tells_the_admins(client, login, assignment):
    admin = UserFactory(roles=["admin"])
    path = url(assignment)
    login(assignment.reviewer)
    response = client.post(path, data={"action": "declare", "has_conflict": "yes",
                                                   "reason": "I sit on their board."}, follow_redirects=True)
    assert "You have been removed from this application" in page(response)
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert [n.recipient_id for n in _db.session.scalars(select(Notification))] == [admin.id]
    assert client.get(path).status_code == 404


def test_a_conflict_may_be_declared_later_from_the_review_page(client, login, declared):
    ReviewFactory(assignment=declared)
    login(declared.reviewer)
    assert "I have a conflict of interest after all" in page(client.get(url(declared)))
    response = client.post(url(declared), data={"action": "declare", "has_conflict": "yes", "reason": ""})
    assert response.status_code == 422 and "Please say why" in page(response) and "Relevance" in page(response)
    response = client.post(url(declared), data={"action": "declare", "has_conflict": "yes", "reason": "Old friend."})
    assert response.status_code == 302
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_a_conflict_found_after_submitting_keeps_the_review_but_closes_it(client, login, declared):
    admin = UserFactory(roles=["admin"])
    ReviewFactory(assignment=declared, submitted=True)
    login(declared.reviewer)
    html = page(client.get(url(declared)))
    assert "Your submitted review stays on record but no longer counts towards the scores" in html
    assert "Your scores and comments for this application are deleted" not in html

    response = client.post(url(declared), data={"action": "declare", "has_conflict": "yes",
                                                "reason": "The lead is my cousin."}, follow_redirects=True)
    html = page(response)
    assert "Your submitted review stays on record but no longer counts" in html
    assert "You have been removed" not in html and "Solar mesh for Kijiji" not in html  # gone from the dashboard
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 1
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    assert [n.recipient_id for n in _db.session.scalars(select(Notification))] == [admin.id]
    assert client.get(url(declared)).status_code == 404
    response = client.post(url(declared), data={"action": "declare", "has_conflict": "no"})
    assert response.status_code == 404
    assert client.post(url(declared), data=review_data(declared, "submit")).status_code == 404


# --- blind calls -----------------------------------------------------------------

def test_a_blind_call_hides_who_applied_on_every_reviewer_page(client, login, blind):
    login(blind.reviewer)
    for html in (page(client.get("/review/")), page(client.get(url(blind)))):
        assert ORG_NAME not in html and "Solar mesh for Kijiji" in html
    client.post(url(blind), data={"action": "declare", "has_conflict": "no"})
    html = page(client.get(url(blind)))
    for secret in (ORG_NAME, WEBSITE, "kijiji.example", MEMBER, FILE_NAME, "budget quotes"):
        assert secret not in html
    assert "Attachment 1</a> <span class=\"muted\">(PDF, 1 kB)</span>" in html
    assert "<dd>Africa</dd>" in html and "Non-governmental organisation" in html  # to judge fit
    attachment_id = blind.application.attachments[0].id
    response = client.get(url(blind, f"/attachments/{attachment_id}"))
    assert response.status_code == 200 and response.data == make_pdf()
    assert response.headers["Content-Disposition"] == "attachment; filename=attachment-1.pdf"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_open_call_names_the_file_in_its_download(client, login, declared):
    login(declared.reviewer)
    attachment_id = declared.application.attachments[0].id
    response = client.get(url(declared, f"/attachments/{attachment_id}"))
    assert response.status_code == 200 and FILE_NAME in response.headers["Content-Disposition"]
    other = add_pdf(AssignmentFactory().application, "other.pdf")
    assert client.get(url(declared, f"/attachments/{other.id}")).status_code == 404


# --- scoring ---------------------------------------------------------------------

def test_a_bad_post_loses_nothing_that_was_typed(client, login, declared):
    relevance, feasibility = declared.call.criteria
    login(declared.reviewer)
    response = client.post(url(declared), data=review_data(declared, "submit", **{f"score_{relevance.id}": "7"}))
    html = page(response)
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 5." in html and 'aria-invalid="true"' in html
    assert 'value="7"' in html and 'value="8"' in html
    assert "Clear plan for the villages." in html and "Strong local team." in html
    assert 'checked id="recommendation-0"' in html
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_a_draft_is_saved_and_shown_again(client, login, declared):
    relevance, feasibility = declared.call.criteria
    login(declared.reviewer)
    response = client.post(url(declared), data=review_data(declared, **{f"score_{feasibility.id}": "",
                                                                        "recommendation": ""}))
    # Back to the review itself, where the saved scores' total shows (tests/reviews/test_review_total.py).
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url(declared)}#review-total")
    html = page(client.get(url(declared)))
    assert "Your draft review was saved" in html
    assert 'value="4"' in html and "Clear plan for the villages." in html
    assert "1 of 2 criteria scored" in page(client.get("/review/"))


def test_submitting_without_every_score_marks_the_missing_one(client, login, declared):
    relevance, feasibility = declared.call.criteria
    login(declared.reviewer)
    response = client.post(url(declared), data=review_data(declared, "submit", **{f"score_{feasibility.id}": ""}))
    html = page(response)
    assert response.status_code == 422 and "Give a score from 0 to 10 before submitting." in html
    assert f'href="#score_{feasibility.id}"' in html and 'value="4"' in html


def test_a_submitted_review_can_be_changed_until_the_deadline(client, login, declared):
    relevance, feasibility = declared.call.criteria
    settings = CallReviewSettingsFactory(call=declared.call, review_deadline_at=utcnow() + timedelta(days=1))
    login(declared.reviewer)
    assert client.post(url(declared), data=review_data(declared, "submit")).status_code == 302
    dashboard = page(client.get("/review/"))
    assert "Your review was submitted" in dashboard and "status-submitted" in dashboard
    html = page(client.get(url(declared)))
    assert "Save changes to my submitted review" in html and "Save and come back later" not in html
    client.post(url(declared), data=review_data(declared, "submit", **{f"score_{relevance.id}": "2"}))
    review = _db.session.scalar(select(Review))
    assert review.status == "submitted" and {s.score for s in review.scores} == {2, 8}

    settings.review_deadline_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    html = page(client.get(url(declared)))
    assert "The review deadline has passed" in html and "Submit review" not in html and "2 of 5" in html
    response = client.post(url(declared), data=review_data(declared, "submit", **{f"score_{relevance.id}": "5"}),
                           follow_redirects=True)
    assert "can no longer change" in page(response)
    assert {s.score for s in _db.session.scalar(select(Review)).scores} == {2, 8}


def test_a_save_after_the_deadline_shows_what_was_typed_to_copy(client, login, declared):
    relevance, _feasibility = declared.call.criteria
    ReviewFactory(assignment=declared, submitted=True, scores={relevance: 2},
                  comment_to_applicant="Saved in time.", confidential_comment="Saved note.")
    # The deadline passed while the reviewer was typing.
    CallReviewSettingsFactory(call=declared.call, review_deadline_at=utcnow() - timedelta(seconds=1))
    login(declared.reviewer)

    response = client.post(url(declared), data=review_data(
        declared, "submit", comment_to_applicant="Typed <too> late.", confidential_comment="Late panel note."))
    html = page(response)
    assert response.status_code == 409
    assert "The review deadline has passed: reviews of this call can no longer change." in html
    assert 'class="error-summary"' in html and "What you typed was not saved" in html
    assert 'readonly>Typed &lt;too&gt; late.</textarea>' in html and "readonly>Late panel note.</textarea>" in html
    assert "Saved in time." in html  # the stored review, read-only, beside it
    assert 'name="action"' not in html.split('id="review"')[1]  # no form to send again
    review = _db.session.scalar(select(Review))
    _db.session.refresh(review)
    assert review.comment_to_applicant == "Saved in time." and {s.score for s in review.scores} == {2}


# --- the dashboard ---------------------------------------------------------------

def test_the_dashboard_shows_due_dates_in_the_reviewers_zone_and_overdue_ones(client, login, assignment):
    late = AssignmentFactory(reviewer=assignment.reviewer, due_at=utcnow() - timedelta(days=1),
                             application__title="Late one")
    login(assignment.reviewer)
    html = page(client.get("/review/"))
    assert "Solar mesh for Kijiji" in html and "Late one" in html and ORG_NAME in html
    assert "(America/Lima)" in html and html.count("Overdue") == 1
    assert html.index("Late one") < html.index("Solar mesh for Kijiji")
    assert "declare any conflict of interest first" in html
    assert f'href="/review/assignments/{late.id}"' in html and 'href="/review/profile"' in html


# --- a fixed number of queries ---------------------------------------------------

def test_the_reviewer_pages_do_not_grow_with_the_data(client, login, declared):
    application = declared.application
    login(declared.reviewer)

    def counts():
        return [count_queries(lambda: client.get(path), declared.reviewer)[1]
                for path in ("/review/", url(declared))]

    small = counts()
    for n in range(4):
        MembershipFactory(organisation=application.organisation)
        add_pdf(application, f"file {n}.pdf")
        QuestionFactory(call=declared.call)
        RubricCriterionFactory(call=declared.call)
        BudgetLineFactory(application=application)
        ConflictDeclarationFactory(assignment=AssignmentFactory(reviewer=declared.reviewer))
    assert counts() == small


def _statements(run, user) -> tuple[object, list[str]]:
    """`run()`'s result and the statements it sent (savepoints left out), for asking which tables a page read."""
    seen = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            seen.append(" ".join(statement.split()))

    user.id  # noqa: B018  (load the expired user first: only the page's own statements count)
    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return result, seen


def _loading(statements: list[str], table: str, column: str = "id") -> int:
    """How many of the statements read `table`'s rows (its `column`) first, rather than join it to another's."""
    return sum(1 for statement in statements if statement.startswith(f"SELECT {table}.{column}"))


def test_the_review_page_reads_the_call_settings_and_the_assignment_once(client, login, declared):
    CallReviewSettingsFactory(call=declared.call, review_deadline_at=utcnow() + timedelta(days=3))
    declared.due_at = None  # the due date then comes from the call's deadline, which the page shows too
    _db.session.commit()
    login(declared.reviewer)
    response, statements = _statements(lambda: client.get(url(declared)), declared.reviewer)
    assert response.status_code == 200 and "Reviews close" in page(response)
    assert _loading(statements, "call_review_settings", "review_deadline_at") == 1
    # The application, its organisation and call come with the assignment, not one statement each.
    assert _loading(statements, "applications") == _loading(statements, "calls") == 0
    assert _loading(statements, "organisations") == 0


def test_the_declaration_page_asks_the_membership_once(client, login, assignment):
    login(assignment.reviewer)
    response, statements = _statements(lambda: client.get(url(assignment)), assignment.reviewer)
    assert response.status_code == 200 and ORG_NAME in page(response)
    assert _loading(statements, "memberships") == 1
