"""Exact money: integer minor units with an ISO 4217 currency, formatted by Babel."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies
from flask_babel import get_locale

# The currencies we offer in forms; any ISO 4217 code is accepted by the helpers.
COMMON_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "XOF", "XAF", "KES", "NGN", "ZAR", "INR",
                     "BRL", "MXN", "COP", "PEN", "ARS", "IDR", "PHP", "BDT", "PKR", "EGP",
                     "MAD", "TND", "UAH", "GEL", "JOD", "LBP"]


def is_currency(code: str | None) -> bool:
    return bool(code) and code.upper() in list_currencies()


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


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_units(currency)).quantize(
        Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP
    )


def format_money(amount_minor: int | None, currency: str, locale=None) -> str:
    if amount_minor is None:
        return ""
    locale = locale or str(get_locale() or "en")
    return format_currency(from_minor(amount_minor, currency), currency.upper(), locale=locale)
