"""Approving a trip per cost category, and what follows when the approval is released to the traveller.

The admin approves an amount per category of the trip: from zero up to the
estimate asked and the call's cap for that category (CostCap; a category
without a cap is bounded by its estimate only). The award is the sum, and it
goes through the awards decide service unchanged (`decide_application`), so
the call's award range, the amount requested, the required reviews and the
envelope refuse it exactly as they refuse any award. Rejecting and waitlisting
stay on the awards decision page.

The traveller hears about the approval when the call's decisions are
released: awards calls `release_hooks` (cade/awards/services/release.py) and
`on_decisions_released` here sets the post-trip report's due day and tells the
traveller and the organisation's owners (`travel.approved`).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts.models import User
from cade.applications.models import Application
from cade.awards.constants import FEEDBACK_MAX_CHARS, DecisionOutcome
from cade.awards.models import Decision
from cade.awards.permissions import can_decide
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.core.audit import record_event
from cade.core.commands import Amount, Command, FieldErrors, Text, field
from cade.core.errors import NotFound, PermissionDenied
from cade.core.money import Money, format_money
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership
from cade.travel.constants import COST_CATEGORY_LABELS, CostCategory
from cade.travel.models import CostCap, Trip, TravelSettings



def _amount():
    return field(Amount(required=False, allow_zero=True))


@dataclass(frozen=True)
class ApprovalInput(Command):
    """Amounts approved per category (read in the call's currency, context `currency`) and the decision's texts.

    A category left empty is refused by the service when the trip asks for it;
    feedback and rationale are required as on the awards decision page.
    """

    airfare: int | None = _amount()
    accommodation: int | None = _amount()
    per_diem: int | None = _amount()
    visa: int | None = _amount()
    local_transport: int | None = _amount()
    other: int | None = _amount()
    feedback: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))
    rationale: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))
    override_reason: str | None = field(Text(max_len=FEEDBACK_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        for name, missing in (("feedback", _l("Write feedback for the applicant.")),
                              ("rationale", _l("Write the rationale for the record."))):
            if not getattr(self, name) and name not in errors:
                errors.add(name, missing)

    def amount_for(self, category: str) -> int | None:
        return getattr(self, str(category))


def trip_of_application(application_id: int) -> Trip | None:
    """The trip of a travel application (its call has travel settings), or None."""
    return db.session.scalar(
        select(Trip).join(Application, Application.id == Trip.application_id)
        .join(TravelSettings, TravelSettings.call_id == Application.call_id)
        .where(Trip.application_id == application_id))


def caps_of(call_id: int) -> dict[str, int]:
    """The call's cap per category, in minor units of the call's currency."""
    return dict(db.session.execute(select(CostCap.category, CostCap.cap_minor).where(CostCap.call_id == call_id))
                .tuples().all())


def approval_errors(trip: Trip, command: ApprovalInput, currency: str) -> FieldErrors:
    """Each category's refusal, on the category's field: missing, above the estimate, above the call's cap."""
    errors = FieldErrors()
    caps = caps_of(trip.application.call_id)
    for cost in trip.costs:
        amount = command.amount_for(cost.category)
        label = COST_CATEGORY_LABELS.get(CostCategory(cost.category), cost.category)
        if amount is None:
            errors.add(cost.category, _l("Enter the amount approved for %(category)s (0 to approve none of it).",
                                         category=label))
        elif amount > cost.estimate_minor:
            errors.add(cost.category, _l("Approve at most the %(estimate)s estimated for %(category)s.",
                                         estimate=format_money(cost.estimate_minor, currency), category=label))
        elif cost.category in caps and amount > caps[cost.category]:
            errors.add(cost.category, _l("Approve at most the call's cap of %(cap)s for %(category)s.",
                                         cap=format_money(caps[cost.category], currency), category=label))
    return errors


def approve_costs(actor, application_id: int, command: ApprovalInput) -> Decision:
    """Approve the trip's costs per category and award their sum through the awards decide service.

    Checks every category first (all refusals at once), then records (or
    changes, until release) the decision through `decide_application`:
    outcome award, amount = the sum, with the feedback, rationale and
    override reason given; then sets each TripCost.approved_minor and audits
    `trip.costs_approved`. Returns the Decision. Raises
    PermissionDenied (not an admin), NotFound (no such application, or not a
    travel application with a trip), ValidationFailed (by category field;
    then by the decide service's fields: amount, override_reason, outcome),
    BudgetExceeded and InvalidTransition as decide_application does. Flushes.
    """
    if not can_decide(actor):
        raise PermissionDenied()
    trip = trip_of_application(application_id)
    if trip is None:
        raise NotFound()
    currency = trip.application.call.currency
    approval_errors(trip, command, currency).raise_if_any()
    amounts = {cost.category: command.amount_for(cost.category) for cost in trip.costs}
    before = {cost.category: cost.approved_minor for cost in trip.costs}
    # Set first: the decide service asks `award_matches_approval` (awards' award_checks) whether the award is
    # their sum. A refusal below rolls the whole request back, these included.
    for cost in trip.costs:
        cost.approved_minor = amounts[cost.category]
    db.session.flush()
    decision = decide_application(actor, application_id, DecisionInput(
        outcome=DecisionOutcome.AWARD, amount_minor=sum(amounts.values()), feedback=command.feedback,
        rationale=command.rationale, override_reason=command.override_reason))
    record_event(actor, "trip.costs_approved", trip, {"approved_minor": before},
                 {"approved_minor": amounts, "decision_id": decision.id, "currency": currency})
    return decision


def award_matches_approval(application, amount_minor: int) -> list[str]:
    """Awards' check before an award is decided: a travel application's award is the sum of its costs approved
    per category (approve_costs), never a single amount typed on the awards page."""
    trip = trip_of_application(application.id)
    if trip is None:
        return []
    approved = [cost.approved_minor for cost in trip.costs]
    if approved and None not in approved and sum(approved) == amount_minor:
        return []
    return [_("A travel award is approved per cost category and is their sum: use “Approve the travel per cost "
              "category” on this page.")]


# ---------------------------------------------------------------- when the approval is released


def owners_of(organisation_id: int) -> list[User]:
    """The organisation's active owners."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role == MembershipRole.OWNER,
               User.active.is_(True)).order_by(User.id)))


def approved_lines(trip: Trip, currency: str) -> list[dict]:
    """The approved amount per category, as raw values for a notification or a letter (categories in trip order)."""
    return [{"category": cost.category, "amount": Money(cost.approved_minor, currency).to_json()}
            for cost in trip.costs if cost.approved_minor is not None]


def on_decisions_released(decisions) -> None:
    """Awards' release hook: for each released award of a travel application, the post-trip due day and the news.

    `post_trip_due_on` = the event's last day + the call's post_trip_days.
    The traveller (their account, or the e-mail the owner gave) and the
    organisation's active owners are told once each (`travel.approved`, keys
    per trip and person), with the approved amounts per category and, when a
    visa letter was asked, the page of the letter.
    """
    awards = {decision.application_id: decision for decision in decisions
              if decision.outcome == DecisionOutcome.AWARD}
    if not awards:
        return
    # One query whatever the release's size; the travel awards among them (usually none) are told one by one.
    trips = db.session.scalars(
        select(Trip).join(Application, Application.id == Trip.application_id)
        .join(TravelSettings, TravelSettings.call_id == Application.call_id)
        .where(Trip.application_id.in_(list(awards)))).all()
    for trip in trips:
        decision = awards[trip.application_id]
        settings = db.session.get(TravelSettings, trip.application.call_id)
        if trip.event is not None and trip.post_trip_due_on is None:
            trip.post_trip_due_on = trip.event.ends_on + timedelta(days=settings.post_trip_days)
        _tell_approved(trip, decision)
    db.session.flush()


def _tell_approved(trip: Trip, decision) -> None:
    application = trip.application
    currency = decision.currency or application.call.currency
    event = trip.event
    context = {
        "trip_id": trip.id, "application_id": application.id, "reference": application.reference or "",
        "title": application.title, "call_title": application.call.title,
        "organisation": application.organisation.name,
        "traveller_name": trip.traveller.name if trip.traveller is not None else (trip.traveller_name or ""),
        "event_name": event.name if event else "", "event_city": event.city if event else "",
        "event_country": event.country if event else "",
        "starts_on": event.starts_on.isoformat() if event else None,
        "ends_on": event.ends_on.isoformat() if event else None,
        "lines": approved_lines(trip, currency),
        "total": Money(decision.amount_minor or 0, currency).to_json(),
        "post_trip_due_on": trip.post_trip_due_on.isoformat() if trip.post_trip_due_on else None,
        "visa_letter": bool(trip.wants_visa_letter),
    }
    recipients: dict[str, tuple] = {}
    for owner in owners_of(application.organisation_id):
        recipients[f"travel-approved:{trip.id}:{owner.id}"] = (owner, None)
    if trip.traveller is not None and trip.traveller.active:
        recipients.setdefault(f"travel-approved:{trip.id}:{trip.traveller.id}", (trip.traveller, None))
    elif trip.traveller is None and trip.traveller_email:
        owner_emails = {user.email for user, _email in recipients.values()}
        if trip.traveller_email not in owner_emails:
            recipients[f"travel-approved:{trip.id}:{trip.traveller_email}"] = (None, trip.traveller_email)
    queued = queued_keys(recipients)
    for key, (user, email) in recipients.items():
        if key in queued:
            continue
        locale = (user.locale if user is not None else _guest_locale(trip)) or "en"
        notify("travel.approved", recipient=user, email=email, locale=locale, key=key, known_new=True,
               context={**context, "recipient_name": user.name if user else context["traveller_name"]})


def _guest_locale(trip: Trip) -> str:
    """A traveller without an account reads in the organisation's first language we speak, else English."""
    languages = current_app.config["LANGUAGES"]
    for language in trip.application.organisation.languages or []:
        if language in languages:
            return language
    return "en"


def register(hooks: list) -> None:
    """Add `on_decisions_released` to awards' `release_hooks` (once: a second app in one process adds nothing)."""
    if on_decisions_released not in hooks:
        hooks.append(on_decisions_released)
