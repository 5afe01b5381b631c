"""Releasing a call's decisions: applications take their outcome and each applicant is told, once."""

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from cade.accounts.models import User
from cade.applications.constants import IN_REVIEW_STATUSES, ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.awards.constants import RELEASED_STATUS, DecisionOutcome, DecisionStatus
from cade.awards.models import DECISION_MACHINE, Decision
from cade.awards.permissions import can_decide
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound, PermissionDenied
from cade.core.money import Money
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.models import Call
from cade.reviews.models import Review
from cade.reviews.services.aggregation import counts_towards_scores


def _waiting(call_id: int):
    """The call's decisions whose application still waits for one (a withdrawn one does not)."""
    waiting = select(Application.id).where(Application.call_id == call_id,
                                           Application.status.in_([str(s) for s in IN_REVIEW_STATUSES]))
    return (Decision.call_id == call_id, Decision.application_id.in_(waiting))


def unreleased_decision_count(call_id: int) -> int:
    """How many of the call's decisions a release would send now."""
    releasable = Decision.status.in_(DECISION_MACHINE.sources(DecisionStatus.RELEASED))
    return db.session.scalar(select(func.count(Decision.id)).where(*_waiting(call_id), releasable)) or 0


def release_decisions(actor, call_id: int) -> int:
    """Release the call's unreleased decisions; return how many were released now.

    Each released application moves to its outcome's status (through
    under_review when it is still only submitted) and every active member of
    the applicant organisation is sent the outcome, the feedback and the
    reviewers' comments for the applicant, never a reviewer's name. The
    call's row is locked and the decisions are claimed by their machine's
    compare-and-set move to released (each audited), so a second click, or a
    second admin at the same moment, finds nothing left and sends nothing
    (returns 0). The statements run do not grow with the number of
    decisions, bar one INSERT per message. Raises PermissionDenied and
    NotFound.
    """
    if not can_decide(actor):
        raise PermissionDenied()
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound()
    lock_row(Call, call_id)
    claimed = DECISION_MACHINE.move_where(actor, DecisionStatus.RELEASED, *_waiting(call_id), released_at=utcnow())
    if not claimed:
        return 0
    decisions = db.session.scalars(
        select(Decision).join(Decision.application).options(contains_eager(Decision.application))
        .where(Decision.id.in_(claimed)).order_by(Application.reference, Application.id)
        .execution_options(populate_existing=True)
    ).all()
    application_ids = [decision.application_id for decision in decisions]
    _move_to_outcomes(actor, decisions)
    _tell_members(call, decisions, applicant_comments(application_ids))
    record_event(actor, "decisions.released", call, None,
                 {"count": len(decisions), "application_ids": application_ids})
    return len(decisions)


def _move_to_outcomes(actor, decisions: list[Decision]) -> None:
    """Each application to its outcome's status (through under_review), one UPDATE per status."""
    submitted = [d.application_id for d in decisions if d.application.status == ApplicationStatus.SUBMITTED]
    APPLICATION_MACHINE.move_many(actor, submitted, ApplicationStatus.UNDER_REVIEW,
                                  from_statuses=[ApplicationStatus.SUBMITTED])
    by_status: dict[ApplicationStatus, list[int]] = defaultdict(list)
    for decision in decisions:
        by_status[RELEASED_STATUS[DecisionOutcome(decision.outcome)]].append(decision.application_id)
    for status, application_ids in by_status.items():
        APPLICATION_MACHINE.move_many(actor, application_ids, status, from_statuses=[ApplicationStatus.UNDER_REVIEW])


def _tell_members(call: Call, decisions: list[Decision], comments: dict[int, list[str]]) -> None:
    """One message per active member of each applicant organisation; a key already queued is skipped."""
    members = members_of_organisations(decision.application.organisation_id for decision in decisions)
    messages = [(decision, user, f"decision-released:{decision.application_id}:{user.id}")
                for decision in decisions for user in members.get(decision.application.organisation_id, [])]
    queued = queued_keys(key for _decision, _user, key in messages)
    for decision, user, key in messages:
        if key not in queued:
            _notify_member(user, call, decision, comments[decision.application_id], key)


def applicant_comments(application_ids) -> dict[int, list[str]]:
    """The reviewers' comments for the applicant from the reviews that count, by application, in review order.

    Only the comments: who wrote them is never part of what the applicant reads.
    A review whose reviewer declared a conflict after submitting does not count,
    so its comment is not sent either.
    """
    found: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(Review.application_id, Review.comment_to_applicant)
        .where(Review.application_id.in_(list(application_ids)), counts_towards_scores(),
               func.length(func.trim(Review.comment_to_applicant)) > 0)
        .order_by(Review.application_id, Review.submitted_at, Review.id)
    ).all()
    for application_id, comment in rows:
        found[application_id].append(comment.strip())
    return found


def _notify_member(user: User, call: Call, decision: Decision, comments: list[str], key: str) -> None:
    application = decision.application
    locale = user.locale or "en"
    notify("awards.decision_released", recipient=user, locale=locale, key=key, known_new=True,
           context={
               "application_id": application.id,
               "reference": application.reference or "",
               "title": application.title,
               "call_title": call.title,
               "outcome": decision.outcome,
               # Raw: each template writes it in the language it is read in (cade/core/money.py).
               "amount": (None if decision.amount_minor is None
                          else Money(decision.amount_minor, call.currency).to_json()),
               "feedback": decision.feedback,
               "comments": comments,
           })
