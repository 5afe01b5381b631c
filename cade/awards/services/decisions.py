"""Deciding an application: award (inside the envelope), waitlist or reject, kept internal until release."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.awards.constants import FEEDBACK_MAX_CHARS, DecisionOutcome
from cade.awards.models import Decision
from cade.awards.services.commitments import committed_total
from cade.awards.services.figures import keep_award_figures
from cade.awards.permissions import can_change_decision, can_decide
from cade.core.audit import record_event
from cade.core.commands import Amount, Choice, Command, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import BudgetExceeded, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.money import format_money
from cade.core.rules import registered_rules
from cade.extensions import db
from cade.programmes.models import Call
from cade.reviews.models import Review
from cade.reviews.services.aggregation import counts_towards_scores

SNAPSHOT = ("outcome", "amount_minor", "feedback", "rationale", "override_reason")


@dataclass(frozen=True)
class DecisionInput(Command):
    """A decision as an admin types it; the amount is read in the currency of the call (context `currency`).

    Only an award carries an amount. Whether the amount fits the call and the
    envelope, and whether enough reviews are in, is decide_application's to say.
    """

    outcome: str | None = field(Choice(DecisionOutcome, required=True, message=_l("Choose award, waitlist or reject.")))
    amount_minor: int | None = field(Amount(required=False), source="amount")
    feedback: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))
    rationale: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))
    override_reason: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        if self.outcome == DecisionOutcome.AWARD and self.amount_minor is None and "amount" not in errors:
            errors.add("amount", _l("Enter the amount to award."))
        for name, missing in (("feedback", _l("Write feedback for the applicant.")),
                              ("rationale", _l("Write the rationale for the record."))):
            if not getattr(self, name) and name not in errors:
                errors.add(name, missing)


def decide_application(actor, application_id: int, command: DecisionInput) -> Decision:
    """Record (or change, until release) the decision on a submitted application.

    An award's amount must lie within the call's minimum and maximum award and
    be at most the requested amount; waitlist and reject keep none. Fewer
    submitted reviews than the call requires need an override reason. The
    call's row is locked before the envelope is summed, so of two admins
    deciding at once the second sees the first's award. The application's
    status does not change: the applicant learns nothing until release.
    Raises PermissionDenied (not an admin), NotFound, InvalidTransition (not
    submitted, or the decision is already released), ValidationFailed (by
    field: amount, override_reason, and outcome when a rule that applies at
    award refuses: `award_refusals`, or when the call does not decide that
    outcome: `outcomes_for`) and BudgetExceeded (names the remaining amount).
    """
    if not can_decide(actor):
        raise PermissionDenied()
    application, decision = locked_for_deciding(application_id)
    if application is not None and application.status == ApplicationStatus.INFO_REQUESTED:
        # Review is paused for the applicant's answer (cade/conversations): decide once it is in.
        raise InvalidTransition(_l("Information has been requested from the applicant: decide once they have "
                                   "answered, or once the request is withdrawn."))
    if not can_change_decision(application, decision):
        if decision is not None and decision.is_released:
            raise InvalidTransition(_l("This decision has been released to the applicant and can no longer change."))
        raise InvalidTransition(_l("Only submitted applications can be decided."))

    call = application.call
    values = checked_values(application, call, command)
    if values["outcome"] == DecisionOutcome.AWARD:
        refusals = [reason for check in award_checks for reason in check(application, values["amount_minor"])]
        if refusals:
            raise ValidationFailed({"amount": refusals})

    before = _snapshot(decision) if decision is not None else None
    if decision is None:
        decision = Decision(application_id=application.id, call_id=call.id, currency=call.currency)
        db.session.add(decision)
    for name, value in values.items():
        setattr(decision, name, value)
    decision.decided_by_id = actor.id
    decision.decided_at = utcnow()
    db.session.flush()
    if application.status == ApplicationStatus.SUBMITTED:
        # Deciding is reviewing: the applicant may no longer withdraw an application whose
        # decision (and perhaps award, counted in the envelope) awaits release. "Under review" tells them nothing new.
        APPLICATION_MACHINE.move(actor, application, ApplicationStatus.UNDER_REVIEW)
    keep_award_figures(call.id)  # under the call's lock, taken by locked_for_deciding
    record_event(actor, "decision.changed" if before else "decision.made", decision, before,
                 {"application_id": application.id, **_snapshot(decision)})
    return decision


def locked_for_deciding(application_id: int) -> tuple[Application, Decision | None]:
    """The application and its decision, read afresh after locking its call's row. Raises NotFound.

    Everything read after the lock includes what another admin committed
    meanwhile, so two admins deciding in one call take turns.
    """
    call_id = db.session.scalar(select(Application.call_id).where(Application.id == application_id))
    if call_id is None:
        raise NotFound()
    lock_row(Call, call_id)
    application = db.session.get(Application, application_id, populate_existing=True)
    decision = db.session.scalar(select(Decision).where(Decision.application_id == application_id)
                                 .execution_options(populate_existing=True))
    return application, decision


def decision_for(application_id: int) -> Decision | None:
    """The application's decision, released or not, or None while it is undecided."""
    return db.session.scalar(select(Decision).where(Decision.application_id == application_id))


def submitted_review_count(application_id: int) -> int:
    """Submitted reviews that count (a conflict declared after submitting takes one out), as the scores count them."""
    return db.session.scalar(select(func.count(Review.id)).where(
        Review.application_id == application_id, counts_towards_scores())) or 0


def checked_values(application: Application, call: Call, command: DecisionInput) -> dict:
    """The decision's values once the call's bounds, its required reviews and (for an award) what the envelope
    holds now allow them; else ValidationFailed or BudgetExceeded. Call it under the call's lock
    (`locked_for_deciding`), so that two admins awarding at once cannot together overspend."""
    errors = FieldErrors()
    currency = call.currency
    outcome_refusal = wrong_outcome(call, command.outcome)
    if outcome_refusal:
        errors.add("outcome", outcome_refusal)
    award = command.outcome == DecisionOutcome.AWARD and outcome_refusal is None
    amount_minor = command.amount_minor if award else None  # only awards carry an amount
    requested = application.requested_amount_minor
    if award and not call.min_award_minor <= amount_minor <= call.max_award_minor:
        errors.add("amount", _l("Award between %(min)s and %(max)s.", min=format_money(call.min_award_minor, currency),
                                max=format_money(call.max_award_minor, currency)))
    elif award and requested is not None and amount_minor > requested:
        errors.add("amount", _l("The award cannot be more than the %(requested)s requested.",
                                requested=format_money(requested, currency)))
    override_reason = command.override_reason
    reviews = submitted_review_count(application.id)
    if reviews >= call.reviews_required:
        override_reason = None  # nothing to override
    elif override_reason is None:
        errors.add("override_reason", lazy_ngettext(
            "This application has %(num)d submitted review and the call requires %(required)d. "
            "To decide now, give the reason.",
            "This application has %(num)d submitted reviews and the call requires %(required)d. "
            "To decide now, give the reason.", reviews, required=call.reviews_required))
    if award:
        for reason in award_refusals(call, application.organisation):
            errors.add("outcome", reason)
    errors.raise_if_any()
    if award:
        _check_envelope(call, application.id, amount_minor)
    return {"outcome": command.outcome, "amount_minor": amount_minor, "feedback": command.feedback,
            "rationale": command.rationale, "override_reason": override_reason}


def outcomes_for(call: Call) -> tuple[DecisionOutcome, ...]:
    """The outcomes a decision in `call` may have, in the order the pages offer them.

    The concept-note stage of a two-stage call (cade/stages) shortlists or
    rejects: nothing is awarded there, so nothing is held against its envelope.
    Every other call awards, waitlists or rejects, and never shortlists.
    """
    if call.is_concept_stage:
        return (DecisionOutcome.SHORTLIST, DecisionOutcome.REJECT)
    return (DecisionOutcome.AWARD, DecisionOutcome.WAITLIST, DecisionOutcome.REJECT)


def wrong_outcome(call: Call, outcome: str | None):
    """Why `outcome` is not one `call` may decide (outcomes_for), or None when it is (or when none is chosen)."""
    if outcome is None or outcome in outcomes_for(call):
        return None
    if call.is_concept_stage:
        return _l("This call is the concept-note stage of a two-stage call: shortlist the concept note or reject "
                  "it. Awards are decided on the full proposals.")
    return _l("Only the concept-note stage of a two-stage call shortlists: award, waitlist or reject.")


# Functions (application, amount_minor) -> reasons an award of that amount may not be decided on the awards page,
# offered to the domains above (travel: an award is the sum of the costs approved per category, decided from its
# own page). Added from cade/wiring.py.
award_checks: list = []


def award_refusals(call: Call, organisation) -> list[str]:
    """Why `organisation` may not be awarded in `call` now, from the registered eligibility rules that apply at award.

    A rule takes part by setting `at_award = True` and answering
    `check_award(call, organisation) -> reasons` (the documents a call asks for
    before an award: cade/diligence/eligibility.py). Awards asks the registry,
    so it imports no domain above it. The decision form shows the reasons on `outcome`.
    """
    return [reason for rule in registered_rules() if getattr(rule, "at_award", False)
            for reason in rule.check_award(call, organisation)]


def _check_envelope(call: Call, application_id: int, amount_minor: int) -> None:
    others = committed_total(call.id, except_application_id=application_id)
    if others + amount_minor > call.budget_envelope_minor:
        remaining = max(call.budget_envelope_minor - others, 0)
        raise BudgetExceeded(_l(
            "This award would exceed the call's budget envelope: %(remaining)s remains to award.",
            remaining=format_money(remaining, call.currency)), field="amount", remaining_minor=remaining)


def _snapshot(decision: Decision) -> dict:
    return {name: getattr(decision, name) for name in SNAPSHOT}
