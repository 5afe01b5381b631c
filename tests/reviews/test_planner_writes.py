"""Writing a planned batch at once (cade.reviews.services.bulk): what one-by-one creation writes, in a few statements."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import ConflictOfInterest, DomainError
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.reviews.constants import AssignmentMethod
from cade.reviews.models import Assignment, ConflictDeclaration
from cade.reviews.services.assignment import ReviewerAtCapacity, assign_reviewer, create_assignment
from cade.reviews.services.bulk import create_assignments
from cade.reviews.services.pool import profile_of
from tests.concurrency import run_side_by_side
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    UserFactory,
)
from tests.querycount import count_statements

DEADLINE = utcnow().replace(microsecond=0) + timedelta(days=20)


def applications(call, n, **traits):
    return [ApplicationFactory(call=call, title=f"Project {i}", **{"submitted": True, **traits}) for i in range(n)]


def reviewers(n, max_load=10, **user):
    return [ReviewerProfileFactory(max_load=max_load, user__name=f"Reviewer {i}", **user).user for i in range(n)]


def written(call) -> dict:
    """What a call's assignments left in the database, ids replaced by positions so that two calls compare."""
    _db.session.expire_all()
    apps = {a.id: i for i, a in enumerate(_db.session.scalars(
        select(Application).where(Application.call_id == call.id).order_by(Application.id)))}
    references = {a.reference: apps[a.id] for a in _db.session.scalars(
        select(Application).where(Application.call_id == call.id))}
    assignments = list(_db.session.scalars(select(Assignment).where(Assignment.call_id == call.id)))
    made = {a.id: (apps[a.application_id], a.reviewer_id) for a in assignments}

    def audit(event):
        if event.object_type == "Assignment":
            return (event.verb, event.actor_id, made[event.object_id], event.before,
                    {**event.after, "application_id": apps[event.after["application_id"]]})
        return event.verb, event.actor_id, apps[event.object_id], event.before, event.after

    def notice(row):
        assignment_id = int(row.idempotency_key.removeprefix("assigned:"))
        return (row.kind, row.recipient_id, row.recipient_email, row.locale, row.in_app, row.status,
                made[assignment_id], {**row.context, "assignment_id": made[row.context["assignment_id"]],
                                      "reference": references[row.context["reference"]], "call_title": "the call"})

    events = _db.session.scalars(select(AuditEvent).where(
        AuditEvent.verb.in_(["assignment.created", "application.under_review"])))
    notices = _db.session.scalars(select(Notification).where(Notification.kind == "reviews.assigned"))
    return {
        "assignments": sorted((apps[a.application_id], a.reviewer_id, a.method, a.assigned_by_id, a.due_at)
                              for a in assignments),
        "audits": sorted((audit(e) for e in events if e.object_id in (made if e.object_type == "Assignment" else apps)),
                         key=repr),
        "notifications": sorted((notice(n) for n in notices
                                 if int(n.idempotency_key.removeprefix("assigned:")) in made), key=repr),
        "statuses": sorted((i, a.status) for a, i in ((_db.session.get(Application, id_), i)
                                                       for id_, i in apps.items())),
    }


def test_a_batch_writes_what_one_by_one_creation_writes(admin):
    pool = reviewers(3)
    pool[1].locale, pool[1].timezone = "fr", "Africa/Abidjan"
    one_call, bulk_call = CallFactory(closed=True), CallFactory(closed=True)
    one_apps, bulk_apps = applications(one_call, 4), applications(bulk_call, 4)
    one_apps[3].status = bulk_apps[3].status = ApplicationStatus.UNDER_REVIEW  # already moved: no second move
    _db.session.commit()
    plan = [(i, r) for i in range(4) for r in range(3) if (i + r) % 3]

    for i, r in plan:
        create_assignment(admin, one_apps[i], pool[r], profile_of(pool[r].id), conflict=None, due_at=DEADLINE,
                          method=AssignmentMethod.AUTO)
    outcome = create_assignments(admin, [(bulk_apps[i].id, pool[r].id) for i, r in plan], due_at=DEADLINE)
    _db.session.commit()

    assert sorted(outcome.created) == sorted((bulk_apps[i].id, pool[r].id) for i, r in plan)
    assert outcome.refused == []
    one, bulk = written(one_call), written(bulk_call)
    assert bulk == one
    assert len(bulk["assignments"]) == len(plan) == len(bulk["notifications"])
    assert [verb for verb, *_ in bulk["audits"]].count("application.under_review") == 3


def test_every_refusal_of_one_by_one_creation_is_made_and_nothing_else_is_written(admin):
    call = CallFactory(closed=True)
    open_, conflicted, withdrawn, held, full = applications(call, 5)
    withdrawn.status = ApplicationStatus.WITHDRAWN
    able, busy, gone = reviewers(3, max_load=1)
    outsider = UserFactory(roles=[])  # no reviewer role, no profile
    gone.active = False
    MembershipFactory(organisation=conflicted.organisation, user=able)
    _db.session.add(ConflictDeclaration(application_id=open_.id, reviewer_id=busy.id, has_conflict=True,
                                        reason="Former colleague"))
    AssignmentFactory(application=held, reviewer=able)  # able is now at the maximum, but already holds `held`
    _db.session.commit()
    before = {model: _db.session.scalar(select(func.count()).select_from(model))
              for model in (Assignment, AuditEvent, Notification)}

    outcome = create_assignments(admin, [
        (open_.id, busy.id),  # declared conflict
        (conflicted.id, able.id),  # member of the organisation
        (withdrawn.id, able.id),  # left review: skipped, nothing missing
        (held.id, able.id),  # exists: skipped, nothing missing
        (full.id, able.id),  # at the maximum
        (full.id, gone.id),  # deactivated
        (full.id, outsider.id),  # not a reviewer
        (open_.id + 1000, able.id),  # no such application: skipped
    ], due_at=None)

    assert outcome.created == []
    refusals = [(application_id, type(refusal)) for application_id, refusal in outcome.refused]
    assert refusals[:3] == [(open_.id, ConflictOfInterest), (conflicted.id, ConflictOfInterest),
                            (full.id, ReviewerAtCapacity)]
    assert [application_id for application_id, _ in refusals[3:]] == [full.id, full.id]
    assert all(isinstance(refusal, DomainError) and not isinstance(refusal, (ConflictOfInterest, ReviewerAtCapacity))
               for _, refusal in outcome.refused[3:])
    assert {model: _db.session.scalar(select(func.count()).select_from(model))
            for model in (Assignment, AuditEvent, Notification)} == before
    _db.session.expire_all()
    assert _db.session.get(Application, full.id).status == ApplicationStatus.SUBMITTED


def test_a_pair_given_twice_is_made_once_and_capacity_counts_the_batch(admin):
    call = CallFactory(closed=True)
    first, second, third = applications(call, 3)
    (reviewer,) = reviewers(1, max_load=2)

    outcome = create_assignments(admin, [(first.id, reviewer.id), (first.id, reviewer.id), (second.id, reviewer.id),
                                         (third.id, reviewer.id)], due_at=None)

    assert outcome.created == [(first.id, reviewer.id), (second.id, reviewer.id)]
    assert [(application_id, type(refusal)) for application_id, refusal in outcome.refused] == [
        (third.id, ReviewerAtCapacity)]


def test_a_batch_costs_the_same_statements_whatever_its_size(admin):
    pool = reviewers(2, max_load=50)

    def statements(n: int) -> int:
        call = CallFactory(closed=True)
        pairs = [(application.id, reviewer.id) for application in applications(call, n) for reviewer in pool]
        outcome, count = count_statements(lambda: create_assignments(admin, pairs, due_at=DEADLINE))
        assert len(outcome.created) == 2 * n
        return count

    assert statements(2) == statements(20)


def test_nothing_is_asked_of_the_database_for_an_empty_batch(admin):
    outcome, count = count_statements(lambda: create_assignments(admin, [], due_at=None))
    assert (outcome.created, outcome.refused, count) == ([], [], 0)


def test_an_unknown_method_is_refused(admin):
    with pytest.raises(ValueError):
        create_assignments(admin, [(1, 2)], due_at=None, method="by-lottery")


# --- at the same moment as a manual assignment, on separate connections -------------------------------


@pytest.fixture()
def admin_id(db):
    return UserFactory(roles=["admin"]).id


def batch(admin_id, pairs):
    def action():
        outcome = create_assignments(_db.session.get(User, admin_id), pairs, due_at=None)
        assert not outcome.refused
    return action


def manual(admin_id, application_id, reviewer_id):
    def action():
        assign_reviewer(_db.session.get(User, admin_id), application_id, reviewer_id)
    return action


def test_a_batch_and_an_admin_assigning_the_same_pair_make_one_assignment(app, admin_id):
    call = CallFactory(closed=True)
    application, other = applications(call, 2)
    (reviewer,) = reviewers(1)
    application_id, other_id, reviewer_id = application.id, other.id, reviewer.id

    outcomes = run_side_by_side(app, [batch(admin_id, [(application_id, reviewer_id), (other_id, reviewer_id)]),
                                      manual(admin_id, application_id, reviewer_id)],
                                pause_after="from assignments")

    assert outcomes[0] == "done"
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 2
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 2
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "assignment.created")) == 2


def test_a_batch_and_an_admin_cannot_take_a_reviewer_past_their_maximum_together(app, admin_id):
    call = CallFactory(closed=True)
    first, second, third = applications(call, 3)
    (reviewer,) = reviewers(1, max_load=2)
    ids, reviewer_id = [a.id for a in (first, second, third)], reviewer.id
    refused = []

    def batch_keeping_refusals():
        outcome = create_assignments(_db.session.get(User, admin_id), [(ids[0], reviewer_id), (ids[1], reviewer_id)],
                                     due_at=None)
        refused.extend(type(refusal) for _, refusal in outcome.refused)

    outcomes = run_side_by_side(app, [batch_keeping_refusals, manual(admin_id, ids[2], reviewer_id)],
                                pause_after="from assignments")

    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 2
    assert outcomes[0] == "done"
    # Whoever came second found the reviewer at their maximum.
    assert (isinstance(outcomes[1], ReviewerAtCapacity) and refused == []) or (
        outcomes[1] == "done" and refused == [ReviewerAtCapacity])
