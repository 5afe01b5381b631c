"""Exact money: integer minor units with an ISO 4217 currency, formatted by Babel.

`Money` is the value to compute with: adding, subtracting or ordering two
currencies raises `CurrencyMismatch`, so a total can never mix them silently;
turning one currency into another goes through `cade.core.rates.convert`,
which says which dated rate it used.

Where each stored amount finds its currency
-------------------------------------------
- ``organisations.annual_budget_minor``: on the same row
  (``annual_budget_currency``), which the profile service writes together
  (both or neither). Organisations state budgets in whatever currency they
  keep their books in, so the currency belongs to the amount.
- Every amount of a call: the call's envelope, minimum and maximum award and
  maximum annual budget, each application's requested amount and budget
  lines, each decision's amount. All of them are in the currency of the
  call's programme (``Call.currency`` reads it). One owner rather than a
  column per row, because these figures are only ever added to and compared
  with each other (budget lines add up to the request, the request lies
  between the minimum and maximum, awards stay within the envelope, in SQL):
  with one currency a mismatch cannot be stored, where columns on every row
  could disagree and every sum would have to check them. The owner never
  changes currency once money is recorded: every such amount hangs from a
  call, a call is created with its envelope and never moves to another
  programme, and `update_programme` refuses to change the currency of a
  programme that has a call.
- Amounts that may be in another currency than their programme's (a grant
  paid at a rate fixed at award, travel per diems) carry their own currency
  column.

Notification contexts keep an amount as `Money.to_json()` (``{"minor":
150000, "currency": "EUR"}``) and templates write it out in the reader's
language with the ``money`` filter.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import format_currency, get_currency_precision, list_currencies
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from cade.core.errors import DomainError

# The currencies we offer in forms; any ISO 4217 code is accepted by the helpers.
COMMON_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "XOF", "XAF", "KES", "NGN", "ZAR", "INR",
                     "BRL", "MXN", "COP", "PEN", "ARS", "IDR", "PHP", "BDT", "PKR", "EGP",
                     "MAD", "TND", "UAH", "GEL", "JOD", "LBP"]


class CurrencyMismatch(DomainError):
    default_message = _l("Amounts in different currencies cannot be added or compared without converting them.")


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str | None) -> bool:
    return bool(code) and code.upper() in _currencies()


def minor_units(currency: str) -> int:
    return get_currency_precision(currency.upper())


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Decimal major units → integer minor units; raises ValueError if not exact."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    # Infinity, NaN and absurd exponents would overflow the arithmetic below.
    if not value.is_finite() or (value and value.adjusted() >= 15):
        raise ValueError("not a usable amount")
    scaled = value.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("more decimal places than the currency has")
    return int(scaled)


def round_to_minor(amount: Decimal, currency: str) -> int:
    """Decimal major units → minor units, rounded half up: for computed amounts (a conversion), never typed ones."""
    return int(Decimal(amount).scaleb(minor_units(currency)).to_integral_value(rounding=ROUND_HALF_UP))


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_units(currency)).quantize(
        Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP
    )


def format_money(amount_minor: int | None, currency: str, locale=None) -> str:
    if amount_minor is None:
        return ""
    locale = locale or str(get_locale() or "en")
    return format_currency(from_minor(amount_minor, currency), currency.upper(), locale=locale)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency.

    Two amounts in different currencies are never equal and cannot be added,
    subtracted or ordered: that raises CurrencyMismatch. `0 + money` is
    allowed so that the built-in `sum()` works; `sum_money` also knows the
    currency of an empty total.
    """

    minor: int
    currency: str

    def __post_init__(self):
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"minor units are an int, not {type(self.minor).__name__}")
        if not isinstance(self.currency, str) or not is_currency(self.currency):
            raise ValueError(f"not an ISO 4217 currency: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> "Money":
        """Major units as typed ("1234.56"); ValueError if finer than the currency allows."""
        return cls(to_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def from_json(cls, data: Mapping) -> "Money":
        """The inverse of `to_json`; ValueError (or TypeError) for anything else."""
        try:
            return cls(data["minor"], data["currency"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an amount: {data!r}") from exc

    def to_json(self) -> dict:
        return {"minor": self.minor, "currency": self.currency}

    @property
    def amount(self) -> Decimal:
        """Major units, exact (Decimal("1234.56") for 123456 EUR cents)."""
        return from_minor(self.minor, self.currency)

    def format(self, locale=None) -> str:
        """Written in `locale` (else the current request's or task's language)."""
        return format_money(self.minor, self.currency, locale=locale)

    def _same_currency(self, other) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(_l(
                "An amount in %(first)s cannot be added to or compared with one in %(second)s "
                "without converting it first.", first=self.currency, second=other.currency),
                currencies=(self.currency, other.currency))
        return other

    def __add__(self, other: "Money") -> "Money":
        return Money(self.minor + self._same_currency(other).minor, self.currency)

    def __radd__(self, other) -> "Money":
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # sum() starts from 0
        return NotImplemented

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.minor - self._same_currency(other).minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        return self.minor < self._same_currency(other).minor

    def __le__(self, other: "Money") -> bool:
        return self.minor <= self._same_currency(other).minor

    def __gt__(self, other: "Money") -> bool:
        return self.minor > self._same_currency(other).minor

    def __ge__(self, other: "Money") -> bool:
        return self.minor >= self._same_currency(other).minor

    def __str__(self) -> str:
        # For logs and errors; people read `format()`.
        return f"{self.amount} {self.currency}"


def sum_money(amounts: Iterable[Money], currency: str | None = None) -> Money:
    """The total of `amounts`, all in one currency (CurrencyMismatch otherwise).

    `currency`, when given, is the currency of the total: of an empty list too,
    and every amount must be in it. Without it an empty list raises ValueError,
    since a total with no currency is not an amount.
    """
    total = Money.zero(currency) if currency else None
    for amount in amounts:
        total = amount if total is None else total + amount
    if total is None:
        raise ValueError("the total of no amounts needs a currency")
    return total
