"""The trip of a travel application: who travels, to which of the call's events, when, and the costs asked.

A travel call's application carries one Trip (made on its first save). Saving it checks each rule on its
own field (the event is one of the call's; the traveller is a member, or a person an owner adds with their
consent; the dates overlap the event within the call's margin; a passport country only with a visa letter;
each estimate within its category's cap) and keeps the application's requested amount and budget lines equal
to the trip's costs, so submission, ranking and reports read a travel application as any other. The per diem
is never typed: it is the per diem table's quote for the event's place and the travel days, within its cap.

`trip_completeness` says what is missing before submission; the applications domain asks it through
`cade.applications.services.submission.completeness_sources` (registered from cade/wiring.py).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from cade.applications.models import Application, BudgetLine
from cade.applications.services._common import load_application, lock_draft, require_member
from cade.core.audit import record_event
from cade.core.commands import Choice, Command, Day, Email, Flag, Id, Text, field
from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.money import format_money
from cade.extensions import db
from cade.organisations.services.queries import membership_of
from cade.travel.constants import COST_CATEGORY_LABELS, CostCategory, TravellerRole
from cade.travel.models import TravelEvent, TravelSettings, Trip, TripCost
from cade.travel.setup import CountryCode, LocalAmount

# Typed by the applicant; the per diem is computed from the per diem table.
TYPED_CATEGORIES = tuple(c for c in CostCategory if c != CostCategory.PER_DIEM)
# The closest BudgetLine category (cade/applications/constants.py BUDGET_CATEGORIES) for each cost category.
BUDGET_CATEGORY_OF = {CostCategory.AIRFARE: "travel", CostCategory.LOCAL_TRANSPORT: "travel",
                      CostCategory.VISA: "travel", CostCategory.ACCOMMODATION: "other",
                      CostCategory.PER_DIEM: "other", CostCategory.OTHER: "other"}
FIRST_TIME_CHOICES = ("yes", "no")


def estimate_field(category: str) -> str:
    return f"estimate_{category}"


# ---------------------------------------------------------------- reading


def is_travel_call(call) -> bool:
    """Whether `call` (a Call or its id) is a travel call (cade/travel/setup.py answers)."""
    from cade.travel.setup import is_travel_call as answer

    return answer(call)


def trip_of(application) -> Trip | None:
    """The application's trip, once it has been saved (None before, and for other calls' applications)."""
    return db.session.scalar(select(Trip).where(Trip.application_id == application.id))


def call_events(call_id: int) -> list[TravelEvent]:
    from cade.travel.setup import events_of

    return list(events_of(call_id))


def call_caps(call_id: int) -> dict[str, int]:
    """{category: cap in minor units} for the categories the call covers."""
    from cade.travel.setup import caps_of

    return {str(category): cap for category, cap in caps_of(call_id).items()}


def _margin(call_id: int) -> int:
    settings = db.session.get(TravelSettings, call_id)
    return settings.date_margin_days if settings is not None else 0


@dataclass(frozen=True)
class PerDiemEstimate:
    """The per diem the trip asks: the table's quote, held within the cap; `problem` when there is none."""

    amount_minor: int | None
    explanation: str | None
    problem: str | None = None
    rate_id: int | None = None


def per_diem_estimate(call, event, departs_on, returns_on) -> PerDiemEstimate | None:
    """The per diem for these dates (None when the call does not cover it or the trip lacks event or dates)."""
    caps = call_caps(call.id)
    if CostCategory.PER_DIEM.value not in caps or event is None or departs_on is None or returns_on is None \
            or returns_on < departs_on:
        return None
    from cade.travel.per_diem import per_diem

    try:
        quote = per_diem(event, departs_on, returns_on, call.currency)
    except DomainError as error:
        return PerDiemEstimate(None, None, str(error.message))
    cap = caps[CostCategory.PER_DIEM.value]
    if quote.total_minor > cap:
        return PerDiemEstimate(cap, _("%(explanation)s; the call pays at most %(cap)s.",
                                      explanation=quote.explanation, cap=format_money(cap, call.currency)),
                               rate_id=quote.rate.id)
    return PerDiemEstimate(quote.total_minor, str(quote.explanation), rate_id=quote.rate.id)


# ---------------------------------------------------------------- the command


@dataclass(frozen=True)
class TripInput(Command):
    """The trip as typed (a draft: anything may be blank); context `currency` and `locale` read the amounts."""

    event_id: int | None = field(Id(required=False))
    traveller_user_id: int | None = field(Id(required=False))  # a member; blank: the person named below
    traveller_name: str | None = field(Text(max_len=200))
    traveller_email: str | None = field(Email(required=False))
    consent: bool = field(Flag(), default=False)
    role: str | None = field(Choice(TravellerRole))
    origin_city: str | None = field(Text(max_len=120))
    origin_country: str | None = field(CountryCode(required=False))
    departs_on: date | None = field(Day(required=False))
    returns_on: date | None = field(Day(required=False))
    wants_visa_letter: bool = field(Flag(), default=False)
    passport_country: str | None = field(CountryCode(required=False))
    gender: str | None = field(Text(max_len=60))
    first_time: str | None = field(Choice(FIRST_TIME_CHOICES))
    estimate_airfare: int | None = field(LocalAmount(required=False, allow_zero=True))
    estimate_accommodation: int | None = field(LocalAmount(required=False, allow_zero=True))
    estimate_visa: int | None = field(LocalAmount(required=False, allow_zero=True))
    estimate_local_transport: int | None = field(LocalAmount(required=False, allow_zero=True))
    estimate_other: int | None = field(LocalAmount(required=False, allow_zero=True))

    def check(self, errors) -> None:
        if self.departs_on and self.returns_on and self.returns_on < self.departs_on:
            errors.add("returns_on", _l("The return date must be on or after the departure date."))
        if self.wants_visa_letter and not self.passport_country and "passport_country" not in errors:
            errors.add("passport_country", _l("Choose the country of the passport the visa letter names."))

    def estimates(self) -> dict[str, int | None]:
        return {str(category): getattr(self, estimate_field(category)) for category in TYPED_CATEGORIES}


def trip_input(data, *, currency: str, locale: str) -> TripInput:
    return TripInput.from_input(data, currency=currency, locale=locale)


# ---------------------------------------------------------------- saving


def save_trip(actor, application_id: int, command: TripInput, *, today: date | None = None) -> Trip:
    """Save the trip of a travel call's draft (made on the first save) and keep the application's requested
    amount and budget lines equal to its costs; audited `trip.saved`.

    Raises NotFound (no such application, or not a travel call), PermissionDenied (not a member), NotADraft
    (an InvalidTransition) and ValidationFailed naming each refused field (the event, the traveller, the
    consent, dates outside the event's margin, an estimate above its cap); nothing is saved then.
    Flushes, never commits.
    """
    application = load_application(application_id)
    require_member(actor, application)
    call = application.call
    if not is_travel_call(call):
        raise NotFound()
    lock_draft(application)
    trip = trip_of(application)
    errors: dict[str, list] = {}

    def refuse(name, message):
        errors.setdefault(name, []).append(message)

    events = {event.id: event for event in call_events(call.id)}
    event = events.get(command.event_id) if command.event_id else None
    if command.event_id and event is None:
        refuse("event_id", _("Choose one of the call's events."))
    _check_traveller(actor, application, trip, command, refuse)
    if event is not None:
        _check_dates(event, _margin(call.id), command, refuse)
    caps = call_caps(call.id)
    for category, amount in command.estimates().items():
        if amount is None or category not in caps:
            continue
        if amount > caps[category]:
            refuse(estimate_field(category), _("At most %(cap)s: the call's cap for %(category)s.",
                                               cap=format_money(caps[category], call.currency),
                                               category=COST_CATEGORY_LABELS[CostCategory(category)].lower()))
    if errors:
        raise ValidationFailed(errors)

    before = _snapshot(trip) if trip is not None else None
    if trip is None:
        trip = Trip(application_id=application.id)
        db.session.add(trip)
    _apply(trip, application, command, event)
    per_diem = per_diem_estimate(call, event, command.departs_on, command.returns_on)
    amounts = {category: amount for category, amount in command.estimates().items()
               if amount is not None and category in caps}
    trip.per_diem_rate_id = per_diem.rate_id if per_diem is not None else None
    if per_diem is not None and per_diem.amount_minor is not None:
        amounts[CostCategory.PER_DIEM.value] = per_diem.amount_minor
    _set_costs(trip, amounts)
    db.session.flush()
    _set_budget(application, trip, event)
    db.session.flush()
    record_event(actor, "trip.saved", trip, before, _snapshot(trip))
    return trip


def _check_traveller(actor, application, trip, command, refuse) -> None:
    if command.traveller_user_id is not None:
        traveller = membership_of(_user(command.traveller_user_id), application.organisation_id)
        if traveller is None:
            refuse("traveller_user_id", _("Choose a member of your organisation, or name another person."))
        return
    if not (command.traveller_name or command.traveller_email):
        return  # nobody named yet: a draft may wait (completeness asks before submission)
    same_person = (trip is not None and trip.traveller_user_id is None and trip.consent_at is not None
                   and trip.traveller_email == command.traveller_email)
    if same_person and trip.traveller_name == command.traveller_name:
        return  # already added, with their consent, by an owner
    own = membership_of(actor, application.organisation_id)
    if own is None or own.role != "owner":
        refuse("traveller_user_id", _("Only an owner of the organisation may name a traveller who is not a member."))
        return
    if not command.traveller_name:
        refuse("traveller_name", _("Enter the traveller's name."))
    if not command.traveller_email:
        refuse("traveller_email", _("Enter the traveller's e-mail address."))
    if not command.consent:
        refuse("consent", _("Confirm that this person agreed to be named and contacted."))


def _user(user_id: int):
    from cade.accounts.models import User

    return db.session.get(User, user_id)


def _check_dates(event: TravelEvent, margin: int, command: TripInput, refuse) -> None:
    earliest, latest = event.starts_on - timedelta(days=margin), event.ends_on + timedelta(days=margin)
    window = dict(earliest=earliest.isoformat(), latest=latest.isoformat(), margin=margin)
    if command.departs_on is not None and not earliest <= command.departs_on <= event.ends_on:
        refuse("departs_on", _("Leave between %(earliest)s and the event's last day (%(end)s): travel may start "
                               "up to %(margin)s days before the event.", end=event.ends_on.isoformat(), **window))
    if command.returns_on is not None and not event.starts_on <= command.returns_on <= latest:
        refuse("returns_on", _("Return between the event's first day (%(start)s) and %(latest)s: travel may end "
                               "up to %(margin)s days after the event.", start=event.starts_on.isoformat(),
                               **window))


def _apply(trip: Trip, application, command: TripInput, event) -> None:
    trip.event_id = event.id if event is not None else None
    if command.traveller_user_id is not None:
        trip.traveller_user_id = command.traveller_user_id
        trip.traveller_name = trip.traveller_email = trip.consent_at = None
    else:
        changed = (trip.traveller_email, trip.traveller_name) != (command.traveller_email, command.traveller_name)
        if changed or trip.consent_at is None:
            trip.consent_at = utcnow() if command.consent and command.traveller_email else None
        trip.traveller_user_id = None
        trip.traveller_name, trip.traveller_email = command.traveller_name, command.traveller_email
    trip.role = command.role
    trip.origin_city, trip.origin_country = command.origin_city, command.origin_country
    trip.departs_on, trip.returns_on = command.departs_on, command.returns_on
    trip.wants_visa_letter = command.wants_visa_letter
    trip.passport_country = command.passport_country if command.wants_visa_letter else None
    trip.gender = command.gender
    trip.first_time = {"yes": True, "no": False}.get(command.first_time or "")


def _set_costs(trip: Trip, amounts: dict[str, int]) -> None:
    existing = {cost.category: cost for cost in trip.costs}
    for category, cost in existing.items():
        if category not in amounts:
            trip.costs.remove(cost)
    for category in CostCategory:  # in the categories' order
        amount = amounts.get(category.value)
        if amount is None:
            continue
        if category.value in existing:
            existing[category.value].estimate_minor = amount
        else:
            trip.costs.append(TripCost(category=category.value, estimate_minor=amount))


def _set_budget(application: Application, trip: Trip, event) -> None:
    """One budget line per cost, so that the existing checks, ranking and reports read the trip."""
    db.session.execute(delete(BudgetLine).where(BudgetLine.application_id == application.id))
    db.session.expire(application, ["budget_lines"])
    where = f" – {event.name}" if event is not None else ""
    for position, cost in enumerate(_ordered(trip.costs), start=1):
        label = str(COST_CATEGORY_LABELS[CostCategory(cost.category)])
        db.session.add(BudgetLine(application_id=application.id, position=position,
                                  category=BUDGET_CATEGORY_OF[CostCategory(cost.category)],
                                  description=f"{label}{where}"[:300], amount_minor=cost.estimate_minor))
    application.requested_amount_minor = sum(cost.estimate_minor for cost in trip.costs) if trip.costs else None


def _ordered(costs) -> list[TripCost]:
    order = {category.value: index for index, category in enumerate(CostCategory)}
    return sorted(costs, key=lambda cost: order[cost.category])


def _snapshot(trip: Trip) -> dict:
    # The passport country and gender are private: the audit log says whether they were given, not what.
    return {"event_id": trip.event_id, "traveller_user_id": trip.traveller_user_id,
            "traveller_email": trip.traveller_email, "consent": trip.consent_at is not None, "role": trip.role,
            "departs_on": trip.departs_on.isoformat() if trip.departs_on else None,
            "returns_on": trip.returns_on.isoformat() if trip.returns_on else None,
            "wants_visa_letter": bool(trip.wants_visa_letter), "passport_given": trip.passport_country is not None,
            "costs": {cost.category: cost.estimate_minor for cost in trip.costs}}


# ---------------------------------------------------------------- before submission


def trip_completeness(application) -> dict[str, list[str]]:
    """What the trip still lacks before a travel application can be submitted, under the key `trip`.

    Nothing for applications to other calls. Asked by completeness_errors through `completeness_sources`.
    """
    if not is_travel_call(application.call_id):
        return {}
    trip = trip_of(application)
    if trip is None:
        return {"trip": [_("Fill in the trip: the event, the traveller, the dates and the costs.")]}
    missing = []
    if trip.event is None:
        missing.append(_("Choose the event you will travel to."))
    if trip.traveller_user_id is None and not (trip.traveller_email and trip.consent_at):
        missing.append(_("Name the traveller."))
    if not trip.role:
        missing.append(_("Choose the traveller's role at the event."))
    if not (trip.origin_city and trip.origin_country):
        missing.append(_("Enter the city and country the traveller leaves from."))
    if trip.departs_on is None or trip.returns_on is None:
        missing.append(_("Enter the departure and return dates."))
    elif trip.event is not None:
        wrong: dict[str, list] = {}
        _check_dates(trip.event, _margin(application.call_id), trip, lambda name, m: wrong.setdefault(name, [m]))
        missing.extend(message for messages in wrong.values() for message in messages)
    if trip.wants_visa_letter and not trip.passport_country:
        missing.append(_("Choose the passport country for the visa letter."))
    caps = call_caps(application.call_id)
    if not trip.costs:
        missing.append(_("Enter the estimated costs."))
    for cost in trip.costs:
        cap = caps.get(cost.category)
        if cap is None or cost.estimate_minor > cap:
            missing.append(_("The estimate for %(category)s is above what the call covers.",
                             category=COST_CATEGORY_LABELS[CostCategory(cost.category)].lower()))
    if trip.costs and application.requested_amount_minor != sum(cost.estimate_minor for cost in trip.costs):
        missing.append(_("The amount requested no longer matches the trip's costs: save the trip again."))
    person = trip.traveller if trip.traveller_user_id is not None else trip.traveller_email
    if person is not None:
        from cade.travel.post_trip import person_blocked  # an overdue post-trip report blocks the person

        missing.extend(str(reason) for reason in person_blocked(person))
    return {"trip": missing} if missing else {}


# ---------------------------------------------------------------- what reviewers read


@dataclass(frozen=True)
class ReviewTrip:
    """What a reviewer reads of a trip: the event, the role, the dates and the costs (plain values). Never the
    traveller's name (blind calls), passport country or gender."""

    event_name: str | None
    event_city: str | None
    event_starts_on: date | None
    event_ends_on: date | None
    role: str | None
    departs_on: date | None
    returns_on: date | None
    costs: tuple[tuple[str, int], ...]
    currency: str


def trip_for_review(assignment_id: int) -> ReviewTrip | None:
    """The trip of the application behind a review assignment the page has already let its reviewer read."""
    from cade.reviews.models import Assignment

    assignment = db.session.get(Assignment, assignment_id)
    trip = trip_of(assignment.application) if assignment is not None else None
    if trip is None:
        return None
    event = trip.event
    return ReviewTrip(event_name=event.name if event else None, event_city=event.city if event else None,
                      event_starts_on=event.starts_on if event else None,
                      event_ends_on=event.ends_on if event else None, role=trip.role,
                      departs_on=trip.departs_on, returns_on=trip.returns_on,
                      costs=tuple((cost.category, cost.estimate_minor) for cost in _ordered(trip.costs)),
                      currency=assignment.call.currency)
