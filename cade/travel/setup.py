"""A travel call's setup: its settings (date margin, post-trip report), the events it covers and its cost caps.

A call becomes a travel call when `make_travel_call` gives it a TravelSettings
row, with the post-trip questionnaire every traveller answers (three long-text
questions to begin with). Its events are listed in the admins' order; one may
be deleted only while no trip names it. Caps are one amount per cost category
in the programme's currency: a category without a cap is not covered at all,
a cap of zero covers it with nothing (kept apart on purpose: "not covered" is
what the application form hides). Admins only; every change is audited.
"""

from dataclasses import dataclass
from datetime import date
from decimal import InvalidOperation
from urllib.parse import urlsplit

from flask import current_app, g, has_app_context, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cade.core.permissions import require_admin
from cade.core.db import get_or_raise
from cade.core.audit import record_event
from cade.core.commands import Amount, Cleaner, Cleaning, Command, Day, FieldErrors, Integer, Text, field
from cade.core.countries import is_country
from cade.core.db import lock_row
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import parse_decimal_input
from cade.core.money import from_minor
from cade.core.questionnaires import Question, QuestionKind, Questionnaire, QuestionnairePurpose
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call
from cade.travel.constants import COST_CATEGORY_LABELS, CostCategory
from cade.travel.models import CostCap, TravelEvent, TravelSettings, Trip

POST_TRIP_PURPOSE = QuestionnairePurpose.TRAVEL_POST_TRIP

DEFAULT_POST_TRIP_QUESTIONS = (
    _l("What did you do at the event?"),
    _l("What did you contribute (a talk, a session, a statement, comments)?"),
    _l("What will you follow up on, and with whom?"),
)

EVENT_FIELDS = ("name", "city", "country", "starts_on", "ends_on", "website", "language", "position")


# ---------------------------------------------------------------- cleaners


@dataclass(frozen=True)
class CountryCode(Cleaner):
    """An ISO 3166-1 alpha-2 code the country list knows, upper-cased."""

    required: bool = True

    def clean(self, raw, cleaning):
        code = str(raw).strip().upper() if isinstance(raw, str) else ""
        if not code:
            if self.required:
                cleaning.refuse(_l("Choose a country."))
            return None
        if not is_country(code):
            cleaning.refuse(_l("Choose a country from the list."))
            return None
        return code


@dataclass(frozen=True)
class Website(Cleaner):
    """An http or https address with a host (empty: none)."""

    max_len: int = 300

    def clean(self, raw, cleaning):
        value = str(raw).strip() if isinstance(raw, str) else ""
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in value:
            cleaning.refuse(_l("Enter a web address starting with https:// or http://."))
            return None
        if len(value) > self.max_len:
            cleaning.refuse(_l("Use at most %(n)d characters.", n=self.max_len))
            return None
        return value


def site_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"]) if has_app_context() else ["en"]


class Language(Cleaner):
    """One of the site's languages, or empty."""

    def clean(self, raw, cleaning):
        value = str(raw).strip().lower() if isinstance(raw, str) else ""
        if not value:
            return None
        if value not in site_languages():
            cleaning.refuse(_l("Choose one of the listed languages, or none."))
            return None
        return value


def reader_locale(context) -> str:
    return str(context.get("locale") or get_locale() or "en")


@dataclass(frozen=True)
class LocalAmount(Amount):
    """An amount as the reader types it ("1 250,50" in French), then checked as `Amount` checks it."""

    def clean(self, raw, cleaning):
        if isinstance(raw, str) and raw.strip():
            try:
                raw = parse_decimal_input(raw, reader_locale(cleaning.context))
            except ValueError as error:
                cleaning.refuse(str(error))
                return None
        return super().clean(raw, cleaning)


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class TravelSettingsInput(Command):
    date_margin_days: int = field(Integer(0, 30, message=_l("Enter a whole number of days from 0 to 30.")))
    post_trip_days: int = field(Integer(1, 365, message=_l("Enter a whole number of days from 1 to 365.")))


@dataclass(frozen=True)
class EventInput(Command):
    """An event as the admin types it, whole: an edit restates every field."""

    name: str = field(Text(max_len=200, required=True))
    city: str = field(Text(max_len=120, required=True))
    country: str = field(CountryCode())
    starts_on: date = field(Day(message=_l("Enter the first day of the event.")))
    ends_on: date = field(Day(message=_l("Enter the last day of the event.")))
    website: str | None = field(Website())
    language: str | None = field(Language())

    def check(self, errors: FieldErrors) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors.add("ends_on", _l("The event cannot end before it starts."))


class Caps(Cleaner):
    """{category: text typed} → {category: minor units, or None (blank: not covered)}; errors on `cap-<category>`."""

    def clean(self, raw, cleaning):
        currency = cleaning.context.get("currency")
        locale = reader_locale(cleaning.context)
        found: dict[str, int | None] = {}
        for category in CostCategory:
            name = f"cap-{category.value}"
            text = str((raw or {}).get(category.value) or "").strip()
            if not text:
                found[category.value] = None
                continue
            try:
                value = parse_decimal_input(text, locale)
            except (ValueError, InvalidOperation) as error:
                cleaning.errors.add(name, str(error))
                continue
            # The same checks as any typed amount (places, size), with zero allowed, on this cap's own field.
            minor = Amount(allow_zero=True).clean(value, Cleaning(name, cleaning.errors, {"currency": currency}, {}))
            if minor is not None:
                found[category.value] = minor
        return found


@dataclass(frozen=True)
class CapsInput(Command):
    """Every category's cap as typed (blank: not covered), read in the reader's locale, in `currency` (context)."""

    caps: dict = field(Caps(), default_factory=dict)

    @classmethod
    def from_form(cls, form, currency: str, **context) -> "CapsInput":
        return cls.from_input({"caps": {c.value: form.get(f"cap-{c.value}", "") for c in CostCategory}},
                              currency=currency, **context)


# ---------------------------------------------------------------- reading


def travel_settings(call_id: int) -> TravelSettings | None:
    """The call's travel settings; None for a call that is not a travel call."""
    return db.session.get(TravelSettings, call_id)


def is_travel_call(call) -> bool:
    """Whether `call` (a Call or its id) is a travel call: it has travel settings. Asked many times on one page
    (each rule, each organisation), so answered once per call and request."""
    call_id = getattr(call, "id", call)
    if call_id is None:
        return False
    known = g.setdefault("travel_calls", {}) if has_request_context() else {}
    if call_id not in known:
        known[call_id] = travel_settings(call_id) is not None
    return known[call_id]


def events_of(call_id: int) -> list[TravelEvent]:
    """The call's events in the admins' order."""
    return list(db.session.scalars(select(TravelEvent).where(TravelEvent.call_id == call_id)
                                   .order_by(TravelEvent.position, TravelEvent.starts_on, TravelEvent.id)))


def caps_of(call_id: int) -> dict[str, int]:
    """{category: cap in minor units of the call's currency}; a category that is absent is not covered."""
    return dict(db.session.execute(select(CostCap.category, CostCap.cap_minor)
                                   .where(CostCap.call_id == call_id)).tuples().all())


def events_named_by_trips(call_id: int) -> set[int]:
    """The call's events some trip names (they cannot be deleted): one query for the page."""
    return set(db.session.scalars(select(Trip.event_id).join(TravelEvent, TravelEvent.id == Trip.event_id)
                                  .where(TravelEvent.call_id == call_id).distinct()))


# ---------------------------------------------------------------- changing






def _travel_call(call_id: int) -> Call:
    call = get_or_raise(Call, call_id)
    if travel_settings(call.id) is None:
        raise InvalidTransition(_l("This call is not a travel call yet: save its travel settings first."))
    return call


def _settings_json(settings: TravelSettings) -> dict:
    return {"date_margin_days": settings.date_margin_days, "post_trip_days": settings.post_trip_days,
            "post_trip_questionnaire_id": settings.post_trip_questionnaire_id}


def _post_trip_questionnaire() -> Questionnaire:
    questionnaire = Questionnaire(purpose=POST_TRIP_PURPOSE)
    # Written in the language of the admin who makes the call a travel call, as the call's own questions are.
    questionnaire.questions = [Question(position=position, kind=QuestionKind.LONG_TEXT, label=str(label),
                                        required=True, choices=[])
                               for position, label in enumerate(DEFAULT_POST_TRIP_QUESTIONS)]
    return questionnaire


def make_travel_call(actor, call_id: int, command: TravelSettingsInput) -> TravelSettings:
    """Make the call a travel call, or change its settings when it is one; audited `call.travel_made` or
    `call.travel_settings_changed`.

    The first time, the post-trip questionnaire is created with its three
    default long-text questions. Raises PermissionDenied, NotFound, and
    InvalidTransition for a call whose programme is not a travel support programme.
    """
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    if call.programme.kind != ProgrammeKind.TRAVEL_SUPPORT:
        raise InvalidTransition(_l("Only a call of a travel support programme can be a travel call."))
    lock_row(Call, call.id)  # two admins saving at once would both create the settings
    settings = travel_settings(call.id)
    if settings is None:
        settings = TravelSettings(call_id=call.id, date_margin_days=command.date_margin_days,
                                  post_trip_days=command.post_trip_days,
                                  post_trip_questionnaire=_post_trip_questionnaire())
        db.session.add(settings)
        db.session.flush()
        record_event(actor, "call.travel_made", call, None, _settings_json(settings))
        return settings
    before = _settings_json(settings)
    settings.date_margin_days, settings.post_trip_days = command.date_margin_days, command.post_trip_days
    db.session.flush()
    if before != _settings_json(settings):
        record_event(actor, "call.travel_settings_changed", call, before, _settings_json(settings))
    return settings


def _event(event_id: int) -> TravelEvent:
    event = db.session.get(TravelEvent, event_id)
    if event is None:
        raise NotFound()
    return event


def _event_json(event: TravelEvent) -> dict:
    values = {name: getattr(event, name) for name in EVENT_FIELDS}
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def _next_position(call_id: int) -> int:
    last = db.session.scalar(select(func.max(TravelEvent.position)).where(TravelEvent.call_id == call_id))
    return 0 if last is None else last + 1


def add_event(actor, call_id: int, command: EventInput) -> TravelEvent:
    """Add an event at the end of the travel call's list; audited `travel_event.added`.

    Raises PermissionDenied, NotFound, InvalidTransition when the call is not a travel call.
    """
    require_admin(actor)
    call = _travel_call(call_id)
    event = TravelEvent(call_id=call.id, position=_next_position(call.id),
                        **command.changes("name", "city", "country", "starts_on", "ends_on", "website", "language"))
    db.session.add(event)
    db.session.flush()
    record_event(actor, "travel_event.added", event, None, _event_json(event))
    return event


def edit_event(actor, event_id: int, command: EventInput) -> TravelEvent:
    """Change every field of an event; audited `travel_event.edited`. Raises PermissionDenied, NotFound."""
    require_admin(actor)
    event = _event(event_id)
    before = _event_json(event)
    for name, value in command.changes("name", "city", "country", "starts_on", "ends_on", "website",
                                       "language").items():
        setattr(event, name, value)
    db.session.flush()
    record_event(actor, "travel_event.edited", event, before, _event_json(event))
    return event


def delete_event(actor, event_id: int) -> None:
    """Delete an event no trip names; audited `travel_event.deleted`.

    Raises PermissionDenied, NotFound, InvalidTransition once a trip names it.
    """
    require_admin(actor)
    event = _event(event_id)
    named = InvalidTransition(_l("“%(name)s” cannot be deleted: applications already name it as their trip. "
                                 "Edit it instead.", name=event.name))
    if db.session.scalar(select(Trip.id).where(Trip.event_id == event.id).limit(1)) is not None:
        raise named
    record_event(actor, "travel_event.deleted", event, _event_json(event), None)
    try:
        with db.session.begin_nested():  # a trip naming it at this very moment: the foreign key refuses
            db.session.delete(event)
            db.session.flush()
    except IntegrityError:
        raise named from None


def move_event(actor, event_id: int, direction: str) -> TravelEvent:
    """Swap an event with its neighbour ("up" or "down"); positions stay 0..n-1. Audited `travel_event.moved`.

    Raises PermissionDenied, NotFound, ValidationFailed on `direction`.
    """
    require_admin(actor)
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": [_l("Move up or down.")]})
    event = _event(event_id)
    lock_row(Call, event.call_id)  # two admins reordering at once do not interleave
    siblings = list(db.session.scalars(
        select(TravelEvent).where(TravelEvent.call_id == event.call_id)
        .order_by(TravelEvent.position, TravelEvent.starts_on, TravelEvent.id)
        .execution_options(populate_existing=True)))
    i = siblings.index(event)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    db.session.flush()
    record_event(actor, "travel_event.moved", event, None, {"direction": direction, "position": event.position})
    return event


def set_caps(actor, call_id: int, command: CapsInput) -> dict[str, int]:
    """Make the call's caps say `command`: an amount sets a cap (zero too), blank removes it (not covered).

    Audited `call.travel_caps_set` when something changed; returns caps_of(call).
    Raises PermissionDenied, NotFound, InvalidTransition when the call is not a travel call.
    """
    require_admin(actor)
    call = _travel_call(call_id)
    current = {cap.category: cap for cap in db.session.scalars(select(CostCap).where(CostCap.call_id == call.id))}
    before = {category: cap.cap_minor for category, cap in sorted(current.items())}
    for category, minor in command.caps.items():
        cap = current.get(category)
        if minor is None:
            if cap is not None:
                db.session.delete(cap)
        elif cap is None:
            db.session.add(CostCap(call_id=call.id, category=category, cap_minor=minor))
        else:
            cap.cap_minor = minor
    db.session.flush()
    after = dict(sorted(caps_of(call.id).items()))
    if before != after:
        record_event(actor, "call.travel_caps_set", call, {"caps": before, "currency": call.currency},
                     {"caps": after, "currency": call.currency})
    return after


def cap_rows(call_id: int) -> list[tuple[str, object, int | None]]:
    """(category, label, cap or None) for every category in order: what the caps form shows."""
    caps = caps_of(call_id)
    return [(category.value, COST_CATEGORY_LABELS[category], caps.get(category.value)) for category in CostCategory]


def cap_text(minor: int | None, currency: str) -> str:
    """A saved cap as the form shows it ("1500.00"), read back as it is whatever the locale."""
    return "" if minor is None else f"{from_minor(minor, currency):f}"
