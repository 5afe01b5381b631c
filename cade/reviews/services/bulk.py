"""Many assignments at once, for the automatic assignment: the rules of `create_assignment`, in a few statements.

`create_assignment` (cade.reviews.services.assignment) costs about ten statements an assignment: a
savepoint, the INSERT, its audit row, the notification's lookup and INSERT, the application's move.
At 30,000 assignments that is minutes. Here one batch is read once, checked in memory in the same
order and with the same refusals, and written set-wise: one INSERT of the assignments, one UPDATE
moving the applications under review (with one INSERT of their audit rows), one INSERT of the
assignments' audit rows, one of the notifications. The same audit rows and notifications come out
as one by one, and the same locks are held: the batch's reviewer profiles, through `lock_holdings`,
so that a manual assignment of one of these reviewers waits for the batch and then sees its load.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cade.applications.constants import IN_REVIEW_STATUSES, ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.core.audit import record_events
from cade.core.db import insert_rows, utcnow
from cade.core.errors import ConflictOfInterest, DomainError, NotFound
from cade.core.permissions import REVIEWER
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify_many
from cade.programmes.models import Call
from cade.reviews.constants import AssignmentMethod
from cade.reviews.models import Assignment, ReviewerProfile
from cade.reviews.services import conflicts
from cade.reviews.services.assignment import ReviewerAtCapacity, lock_holdings


@dataclass
class BatchOutcome:
    created: list[tuple[int, int]] = field(default_factory=list)  # (application id, reviewer id) made
    refused: list[tuple[int, DomainError]] = field(default_factory=list)  # (application id, why), a slot still open


@dataclass(frozen=True)
class _Target:
    """An application as the batch reads it."""

    status: str
    call_id: int
    reference: str
    title: str
    call_title: str


def create_assignments(actor, pairs, *, due_at: datetime | None,
                       method: str = AssignmentMethod.AUTO) -> BatchOutcome:
    """Create the assignments of `pairs` [(application id, reviewer id)] that every rule allows; audit, notify.

    The rules and their order are those of `create_assignment`: a pair whose application is gone or has left
    review, or that exists already, is skipped (nothing is missing); an unknown or inactive reviewer, a
    conflict of interest and a reviewer at their maximum load are refused, and returned with the refusal.
    Flushes, never commits; the caller's savepoint or transaction makes the batch all or nothing.
    """
    pairs = list(dict.fromkeys(pairs))
    outcome = BatchOutcome()
    if not pairs:
        return outcome
    method = AssignmentMethod(method)
    targets = _targets({application_id for application_id, _ in pairs})
    profiles = {profile.user_id: profile for profile in db.session.scalars(
        select(ReviewerProfile).where(ReviewerProfile.user_id.in_({reviewer_id for _, reviewer_id in pairs}))
        .options(selectinload(ReviewerProfile.user)))}
    found = conflicts.all_conflicts(list(targets), list(profiles))
    held = lock_holdings(profiles.values(), {target.call_id for target in targets.values()})
    gone: set[int] = set()  # applications that left review while the batch was being made
    while True:
        accepted, outcome.refused = _check(pairs, targets, profiles, found, held, gone)
        left = _start_reviews(actor, accepted, targets)
        if not left:
            break
        gone |= left
    made = _insert_new(actor, accepted, targets, due_at, method)
    outcome.created = [(application_id, reviewer_id) for _, application_id, reviewer_id in made]
    record_events(actor, "assignment.created", "Assignment", [
        (assignment_id, None, {"application_id": application_id, "reviewer_id": reviewer_id, "method": str(method),
                               "due_at": due_at.isoformat() if due_at else None})
        for assignment_id, application_id, reviewer_id in made
    ])
    _notify_assigned(made, targets, profiles, due_at)
    return outcome


def _targets(application_ids) -> dict[int, _Target]:
    rows = db.session.execute(
        select(Application.id, Application.status, Application.call_id, Application.reference, Application.title,
               Call.title).join(Call, Call.id == Application.call_id).where(Application.id.in_(application_ids)))
    return {row[0]: _Target(row[1], row[2], row[3] or "", row[4], row[5]) for row in rows}


def _check(pairs, targets, profiles, found, locked_holdings, gone):
    """The pairs that pass, in order, and the refusals: `create_assignment`'s checks, against a copy of what
    the reviewers hold, so that a second pass (after an application left review) starts afresh."""
    held = {key: set(applications) for key, applications in locked_holdings.items()}
    accepted, refused = [], []
    for application_id, reviewer_id in pairs:
        target, profile = targets.get(application_id), profiles.get(reviewer_id)
        if target is None or application_id in gone or target.status not in IN_REVIEW_STATUSES:
            continue  # the application is gone or left review: nothing to cover
        if profile is None or not profile.user.has_role(REVIEWER) or not profile.user.active:
            refused.append((application_id, NotFound()))
            continue
        if (application_id, reviewer_id) in found:
            refused.append((application_id, ConflictOfInterest()))
            continue
        holding = held.setdefault((reviewer_id, target.call_id), set())
        if application_id in holding:
            continue  # assigned already
        if len(holding) >= profile.max_load:
            refused.append((application_id, ReviewerAtCapacity()))
            continue
        holding.add(application_id)
        accepted.append((application_id, reviewer_id))
    return accepted, refused


def _start_reviews(actor, accepted, targets) -> set[int]:
    """Move the submitted applications of `accepted` under review (audited); return those that left review.

    An application another transaction moved first is fine if it is now under review, as in `create_assignment`.
    """
    waiting = {application_id for application_id, _ in accepted
               if targets[application_id].status == ApplicationStatus.SUBMITTED}
    if not waiting:
        return set()
    moved = set(APPLICATION_MACHINE.move_where(actor, ApplicationStatus.UNDER_REVIEW, Application.id.in_(waiting),
                                               from_statuses=[ApplicationStatus.SUBMITTED]))
    for application_id in moved:
        targets[application_id] = replace(targets[application_id], status=ApplicationStatus.UNDER_REVIEW)
    if moved == waiting:
        return set()
    now = dict(db.session.execute(select(Application.id, Application.status)
                                  .where(Application.id.in_(waiting - moved))).all())
    for application_id in waiting - moved:
        targets[application_id] = replace(targets[application_id], status=now.get(application_id, ""))
    return {application_id for application_id in waiting - moved
            if targets[application_id].status != ApplicationStatus.UNDER_REVIEW}


def _insert_new(actor, accepted, targets, due_at, method) -> list[tuple[int, int, int]]:
    """One INSERT of the accepted pairs; (id, application id, reviewer id) of those made.

    The unique pair still decides against anyone inserting the same pair at the same moment: theirs stands
    and ours is skipped, without a savepoint per row.
    """
    if not accepted:
        return []
    rows = insert_rows(
        Assignment.__table__,
        [{"call_id": targets[application_id].call_id, "application_id": application_id, "reviewer_id": reviewer_id}
         for application_id, reviewer_id in accepted],
        {"assigned_by_id": getattr(actor, "id", None), "method": str(method), "assigned_at": utcnow(),
         "due_at": due_at},
        returning=("id", "application_id", "reviewer_id"), skip_duplicates_of=("application_id", "reviewer_id"))
    return sorted(tuple(row) for row in rows)


def _notify_assigned(made, targets, profiles, due_at) -> None:
    # Never the organisation: in a blind call the reviewer must not learn who applied.
    messages = []
    for assignment_id, application_id, reviewer_id in made:
        target, reviewer = targets[application_id], profiles[reviewer_id].user
        messages.append((reviewer, reviewer.locale or "en", f"assigned:{assignment_id}", {
            "assignment_id": assignment_id,
            "call_title": target.call_title,
            "reference": target.reference,
            "title": target.title,
            "due_at": due_at.isoformat() if due_at else None,
            "due": moment_json(due_at, reviewer.timezone or "UTC"),
        }))
    notify_many("reviews.assigned", messages)
