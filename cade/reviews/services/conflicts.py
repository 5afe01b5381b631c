"""Conflicts of interest: found from memberships and e-mail domains, and declared by reviewers."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from cade.accounts.models import User
from cade.accounts.services.administration import active_admins
from cade.applications.models import Application
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.models import Membership
from cade.programmes.models import Call
from cade.reviews.constants import CONFLICT_REASON_MAX_CHARS, PUBLIC_EMAIL_DOMAINS, ReviewStatus
from cade.reviews.models import Assignment, ConflictDeclaration, Review
from cade.reviews.services.aggregation import keep_scores
from cade.reviews.services.finality import refuse_if_final


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def automatic_conflicts(application_ids: Iterable[int], reviewer_ids: Iterable[int], *,
                        emails: Mapping[int, str] | None = None) -> dict[tuple[int, int], str]:
    """Pairs (application id, reviewer id) in conflict without anyone saying so, with the reason.

    "member": the reviewer belongs to the applicant organisation; "email_domain":
    the reviewer's e-mail domain is one of a member's (public mail providers
    excepted). Two queries whatever the number of pairs (one when the caller hands over the
    reviewers' `emails`).
    """
    application_ids, reviewer_ids = set(application_ids), set(reviewer_ids)
    if not application_ids or not reviewer_ids:
        return {}
    member_rows = db.session.execute(
        select(Application.id, Membership.user_id, User.email)
        .join(Membership, Membership.organisation_id == Application.organisation_id)
        .join(User, User.id == Membership.user_id)
        .where(Application.id.in_(application_ids))
    ).all()
    if emails is None:  # else the caller holds the reviewers' addresses already (a pool read for its page)
        emails = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(reviewer_ids))).all())
    reviewer_domains = {rid: email_domain(emails[rid]) for rid in reviewer_ids if rid in emails}
    members: dict[int, set[int]] = defaultdict(set)
    domains: dict[int, set[str]] = defaultdict(set)
    for application_id, user_id, email in member_rows:
        members[application_id].add(user_id)
        domain = email_domain(email)
        if domain not in PUBLIC_EMAIL_DOMAINS:
            domains[application_id].add(domain)
    # Looked up by domain, never over every pair: a call of 10,000 applications and 300 reviewers has 3 million.
    by_domain: dict[str, set[int]] = defaultdict(set)
    for reviewer_id, domain in reviewer_domains.items():
        by_domain[domain].add(reviewer_id)
    found: dict[tuple[int, int], str] = {}
    for application_id in application_ids:
        for domain in domains.get(application_id, ()):
            for reviewer_id in by_domain.get(domain, ()):
                found[(application_id, reviewer_id)] = "email_domain"
        for reviewer_id in members.get(application_id, set()) & reviewer_ids:
            found[(application_id, reviewer_id)] = "member"  # a member is named so even at a shared domain
    return found


def declared_conflicts(application_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Pairs (application id, reviewer id) where the reviewer declared a conflict."""
    application_ids = set(application_ids)
    if not application_ids:
        return set()
    rows = db.session.execute(
        select(ConflictDeclaration.application_id, ConflictDeclaration.reviewer_id)
        # The plain column, not `IS true`: PostgreSQL matches it to the partial index on conflicts (WHERE has_conflict).
        .where(ConflictDeclaration.application_id.in_(application_ids), ConflictDeclaration.has_conflict)
    ).all()
    return {(a, r) for a, r in rows}


@dataclass(frozen=True)
class DeclaredConflict:
    """A conflict of interest a reviewer declared, as the call's administrators read it."""

    reviewer_id: int
    reviewer_name: str
    application_id: int
    reference: str | None
    title: str
    declared_at: datetime
    reason: str | None  # the reviewer's own words: for administrators only
    review_kept: bool  # declared after submitting: the review stays on record and no longer counts


def declared_conflicts_in_call(call_id: int) -> list[DeclaredConflict]:
    """The conflicts of interest declared on the call's applications, newest first, in one query.

    Who declared, on which application, when and why. The reason is shown to
    administrators only: no reviewer or applicant page reads it.
    """
    submitted = exists().where(Review.application_id == ConflictDeclaration.application_id,
                               Review.reviewer_id == ConflictDeclaration.reviewer_id,
                               Review.status == ReviewStatus.SUBMITTED)
    rows = db.session.execute(
        select(ConflictDeclaration.reviewer_id, User.name, ConflictDeclaration.application_id,
               Application.reference, Application.title, ConflictDeclaration.declared_at,
               ConflictDeclaration.reason, submitted.label("review_kept"))
        .join(User, User.id == ConflictDeclaration.reviewer_id)
        .join(Application, Application.id == ConflictDeclaration.application_id)
        # The plain column, not `IS true`: PostgreSQL then uses the partial index on conflicts (WHERE has_conflict);
        # with `IS true` it reads every declaration.
        .where(Application.call_id == call_id, ConflictDeclaration.has_conflict)
        .order_by(ConflictDeclaration.declared_at.desc(), ConflictDeclaration.id.desc())
    ).all()
    return [DeclaredConflict(*row[:7], review_kept=bool(row[7])) for row in rows]


def all_conflicts(application_ids: Iterable[int], reviewer_ids: Iterable[int], *,
                  emails: Mapping[int, str] | None = None) -> dict[tuple[int, int], str]:
    """Automatic and declared conflicts together; a declared one reads "declared". `emails`: see automatic_conflicts."""
    application_ids = set(application_ids)
    found = automatic_conflicts(application_ids, reviewer_ids, emails=emails)
    for pair in declared_conflicts(application_ids):
        found[pair] = "declared"
    return found


def conflict_reason(reviewer_id: int, application_id: int) -> str | None:
    """Why this reviewer may not review this application ("member", "email_domain", "declared"), or None."""
    return all_conflicts([application_id], [reviewer_id]).get((application_id, reviewer_id))


def declaration_for(reviewer_id: int, application_id: int, *, fresh: bool = False) -> ConflictDeclaration | None:
    """The reviewer's answer for the application, if any; `fresh` reads it again even if the session holds it."""
    return db.session.scalar(select(ConflictDeclaration).where(
        ConflictDeclaration.reviewer_id == reviewer_id, ConflictDeclaration.application_id == application_id)
        .execution_options(populate_existing=fresh))


def declare_conflict(actor, assignment_id: int, has_conflict: bool, reason: str | None = None) -> ConflictDeclaration:
    """Record the assigned reviewer's answer to the conflict question; tell the administrators of a conflict.

    "No conflict" opens the application to them. "Conflict, because …" (a
    reason is required) closes it to them and tells every administrator.
    Nothing submitted is ever deleted:

    - while the review is a draft (or not started), the assignment is removed
      with what was written so far, so the application may get another reviewer;
    - once the review is submitted, the assignment and the review stay on record
      but the review no longer counts (`aggregation.counts_towards_scores`
      leaves out the review of a reviewer who declared a conflict), and the
      administrators' notice says so.

    A reviewer who said "no conflict" may still declare one later; the other
    way round is not possible. Raises NotFound for anyone but the assigned
    reviewer, PermissionDenied once a conflict has been declared,
    ValidationFailed for a missing or over-long reason, ReviewFinal when a
    review (draft or submitted) exists and the decision has been released.
    """
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.reviewer_id != getattr(actor, "id", None):
        raise NotFound()
    reason = (reason or "").strip()
    if has_conflict and not reason:
        raise ValidationFailed({"reason": [_l("Please say why you have a conflict of interest.")]})
    if len(reason) > CONFLICT_REASON_MAX_CHARS:
        raise ValidationFailed({"reason": [_l("Use at most %(n)d characters.",
                                              n=CONFLICT_REASON_MAX_CHARS)]})
    application = assignment.application
    if has_conflict:
        # The call first, as saving a review and releasing the call's decisions take it: a release is either
        # seen here or waits, and once released the review is final (finality.ReviewFinal).
        lock_row(Call, assignment.call_id)
    # Held from here on: a review submitted at this very moment is never removed with a draft.
    review = locked_review(assignment) if has_conflict else None
    if review is not None:
        refuse_if_final(assignment.application_id)
    review_kept = review is not None and review.status == ReviewStatus.SUBMITTED
    declaration = declaration_for(actor.id, assignment.application_id, fresh=True)
    before = None
    if declaration is None:
        declaration = ConflictDeclaration(application_id=assignment.application_id, reviewer_id=actor.id,
                                          has_conflict=has_conflict)
        db.session.add(declaration)
    else:
        if declaration.has_conflict:
            raise PermissionDenied()
        before = {"has_conflict": declaration.has_conflict, "reason": declaration.reason}
    declaration.has_conflict = has_conflict
    declaration.reason = reason or None
    declaration.declared_at = utcnow()
    db.session.flush()
    record_event(actor, "conflict.declared", declaration, before,
                 {"application_id": assignment.application_id, "has_conflict": has_conflict, "reason": reason or None})
    if has_conflict:
        if review_kept:
            record_event(actor, "review.excluded", review, {"counted": True},
                         {"counted": False, "reason": "conflict_declared"})
            keep_scores(assignment.call_id, actor.id)  # under the call's lock, taken above
        else:
            delete_assignment(actor, assignment, review, "conflict_declared")
        _tell_admins(actor, application, declaration, review_kept=review_kept)
    return declaration


def locked_review(assignment: Assignment) -> Review | None:
    """The assignment's review as it now stands, with the assignment (and review) locked until the transaction ends.

    Saving a review locks the assignment too, so a review being submitted at this
    very moment is either seen submitted here or waits until this transaction is over.
    """
    lock_row(Assignment, assignment.id)
    db.session.expire(assignment, ["review"])
    review = assignment.review
    if review is not None:
        lock_row(Review, review.id)
        db.session.refresh(review)
    return review


def delete_assignment(actor, assignment: Assignment, review: Review | None, reason: str) -> None:
    """Delete `assignment` (its draft `review` goes with it) and audit why (`reason`); checks nothing."""
    record_event(actor, "assignment.removed", assignment,
                 {"application_id": assignment.application_id, "reviewer_id": assignment.reviewer_id,
                  "review_status": review.status if review else None},
                 {"reason": reason})
    db.session.delete(assignment)
    db.session.flush()


def _tell_admins(actor, application: Application, declaration: ConflictDeclaration, *, review_kept: bool) -> None:
    for admin in active_admins():
        notify("reviews.conflict_declared", recipient=admin, locale=admin.locale,
               key=f"conflict-declared:{declaration.id}:{admin.id}", context={
                   "reviewer_name": actor.name,
                   "reference": application.reference or "",
                   "title": application.title,
                   "call_id": application.call_id,
                   "reason": declaration.reason or "",
                   "review_kept": review_kept,
               })
