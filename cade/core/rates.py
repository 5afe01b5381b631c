"""Dated exchange rates that administrators keep, and conversions that say which rate they used.

A rate says how many units of `to_currency` one unit of `from_currency` buys
(in major units: 1 EUR = 1.0832 USD) on `rate_date` and every day after it
until a later rate of the same pair. `convert` takes the latest rate on or
before the day asked for. When only the opposite pair is recorded (USD → EUR
while EUR → USD is asked) it divides by that rate and says so (`inverted`).
A rate recorded for the pair asked for always wins over the opposite pair's,
even an older one: the administrator who recorded that direction meant it,
and which one applies must not depend on which of the two was typed last.

Rates are only ever added (one per pair and day): a figure already reported
with a rate must be reproducible later.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from cade.core.audit import record_event
from cade.core.commands import Cleaner, Command, Currency, Day, FieldErrors, Text, field
from cade.core.db import UTCDateTime, utcnow
from cade.core.errors import AlreadyExists, DomainError, PermissionDenied
from cade.core.money import Money, round_to_minor
from cade.core.permissions import is_admin
from cade.extensions import db

if TYPE_CHECKING:  # core sits below accounts: the User class is named, never imported
    from cade.accounts.models import User

# Numeric(RATE_DIGITS, RATE_PLACES): up to 10**10 per unit, to 10 decimal places
# (a rate such as 1 USD = 0.0000000123 BTC would not fit, no ISO 4217 pair comes close).
RATE_DIGITS, RATE_PLACES = 20, 10
RATES_PAGE_SIZE = 50


class ExchangeRate(db.Model):
    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_currency: Mapped[str] = mapped_column(String(3))
    to_currency: Mapped[str] = mapped_column(String(3))
    # Units of to_currency for one unit of from_currency, exact.
    rate: Mapped[Decimal] = mapped_column(Numeric(RATE_DIGITS, RATE_PLACES, asdecimal=True))
    # The first day the rate applies to; it holds until a later rate of the same pair.
    rate_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped["User | None"] = relationship("User")

    __table_args__ = (
        # Also the index of the lookup: latest date of a pair on or before a day.
        UniqueConstraint("from_currency", "to_currency", "rate_date"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("from_currency <> to_currency", name="two_currencies"),
    )


class ExchangeRateMissing(DomainError):
    default_message = _l("No exchange rate is recorded for this conversion.")


@dataclass(frozen=True)
class Conversion:
    """An amount converted, with the rate that did it (what a report prints beside its figures).

    `rate` is the stored rate, in the stored direction: `inverted` says the
    amount was divided by it (only the opposite pair was recorded). The same
    currency converts with no rate at all (`rate_id` None, `rate` 1).
    """

    original: Money
    amount: Money
    rate: Decimal
    rate_date: date | None
    source: str | None
    rate_id: int | None
    inverted: bool = False

    @property
    def applied_rate(self) -> Decimal:
        """Units of the target currency per unit of the original's, as applied."""
        return 1 / self.rate if self.inverted else self.rate


def can_manage_exchange_rates(user) -> bool:
    return is_admin(user)


def convert(money: Money, to_currency: str, on: date) -> Conversion:
    """`money` in `to_currency` at the latest rate on or before `on`, rounded half up to the minor unit.

    Raises ExchangeRateMissing, naming the pair and the day, when neither the
    pair nor its opposite has a rate on or before `on`. Reads, never writes.
    """
    to_currency = to_currency.upper()
    if money.currency == to_currency:
        return Conversion(money, money, Decimal(1), None, None, None)
    found = _latest_rate(money.currency, to_currency, on)
    inverted = found is None
    if inverted:
        found = _latest_rate(to_currency, money.currency, on)
    if found is None:
        raise ExchangeRateMissing(
            _l("No exchange rate from %(from_currency)s to %(to_currency)s on or before %(date)s. "
               "An administrator can add one on the exchange rates page.",
               from_currency=money.currency, to_currency=to_currency, date=on.isoformat()),
            from_currency=money.currency, to_currency=to_currency, on=on)
    major = money.amount / found.rate if inverted else money.amount * found.rate
    converted = Money(round_to_minor(major, to_currency), to_currency)
    return Conversion(money, converted, found.rate, found.rate_date, found.source, found.id, inverted)


def _latest_rate(from_currency: str, to_currency: str, on: date) -> ExchangeRate | None:
    return db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.from_currency == from_currency, ExchangeRate.to_currency == to_currency,
               ExchangeRate.rate_date <= on)
        .order_by(ExchangeRate.rate_date.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class RateValue(Cleaner):
    """A rate above zero that the column stores exactly (a rate rounded on the way in would not be the source's)."""

    def clean(self, raw, cleaning):
        try:
            value = Decimal(str(raw).strip()) if raw is not None and not isinstance(raw, bool) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            cleaning.refuse(_l("Enter a rate, such as 1.0832."))
            return None
        if value <= 0:
            cleaning.refuse(_l("Enter a rate above zero."))
            return None
        if value.adjusted() >= RATE_DIGITS - RATE_PLACES or value != value.quantize(Decimal(1).scaleb(-RATE_PLACES)):
            cleaning.refuse(_l("Use at most %(places)d decimal places and %(digits)d digits before the point.",
                               places=RATE_PLACES, digits=RATE_DIGITS - RATE_PLACES))
            return None
        return value


_NOT_A_CURRENCY = _l("Enter an ISO 4217 currency code such as USD or EUR.")


@dataclass(frozen=True)
class ExchangeRateInput(Command):
    """A rate as an administrator records it: the pair, the rate, the first day it applies, where it comes from."""

    from_currency: str | None = field(Currency(message=_NOT_A_CURRENCY))
    to_currency: str | None = field(Currency(message=_NOT_A_CURRENCY))
    rate: Decimal | None = field(RateValue())
    rate_date: date | None = field(Day(message=_l("Enter the day the rate applies from.")))
    source: str | None = field(Text(max_len=200))

    def check(self, errors: FieldErrors) -> None:
        if self.from_currency and self.from_currency == self.to_currency:
            errors.add("to_currency", _l("Choose a currency other than the one converted from."))
        if not self.source and "source" not in errors:
            errors.add("source", _l("Say where the rate comes from."))


def add_exchange_rate(actor, command: ExchangeRateInput) -> ExchangeRate:
    """Record a rate of a pair for a day and audit it (flushes, never commits).

    Raises PermissionDenied (not an administrator) and AlreadyExists (that
    pair already has a rate that day: rates are never overwritten); what was
    typed is checked by ExchangeRateInput.
    """
    if not can_manage_exchange_rates(actor):
        raise PermissionDenied()
    values = command.changes()
    if _rate_on_day_exists(values):
        raise _already_recorded(values)
    row = ExchangeRate(**values, created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():  # the same rate added at the same moment by someone else
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise _already_recorded(values) from None
    record_event(actor, "exchange_rate.added", row, None, {
        "from_currency": row.from_currency, "to_currency": row.to_currency, "rate": str(row.rate),
        "rate_date": row.rate_date.isoformat(), "source": row.source})
    return row


def exchange_rates_page(page: int = 1, per_page: int = RATES_PAGE_SIZE):
    """Recorded rates, the latest day first, with who added them (two queries)."""
    query = (select(ExchangeRate).options(joinedload(ExchangeRate.created_by))
             .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.from_currency, ExchangeRate.to_currency,
                       ExchangeRate.id.desc()))
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)


def _rate_on_day_exists(values: dict) -> bool:
    return db.session.scalar(select(ExchangeRate.id).where(
        ExchangeRate.from_currency == values["from_currency"], ExchangeRate.to_currency == values["to_currency"],
        ExchangeRate.rate_date == values["rate_date"])) is not None


def _already_recorded(values: dict) -> AlreadyExists:
    return AlreadyExists(_l("A rate from %(from_currency)s to %(to_currency)s is already recorded for %(date)s.",
                            from_currency=values["from_currency"], to_currency=values["to_currency"],
                            date=values["rate_date"].isoformat()), field="rate_date")
