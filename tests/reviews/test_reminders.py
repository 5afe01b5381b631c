"""Review reminders: "due soon" and "overdue", each sent once, never for a submitted review."""

from datetime import timedelta

import pytest
from sqlalchemy import select

import tasks.reminders  # noqa: F401  (registers the task)
from cade.applications.constants import ApplicationStatus
from cade.core.db import utcnow
from cade.core.timeutil import format_in_zone
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from cade.reviews.services.reminders import queue_review_reminders
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallReviewSettingsFactory,
    OrganisationFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    UserFactory,
)
from tests.querycount import count_statements


@pytest.fixture()
def now():
    return utcnow()


@pytest.fixture()
def reviewer(db):
    user = UserFactory(roles=["reviewer"], name="Rui Reviewer", timezone="America/Lima", locale="es")
    return ReviewerProfileFactory(user=user).user


def assignment_due(reviewer, due_at, **kwargs):
    return AssignmentFactory(reviewer=reviewer, due_at=due_at, **kwargs)


def sent(kind=None):
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return _db.session.scalars(query).all()


def run(now) -> int:
    count = queue_review_reminders(now=now)
    _db.session.commit()
    return count


def test_a_review_due_within_three_days_is_reminded_once(reviewer, now):
    assignment = assignment_due(reviewer, now + timedelta(days=2))
    assert run(now) == 1
    assert run(now) == 0
    assert run(now + timedelta(days=1)) == 0
    [row] = sent()
    assert row.kind == "reviews.due_soon" and row.recipient_id == reviewer.id
    assert row.idempotency_key == f"review-due:{assignment.id}"


def test_once_past_due_it_is_overdue_once(reviewer, now):
    assignment = assignment_due(reviewer, now + timedelta(days=2))
    run(now)
    assert run(now + timedelta(days=2, seconds=1)) == 1
    assert run(now + timedelta(days=5)) == 0
    assert [row.kind for row in sent()] == ["reviews.due_soon", "reviews.overdue"]
    assert sent("reviews.overdue")[0].idempotency_key == f"review-overdue:{assignment.id}"


def test_an_assignment_found_only_after_its_date_gets_just_the_overdue_message(reviewer, now):
    assignment_due(reviewer, now - timedelta(hours=1))
    assert run(now) == 1
    assert [row.kind for row in sent()] == ["reviews.overdue"]


def test_nothing_for_a_review_far_from_due_or_without_any_date(reviewer, now):
    assignment_due(reviewer, now + timedelta(days=3, minutes=1))
    assignment_due(reviewer, None)  # no date of its own, and the call has no review deadline
    assert run(now) == 0


def test_nothing_for_a_submitted_review_but_a_draft_is_reminded(reviewer, now):
    submitted = assignment_due(reviewer, now + timedelta(days=1))
    ReviewFactory(assignment=submitted, submitted=True)
    draft = assignment_due(reviewer, now + timedelta(days=1))
    ReviewFactory(assignment=draft)
    overdue_submitted = assignment_due(reviewer, now - timedelta(days=1))
    ReviewFactory(assignment=overdue_submitted, submitted=True)

    assert run(now) == 1
    assert sent()[0].context["assignment_id"] == draft.id


def test_the_call_review_deadline_applies_when_the_assignment_has_no_date(reviewer, now):
    settings = CallReviewSettingsFactory(review_deadline_at=now + timedelta(days=1))
    application = ApplicationFactory(call=settings.call, submitted=True, status=ApplicationStatus.UNDER_REVIEW)
    assignment = assignment_due(reviewer, None, application=application)
    own_date = assignment_due(reviewer, now + timedelta(days=10),
                              application=ApplicationFactory(call=settings.call, submitted=True))

    assert run(now) == 1
    [row] = sent()
    assert row.context["assignment_id"] == assignment.id != own_date.id


def test_no_reminder_once_decided_or_for_someone_out_of_the_pool(reviewer, now):
    decided = ApplicationFactory(submitted=True, status=ApplicationStatus.REJECTED)
    assignment_due(reviewer, now + timedelta(days=1), application=decided)
    former = UserFactory()  # the reviewer role was taken away; the assignment stayed
    assignment_due(former, now + timedelta(days=1))
    disabled = ReviewerProfileFactory(user=UserFactory(roles=["reviewer"], active=False)).user
    assignment_due(disabled, now - timedelta(days=1))
    assert run(now) == 0


def test_the_message_names_the_application_not_the_organisation_and_shows_the_reviewers_time(app, reviewer, now):
    call = CallFactory(title="Mesh call", blind_review=True)
    application = ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW,
                                     title="Solar mesh", organisation=OrganisationFactory(name="Secret Collective"))
    due = now + timedelta(days=1)
    assignment = assignment_due(reviewer, due, application=application)
    run(now)

    [row] = sent()
    assert row.context["due"] == {"at": due.isoformat(), "zone": "America/Lima"}
    with app.test_request_context():
        assert format_in_zone(due, "America/Lima", locale="es") in render_notification(row)[1]
    with app.test_request_context():
        subject, text, html = render_notification(row, locale="en")
    assert application.reference in subject
    assert "Solar mesh" in text and "Mesh call" in text and f"/review/assignments/{assignment.id}" in text
    assert f"/review/assignments/{assignment.id}" in html
    for part in (subject, text, html, str(row.context)):
        assert "Secret Collective" not in part


def test_the_overdue_message_renders(app, reviewer, now):
    assignment = assignment_due(reviewer, now - timedelta(days=1))
    run(now)
    [row] = sent()
    with app.test_request_context():
        subject, text, _html = render_notification(row, locale="en")
    assert subject.startswith("Overdue") and "was due on" in text
    assert f"/review/assignments/{assignment.id}" in text


def test_two_queries_whatever_the_number_of_assignments(reviewer, now):
    def first_run(new: int) -> int:
        """The statements of a run that queues `new` reminders, less the INSERT of each reminder."""
        for _ in range(new):
            assignment_due(ReviewerProfileFactory().user, now - timedelta(days=1))
        _db.session.commit()
        queued, statements = count_statements(lambda: queue_review_reminders(now=now))
        _db.session.commit()
        assert queued == new
        return statements - new

    def queries() -> int:
        queued, statements = count_statements(lambda: queue_review_reminders(now=now))
        assert queued == 0  # everything was queued by the first run
        return statements

    assert first_run(1) == 2
    assert queries() == 2
    assert first_run(5) == 2  # the one reminded before is looked up with the five new ones, in the same query
    assert queries() == 2


def test_the_task_queues_commits_and_is_safe_to_run_twice(app, db, reviewer, broker, now):
    task = app.extensions["celery"].tasks["reminders.reviews_due"]
    assignment_due(reviewer, now + timedelta(days=1))
    broker()

    assert task.apply().get() == 1
    assert task.apply().get() == 0

    [row] = sent()
    assert broker() == [("notifications.deliver", [row.id])]
