"""Automatic assignment of a whole call: plan it with cade.reviews.planner, then create the assignments in batches.

An automatic assignment is a run (cade/core/runs) of kind "assignment", one under way per call. An admin
launches it (`launch_auto_assignment`): a small call is carried out in the request (`runs_inline` says
which), a large one is handed to the `reviews.auto_assign` Celery task once the request commits. Either way
`run_auto_assignment` does the work; the run's row holds the progress and the result (assignments made,
applications left uncovered and why) that the run's page and the call's review page show.
"""

import logging
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import IN_REVIEW_STATUSES
from cade.applications.models import Application
from cade.core.db import lock_row
from cade.core.errors import ConflictOfInterest, DomainError, NotFound
from cade.core.runs import (
    Run,
    RunKind,
    RunLost,
    claim_run,
    describe_error,
    fail_run,
    finish_run,
    report_progress,
    scope_of,
    start_run,
)
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.programmes.models import Call
from cade.reviews.constants import ASSIGNMENT_RUN_KIND, UNCOVERED_REASONS, AssignmentMethod
from cade.reviews.models import Assignment, ConflictDeclaration
from cade.reviews.planner import PlanApplication, PlanReviewer, plan_assignments
from cade.reviews.services import conflicts, settings
from cade.reviews.services.assignment import ReviewerAtCapacity, require_admin, reviewer_pool
from cade.reviews.services.bulk import create_assignments

logger = logging.getLogger(__name__)

AUTO_ASSIGN_TASK = "reviews.auto_assign"  # the Celery task (tasks/reviews.py) that carries out a large run
BATCH_SIZE = 1000  # assignments created between two progress commits
# Why a planned assignment was not made after all: something changed between planning and creating it.
CHANGED = "changed"

# What the admin reads for a run's uncovered reason codes (other reasons show as they are).
UNCOVERED_REASON_LABELS = {
    **UNCOVERED_REASONS,
    CHANGED: _l("A reviewer or the application changed while the run was under way; run it again."),
}


def _page_context(run: Run) -> dict:
    """What the run's page shows beside the run: the call, whose time zone its times are shown in."""
    call = db.session.get(Call, run.params.get("call_id"))
    return {"call": call, "zone": call.timezone if call else None, "UNCOVERED_REASONS": UNCOVERED_REASON_LABELS}


ASSIGNMENT_RUNS = RunKind(
    name=ASSIGNMENT_RUN_KIND,
    task=AUTO_ASSIGN_TASK,
    label=_l("Automatic assignment"),
    template="reviews/_assignment_run.html",
    busy=_l("An automatic assignment of this call is already under way."),
    context=_page_context,
    retry=True,  # assignments already made are skipped: carrying a run out twice is harmless
)


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


def launch_auto_assignment(actor, call_id: int) -> Run:
    """Start an automatic assignment of the call (admin only): carry it out now if the call is small,
    else hand it to a worker once the caller commits.

    Raises PermissionDenied, NotFound, AlreadyExists while another run of the call is under way.
    """
    inline = runs_inline(call_id)
    run = start_auto_assignment(actor, call_id, enqueue=not inline)
    if inline:
        run_auto_assignment(run.id)
    return run


def start_auto_assignment(actor, call_id: int, *, enqueue: bool = True) -> Run:
    """Queue an automatic assignment of the call (admin only), handed to a worker on commit unless `enqueue`
    is False (the caller then carries it out with `run_auto_assignment`).

    Raises PermissionDenied, NotFound, AlreadyExists while another run of the call is under way.
    """
    require_admin(actor)
    if db.session.get(Call, call_id) is None:
        raise NotFound()
    lock_row(Call, call_id)  # two admins starting at the same moment get one run
    return start_run(actor, ASSIGNMENT_RUN_KIND, {"call_id": call_id}, scope=scope_of("call", call_id),
                     enqueue=enqueue)


def run_auto_assignment(run_id: int, commit_progress: Callable[[], None] | None = None) -> Run | None:
    """Carry out a queued run: plan the call, create the assignments, record what stayed uncovered.

    Loads the call in a fixed number of queries, creates the planned assignments through the same checks as a
    manual one (audited, reviewer told), `BATCH_SIZE` at a time, calling `commit_progress` after each batch so
    the progress shows. A run that is not queued (finished, or taken by another worker) is left alone, so
    running it twice is harmless. An unexpected error marks the run failed with a one-line message; a run
    taken away meanwhile (its worker was thought dead) is left to whoever has it now.
    """
    run = db.session.get(Run, run_id)
    if run is None or run.kind != ASSIGNMENT_RUN_KIND:
        return None
    if not claim_run(run):
        return run
    commit = commit_progress or (lambda: None)
    commit()
    call_id = run.params["call_id"]
    try:
        with db.session.begin_nested():
            plan, references, required = _plan(call_id)
    except Exception as exc:  # reported on the run's page; the traceback goes to the log
        return _fail(run, exc)
    missing = {app_id: [reason, count] for app_id, (reason, count) in plan.uncovered.items()}
    deadline = settings.review_deadline(call_id)
    # Reviewer by reviewer, so that a batch locks a few reviewers' profiles rather than most of the pool.
    pairs = sorted(plan.pairs, key=lambda pair: (pair[1], pair[0]))
    assigned = done = 0
    for start in range(0, len(pairs), BATCH_SIZE):
        batch = pairs[start:start + BATCH_SIZE]
        try:
            with db.session.begin_nested():
                assigned += _create_batch(run, batch, deadline, missing)
        except Exception as exc:
            return _fail(run, exc)
        done += len(batch)
        try:
            report_progress(run, done * 100 // len(pairs), result={"assigned_count": assigned})
        except RunLost:
            logger.warning("assignment run %s was handed to another worker; this one stops", run.id)
            return run
        commit()
    uncovered = _uncovered(missing, references)
    logger.info("assignment run %s: %s assigned, %s applications short of %s reviewers", run.id,
                assigned, len(uncovered), required)
    return finish_run(run, result={"assigned_count": assigned, "uncovered": uncovered})


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


def _create_batch(run: Run, pairs, deadline, missing: dict[int, list]) -> int:
    """Create one batch of planned assignments (cade.reviews.services.bulk); a pair refused meanwhile is counted
    as missing."""
    actor = db.session.get(User, run.requested_by_id) if run.requested_by_id else None
    outcome = create_assignments(actor, pairs, due_at=deadline, method=AssignmentMethod.AUTO)
    for application_id, refusal in outcome.refused:
        _count_missing(missing, application_id, refusal)
    return len(outcome.created)


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


def _fail(run: Run, exc: Exception) -> Run:
    logger.exception("assignment run %s failed", run.id)
    return fail_run(run, describe_error(exc))
