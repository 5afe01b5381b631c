"""Assigning reviewers to applications by hand, one or many at a time, and taking an assignment back.

Automatic assignment (cade.reviews.services.runs) creates its assignments through
`cade.reviews.services.bulk.create_assignments`, which applies the same checks set-wise, with the same
audit rows and notices to the reviewers.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import exists, func, literal, select, union_all
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
from cade.organisations.models import Membership
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

# Reviewers in conflict named in a row; the others are counted. Not all: a large organisation may have many
# members in the pool.
CONFLICTS_SHOWN = 5
# Reviewers the page's list offers: those with the most room in the call. Anyone else in the pool is typed
# (`reviewer_from_input`); a list of the whole pool would make every page as heavy as the pool is large.
SUGGESTED_REVIEWERS = 20


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
    # Reviewers of the pool known to be in conflict (members of the organisation, or declared): how many, and the
    # first few by name as (name, reason).
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
    suggestions: list[PoolReviewer]  # offered once for the whole page; each assignment is checked when it is posted
    pool_empty: bool
    latest_run: Run | None


def call_review_overview(call_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> CallReviewOverview:
    """One page of the call's applications under review, with their reviewers and conflicts, and a few reviewers.

    A fixed number of queries whatever the number of applications, assignments
    and reviewers, each bounded by the page's applications, except the loads of
    the call behind `suggested_reviewers` (one index-only count). The pool is
    never read whole: whether a reviewer may take an application (conflict,
    maximum, already assigned) is decided by `create_assignment` when the
    assignment is posted.
    """
    pagination = db.paginate(
        select(Application).where(Application.call_id == call_id, Application.status.in_(IN_REVIEW_STATUSES))
        .options(selectinload(Application.organisation)).order_by(Application.reference, Application.id),
        page=max(page, 1), per_page=per_page, error_out=False)
    rows = {application.id: ReviewRow(application) for application in pagination.items}
    if rows:
        _fill_rows(rows)
    suggestions = suggested_reviewers(call_id)
    # Asked only when nobody has room: an empty list then means a full pool or an empty one.
    pool_empty = not suggestions and not db.session.scalar(
        select(exists().where(ReviewerProfile.user_id == User.id, _in_pool())))
    return CallReviewOverview(rows=list(rows.values()), page=pagination, suggestions=suggestions,
                              pool_empty=pool_empty,
                              latest_run=latest_run(ASSIGNMENT_RUN_KIND, scope_of("call", call_id)))


def _fill_rows(rows: dict[int, ReviewRow]) -> None:
    """Each row's assignments (with their review's state), the conflict answers, and the known conflicts."""
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
    for application_id, found in _known_conflicts(app_ids).items():
        row = rows[application_id]
        row.conflict_count = len(found)
        row.conflicts = found[:CONFLICTS_SHOWN]


def _known_conflicts(application_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """{application id: [(name, reason)]} of the pool's reviewers who belong to the applicant organisation
    ("member") or declared a conflict ("declared", which wins), in one query.

    Found from the applications' side (their organisations' members, their
    declarations), so the cost follows the page, not the pool. A reviewer who
    only shares an e-mail domain with the organisation is not among them:
    finding those means reading the whole pool (no index holds e-mail domains),
    so `cade.reviews.services.conflicts.conflict_reason` finds them when the
    assignment is posted, as it finds every conflict.
    """
    def of_the_pool(query, reviewer_id):
        return (query.join(User, User.id == reviewer_id).join(ReviewerProfile, ReviewerProfile.user_id == User.id)
                .where(_in_pool()).add_columns(User.name))

    members = of_the_pool(select(Application.id, Membership.user_id, literal("member"))
                          .join(Membership, Membership.organisation_id == Application.organisation_id)
                          .where(Application.id.in_(application_ids)), Membership.user_id)
    declared = of_the_pool(select(ConflictDeclaration.application_id, ConflictDeclaration.reviewer_id,
                                  literal("declared"))
                           .where(ConflictDeclaration.application_id.in_(application_ids),
                                  ConflictDeclaration.has_conflict), ConflictDeclaration.reviewer_id)
    found: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for application_id, reviewer_id, reason, name in db.session.execute(union_all(members, declared)):
        if found[application_id].get(reviewer_id, ("", ""))[1] != "declared":
            found[application_id][reviewer_id] = (name, reason)
    # By name, as the pool is listed; the id breaks ties between namesakes.
    return {application_id: [pair for _id, pair in sorted(by_reviewer.items(), key=lambda item: (item[1][0], item[0]))]
            for application_id, by_reviewer in found.items()}


def _in_pool(user_id=User.id):
    """Which users (joined to their ReviewerProfile by the caller) are in the reviewer pool: active, with the role.

    `user_id` is the column the role is looked up by: ReviewerProfile.user_id lets PostgreSQL start from the
    profiles (the pool) rather than read every user.
    """
    return User.active.is_(True) & exists().where(UserRole.user_id == user_id, UserRole.role == REVIEWER)


def _loads(call_id: int):
    """How many applications of the call each reviewer holds, as a subquery (reviewer_id, load)."""
    return (select(Assignment.reviewer_id, func.count().label("load")).where(Assignment.call_id == call_id)
            .group_by(Assignment.reviewer_id).subquery())


def suggested_reviewers(call_id: int, limit: int = SUGGESTED_REVIEWERS) -> list[PoolReviewer]:
    """The `limit` active reviewers with the most room in the call: below their maximum, least loaded first,
    then by name.

    One query of plain columns: the loads are counted in SQL from the index
    assignments (call_id, reviewer_id), and only `limit` rows come back however
    large the pool. The profile's lists are left out: decoding their JSON costs
    more than the rest of the query.
    """
    loads = _loads(call_id)
    load = func.coalesce(loads.c.load, 0)
    # Joined from the profiles: read from the users' side, the plan scans every account (9 ms, not 4, with
    # 41,000 users and a pool of 1,000).
    rows = db.session.execute(
        select(User.id, User.name, User.email, ReviewerProfile.max_load, load)
        .select_from(ReviewerProfile).join(User, User.id == ReviewerProfile.user_id)
        .outerjoin(loads, loads.c.reviewer_id == ReviewerProfile.user_id)
        .where(_in_pool(ReviewerProfile.user_id), load < ReviewerProfile.max_load)
        .order_by(load, User.name, User.id).limit(limit)
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

    The automatic assignment's read (cade.reviews.services.runs); the review page reads `suggested_reviewers`.
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
        raise NotFound(_l("Several reviewers are called %(name)s: type the e-mail address of the one you mean "
                          "(the reviewer pool lists them).", name=text))
    return ids[0]

