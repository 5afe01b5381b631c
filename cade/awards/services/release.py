"""Releasing a call's decisions: applications take their outcome and each applicant is told, once."""

from collections import defaultdict

from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.services import transition_application
from cade.awards.constants import RELEASED_STATUS, DecisionOutcome
from cade.awards.models import Decision
from cade.awards.permissions import can_decide
from cade.awards.services.decisions import DECIDABLE_STATUSES
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound, PermissionDenied
from cade.core.money import format_money
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.models import Membership
from cade.programmes.models import Call
from cade.reviews.constants import ReviewStatus
from cade.reviews.models import Review


def _releasable(call_id: int):
    """Unreleased decisions of the call whose application still waits for one (a withdrawn one does not)."""
    waiting = select(Application.id).where(Application.call_id == call_id,
                                           Application.status.in_([str(s) for s in DECIDABLE_STATUSES]))
    return (Decision.call_id == call_id, Decision.released_at.is_(None), Decision.application_id.in_(waiting))


def unreleased_decision_count(call_id: int) -> int:
    """How many of the call's decisions a release would send now."""
    return db.session.scalar(select(func.count(Decision.id)).where(*_releasable(call_id))) or 0


def release_decisions(actor, call_id: int) -> int:
    """Release the call's unreleased decisions; return how many were released now.

    Each released application moves to its outcome's status (through
    under_review when it is still only submitted) and every member of the
    applicant organisation is sent the outcome, the feedback and the
    reviewers' comments for the applicant, never a reviewer's name. The call's
    row is locked and the decisions are claimed by one compare-and-set UPDATE,
    so a second click, or a second admin at the same moment, finds nothing
    left and sends nothing (returns 0). Raises PermissionDenied and NotFound.
    """
    if not can_decide(actor):
        raise PermissionDenied()
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound()
    lock_row(Call, call_id)
    table = Decision.__table__
    claimed = db.session.execute(
        update(table).where(*(_releasable(call_id))).values(released_at=utcnow()).returning(table.c.id)
    ).scalars().all()
    if not claimed:
        return 0
    decisions = db.session.scalars(
        select(Decision).join(Decision.application).options(contains_eager(Decision.application))
        .where(Decision.id.in_(claimed)).order_by(Application.reference, Application.id)
        .execution_options(populate_existing=True)
    ).all()
    application_ids = [decision.application_id for decision in decisions]
    members = _members_by_organisation({decision.application.organisation_id for decision in decisions})
    comments = applicant_comments(application_ids)
    for decision in decisions:
        application = decision.application
        if application.status == ApplicationStatus.SUBMITTED:
            transition_application(actor, application, ApplicationStatus.UNDER_REVIEW)
        transition_application(actor, application, RELEASED_STATUS[DecisionOutcome(decision.outcome)])
        for user in members[application.organisation_id]:
            _notify_member(user, call, decision, comments[application.id])
    record_event(actor, "decisions.released", call, None,
                 {"count": len(decisions), "application_ids": application_ids})
    return len(decisions)


def applicant_comments(application_ids) -> dict[int, list[str]]:
    """The reviewers' comments for the applicant from submitted reviews, by application, in review order.

    Only the comments: who wrote them is never part of what the applicant reads.
    """
    found: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(Review.application_id, Review.comment_to_applicant)
        .where(Review.application_id.in_(list(application_ids)), Review.status == ReviewStatus.SUBMITTED,
               func.length(func.trim(Review.comment_to_applicant)) > 0)
        .order_by(Review.application_id, Review.submitted_at, Review.id)
    ).all()
    for application_id, comment in rows:
        found[application_id].append(comment.strip())
    return found


def _members_by_organisation(organisation_ids: set[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = defaultdict(list)
    rows = db.session.execute(
        select(Membership.organisation_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
        .order_by(User.id)
    ).all()
    for organisation_id, user in rows:
        found[organisation_id].append(user)
    return found


def _notify_member(user: User, call: Call, decision: Decision, comments: list[str]) -> None:
    application = decision.application
    locale = user.locale or "en"
    notify("awards.decision_released", recipient=user, locale=locale,
           key=f"decision-released:{application.id}:{user.id}",
           context={
               "application_id": application.id,
               "reference": application.reference or "",
               "title": application.title,
               "call_title": call.title,
               "outcome": decision.outcome,
               "amount_text": format_money(decision.amount_minor, call.currency, locale=locale),
               "feedback": decision.feedback,
               "comments": comments,
           })
