"""The admin's review page of a call and the run progress page: roles, forms, refusals, queries."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.core.runs import ABANDONED, Run
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.reviews.models import Assignment, CallReviewSettings, ConflictDeclaration, Review
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    ReviewFactory,
)
from tests.querycount import count_statements


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh call", timezone="Africa/Nairobi", reviews_required=2)


@pytest.fixture()
def application(call):
    return ApplicationFactory(call=call, submitted=True, title="Village mesh")


@pytest.fixture()
def reviewer(db):
    return ReviewerProfileFactory(user__name="Rita Reviewer", max_load=4).user


def count(model, *where) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def page_of(call):
    return f"/admin/calls/{call.id}/review"


# --- who may see the pages ----------------------------------------------------------------------------------


def assignment_run(call, **values) -> Run:
    """A run of the call's automatic assignment, as the service would have left it."""
    values.setdefault("status", "succeeded")
    values.setdefault("result", {"assigned_count": 0, "uncovered": []})
    run = Run(kind="assignment", scope=f"call:{call.id}", params={"call_id": call.id}, **values)
    _db.session.add(run)
    _db.session.commit()
    return run


def _pages_and_posts(call, application):
    run = assignment_run(call)
    assignment = AssignmentFactory(application=application)
    _db.session.commit()
    gets = [page_of(call), f"/runs/{run.id}", f"/runs/{run.id}.json"]
    posts = [f"/admin/calls/{call.id}/review/deadline", f"/admin/applications/{application.id}/assignments",
             f"/admin/calls/{call.id}/assignments", f"/admin/assignments/{assignment.id}/remove",
             f"/admin/calls/{call.id}/auto-assign"]
    return gets, posts


def test_anonymous_visitors_are_sent_to_sign_in(client, call, application):
    gets, posts = _pages_and_posts(call, application)
    for path in gets + posts:
        response = client.open(path, method="GET" if path in gets else "POST")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path


@pytest.mark.parametrize("who", ["applicant", "reviewer"])
def test_applicants_and_reviewers_get_not_found(client, login, call, application, who):
    gets, posts = _pages_and_posts(call, application)
    if who == "applicant":
        login(MembershipFactory(organisation=application.organisation).user)
    else:
        login(ReviewerProfileFactory().user)
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert client.post(path, data={}).status_code == 404, path
    assert count(Assignment) == 1 and count(Run) == 1


def test_admins_see_the_page(client, login, admin, call, application):
    gets, _posts = _pages_and_posts(call, application)
    login(admin)
    for path in gets:
        assert client.get(path).status_code == 200, path


def test_the_old_address_of_a_run_leads_to_its_page(client, login, admin, call):
    run = assignment_run(call)
    login(admin)
    response = client.get(f"/admin/assignment-runs/{run.id}")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/runs/{run.id}")


# --- the review page ----------------------------------------------------------------------------------------


def test_the_page_lists_applications_reviewers_and_conflicts_and_offers_the_pool_once(client, login, admin, call,
                                                                                     application, reviewer):
    member = ReviewerProfileFactory(user__name="Mo Member").user
    MembershipFactory(organisation=application.organisation, user=member)
    drafting = AssignmentFactory(application=application, reviewer=ReviewerProfileFactory(user__name="Di Draft").user)
    ReviewFactory(assignment=drafting)
    AssignmentFactory(application=application, reviewer=ReviewerProfileFactory(user__name="Una Nanswered").user)
    ApplicationFactory(call=call, title="Still a draft")
    login(admin)

    html = client.get(page_of(call)).get_data(as_text=True)

    assert application.reference in html and "Village mesh" in html and "Still a draft" not in html
    assert "Di Draft" in html and "Draft" in html and "Una Nanswered" in html and "conflict question not answered yet" in html
    row = html.split(f'id="application-{application.id}"')[1].split("</tr>")[0]
    assert "1 reviewer in conflict" in row and "Mo Member is a member of the applicant organisation." in row
    pool = html.split('<datalist id="pool-reviewers">')[1].split("</datalist>")[0]
    assert f'<option value="Rita Reviewer &lt;{reviewer.email}&gt;">Rita Reviewer (0 of 4)</option>' in pool
    assert "Di Draft (1 of 10)" in pool
    assert f'id="a{application.id}-reviewer"' in row and 'list="pool-reviewers"' in row and "<option" not in row
    assert f'for="a{application.id}-reviewer"' in html  # every field has its label
    assert 'form="bulk-assign"' in html and "<caption>" in html


def test_a_review_withdrawn_for_a_conflict_is_shown_and_does_not_count(client, login, admin, call, application):
    counted = AssignmentFactory(application=application, reviewer=ReviewerProfileFactory(user__name="Cy Counted").user)
    ReviewFactory(assignment=counted, submitted=True)
    conflicted = AssignmentFactory(application=application,
                                   reviewer=ReviewerProfileFactory(user__name="Col Conflicted").user)
    ReviewFactory(assignment=conflicted, submitted=True)
    _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=conflicted.reviewer_id,
                                        has_conflict=True, reason="Found out after submitting"))
    _db.session.commit()
    login(admin)

    html = client.get(page_of(call)).get_data(as_text=True)

    row = html.split(f'id="application-{application.id}"')[1].split("</tr>")[0]
    assert "Col Conflicted" in row and "a conflict of interest was declared: the review does not count" in row
    assert "1 more reviewer needed" in row  # two required, one counts


def test_assigning_from_the_page(client, login, admin, application, reviewer):
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": f"Rita Reviewer <{reviewer.email}>"})
    assert response.status_code == 302 and f"#application-{application.id}" in response.headers["Location"]
    assert count(Assignment, Assignment.reviewer_id == reviewer.id) == 1
    assert f"Rita Reviewer is now reviewing {application.reference}." in client.get(page_of(application.call)).text


def test_a_refused_assignment_is_shown_beside_its_field_with_what_was_typed(client, login, admin, application,
                                                                            reviewer):
    MembershipFactory(organisation=application.organisation, user=reviewer)
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": reviewer.email})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="a{application.id}-reviewer-error"' in html
    assert '<div class="error-summary"' in html and f'href="#a{application.id}-reviewer"' in html
    assert "Rita Reviewer is a member of the applicant organisation." in html
    assert f'value="{reviewer.email}"' in html.split(f'id="application-{application.id}"')[1].split("</tr>")[0]
    assert count(Assignment) == 0


def test_assigning_without_choosing_asks_for_a_reviewer(client, login, admin, application):
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": "   "})
    assert response.status_code == 400 and "Choose a reviewer." in response.text
    assert count(Assignment) == 0


def test_bulk_assignment_from_the_page(client, login, admin, call, reviewer):
    fine = ApplicationFactory(call=call, submitted=True)
    own = ApplicationFactory(call=call, submitted=True)
    MembershipFactory(organisation=own.organisation, user=reviewer)
    login(admin)

    response = client.post(f"/admin/calls/{call.id}/assignments",
                           data={"reviewer": f"Rita Reviewer <{reviewer.email}>", "application_ids": [fine.id, own.id]})

    assert response.status_code == 302
    assert count(Assignment) == 1
    html = client.get(page_of(call)).get_data(as_text=True)
    assert "1 application assigned." in html
    assert f"{own.reference}: Rita Reviewer is a member of the applicant organisation." in html


def test_bulk_without_ticks_or_reviewer_is_refused(client, login, admin, call, application, reviewer):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/assignments", data={"reviewer": reviewer.email})
    assert response.status_code == 400 and "Tick at least one application." in response.text
    response = client.post(f"/admin/calls/{call.id}/assignments", data={"application_ids": [application.id]})
    assert response.status_code == 400 and "Choose a reviewer." in response.text
    assert f'value="{application.id}" id="pick-{application.id}"\n                 checked' in response.text
    assert count(Assignment) == 0


def test_removing_from_the_page(client, login, admin, application):
    draft = ReviewFactory(assignment__application=application)
    submitted = ReviewFactory(submitted=True, assignment__application=application,
                              assignment__reviewer=ReviewerProfileFactory(user__name="Sue Submitted").user)
    login(admin)

    assert client.post(f"/admin/assignments/{draft.assignment_id}/remove").status_code == 302
    response = client.post(f"/admin/assignments/{submitted.assignment_id}/remove", follow_redirects=True)

    assert "Sue Submitted has submitted their review" in response.text
    assert count(Assignment) == 1 and count(Review) == 1


def test_the_deadline_is_read_in_the_calls_time_zone(client, login, admin, call):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/review/deadline", data={"review_deadline": "2026-12-01T17:00"})
    assert response.status_code == 302
    saved = _db.session.scalar(select(CallReviewSettings.review_deadline_at))
    assert saved == datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)  # Nairobi is UTC+3
    assert 'value="2026-12-01T17:00"' in client.get(page_of(call)).text

    assert client.post(f"/admin/calls/{call.id}/review/deadline", data={"review_deadline": ""}).status_code == 302
    assert _db.session.scalar(select(CallReviewSettings.review_deadline_at)) is None


def test_a_deadline_that_does_not_exist_or_is_not_a_date_is_refused(client, login, admin):
    paris = CallFactory(closed=True, timezone="Europe/Paris")
    login(admin)
    response = client.post(f"/admin/calls/{paris.id}/review/deadline", data={"review_deadline": "2027-03-28T02:30"})
    assert response.status_code == 400 and "does not exist in Europe/Paris" in response.text
    response = client.post(f"/admin/calls/{paris.id}/review/deadline", data={"review_deadline": "next week"})
    assert response.status_code == 400 and 'id="review_deadline-error"' in response.text
    assert count(CallReviewSettings) == 0


# --- automatic assignment -----------------------------------------------------------------------------------


def test_a_small_call_is_assigned_in_the_request(client, login, admin, call, broker):
    for _ in range(2):
        ApplicationFactory(call=call, submitted=True)
    for _ in range(2):
        ReviewerProfileFactory()
    login(admin)

    response = client.post(f"/admin/calls/{call.id}/auto-assign")

    run = _db.session.scalar(select(Run))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/runs/{run.id}")
    assert run.status == "succeeded" and count(Assignment) == 4
    # The four e-mails as one message, which the worker fans out to their delivery tasks; not a run.
    sent = broker()
    assert [name for name, _args in sent] == ["notifications.deliver_many"]
    assert sorted(sent[0][1][0]) == sorted(_db.session.scalars(select(Notification.id)))
    page = client.get(f"/runs/{run.id}")
    assert 'http-equiv="refresh"' not in page.text and "data-run-poll" not in page.text
    assert "Every application has the reviewers it needs." in page.text and "Assignments made" in page.text


def test_a_large_call_goes_to_a_worker_after_the_commit(client, login, admin, call, application, app, broker,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_ASSIGN_INLINE_LIMIT", 0)
    ReviewerProfileFactory()
    login(admin)

    response = client.post(f"/admin/calls/{call.id}/auto-assign")

    run = _db.session.scalar(select(Run))
    assert run.status == "queued" and count(Assignment) == 0
    assert broker() == [("reviews.auto_assign", [run.id])]
    page = client.get(response.headers["Location"])
    # Without JavaScript the page reloads itself; with it, site.js polls the JSON view instead (no forced reload).
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page.text
    assert "Refresh" not in page.headers and page.headers["Cache-Control"] == "no-store"
    assert f'data-run-poll="/runs/{run.id}.json"' in page.text
    assert '<progress id="run-' in page.text and 'value="0"' in page.text and "Waiting for a worker" in page.text
    assert client.get(f"/runs/{run.id}.json").json == {
        "status": "queued", "status_label": "Waiting for a worker", "progress": 0, "active": True,
        "page": f"/runs/{run.id}"}

    again = client.post(f"/admin/calls/{call.id}/auto-assign", follow_redirects=True)
    assert "already under way" in again.text and count(Run) == 1


def test_an_unreachable_broker_does_not_leave_a_run_that_blocks_the_next(client, login, admin, call, application,
                                                                         app, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_ASSIGN_INLINE_LIMIT", 0)

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app.extensions["celery"], "send_task", refuse)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/auto-assign", follow_redirects=True)
    assert "could not be handed to a worker" in response.text
    run = _db.session.scalar(select(Run))
    assert run.status == "failed" and run.error == ABANDONED
    assert "Start a new one." in response.text


def test_the_run_page_lists_what_stayed_uncovered(client, login, admin, call):
    run = assignment_run(call, progress=100, result={"assigned_count": 3, "uncovered": [
        {"application_id": 1, "reference": "MESH-0007", "reason": "capacity", "missing": 1}]})
    login(admin)
    html = client.get(f"/runs/{run.id}").text
    assert "MESH-0007" in html and "reached their maximum load" in html and "<progress" not in html
    assert "MESH-0007" in client.get(page_of(call)).text  # the latest run is on the call's page too


def test_a_failed_run_shows_its_message_not_a_trace(client, login, admin, call):
    run = assignment_run(call, status="failed", error="RuntimeError: planner exploded")
    login(admin)
    html = client.get(f"/runs/{run.id}").text
    assert "The run failed: RuntimeError: planner exploded" in html and "Traceback" not in html


# --- queries ------------------------------------------------------------------------------------------------


def _queries(client, path) -> int:
    response, statements = count_statements(lambda: client.get(path))
    assert response.status_code == 200
    return statements


def _grow(call, n):
    for _ in range(n):
        application = ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW)
        MembershipFactory(organisation=application.organisation)
        ReviewFactory(assignment__application=application)
        AssignmentFactory(application=application)


def test_the_pages_run_a_fixed_number_of_queries(client, login, admin, call):
    run = assignment_run(call)
    _grow(call, 1)
    login(admin)
    small = _queries(client, page_of(call)), _queries(client, f"/runs/{run.id}")
    _grow(call, 6)
    large = _queries(client, page_of(call)), _queries(client, f"/runs/{run.id}")
    assert small == large
