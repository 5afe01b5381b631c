"""The award offer: opened at release, accepted or declined by an owner, lapsed at its deadline.

A released award is an offer. It carries an acceptance deadline (release
time + OFFER_ACCEPTANCE_DAYS) and, where the programme's currency is not the
reporting currency, the rate fixed at award (`fix_rate`). An owner of the
applicant organisation accepts it (signatory, position, the organisation's
name typed as confirmation) or declines it with a reason; past the deadline
the lapse sweep closes it. Each answer is one compare-and-set move of
DECISION_MACHINE, so of two owners pressing at once one wins and the other
is told it was already accepted. A declined or lapsed offer leaves
COMMITTING_STATUSES, so its money is free again in the envelope and the
ranking at once (commitments.py), and the call's first waitlisted
application is proposed to the administrators, who may award it in one
action (`award_waitlisted`) as its own offer.

Domains above this one act on an acceptance through `acceptance_hooks`
(registered from cade/wiring.py): each is called with the accepted decision
inside the same transaction, so what it writes commits or rolls back with it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts.models import User
from cade.accounts.services.administration import active_admins
from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.awards.constants import (
    FEEDBACK_MAX_CHARS,
    OFFER_REMINDER_DAYS,
    SIGNATORY_MAX_CHARS,
    DecisionOutcome,
    DecisionStatus,
)
from cade.awards.models import DECISION_MACHINE, Decision
from cade.awards.permissions import can_answer_offer, can_award_from_waitlist
from cade.awards.services.figures import keep_award_figures
from cade.core.audit import record_event
from cade.core.commands import Amount, Command, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, NotFound, PermissionDenied
from cade.core.money import Money
from cade.core.rates import RATE_PLACES, ExchangeRateMissing, convert
from cade.core.timeutil import format_in_zone, moment_json
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership
from cade.programmes.models import Call
from cade.reviews.services.aggregation import application_scores

# Called with the accepted Decision inside the accepting transaction (grants opens the grant here).
acceptance_hooks: list[Callable[[Decision], None]] = []


# ---------------------------------------------------------------- opening the offer


def offer_deadline(released_at: datetime) -> datetime:
    """When an offer released at `released_at` lapses."""
    return released_at + timedelta(days=current_app.config["OFFER_ACCEPTANCE_DAYS"])


def report_currency() -> str:
    return current_app.config["REPORT_CURRENCY"].upper()


def fix_rate(decision: Decision, on: date) -> None:
    """Fix the award's rate to the reporting currency as of `on`, once; leave it empty when no rate is recorded.

    Same currency: nothing to fix. A rate already fixed is never replaced.
    The rate kept is the one applied (units of the reporting currency per
    unit of the award's), to the column's places.
    """
    target = report_currency()
    if decision.fx_rate is not None or decision.outcome != DecisionOutcome.AWARD or decision.currency == target:
        return
    try:
        conversion = convert(Money(decision.amount_minor or 0, decision.currency), target, on)
    except ExchangeRateMissing:
        return  # the admin's decision page says so; the release goes on
    decision.fx_currency = target
    decision.fx_rate = conversion.applied_rate.quantize(Decimal(1).scaleb(-RATE_PLACES))
    decision.fx_rate_date = conversion.rate_date
    decision.fx_source = conversion.source


def fx_missing(decision: Decision) -> bool:
    """Whether a released award in another currency than the reporting one has no rate fixed (none was recorded)."""
    return (decision.is_offer and decision.fx_rate is None and decision.currency is not None
            and decision.currency != report_currency())


# ---------------------------------------------------------------- answering it


def _confirmation_hint():
    return _l("Type the name of your organisation exactly as shown to confirm.")


@dataclass(frozen=True)
class AcceptOfferInput(Command):
    """Accepting an offer: who signs, in what position, and the organisation's name typed as confirmation."""

    signatory_name: str | None = field(Text(max_len=SIGNATORY_MAX_CHARS))
    signatory_position: str | None = field(Text(max_len=SIGNATORY_MAX_CHARS))
    confirmation: str | None = field(Text(max_len=SIGNATORY_MAX_CHARS * 2))

    def check(self, errors: FieldErrors) -> None:
        for name, missing in (("signatory_name", _l("Enter the name of the person who signs for the organisation.")),
                              ("signatory_position", _l("Enter the signatory's position in the organisation.")),
                              ("confirmation", _confirmation_hint())):
            if not getattr(self, name) and name not in errors:
                errors.add(name, missing)


@dataclass(frozen=True)
class DeclineOfferInput(Command):
    reason: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        if not self.reason and "reason" not in errors:
            errors.add("reason", _l("Say why the organisation declines the offer."))


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _answered_error(decision: Decision) -> InvalidTransition:
    return InvalidTransition({
        DecisionStatus.ACCEPTED: _l("This offer has already been accepted."),
        DecisionStatus.DECLINED: _l("This offer has already been declined."),
        DecisionStatus.LAPSED: _l("This offer has lapsed: its acceptance deadline passed without an answer."),
    }.get(decision.status, _l("This offer cannot be answered.")))


def _offer_for_owner(actor, decision_id: int, verb) -> Decision:
    """The offer `actor` may answer, or the refusal: NotFound (not an offer, or not theirs), PermissionDenied."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.outcome != DecisionOutcome.AWARD or not decision.is_released:
        raise NotFound()
    organisation = decision.application.organisation
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == getattr(actor, "id", None), Membership.organisation_id == organisation.id))
    if membership is None:
        raise NotFound()  # another organisation's offer does not exist for them
    if not can_answer_offer(actor, decision.application):
        raise PermissionDenied(_l("Only an owner of %(organisation)s can %(verb)s this offer. Ask one of its owners.",
                                  organisation=organisation.name, verb=verb))
    if decision.status != DecisionStatus.RELEASED:
        raise _answered_error(decision)
    return decision


def _move_or_explain(actor, decision: Decision, new: DecisionStatus, after: dict, **values) -> None:
    try:
        DECISION_MACHINE.move(actor, decision, new, audit=(None, after), **values)
    except InvalidTransition:
        raise _answered_error(decision) from None  # the move refreshed it: the status that won


def accept_offer(actor, decision_id: int, command: AcceptOfferInput, *, now: datetime | None = None) -> Decision:
    """Accept the offer for the applicant organisation: record the signatory and the moment, tell the admins.

    Then call each of `acceptance_hooks` with the decision, in this transaction.
    Raises NotFound (no such offer, or another organisation's), PermissionDenied
    (a member who is not an owner), InvalidTransition (already accepted,
    declined or lapsed; also the loser of two owners at once), DeadlinePassed
    (naming the deadline in the call's zone) and ValidationFailed (the
    confirmation is not the organisation's name).
    """
    decision = _offer_for_owner(actor, decision_id, _l("accept"))
    now = now or utcnow()
    call = decision.application.call
    if decision.offer_deadline_at is not None and now > decision.offer_deadline_at:
        raise DeadlinePassed(_l("The deadline to accept this offer was %(deadline)s. Write to the programme team "
                                "if you still wish to take it up.",
                                deadline=format_in_zone(decision.offer_deadline_at, call.timezone)))
    organisation = decision.application.organisation
    if not _same_words(command.confirmation, organisation.name):
        errors = FieldErrors()
        errors.add("confirmation", _l("Type “%(name)s” to confirm (capital letters do not matter).",
                                      name=organisation.name))
        errors.raise_if_any()
    record = {"signatory_name": command.signatory_name, "signatory_position": command.signatory_position}
    _move_or_explain(actor, decision, DecisionStatus.ACCEPTED, {**record, "accepted_by_id": actor.id},
                     accepted_at=now, accepted_by_id=actor.id, **record)
    _tell_admins("awards.offer_accepted", decision, {
        "signatory_name": command.signatory_name, "signatory_position": command.signatory_position,
        "by_name": actor.name, "at": moment_json(now, call.timezone)})
    for hook in acceptance_hooks:
        hook(decision)
    return decision


def decline_offer(actor, decision_id: int, command: DeclineOfferInput, *, now: datetime | None = None) -> Decision:
    """Decline the offer with a reason: its money is free again; the admins are told and offered the waitlist.

    Declining stays possible until the offer has lapsed (it frees the money
    sooner). Raises NotFound, PermissionDenied and InvalidTransition as accept_offer does.
    """
    decision = _offer_for_owner(actor, decision_id, _l("decline"))
    now = now or utcnow()
    _move_or_explain(actor, decision, DecisionStatus.DECLINED, {"decline_reason": command.reason},
                     declined_at=now, declined_by_id=actor.id, decline_reason=command.reason)
    _keep_figures_of([decision.call_id])  # its money is free again
    _tell_admins("awards.offer_declined", decision, {
        "reason": command.reason, "by_name": actor.name,
        "at": moment_json(now, decision.application.call.timezone)})
    propose_waitlisted(decision)
    return decision


def _keep_figures_of(call_ids) -> None:
    """Keep the award figures of each call after an offer in it freed its money, each under its call's lock.

    Locked in the order of their ids, so that two sweeps (or a sweep and an admin) never wait on each other.
    """
    for call_id in sorted(set(call_ids)):
        lock_row(Call, call_id)
        keep_award_figures(call_id)


# ---------------------------------------------------------------- deadlines


def lapse_offers(now: datetime | None = None) -> list[int]:
    """Move every offer past its deadline to lapsed (one compare-and-set claim, audited), and propose the waitlist.

    Returns the ids moved now: a second run, or a second worker, finds none.
    """
    now = now or utcnow()
    lapsed = DECISION_MACHINE.move_where(None, DecisionStatus.LAPSED, Decision.outcome == DecisionOutcome.AWARD,
                                         Decision.offer_deadline_at.is_not(None), Decision.offer_deadline_at < now,
                                         from_statuses=[DecisionStatus.RELEASED])
    _keep_figures_of(db.session.scalars(select(Decision.call_id).where(Decision.id.in_(lapsed))))
    for decision in db.session.scalars(select(Decision).where(Decision.id.in_(lapsed)).order_by(Decision.id)
                                       .execution_options(populate_existing=True)):
        propose_waitlisted(decision)
    return lapsed


def remind_offer_deadlines(now: datetime | None = None) -> int:
    """Tell each owner of an organisation whose offer lapses within OFFER_REMINDER_DAYS; once each (keys).

    Returns how many messages were queued now.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Decision, User)
        .join(Application, Application.id == Decision.application_id)
        .join(Membership, Membership.organisation_id == Application.organisation_id)
        .join(User, User.id == Membership.user_id)
        .where(Decision.status == DecisionStatus.RELEASED, Decision.outcome == DecisionOutcome.AWARD,
               Decision.offer_deadline_at > now,
               Decision.offer_deadline_at <= now + timedelta(days=OFFER_REMINDER_DAYS),
               Membership.role == MembershipRole.OWNER, User.active.is_(True))
        .order_by(Decision.id, User.id)
    ).all()
    keys = {f"offer-deadline-near:{decision.id}:{user.id}": (decision, user) for decision, user in rows}
    fresh = [key for key in keys if key not in queued_keys(keys)]
    for key in fresh:
        decision, user = keys[key]
        notify("awards.offer_deadline_near", recipient=user, key=key, known_new=True, context={
            **_offer_context(decision),
            "deadline": moment_json(decision.offer_deadline_at, decision.application.call.timezone)})
    queued = len(fresh)
    return queued


# ---------------------------------------------------------------- the waitlist


def first_waitlisted(call_id: int) -> Application | None:
    """The call's best-ranked application still on the waiting list (the ranking's default order), or None."""
    scores = application_scores(call_id)
    return db.session.scalar(
        select(Application)
        .join(Decision, Decision.application_id == Application.id)
        .outerjoin(scores, scores.c.application_id == Application.id)
        .where(Application.call_id == call_id, Application.status == ApplicationStatus.WAITLISTED,
               Decision.outcome == DecisionOutcome.WAITLIST, Decision.is_released)
        .order_by(scores.c.mean_score.desc().nulls_last(), Application.reference.asc().nulls_last(),
                  Application.id.asc())
        .limit(1)
    )


def propose_waitlisted(freed: Decision) -> Application | None:
    """Tell the active admins that `freed`'s money is free and which waitlisted application comes first (if any)."""
    proposed = first_waitlisted(freed.call_id)
    if proposed is None:
        return None
    for admin in active_admins():
        notify("awards.waitlist_proposed", recipient=admin, key=f"waitlist-proposed:{freed.id}:{admin.id}", context={
            "call_id": freed.call_id, "call_title": freed.application.call.title,
            "freed_reference": freed.application.reference or "", "freed_status": freed.status,
            "freed": Money(freed.amount_minor or 0, freed.currency).to_json(),
            "application_id": proposed.id, "reference": proposed.reference or "", "title": proposed.title,
            "requested": (None if proposed.requested_amount_minor is None
                          else Money(proposed.requested_amount_minor, proposed.call.currency).to_json()),
        })
    return proposed


def is_awardable_from_waitlist(application: Application, decision: Decision | None) -> bool:
    """Whether the application is on the waiting list, told so, and may still be awarded from it."""
    return (decision is not None and decision.outcome == DecisionOutcome.WAITLIST
            and decision.status == DecisionStatus.RELEASED and application.status == ApplicationStatus.WAITLISTED)


@dataclass(frozen=True)
class AwardWaitlistedInput(Command):
    """Awarding a waitlisted application: the amount (in the call's currency, context `currency`) and the feedback."""

    amount_minor: int | None = field(Amount(required=False), source="amount")
    feedback: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        if self.amount_minor is None and "amount" not in errors:
            errors.add("amount", _l("Enter the amount to award."))
        if not self.feedback and "feedback" not in errors:
            errors.add("feedback", _l("Write feedback for the applicant."))


def award_waitlisted(actor, application_id: int, command: AwardWaitlistedInput) -> Decision:
    """Turn a released waitlist decision into an award and open its own offer, sent to the applicant at once.

    The amount goes through the decide service's checks (the call's bounds,
    at most the requested amount, within what the envelope holds now, under
    the call's lock). The application moves to awarded, the decision keeps
    its new feedback as released, gets its deadline and its fixed rate, and
    every active member is sent the offer. Raises PermissionDenied, NotFound,
    InvalidTransition (not, or no longer, on the waiting list: a second
    click), ValidationFailed and BudgetExceeded.
    """
    from cade.awards.services.decisions import DecisionInput, checked_values, locked_for_deciding
    from cade.awards.services.release import tell_members

    if not can_award_from_waitlist(actor):
        raise PermissionDenied()
    application, decision = locked_for_deciding(application_id)
    if not is_awardable_from_waitlist(application, decision):
        raise InvalidTransition(_l("This application is no longer on the waiting list."))
    call = application.call
    values = checked_values(application, call, DecisionInput(
        outcome=DecisionOutcome.AWARD, amount_minor=command.amount_minor, feedback=command.feedback,
        # The reviews were weighed when it was waitlisted: a missing review then was overridden with a reason.
        rationale=decision.rationale, override_reason=decision.override_reason or "—"))
    before = {"outcome": decision.outcome, "amount_minor": decision.amount_minor}
    now = utcnow()
    decision.outcome = DecisionOutcome.AWARD
    decision.amount_minor = values["amount_minor"]
    decision.currency = call.currency
    decision.feedback = decision.released_feedback = command.feedback
    decision.decided_by_id = actor.id
    decision.decided_at = decision.released_at = now
    decision.offer_deadline_at = offer_deadline(now)
    fix_rate(decision, now.date())
    db.session.flush()
    APPLICATION_MACHINE.move(actor, application, ApplicationStatus.AWARDED)
    keep_award_figures(call.id)  # under the call's lock, taken by locked_for_deciding
    record_event(actor, "decision.awarded_from_waitlist", decision, before,
                 {"outcome": decision.outcome, "amount_minor": decision.amount_minor,
                  "offer_deadline_at": decision.offer_deadline_at.isoformat()})
    tell_members(call, [decision], key_prefix="offer-made")
    return decision


# ---------------------------------------------------------------- messages


def _offer_context(decision: Decision) -> dict:
    application = decision.application
    return {"decision_id": decision.id, "application_id": application.id, "reference": application.reference or "",
            "title": application.title, "call_title": application.call.title,
            "organisation": application.organisation.name,
            "amount": Money(decision.amount_minor or 0, decision.currency).to_json()}


def _tell_admins(kind: str, decision: Decision, extra: dict) -> None:
    for admin in active_admins():
        notify(kind, recipient=admin, key=f"{kind}:{decision.id}:{admin.id}",
               context={**_offer_context(decision), **extra})
