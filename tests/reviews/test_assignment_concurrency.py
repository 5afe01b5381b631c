"""Two admins assigning at the same moment, on separate connections: never a double assignment.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL when TEST_DATABASE_URL points at one);
both must pass.
"""

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.core.audit import AuditEvent
from cade.core.errors import AlreadyExists
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.core.runs import Run
from cade.reviews.models import Assignment
from cade.reviews.services import assignment as service
from cade.reviews.services import runs
from tests.concurrency import run_side_by_side
from tests.factories import ApplicationFactory, AssignmentFactory, CallFactory, ReviewerProfileFactory, UserFactory


@pytest.fixture()
def admins(db):
    return [UserFactory(roles=["admin"]).id, UserFactory(roles=["admin"]).id]


def count(model) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model))


def assign(admin_id, application_id, reviewer_id):
    def action():
        service.assign_reviewer(_db.session.get(User, admin_id), application_id, reviewer_id)
    return action


def test_two_admins_assigning_the_same_pair_make_one_assignment(app, admins):
    application = ApplicationFactory(call=CallFactory(closed=True), submitted=True)
    reviewer_id = ReviewerProfileFactory().user_id
    application_id = application.id

    outcomes = run_side_by_side(app, [assign(admins[0], application_id, reviewer_id),
                                      assign(admins[1], application_id, reviewer_id)],
                                pause_after="from assignments")

    assert outcomes.count("done") == 1
    assert any(isinstance(outcome, AlreadyExists) for outcome in outcomes)
    assert count(Assignment) == 1 and count(Notification) == 1


def test_two_reviewers_assigned_at_once_both_start_the_same_review(app, admins):
    application_id = ApplicationFactory(call=CallFactory(closed=True), submitted=True).id
    first, second = (ReviewerProfileFactory().user_id for _ in range(2))

    outcomes = run_side_by_side(app, [assign(admins[0], application_id, first),
                                      assign(admins[1], application_id, second)],
                                pause_after="from assignments")

    assert outcomes == ["done", "done"]
    assert count(Assignment) == 2
    _db.session.expire_all()
    assert _db.session.get(Application, application_id).status == ApplicationStatus.UNDER_REVIEW
    verbs = _db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)).all()
    assert sorted(verbs) == ["application.under_review", "assignment.created", "assignment.created"]


def test_two_assignments_cannot_take_a_reviewer_past_their_maximum_together(app, admins):
    call = CallFactory(closed=True)
    reviewer = ReviewerProfileFactory(max_load=2).user
    AssignmentFactory(application=ApplicationFactory(call=call, submitted=True), reviewer=reviewer)
    first, second = (ApplicationFactory(call=call, submitted=True).id for _ in range(2))
    reviewer_id = reviewer.id

    outcomes = run_side_by_side(app, [assign(admins[0], first, reviewer_id), assign(admins[1], second, reviewer_id)],
                                pause_after="from assignments")

    assert outcomes.count("done") == 1
    (refusal,) = [outcome for outcome in outcomes if outcome != "done"]
    assert isinstance(refusal, service.ReviewerAtCapacity)
    assert count(Assignment) == 2


def test_two_admins_starting_automatic_assignment_get_one_run(app, admins):
    call_id = CallFactory(closed=True).id

    def start(admin_id):
        def action():
            runs.start_auto_assignment(_db.session.get(User, admin_id), call_id)
        return action

    outcomes = run_side_by_side(app, [start(admins[0]), start(admins[1])], pause_after="from calls")

    assert outcomes.count("done") == 1
    assert any(isinstance(outcome, AlreadyExists) for outcome in outcomes)
    assert count(Run) == 1
