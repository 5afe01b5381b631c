"""Automatic assignment of a whole call, against the database: coverage, conflicts, loads, progress, the task."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import tasks.reviews  # noqa: F401  (registers reviews.auto_assign)
from cade.applications.constants import ApplicationStatus
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, NotFound, PermissionDenied
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.core.runs import ABANDONED, Run, RunStatus
from cade.reviews.models import Assignment, ConflictDeclaration
from cade.reviews.services import conflicts, runs
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallReviewSettingsFactory,
    MembershipFactory,
    OrganisationFactory,
    ReviewerProfileFactory,
    ReviewFactory,
)
from tests.querycount import count_statements
from tests.reviews.test_assignment import STATEMENTS_PER_ASSIGNMENT, STATEMENTS_TO_START_REVIEW


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, reviews_required=2)


def submitted(call, n, **organisation):
    return [ApplicationFactory(call=call, submitted=True, organisation=OrganisationFactory(**organisation))
            for _ in range(n)]


def reviewers(n, max_load=10, **kwargs):
    return [ReviewerProfileFactory(max_load=max_load, **kwargs).user for _ in range(n)]


def pairs(call) -> set[tuple[int, int]]:
    _db.session.expire_all()
    return set(_db.session.execute(select(Assignment.application_id, Assignment.reviewer_id)
                                   .where(Assignment.call_id == call.id)).all())


def carry_out(admin, call, **kwargs) -> Run:
    run = runs.start_auto_assignment(admin, call.id)
    _db.session.commit()
    runs.run_auto_assignment(run.id, **kwargs)
    _db.session.commit()
    return _db.session.get(Run, run.id, populate_existing=True)


def test_every_application_gets_its_reviewers_without_a_conflict_and_within_loads(admin, call):
    applications = submitted(call, 6)
    pool = reviewers(4, max_load=3)
    member, domain_twin, declarer = pool[0], pool[1], pool[2]
    MembershipFactory(organisation=applications[0].organisation, user=member, role="member")
    MembershipFactory(organisation=applications[1].organisation, user__email="chair@villagemesh.example.ke")
    domain_twin.email = "twin@villagemesh.example.ke"
    _db.session.add(ConflictDeclaration(application_id=applications[2].id, reviewer_id=declarer.id,
                                        has_conflict=True, reason="Former employer"))
    _db.session.commit()

    run = carry_out(admin, call)

    assert (run.status, run.progress, run.result, run.error) == ("succeeded", 100, {"assigned_count": 12, "uncovered": []},
                                                                 None)
    made = pairs(call)
    assert len(made) == 12
    assert Counter(application_id for application_id, _ in made) == {a.id: 2 for a in applications}
    assert (applications[0].id, member.id) not in made
    assert (applications[1].id, domain_twin.id) not in made
    assert (applications[2].id, declarer.id) not in made
    assert Counter(reviewer_id for _, reviewer_id in made) == {r.id: 3 for r in pool}
    methods = _db.session.scalars(select(Assignment.method).distinct()).all()
    assert methods == ["auto"]
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "assignment.created", AuditEvent.actor_id == admin.id)) == 12
    assert _db.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "reviews.assigned")) == 12
    statuses = set(_db.session.scalars(select(type(applications[0]).status)))
    assert statuses == {ApplicationStatus.UNDER_REVIEW}


def test_loads_come_out_even_and_the_due_date_is_the_deadline(admin, call):
    deadline = CallReviewSettingsFactory(call=call).review_deadline_at
    submitted(call, 5)
    pool = reviewers(3)
    carry_out(admin, call)
    loads = Counter(reviewer_id for _, reviewer_id in pairs(call))
    assert sorted(loads[r.id] for r in pool) == [3, 3, 4]
    assert set(_db.session.scalars(select(Assignment.due_at))) == {deadline}


def test_existing_assignments_stay_and_count(admin, call):
    first, second = submitted(call, 2)
    pool = reviewers(3, max_load=2)
    AssignmentFactory(application=first, reviewer=pool[0])
    AssignmentFactory(application=second, reviewer=pool[0])  # at their maximum already

    run = carry_out(admin, call)

    assert run.result["assigned_count"] == 2 and run.result["uncovered"] == []
    made = pairs(call)
    assert {(first.id, pool[0].id), (second.id, pool[0].id)} <= made
    assert Counter(reviewer_id for _, reviewer_id in made)[pool[0].id] == 2


def test_a_reviewer_who_declared_a_conflict_after_submitting_is_replaced(admin, call):
    (application,) = submitted(call, 1)
    first, conflicted, third = reviewers(3)
    for reviewer in (first, conflicted):
        ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer), submitted=True)
    _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=conflicted.id, has_conflict=True,
                                        reason="Found out after submitting"))
    _db.session.commit()

    run = carry_out(admin, call)

    assert run.result["assigned_count"] == 1 and run.result["uncovered"] == []
    assert pairs(call) == {(application.id, first.id), (application.id, conflicted.id), (application.id, third.id)}


def test_what_cannot_be_covered_is_listed_with_the_reason(admin, call):
    applications = submitted(call, 3)
    reviewers(2, max_load=2)  # four places for six

    run = carry_out(admin, call)

    assert run.status == "succeeded" and run.result["assigned_count"] == 4
    assert sum(item["missing"] for item in run.result["uncovered"]) == 2
    assert {item["reason"] for item in run.result["uncovered"]} == {"capacity"}
    references = {a.id: a.reference for a in applications}
    assert all(item["reference"] == references[item["application_id"]] for item in run.result["uncovered"])


def test_an_empty_pool_and_a_fully_conflicted_application_are_named(admin, call):
    (application,) = submitted(call, 1)
    run = carry_out(admin, call)
    assert run.result["uncovered"] == [{"application_id": application.id, "reference": application.reference,
                              "reason": "no_reviewers", "missing": 2}]

    (only,) = reviewers(1)
    MembershipFactory(organisation=application.organisation, user=only)
    run = carry_out(admin, call)
    assert run.result["uncovered"][0]["reason"] == "all_conflicted" and run.result["assigned_count"] == 0


def test_drafts_withdrawn_and_other_calls_are_left_alone(admin, call):
    (wanted,) = submitted(call, 1)
    ApplicationFactory(call=call)
    ApplicationFactory(call=call, withdrawn=True)
    ApplicationFactory(call=CallFactory(closed=True), submitted=True)
    reviewers(2)
    carry_out(admin, call)
    assert {application_id for application_id, _ in pairs(call)} == {wanted.id}
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 2


def test_a_conflict_declared_after_planning_is_respected(admin, call, monkeypatch):
    (application,) = submitted(call, 1)
    first, second = reviewers(2)
    _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=first.id, has_conflict=True,
                                        reason="Declared while the plan was being made"))
    _db.session.commit()
    real = conflicts.all_conflicts
    calls = []

    def unaware_planner_then_real(application_ids, reviewer_ids):
        calls.append(1)
        return {} if len(calls) == 1 else real(application_ids, reviewer_ids)

    monkeypatch.setattr(runs.conflicts, "all_conflicts", unaware_planner_then_real)
    run = carry_out(admin, call)

    assert pairs(call) == {(application.id, second.id)}
    assert run.result["uncovered"] == [{"application_id": application.id, "reference": application.reference,
                              "reason": "all_conflicted", "missing": 1}]


def test_progress_is_committed_batch_by_batch(admin, call, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_SIZE", 3)
    submitted(call, 4)
    reviewers(4)
    seen = []

    def commit():
        _db.session.commit()
        seen.append(_db.session.get(Run, run_id, populate_existing=True).progress)

    run = runs.start_auto_assignment(admin, call.id)
    _db.session.commit()
    run_id = run.id
    runs.run_auto_assignment(run_id, commit_progress=commit)
    _db.session.commit()

    assert seen == [0, 37, 75, 99]  # claimed, then 3, 6 and 8 of 8 assignments
    assert _db.session.get(Run, run_id, populate_existing=True).progress == 100


def test_a_run_is_carried_out_once(admin, call):
    submitted(call, 2)
    reviewers(2)
    run = carry_out(admin, call)
    runs.run_auto_assignment(run.id)
    _db.session.commit()
    assert run.status == "succeeded" and len(pairs(call)) == 4
    assert runs.run_auto_assignment(run.id + 1000) is None


def test_an_unexpected_error_fails_the_run_with_one_line_and_keeps_the_session(admin, call, monkeypatch):
    submitted(call, 2)
    reviewers(2)

    def broken(*args, **kwargs):
        raise RuntimeError("planner exploded\nTraceback (most recent call last): ...")

    monkeypatch.setattr(runs, "plan_assignments", broken)
    run = carry_out(admin, call)

    assert (run.status, run.error) == ("failed", "RuntimeError: planner exploded")
    assert run.finished_at is not None and pairs(call) == set()


def test_an_error_in_a_batch_keeps_what_earlier_batches_committed(admin, call, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    submitted(call, 2)
    reviewers(2)
    real = runs.create_assignments
    batches = []

    def fails_on_the_second(*args, **kwargs):
        batches.append(1)
        if len(batches) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "create_assignments", fails_on_the_second)
    run = carry_out(admin, call, commit_progress=_db.session.commit)

    assert (run.status, run.error, run.result["assigned_count"]) == ("failed", "RuntimeError: database went away", 2)
    assert len(pairs(call)) == 2


# --- starting -----------------------------------------------------------------------------------------------


def test_only_admins_start_a_run_of_a_call_that_exists(admin, call):
    reviewer = ReviewerProfileFactory().user
    with pytest.raises(PermissionDenied):
        runs.start_auto_assignment(reviewer, call.id)
    with pytest.raises(NotFound):
        runs.start_auto_assignment(admin, call.id + 1000)


def test_a_call_is_run_in_the_request_up_to_the_inline_limit(app, call, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_ASSIGN_INLINE_LIMIT", 2)
    submitted(call, 2)
    ApplicationFactory(call=call)  # a draft is not reviewed
    assert runs.runs_inline(call.id)
    submitted(call, 1)
    assert not runs.runs_inline(call.id)


def test_one_run_at_a_time_per_call(admin, call):
    first = runs.start_auto_assignment(admin, call.id)
    _db.session.commit()
    with pytest.raises(AlreadyExists):
        runs.start_auto_assignment(admin, call.id)
    _db.session.rollback()
    runs.start_auto_assignment(admin, CallFactory().id)  # another call is free
    _db.session.commit()
    assert first.status == RunStatus.QUEUED


def test_a_run_that_lost_its_worker_does_not_block_the_next(app, admin, call):
    stuck = runs.start_auto_assignment(admin, call.id)
    stuck.heartbeat_at = utcnow() - app.config["RUN_STALE_AFTER"] - timedelta(minutes=1)
    _db.session.commit()

    fresh = runs.start_auto_assignment(admin, call.id)
    _db.session.commit()

    assert fresh.id != stuck.id and fresh.status == RunStatus.QUEUED
    assert (stuck.status, stuck.error) == (RunStatus.FAILED, ABANDONED)


def test_the_load_takes_the_same_number_of_queries_whatever_the_call_size(admin, call):
    def queries_to_plan(n):
        target = CallFactory(closed=True)
        for application in submitted(target, n):
            MembershipFactory(organisation=application.organisation)
        reviewers(n)
        _db.session.expire_all()
        return count_statements(lambda: runs._plan(target.id))[1]

    assert queries_to_plan(2) == queries_to_plan(12)


def test_a_batch_reads_once_whatever_its_size(admin):
    reviewers(3, max_load=50)

    def statements(n: int) -> int:
        target = CallFactory(closed=True, reviews_required=2)
        submitted(target, n)
        run = runs.start_auto_assignment(admin, target.id)
        _db.session.commit()
        done, statements = count_statements(lambda: runs.run_auto_assignment(run.id))
        _db.session.commit()
        assert (done.status, done.result["assigned_count"]) == (RunStatus.SUCCEEDED, 2 * n)
        return statements

    two, eight = statements(2), statements(8)
    # Two reviewers for each of six more applications; only the first moves the application under review.
    assert eight - two <= 6 * (2 * STATEMENTS_PER_ASSIGNMENT - STATEMENTS_TO_START_REVIEW)


# --- the task -----------------------------------------------------------------------------------------------


def test_the_task_carries_out_the_run_and_is_safe_twice(app, admin, call):
    submitted(call, 3)
    reviewers(3)
    run = runs.start_auto_assignment(admin, call.id)
    _db.session.commit()
    task = app.extensions["celery"].tasks["reviews.auto_assign"]

    assert task.apply(args=[run.id]).get() == "succeeded"
    assert task.apply(args=[run.id]).get() == "succeeded"
    assert task.apply(args=[run.id + 1000]).get() == "missing"

    assert len(pairs(call)) == 6
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 6
