"""The per diem table: daily allowances by country (and city) over validity periods, and the per diem of a trip.

Admins keep the table. A rate covers a country, or one of its cities (the
city's own rate wins over the country's), from `valid_from` to `valid_to`
(open: until replaced). Two rates of the same place may not overlap, so the
rate of a day is never a matter of which was typed last; a rate is never
deleted, only retired (given a last day), because trips keep the rate they
were quoted at.

A trip's per diem is one allowance a day away, the day of departure and the
day of return both counted: (returns_on − departs_on) + 1 days, each at the
rate valid on that day (one rate normally, two when the table changes during
the trip), converted into the call's currency with cade/core/rates.convert
(at the exchange rate of the first day each per diem rate applies) when it is
in another, and explained in one sentence that says how.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from cade.core.permissions import require_admin
from cade.core.audit import record_event
from cade.core.commands import Command, Currency, Day, FieldErrors, Flag, Text, field
from cade.core.countries import country_name
from cade.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from cade.core.money import Money
from cade.core.rates import Conversion, convert
from cade.core.templating import exact_number
from cade.extensions import db
from cade.travel.models import PerDiemRate, TravelEvent
from cade.travel.setup import CountryCode, LocalAmount

EXAMPLE_SOURCE = "Example rates for the demo, not official"
RATE_FIELDS = ("country", "city", "daily_minor", "currency", "valid_from", "valid_to", "is_example", "source")
MAX_TRIP_DAYS = 366


class PerDiemMissing(DomainError, status=409, slug="per-diem-missing"):
    default_message = _l("No per diem rate is recorded for this place and day.")


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class PerDiemRateInput(Command):
    """A rate as an admin types it, whole: the amount read in the reader's locale, in the currency typed with it."""

    country: str = field(CountryCode())
    city: str | None = field(Text(max_len=120))
    currency: str = field(Currency(message=_l("Enter an ISO 4217 currency code such as USD or EUR.")))
    daily_minor: int = field(LocalAmount(), source="daily_amount")
    valid_from: date = field(Day(message=_l("Enter the first day the rate applies.")))
    valid_to: date | None = field(Day(required=False, message=_l("Enter the last day the rate applies, or leave "
                                                                 "it empty.")))
    is_example: bool = field(Flag(), default=False)
    source: str | None = field(Text(max_len=300))

    def check(self, errors: FieldErrors) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors.add("valid_to", _l("The last day cannot come before the first day."))
        if not self.source and "source" not in errors:
            errors.add("source", _l("Say where the rate comes from."))




def _rate(rate_id: int) -> PerDiemRate:
    rate = db.session.get(PerDiemRate, rate_id)
    if rate is None:
        raise NotFound()
    return rate


def _rate_json(rate: PerDiemRate) -> dict:
    values = {name: getattr(rate, name) for name in RATE_FIELDS}
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def _same_place(country: str, city: str | None):
    if city:
        return (PerDiemRate.country == country) & (func.lower(PerDiemRate.city) == city.lower())
    return (PerDiemRate.country == country) & PerDiemRate.city.is_(None)


def place_name(country: str, city: str | None) -> str:
    return f"{city}, {country_name(country)}" if city else country_name(country)


def validity_text(rate: PerDiemRate) -> str:
    start = format_date(rate.valid_from, "long")
    if rate.valid_to is None:
        return _("valid from %(start)s", start=start)
    return _("valid from %(start)s to %(end)s", start=start, end=format_date(rate.valid_to, "long"))


def _refuse_overlap(country: str, city: str | None, valid_from: date, valid_to: date | None,
                    but: int | None = None) -> None:
    statement = select(PerDiemRate).where(
        _same_place(country, city),
        or_(PerDiemRate.valid_to.is_(None), PerDiemRate.valid_to >= valid_from))
    if valid_to is not None:
        statement = statement.where(PerDiemRate.valid_from <= valid_to)
    if but is not None:
        statement = statement.where(PerDiemRate.id != but)
    other = db.session.scalar(statement.order_by(PerDiemRate.valid_from).limit(1))
    if other is not None:
        raise ValidationFailed({"valid_from": [_l(
            "These dates overlap the rate for %(place)s of %(amount)s, %(validity)s. Give that rate a last day "
            "before this one starts, or change these dates.", place=place_name(other.country, other.city),
            amount=Money(other.daily_minor, other.currency).format(), validity=validity_text(other))]})


def add_rate(actor, command: PerDiemRateInput) -> PerDiemRate:
    """Add a rate to the table; audited `per_diem_rate.added`.

    Raises PermissionDenied, ValidationFailed on `valid_from` naming the rate of the same place it would overlap.
    """
    require_admin(actor)
    _refuse_overlap(command.country, command.city, command.valid_from, command.valid_to)
    rate = PerDiemRate(**command.changes(*RATE_FIELDS))
    db.session.add(rate)
    db.session.flush()
    record_event(actor, "per_diem_rate.added", rate, None, _rate_json(rate))
    return rate


def edit_rate(actor, rate_id: int, command: PerDiemRateInput) -> PerDiemRate:
    """Change every field of a rate; audited `per_diem_rate.edited`.

    Trips already quoted keep their figures. Raises PermissionDenied, NotFound, ValidationFailed as `add_rate`.
    """
    require_admin(actor)
    rate = _rate(rate_id)
    _refuse_overlap(command.country, command.city, command.valid_from, command.valid_to, but=rate.id)
    before = _rate_json(rate)
    for name, value in command.changes(*RATE_FIELDS).items():
        setattr(rate, name, value)
    db.session.flush()
    record_event(actor, "per_diem_rate.edited", rate, before, _rate_json(rate))
    return rate


@dataclass(frozen=True)
class RetireInput(Command):
    last_day: date = field(Day(message=_l("Enter the last day the rate applies.")))


def retire_rate(actor, rate_id: int, command: RetireInput) -> PerDiemRate:
    """End a rate on `command.last_day` (it stays in the table for the trips quoted at it); audited
    `per_diem_rate.retired`.

    Raises PermissionDenied, NotFound, ValidationFailed on `last_day` before
    the rate starts, InvalidTransition when it already ends on or before that day.
    """
    require_admin(actor)
    rate = _rate(rate_id)
    if command.last_day < rate.valid_from:
        raise ValidationFailed({"last_day": [_l("The last day cannot come before the rate starts (%(start)s).",
                                                start=format_date(rate.valid_from, "long"))]})
    if rate.valid_to is not None and rate.valid_to <= command.last_day:
        raise InvalidTransition(_l("This rate already ends on %(end)s.", end=format_date(rate.valid_to, "long")))
    before = _rate_json(rate)
    rate.valid_to = command.last_day
    db.session.flush()
    record_event(actor, "per_diem_rate.retired", rate, before, _rate_json(rate))
    return rate


def rates_table(country: str | None = None) -> list[PerDiemRate]:
    """The table, by country, then the country's own rate before its cities', the latest first (one query)."""
    statement = select(PerDiemRate)
    if country:
        statement = statement.where(PerDiemRate.country == country.upper())
    return list(db.session.scalars(statement.order_by(
        PerDiemRate.country, PerDiemRate.city.is_not(None), func.lower(PerDiemRate.city),
        PerDiemRate.valid_from.desc(), PerDiemRate.id)))


def table_countries() -> list[str]:
    """The countries the table has rates for (the filter's choices)."""
    return list(db.session.scalars(select(PerDiemRate.country).distinct().order_by(PerDiemRate.country)))


# ---------------------------------------------------------------- which rate applies


def _valid_on(on: date):
    return (PerDiemRate.valid_from <= on) & or_(PerDiemRate.valid_to.is_(None), PerDiemRate.valid_to >= on)


def rate_for(country: str, city: str | None, on: date) -> PerDiemRate | None:
    """The rate of `on`: the city's own rate first, else the country's (a rate without a city); None without one."""
    country = (country or "").upper()
    if city and city.strip():
        found = db.session.scalar(select(PerDiemRate).where(_same_place(country, city.strip()), _valid_on(on))
                                  .order_by(PerDiemRate.valid_from.desc()).limit(1))
        if found is not None:
            return found
    return db.session.scalar(select(PerDiemRate).where(_same_place(country, None), _valid_on(on))
                             .order_by(PerDiemRate.valid_from.desc()).limit(1))


def _candidates(country: str, city: str | None, first: date, last: date) -> list[PerDiemRate]:
    """Every rate of the city or the country valid on some day of [first, last] (one query for the whole trip)."""
    place = _same_place(country, None)
    if city and city.strip():
        place = place | _same_place(country, city.strip())
    return list(db.session.scalars(select(PerDiemRate).where(
        place, PerDiemRate.valid_from <= last, or_(PerDiemRate.valid_to.is_(None), PerDiemRate.valid_to >= first))
        .order_by(PerDiemRate.valid_from.desc())))


def _pick(candidates: list[PerDiemRate], on: date) -> PerDiemRate | None:
    valid = [rate for rate in candidates if rate.valid_from <= on and (rate.valid_to is None or rate.valid_to >= on)]
    return next((rate for rate in valid if rate.city), None) or next(iter(valid), None)


# ---------------------------------------------------------------- the per diem of a trip


@dataclass(frozen=True)
class PerDiemPart:
    """Consecutive days at one rate: the rate, how many days, the daily amount in the call's currency."""

    rate: PerDiemRate
    days: int
    daily_minor: int
    conversion: Conversion

    @property
    def total_minor(self) -> int:
        return self.days * self.daily_minor


@dataclass(frozen=True)
class PerDiemQuote:
    """A trip's per diem in the call's currency: the (first) rate, the days, its daily amount, the total, how.

    `parts` has one entry per rate used (normally one).
    """

    rate: PerDiemRate
    days: int
    daily_minor: int
    total_minor: int
    explanation: str
    currency: str
    parts: tuple[PerDiemPart, ...]


def per_diem(event: TravelEvent, departs_on: date, returns_on: date, currency: str) -> PerDiemQuote:
    """The per diem of a trip to `event` from `departs_on` to `returns_on` (both counted), in `currency`.

    Raises ValidationFailed on `returns_on` before `departs_on` (or a trip
    longer than a year), PerDiemMissing naming the place and the first day
    without a rate, and cade.core.rates.ExchangeRateMissing when a rate in
    another currency has no exchange rate to `currency`. Reads, never writes.
    """
    if returns_on < departs_on:
        raise ValidationFailed({"returns_on": [_l("The return cannot come before the departure.")]})
    days = (returns_on - departs_on).days + 1
    if days > MAX_TRIP_DAYS:
        raise ValidationFailed({"returns_on": [_l("A trip lasts at most %(n)d days.", n=MAX_TRIP_DAYS)]})
    candidates = _candidates(event.country, event.city, departs_on, returns_on)
    runs: list[list] = []  # [rate, first day, days]
    for offset in range(days):
        day = departs_on + timedelta(days=offset)
        rate = _pick(candidates, day)
        if rate is None:
            raise PerDiemMissing(_l(
                "No per diem rate for %(place)s on %(day)s. An administrator can add one in the per diem table.",
                place=place_name(event.country, event.city), day=format_date(day, "long")),
                country=event.country, city=event.city, on=day)
        if runs and runs[-1][0].id == rate.id:
            runs[-1][2] += 1
        else:
            runs.append([rate, day, 1])
    parts = []
    for rate, first_day, count in runs:
        conversion = convert(Money(rate.daily_minor, rate.currency), currency, first_day)
        parts.append(PerDiemPart(rate, count, conversion.amount.minor, conversion))
    total = sum(part.total_minor for part in parts)
    return PerDiemQuote(parts[0].rate, days, parts[0].daily_minor, total, explain(parts, total, currency),
                        currency.upper(), tuple(parts))


def explain(parts, total_minor: int, currency: str) -> str:
    """"5 days × US$120.00 (Geneva, example rate valid from 1 January 2026) = US$600.00", in the reader's language;
    a converted rate says which exchange rate was used, two rates are added up part by part."""
    pieces = [_part_text(part) for part in parts]
    return _("%(parts)s = %(total)s", parts=" + ".join(pieces), total=Money(total_minor, currency).format())


def _part_text(part: PerDiemPart) -> str:
    rate = part.rate
    place = rate.city or country_name(rate.country)
    validity = validity_text(rate)
    described = (_("%(place)s, example rate %(validity)s", place=place, validity=validity) if rate.is_example
                 else _("%(place)s, rate %(validity)s", place=place, validity=validity))
    conversion = part.conversion
    if conversion.rate_id is not None:
        described = _("%(rate)s: %(original)s converted at %(applied)s %(target)s per %(origin)s, exchange rate "
                      "of %(day)s (%(source)s)", rate=described, original=conversion.original.format(),
                      applied=_rate_figure(conversion), target=conversion.amount.currency,
                      origin=conversion.original.currency, day=format_date(conversion.rate_date, "long"),
                      source=conversion.source or "")
    daily = Money(part.daily_minor, conversion.amount.currency).format()
    return ngettext("%(num)d day × %(daily)s (%(how)s)", "%(num)d days × %(daily)s (%(how)s)", part.days,
                    daily=daily, how=described)


def _rate_figure(conversion: Conversion) -> str:
    return exact_number(round(conversion.applied_rate, 6))


# ---------------------------------------------------------------- the demo's rates


def example_rates() -> list[PerDiemRate]:
    """A handful of example rates for the demo, marked as examples (not added to the session: a seeder adds them)."""
    rows = (("CH", "Geneva", 120_00), ("KE", "Nairobi", 70_00), ("BR", None, 60_00), ("TH", None, 55_00),
            ("ET", "Addis Ababa", 65_00), ("SA", "Riyadh", 95_00))
    return [PerDiemRate(country=country, city=city, daily_minor=minor, currency="USD", valid_from=date(2026, 1, 1),
                        valid_to=None, is_example=True, source=EXAMPLE_SOURCE)
            for country, city, minor in rows]
