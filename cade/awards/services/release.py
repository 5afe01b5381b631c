"""Releasing a call's decisions: applications take their outcome and each applicant is told, once.

What each applicant is told (the feedback and the reviewers' comments) is
kept with the decision as it went out: the outcome page reads that, never
the live decision or reviews, which may be edited afterwards.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, null, select
from sqlalchemy.orm import contains_eager

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.awards.constants import RELEASED_STATUS, DecisionOutcome, DecisionStatus
from cade.awards.models import DECISION_MACHINE, Decision
from cade.awards.permissions import can_decide
from cade.awards.services.decisions import outcomes_for
from cade.awards.services.figures import keep_award_figures, waiting_for_release
from cade.awards.services.offers import fix_rate, offer_deadline
from cade.core.audit import record_event
from cade.core.db import UTCDateTime, lock_row, utcnow
from cade.core.errors import DomainError, NotFound, PermissionDenied
from cade.core.money import Money
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.models import Call
from cade.reviews.models import Review
from cade.reviews.services.aggregation import counts_towards_scores

# Called with the decisions released now, inside the releasing transaction (travel sets its due days and tells
# the traveller); registered from cade/wiring.py, so awards imports no domain above it.
release_hooks: list[Callable[[list[Decision]], None]] = []


def unreleased_decision_count(call_id: int) -> int:
    """How many of the call's decisions a release would send now, counted afresh (pages read the kept count)."""
    return db.session.scalar(select(func.count(Decision.id)).where(*waiting_for_release(call_id))) or 0


@dataclass(frozen=True)
class ReleasePreview:
    """What releasing the call's decisions now would send: how many decisions, to how many people."""

    decisions: int
    people: int  # distinct active members of the applicant organisations: each is sent one message per decision
    by_outcome: dict[str, int] = field(default_factory=dict)
    outcomes: tuple[str, ...] = ()  # those the call decides (outcomes_for), each counted even when none is decided


def release_preview(call_id: int) -> ReleasePreview:
    """What release_decisions would send now, counted as it counts (two queries whatever the numbers)."""
    call = db.session.get(Call, call_id)
    rows = db.session.execute(
        select(Decision.outcome, Application.organisation_id).join(Decision.application)
        .where(*waiting_for_release(call_id))
    ).all()
    members = members_of_organisations(organisation_id for _outcome, organisation_id in rows)
    people = {user.id for users in members.values() for user in users}
    return ReleasePreview(decisions=len(rows), people=len(people),
                          by_outcome=dict(Counter(outcome for outcome, _organisation_id in rows)),
                          outcomes=tuple(str(outcome) for outcome in outcomes_for(call)) if call else ())


class ReleaseCountChanged(DomainError, status=409, slug="release-count-changed"):
    """The number of decisions to release is not the one the admin confirmed (params: expected, count)."""

    default_message = _l("The number of decisions to release has changed since you looked.")


def release_decisions(actor, call_id: int, *, expected: int | None = None) -> int:
    """Release the call's unreleased decisions; return how many were released now.

    Each released application moves to its outcome's status (through
    under_review when it is still only submitted) and every active member of
    the applicant organisation is sent the outcome, the feedback and the
    reviewers' comments for the applicant, never a reviewer's name. Each
    decision keeps that feedback and those comments as sent
    (`released_feedback`, `released_comments`). The call's row is locked
    and the decisions are claimed by their machine's compare-and-set move to
    released (each audited), so a second click, or a second admin at the
    same moment, finds nothing left and sends nothing (returns 0).

    `expected` is the number of decisions the admin confirmed: when, under
    the lock, there are others to release than that number (another admin
    decided meanwhile), nothing is released and ReleaseCountChanged says how
    many there are now; none left is no change, but a second click (returns 0).

    The statements run do not grow with the number of decisions, bar one
    INSERT per message. Then each of `release_hooks` is called with the
    decisions released now, in this transaction. Raises PermissionDenied,
    NotFound and ReleaseCountChanged.
    """
    if not can_decide(actor):
        raise PermissionDenied()
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound()
    lock_row(Call, call_id)
    if expected is not None:
        count = unreleased_decision_count(call_id)
        if count not in (0, expected):
            raise ReleaseCountChanged(expected=expected, count=count)
    # The feedback is kept in the claiming UPDATE itself: what is sent is what the row held when it was claimed.
    # An award becomes an offer, answered by its deadline.
    now = utcnow()
    deadline = case((Decision.outcome == DecisionOutcome.AWARD, literal(offer_deadline(now), UTCDateTime)),
                    else_=null())
    claimed = DECISION_MACHINE.move_where(actor, DecisionStatus.RELEASED, *waiting_for_release(call_id),
                                          released_at=now,
                                          released_feedback=Decision.feedback, offer_deadline_at=deadline)
    if not claimed:
        return 0
    decisions = db.session.scalars(
        select(Decision).join(Decision.application).options(contains_eager(Decision.application))
        .where(Decision.id.in_(claimed)).order_by(Application.reference, Application.id)
        .execution_options(populate_existing=True)
    ).all()
    application_ids = [decision.application_id for decision in decisions]
    comments = applicant_comments(application_ids)
    for decision in decisions:
        decision.released_comments = comments.get(decision.application_id, [])
        fix_rate(decision, now.date())  # the money fixed at award: one rate look-up per award in another currency
    db.session.flush()  # one executemany UPDATE for them all
    _move_to_outcomes(actor, decisions)
    keep_award_figures(call_id)  # none waits for release now
    tell_members(call, decisions)
    for hook in release_hooks:
        hook(decisions)
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


def tell_members(call: Call, decisions: list[Decision], *, key_prefix: str = "decision-released") -> None:
    """One message per active member of each applicant organisation; a key already queued is skipped.

    `key_prefix` tells a second message about the same application apart (an offer made from the waiting list).
    """
    members = members_of_organisations(decision.application.organisation_id for decision in decisions)
    messages = [(decision, user, f"{key_prefix}:{decision.application_id}:{user.id}")
                for decision in decisions for user in members.get(decision.application.organisation_id, [])]
    queued = queued_keys(key for _decision, _user, key in messages)
    for decision, user, key in messages:
        if key not in queued:
            _notify_member(user, call, decision, key)


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


def _notify_member(user: User, call: Call, decision: Decision, key: str) -> None:
    application = decision.application
    locale = user.locale or "en"
    notify("awards.decision_released", recipient=user, locale=locale, key=key, known_new=True,
           context={
               "application_id": application.id,
               "reference": application.reference or "",
               "title": application.title,
               "call_title": call.title,
               "outcome": decision.outcome,
               # A concept note (two-stage calls) is shortlisted or not, never "not selected for funding".
               "concept_stage": call.is_concept_stage,
               # Raw: each template writes it in the language it is read in (cade/core/money.py).
               "amount": (None if decision.amount_minor is None
                          else Money(decision.amount_minor, call.currency).to_json()),
               # The text kept with the decision: the message and the outcome page say the same.
               "feedback": decision.released_feedback,
               "comments": decision.released_comments,
               # An offer's acceptance deadline, in the call's zone (None for a waitlist or a rejection).
               "deadline": moment_json(decision.offer_deadline_at, call.timezone),
           })


def outcome_text(decision: Decision) -> tuple[str, list[str]]:
    """The feedback and the reviewers' comments the outcome page shows for `decision`.

    Once released, the text kept at release, whatever was edited since; before
    (only admins see the page then), what a release would send now.
    """
    if decision.is_released:
        return decision.released_feedback or "", list(decision.released_comments or [])
    return decision.feedback, applicant_comments([decision.application_id])[decision.application_id]
