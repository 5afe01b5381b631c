"""Automatic assignment of a whole call: plan it with cade.reviews.planner, then create the assignments in batches.

A run is started by an admin (`start_auto_assignment`) and carried out by `run_auto_assignment`, in the request
for a small call or by the `reviews.auto_assign` Celery task for a large one (`runs_inline` says which); the
run's row holds the progress and the result (assignments made, applications left uncovered and why) that the
admin's page shows.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from cade.accounts.models import User
from cade.applications.constants import IN_REVIEW_STATUSES
from cade.applications.models import Application
from cade.core.db import lock_row, utcnow
from cade.core.errors import AlreadyExists, ConflictOfInterest, DomainError, InvalidTransition, NotFound
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.programmes.models import Call
from cade.reviews.constants import UNCOVERED_REASONS, AssignmentMethod, RunStatus
from cade.reviews.models import Assignment, AssignmentRun, ConflictDeclaration, ReviewerProfile
from cade.reviews.planner import PlanApplication, PlanReviewer, plan_assignments
from cade.reviews.services import conflicts, settings
from cade.reviews.services.assignment import (
    ReviewerAtCapacity,
    create_assignment,
    lock_holdings,
    require_admin,
    reviewer_pool,
)

logger = logging.getLogger(__name__)

AUTO_ASSIGN_TASK = "reviews.auto_assign"  # the Celery task (tasks/reviews.py) that carries out a large run
BATCH_SIZE = 50  # assignments created between two progress commits
# A run queued or running for this long has lost its worker; it no longer blocks a new one.
STALE_AFTER = timedelta(minutes=30)
ABANDONED = "abandoned"
# Why a planned assignment was not made after all: something changed between planning and creating it.
CHANGED = "changed"

# What the admin reads for a run's uncovered reason codes and for its error codes (other errors show as they are).
UNCOVERED_REASON_LABELS = {
    **UNCOVERED_REASONS,
    CHANGED: _l("A reviewer or the application changed while the run was under way; run it again."),
}
RUN_ERROR_LABELS = {
    ABANDONED: _l("The run stopped before it finished: no worker took it, or the worker stopped. Start a new one."),
}


def applications_to_review_count(call_id: int) -> int:
    """How many of the call's applications an automatic run would plan for (submitted or under review)."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call_id, Application.status.in_(IN_REVIEW_STATUSES))) or 0


def runs_inline(call_id: int) -> bool:
    """Whether a run of the call is small enough to carry out in the admin's request.

    Up to REVIEW_ASSIGN_INLINE_LIMIT applications to review it is done before the page comes back;
    a larger call goes to the `reviews.auto_assign` worker.
    """
    return applications_to_review_count(call_id) <= current_app.config["REVIEW_ASSIGN_INLINE_LIMIT"]


def start_auto_assignment(actor, call_id: int) -> AssignmentRun:
    """Queue an automatic assignment of the call (admin only); the caller runs it or hands it to a worker.

    Raises PermissionDenied, NotFound, AlreadyExists while another run of the call is queued or running.
    """
    require_admin(actor)
    if db.session.get(Call, call_id) is None:
        raise NotFound()
    lock_row(Call, call_id)  # two admins starting at the same moment get one run
    now = utcnow()
    for active in db.session.scalars(select(AssignmentRun).where(
            AssignmentRun.call_id == call_id, AssignmentRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))):
        if (active.started_at or active.created_at) > now - STALE_AFTER:
            raise AlreadyExists(_l("An automatic assignment of this call is already under way."))
        _finish(active, RunStatus.FAILED, error=ABANDONED)
    run = AssignmentRun(call_id=call_id, requested_by_id=actor.id, status=RunStatus.QUEUED, progress=0,
                        assigned_count=0, uncovered=[], created_at=now)
    db.session.add(run)
    db.session.flush()
    return run


def abandon_run(run_id: int) -> None:
    """Mark a queued run that no worker will pick up (the broker refused it) as failed, so a new one may start."""
    run = db.session.get(AssignmentRun, run_id)
    if run is not None and run.status == RunStatus.QUEUED:
        _finish(run, RunStatus.FAILED, error=ABANDONED)


def run_auto_assignment(run_id: int, commit_progress: Callable[[], None] | None = None) -> AssignmentRun | None:
    """Carry out a queued run: plan the call, create the assignments, record what stayed uncovered.

    Loads the call in a fixed number of queries, creates the planned assignments through the same checks as a
    manual one (audited, reviewer told), `BATCH_SIZE` at a time, calling `commit_progress` after each batch so
    the progress shows. A run that is not queued (finished, or taken by another worker) is left alone, so
    running it twice is harmless. An unexpected error marks the run failed with a one-line message.
    """
    run = db.session.get(AssignmentRun, run_id)
    if run is None or not _claim(run):
        return run
    commit = commit_progress or (lambda: None)
    commit()
    try:
        with db.session.begin_nested():
            plan, references, required = _plan(run.call_id)
    except Exception as exc:  # reported on the run's page; the traceback goes to the log
        return _fail(run, exc)
    missing = {app_id: [reason, count] for app_id, (reason, count) in plan.uncovered.items()}
    deadline = settings.review_deadline(run.call_id)
    done = 0
    for start in range(0, len(plan.pairs), BATCH_SIZE):
        batch = plan.pairs[start:start + BATCH_SIZE]
        try:
            with db.session.begin_nested():
                run.assigned_count += _create_batch(run, batch, deadline, missing)
        except Exception as exc:
            return _fail(run, exc)
        done += len(batch)
        run.progress = min(99, done * 100 // len(plan.pairs))
        db.session.flush()
        commit()
    run.uncovered = _uncovered(missing, references)
    logger.info("assignment run %s: %s assigned, %s applications short of %s reviewers", run.id,
                run.assigned_count, len(run.uncovered), required)
    return _finish(run, RunStatus.DONE)


def _claim(run: AssignmentRun) -> bool:
    """queued → running, as a compare-and-set: of two workers handed the same run, one goes ahead."""
    table = AssignmentRun.__table__
    result = db.session.execute(update(table).where(table.c.id == run.id, table.c.status == RunStatus.QUEUED)
                                .values(status=RunStatus.RUNNING, started_at=utcnow()))
    db.session.refresh(run)
    return result.rowcount == 1


def _plan(call_id: int):
    """The planner's answer for the call, from a fixed number of queries whatever its size."""
    call = db.session.get(Call, call_id)
    rows = db.session.execute(
        select(Application.id, Application.reference, Organisation.languages, Organisation.focus_areas,
               Organisation.region_code)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.call_id == call_id, Application.status.in_(IN_REVIEW_STATUSES))
        .order_by(Application.id)
    ).all()
    assigned: dict[int, set[int]] = {row.id: set() for row in rows}
    # A reviewer who declared a conflict after submitting keeps the assignment, but their review does not count.
    for application_id, reviewer_id in db.session.execute(
            select(Assignment.application_id, Assignment.reviewer_id)
            .outerjoin(ConflictDeclaration, (ConflictDeclaration.application_id == Assignment.application_id)
                       & (ConflictDeclaration.reviewer_id == Assignment.reviewer_id))
            .where(Assignment.call_id == call_id, ConflictDeclaration.has_conflict.is_not(True))):
        assigned.setdefault(application_id, set()).add(reviewer_id)
    pool = reviewer_pool(call_id)
    applications = [
        PlanApplication(id=row.id, languages=frozenset(row.languages or ()), topics=frozenset(row.focus_areas or ()),
                        region=row.region_code, assigned=frozenset(assigned[row.id]))
        for row in rows
    ]
    reviewers = [
        PlanReviewer(id=member.user.id, languages=frozenset(member.profile.languages or ()),
                     expertise=frozenset(member.profile.expertise or ()),
                     regions=frozenset(member.profile.regions or ()), max_load=member.profile.max_load,
                     load=member.load)
        for member in pool
    ]
    found = conflicts.all_conflicts([row.id for row in rows], [reviewer.id for reviewer in reviewers])
    plan = plan_assignments(applications, reviewers, call.reviews_required, set(found))
    return plan, {row.id: row.reference or "" for row in rows}, call.reviews_required


def _create_batch(run: AssignmentRun, pairs, deadline, missing: dict[int, list]) -> int:
    """Create one batch of planned assignments; a pair refused meanwhile is counted as missing.

    The batch's applications, profiles, conflicts and holdings are read once (each reviewer's profile
    locked once), so what grows with the batch is the writing.
    """
    app_ids = {application_id for application_id, _ in pairs}
    reviewer_ids = {reviewer_id for _, reviewer_id in pairs}
    applications = {a.id: a for a in db.session.scalars(
        select(Application).where(Application.id.in_(app_ids)).options(selectinload(Application.call)))}
    profiles = {p.user_id: p for p in db.session.scalars(
        select(ReviewerProfile).where(ReviewerProfile.user_id.in_(reviewer_ids))
        .options(selectinload(ReviewerProfile.user)))}
    # Checked again: a reviewer may have declared a conflict since the plan was made.
    found = conflicts.all_conflicts(app_ids, reviewer_ids)
    held = lock_holdings(profiles.values(), {application.call_id for application in applications.values()})
    actor = db.session.get(User, run.requested_by_id) if run.requested_by_id else None
    created = 0
    for application_id, reviewer_id in pairs:
        application, profile = applications.get(application_id), profiles.get(reviewer_id)
        try:
            if application is None or profile is None:
                raise NotFound()
            create_assignment(actor, application, profile.user, profile,
                              conflict=found.get((application_id, reviewer_id)), due_at=deadline,
                              held=held[(reviewer_id, application.call_id)], method=AssignmentMethod.AUTO)
        except (AlreadyExists, InvalidTransition):
            continue  # the pair exists after all, or the application left review: nothing is missing
        except DomainError as exc:
            _count_missing(missing, application_id, exc)
        else:
            created += 1
    return created


def _uncovered(missing: dict[int, list], references: dict[int, str]) -> list[dict]:
    rows = [{"application_id": app_id, "reference": references.get(app_id, ""), "reason": reason, "missing": count}
            for app_id, (reason, count) in missing.items() if count > 0]
    return sorted(rows, key=lambda row: (row["reference"], row["application_id"]))


def _count_missing(missing: dict[int, list], application_id: int, exc: DomainError) -> None:
    if isinstance(exc, ConflictOfInterest):
        reason = "all_conflicted"
    elif isinstance(exc, ReviewerAtCapacity):
        reason = "capacity"
    else:
        reason = CHANGED
    entry = missing.setdefault(application_id, [reason, 0])
    entry[1] += 1


def _fail(run: AssignmentRun, exc: Exception) -> AssignmentRun:
    logger.exception("assignment run %s failed", run.id)
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {first_line}"[:300])


def _finish(run: AssignmentRun, status: str, error: str | None = None) -> AssignmentRun:
    run.status = status
    run.error = error
    run.finished_at = utcnow()
    if status == RunStatus.DONE:
        run.progress = 100
    db.session.flush()
    return run
