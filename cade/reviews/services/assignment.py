"""Assigning reviewers to applications by hand, one or many at a time, and taking an assignment back.

Automatic assignment (cade.reviews.services.runs) creates its assignments through
`cade.reviews.services.bulk.create_assignments`, which applies the same checks set-wise, with the same
audit rows and notices to the reviewers.
"""

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cade.accounts.models import User, UserRole
from cade.accounts.services import get_user_by_email
from cade.applications.constants import IN_REVIEW_STATUSES, ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.core.audit import record_event
from cade.core.db import lock_row
from cade.core.errors import (
    AlreadyExists,
    ConflictOfInterest,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from cade.core.permissions import REVIEWER
from cade.core.runs import Run, latest_run, scope_of
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify
from cade.reviews.constants import ASSIGNMENT_RUN_KIND, AssignmentMethod, ReviewStatus
from cade.reviews.models import Assignment, ConflictDeclaration, Review, ReviewerProfile
from cade.reviews.permissions import can_manage_reviews
from cade.reviews.services import conflicts, settings
from cade.reviews.services.pool import profile_of

PAGE_SIZE = 25

CONFLICT_MESSAGES = {
    "member": _l("%(name)s is a member of the applicant organisation."),
    "email_domain": _l("%(name)s shares an e-mail domain with a member of the applicant organisation."),
    "declared": _l("%(name)s has declared a conflict of interest with this application."),
}


class ReviewerAtCapacity(DomainError):
    default_message = _l("This reviewer has reached their maximum number of applications in this call.")


def require_admin(actor) -> None:
    if not can_manage_reviews(actor):
        raise PermissionDenied()


def lock_holdings(profiles: Iterable[ReviewerProfile], call_ids: Iterable[int]) -> dict[tuple[int, int], set[int]]:
    """Which applications each reviewer holds in each call, {(reviewer id, call id): application ids}, locked.

    Each profile is locked first (in id order, so that two batches never wait
    for each other crosswise), and stays locked until the transaction ends:
    another assignment of these reviewers waits, so a load counted here stays
    true while `create_assignment` adds to it. One query for the holdings.
    """
    profiles = sorted({profile.id: profile for profile in profiles}.values(), key=lambda profile: profile.id)
    call_ids = set(call_ids)
    held: dict[tuple[int, int], set[int]] = defaultdict(set)
    if not profiles or not call_ids:
        return held
    for profile in profiles:
        lock_row(ReviewerProfile, profile.id)
    for reviewer_id, call_id, application_id in db.session.execute(
        select(Assignment.reviewer_id, Assignment.call_id, Assignment.application_id)
        .where(Assignment.reviewer_id.in_([profile.user_id for profile in profiles]),
               Assignment.call_id.in_(call_ids))
    ):
        held[(reviewer_id, call_id)].add(application_id)
    return held


def assign_reviewer(actor, application_id: int, reviewer_id: int, due_at: datetime | None = None,
                    method: str = AssignmentMethod.MANUAL) -> Assignment:
    """Assign one reviewer to one application (admin only); see `create_assignment` for what it checks.

    `due_at` defaults to the call's review deadline (none if the call has none).
    Raises PermissionDenied, NotFound, and what `create_assignment` raises.
    """
    require_admin(actor)
    application = db.session.get(Application, application_id)
    reviewer = db.session.get(User, reviewer_id)
    if application is None or reviewer is None:
        raise NotFound()
    return create_assignment(actor, application, reviewer, profile_of(reviewer.id),
                             conflict=conflicts.conflict_reason(reviewer.id, application.id),
                             due_at=due_at or settings.review_deadline(application.call_id), method=method)


def create_assignment(actor, application: Application, reviewer: User, profile: ReviewerProfile | None, *,
                      conflict: str | None, due_at: datetime | None, held: set[int] | None = None,
                      method: str = AssignmentMethod.MANUAL) -> Assignment:
    """Create the assignment once every rule allows it; audit it and tell the reviewer.

    `conflict` is the pair's conflict reason from cade.reviews.services.conflicts (None: no conflict);
    `due_at` is the assignment's due date (None: none). `held` is what `lock_holdings` found the
    reviewer holds in the application's call, for a caller making many assignments: it is kept up to
    date here. Without it the reviewer's profile is locked and their holdings read for this one.
    The application moves from submitted to under review.
    Raises InvalidTransition (the application is not open to review), DomainError (not an active reviewer
    with a profile), ConflictOfInterest, AlreadyExists, ReviewerAtCapacity.
    """
    method = AssignmentMethod(method)
    _require_reviewable(application)
    _require_reviewer(reviewer, profile)
    if conflict is not None:
        raise ConflictOfInterest(CONFLICT_MESSAGES.get(conflict, ConflictOfInterest.default_message)
                                 % {"name": reviewer.name})
    if held is None:
        # Two assignments for one reviewer at once must not both pass the load check: the second waits here.
        held = lock_holdings([profile], [application.call_id])[(reviewer.id, application.call_id)]
    if application.id in held:
        raise _already_assigned(reviewer)
    if len(held) >= profile.max_load:
        raise ReviewerAtCapacity(_ln("%(name)s already has %(num)d application in this call, their maximum.",
                                     "%(name)s already has %(num)d applications in this call, their maximum.",
                                     len(held), name=reviewer.name))
    assignment = Assignment(call_id=application.call_id, application_id=application.id, reviewer_id=reviewer.id,
                            assigned_by_id=getattr(actor, "id", None), method=method, due_at=due_at)
    try:
        # The unique pair decides between two admins assigning the same reviewer at the same moment.
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
            _start_review(actor, application)
    except IntegrityError:
        raise _already_assigned(reviewer) from None
    held.add(application.id)
    record_event(actor, "assignment.created", assignment, None, {
        "application_id": application.id, "reviewer_id": reviewer.id, "method": str(method),
        "due_at": assignment.due_at.isoformat() if assignment.due_at else None,
    })
    _notify_assigned(assignment, application, reviewer)
    return assignment


def _require_reviewable(application: Application) -> None:
    if application.status not in IN_REVIEW_STATUSES:
        raise InvalidTransition(_l("Only submitted applications can be assigned to reviewers; "
                                   "%(reference)s is not open to review.",
                                   reference=application.reference or application.title))


def _require_reviewer(reviewer: User, profile: ReviewerProfile | None) -> None:
    if not reviewer.has_role(REVIEWER) or profile is None:
        raise DomainError(_l("%(name)s is not in the reviewer pool.", name=reviewer.name))
    if not reviewer.active:
        raise DomainError(_l("%(name)s's account is deactivated.", name=reviewer.name))


def _already_assigned(reviewer: User) -> AlreadyExists:
    return AlreadyExists(_l("%(name)s is already assigned to this application.", name=reviewer.name))


def _start_review(actor, application: Application) -> None:
    """submitted → under review; another assignment made a moment ago may have done it already."""
    if application.status != ApplicationStatus.SUBMITTED:
        return
    try:
        APPLICATION_MACHINE.move(actor, application, ApplicationStatus.UNDER_REVIEW)
    except InvalidTransition:
        if application.status != ApplicationStatus.UNDER_REVIEW:  # withdrawn meanwhile
            _require_reviewable(application)
            raise


def _notify_assigned(assignment: Assignment, application: Application, reviewer: User) -> None:
    # Never the organisation: in a blind call the reviewer must not learn who applied.
    locale = reviewer.locale or "en"
    notify("reviews.assigned", recipient=reviewer, locale=locale, key=f"assigned:{assignment.id}", context={
        "assignment_id": assignment.id,
        "call_title": application.call.title,
        "reference": application.reference or "",
        "title": application.title,
        "due_at": assignment.due_at.isoformat() if assignment.due_at else None,
        "due": moment_json(assignment.due_at, reviewer.timezone or "UTC"),
    })


def assign_in_bulk(actor, application_ids, reviewer_id: int) -> list[tuple[int, Assignment | str]]:
    """Assign one reviewer to several applications; each refusal is reported, the others are made.

    Returns (application id, the Assignment or the reason it was refused) in the order given.
    The applications, conflicts, review deadlines and the reviewer's holdings are read once for
    the whole list (the reviewer's profile locked once); what grows with the list is the writing.
    Raises PermissionDenied, NotFound for an unknown reviewer.
    """
    require_admin(actor)
    reviewer = db.session.get(User, reviewer_id)
    if reviewer is None:
        raise NotFound()
    profile = profile_of(reviewer.id)
    ids = list(dict.fromkeys(int(application_id) for application_id in application_ids))
    applications = {a.id: a for a in db.session.scalars(
        select(Application).where(Application.id.in_(ids)).options(selectinload(Application.call)))}
    call_ids = {application.call_id for application in applications.values()}
    found = conflicts.all_conflicts(ids, [reviewer.id])
    deadlines = settings.review_deadlines(call_ids)
    held = lock_holdings([profile] if profile is not None else [], call_ids)
    results: list[tuple[int, Assignment | str]] = []
    for application_id in ids:
        application = applications.get(application_id)
        if application is None:
            results.append((application_id, str(NotFound.default_message)))
            continue
        try:
            assignment = create_assignment(actor, application, reviewer, profile,
                                           conflict=found.get((application_id, reviewer.id)),
                                           due_at=deadlines.get(application.call_id),
                                           held=held[(reviewer.id, application.call_id)])
        except DomainError as exc:
            results.append((application_id, str(exc)))
        else:
            results.append((application_id, assignment))
    return results


def remove_assignment(actor, assignment_id: int) -> None:
    """Take an assignment back (admin only), with the draft review written so far.

    Raises PermissionDenied, NotFound, InvalidTransition once the review has been submitted.
    """
    require_admin(actor)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound()
    # Held, with its review if any, so a review submitted this very moment is never deleted.
    review = conflicts.locked_review(assignment)
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        raise InvalidTransition(_l("%(name)s has submitted their review, so the assignment can no longer be "
                                   "removed.", name=assignment.reviewer.name))
    conflicts.delete_assignment(actor, assignment, review, "removed_by_admin")


# ---------------------------------------------------------------- the admin's review page of a call

# Reviewers in conflict named in a row; the others are counted. Not all: where a whole institution shares an
# e-mail domain with the applicant, every one of its reviewers is in conflict.
CONFLICTS_SHOWN = 5


@dataclass(frozen=True)
class PoolReviewer:
    """An active reviewer of the pool, as plain values: who they are and what they hold in a call."""

    id: int
    name: str
    email: str
    max_load: int
    load: int  # applications of the call they are assigned to

    @property
    def suggestion(self) -> str:
        """What the page's reviewer field holds once this reviewer is picked: `reviewer_from_input` reads it back."""
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class AssignedReviewer:
    """One assignment of a row, as the page shows it."""

    assignment_id: int
    reviewer_id: int
    name: str
    method: str
    review_status: str | None  # None: no review started


@dataclass
class ReviewRow:
    application: Application
    assignments: list[AssignedReviewer] = field(default_factory=list)
    declared: dict[int, bool] = field(default_factory=dict)  # reviewer id -> has_conflict, for those who answered
    # Reviewers of the pool in conflict: how many, and the first few by name as (name, reason).
    conflict_count: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def counted(self) -> list[AssignedReviewer]:
        """The assignments whose review counts: not those of a reviewer who declared a conflict after submitting."""
        return [assignment for assignment in self.assignments if not self.declared.get(assignment.reviewer_id)]

    @property
    def conflict_messages(self) -> list[str]:
        """Why the first reviewers in conflict would be refused, in the words `create_assignment` refuses them with."""
        return [str(CONFLICT_MESSAGES.get(reason, ConflictOfInterest.default_message) % {"name": name})
                for name, reason in self.conflicts]


@dataclass
class CallReviewOverview:
    rows: list[ReviewRow]
    page: object  # the pagination of the applications
    pool: list[PoolReviewer]  # offered once for the whole page; each assignment is checked when it is posted
    latest_run: Run | None


def call_review_overview(call_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> CallReviewOverview:
    """One page of the call's applications under review, with their reviewers, their conflicts and the pool.

    A fixed number of queries whatever the number of applications, assignments
    and reviewers. The pool is read once for the page, never per row: whether a
    reviewer may take an application (conflict, maximum, already assigned) is
    decided by `create_assignment` when the assignment is posted.
    """
    pagination = db.paginate(
        select(Application).where(Application.call_id == call_id, Application.status.in_(IN_REVIEW_STATUSES))
        .options(selectinload(Application.organisation)).order_by(Application.reference, Application.id),
        page=max(page, 1), per_page=per_page, error_out=False)
    rows = {application.id: ReviewRow(application) for application in pagination.items}
    pool = pool_with_loads(call_id)
    if rows:
        _fill_rows(rows, pool)
    return CallReviewOverview(rows=list(rows.values()), page=pagination, pool=pool,
                              latest_run=latest_run(ASSIGNMENT_RUN_KIND, scope_of("call", call_id)))


def _fill_rows(rows: dict[int, ReviewRow], pool: list[PoolReviewer]) -> None:
    """Each row's assignments (with their review's state), the conflict answers, and the pool's conflicts."""
    app_ids = list(rows)
    for assignment_id, application_id, reviewer_id, name, method, review_status in db.session.execute(
        select(Assignment.id, Assignment.application_id, Assignment.reviewer_id, User.name, Assignment.method,
               Review.status)
        .join(User, User.id == Assignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Assignment.application_id.in_(app_ids)).order_by(Assignment.assigned_at, Assignment.id)
    ):
        rows[application_id].assignments.append(
            AssignedReviewer(assignment_id, reviewer_id, name, method, review_status))
    for application_id, reviewer_id, has_conflict in db.session.execute(
        select(ConflictDeclaration.application_id, ConflictDeclaration.reviewer_id,
               ConflictDeclaration.has_conflict).where(ConflictDeclaration.application_id.in_(app_ids))
    ):
        rows[application_id].declared[reviewer_id] = has_conflict
    # By the pool's order (by name); a declared conflict of someone who has left the pool since is not shown.
    position = {reviewer.id: index for index, reviewer in enumerate(pool)}
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (application_id, reviewer_id), reason in conflicts.all_conflicts(
            app_ids, position.keys(), emails={reviewer.id: reviewer.email for reviewer in pool}).items():
        if reviewer_id in position:
            found[application_id].append((position[reviewer_id], reason))
    for application_id, pairs in found.items():
        row = rows[application_id]
        row.conflict_count = len(pairs)
        row.conflicts = [(pool[index].name, reason) for index, reason in heapq.nsmallest(CONFLICTS_SHOWN, pairs)]


def _in_pool():
    """Which users (joined to their ReviewerProfile by the caller) are in the reviewer pool: active, with the role."""
    return User.active.is_(True) & exists().where(UserRole.user_id == User.id, UserRole.role == REVIEWER)


def _loads(call_id: int):
    """How many applications of the call each reviewer holds, as a subquery (reviewer_id, load)."""
    return (select(Assignment.reviewer_id, func.count().label("load")).where(Assignment.call_id == call_id)
            .group_by(Assignment.reviewer_id).subquery())


def pool_with_loads(call_id: int) -> list[PoolReviewer]:
    """Active reviewers with a profile, by name, with how many applications of the call each holds.

    One query of plain columns whatever the size of the pool, the loads counted
    in SQL (index assignments (call_id, reviewer_id)). The profile's lists are
    left out: decoding their JSON costs more than the rest of the query.
    """
    loads = _loads(call_id)
    rows = db.session.execute(
        select(User.id, User.name, User.email, ReviewerProfile.max_load, func.coalesce(loads.c.load, 0))
        .join(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .outerjoin(loads, loads.c.reviewer_id == User.id)
        .where(_in_pool()).order_by(User.name, User.id)
    )
    return [PoolReviewer(*row) for row in rows]


@dataclass
class PoolMember:
    """A reviewer of the pool with their whole profile, as the automatic assignment's planner reads it."""

    user: User
    profile: ReviewerProfile
    load: int


def reviewer_pool(call_id: int) -> list[PoolMember]:
    """Active reviewers with their profile (languages, expertise, regions), by name, with their load in the call.

    The automatic assignment's read (cade.reviews.services.runs); the review page reads `pool_with_loads`.
    """
    loads = _loads(call_id)
    return [PoolMember(profile.user, profile, load) for profile, load in db.session.execute(
        select(ReviewerProfile, func.coalesce(loads.c.load, 0))
        .join(User, User.id == ReviewerProfile.user_id)
        .outerjoin(loads, loads.c.reviewer_id == User.id)
        .where(_in_pool()).options(selectinload(ReviewerProfile.user)).order_by(User.name, User.id)
    )]


def reviewer_from_input(text: str) -> int:
    """The user the page's reviewer field names: a suggestion picked from its list, an e-mail address, or a name.

    A suggestion reads "Name <address>" (`PoolReviewer.suggestion`); the address
    decides. A bare name must be that of exactly one reviewer of the pool. Whether
    the user may review the application is for `create_assignment` to say.
    Raises NotFound with a message that says what to do.
    """
    text = " ".join(text.split())
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1:-1].strip()
    if "@" in text:
        user = get_user_by_email(text)
        if user is None:
            raise NotFound(_l("No account has the e-mail address %(email)s.", email=text))
        return user.id
    ids = db.session.scalars(
        select(User.id).join(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(_in_pool(), func.lower(User.name) == text.lower()).limit(2)
    ).all()
    if not ids:
        raise NotFound(_l("No reviewer in the pool is called %(name)s: choose one from the list, or type their "
                          "e-mail address.", name=text))
    if len(ids) > 1:
        raise NotFound(_l("Several reviewers are called %(name)s: choose one from the list, which adds their "
                          "e-mail address.", name=text))
    return ids[0]

