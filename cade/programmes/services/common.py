"""What the programme services share: the lock hooks, field cleaning, audit snapshots."""

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.core.money import minor_units, to_minor
from cade.core.timeutil import local_to_utc, utc_to_local
from cade.extensions import db
from cade.programmes.models import Call
from cade.programmes.permissions import can_manage_programmes

# Far above any grant, far below what the BIGINT columns hold (sums of many amounts stay exact too).
MAX_AMOUNT_MINOR = 10**15

# Functions `check(call) -> bool` registered by the domains above (see the package docstring).
call_lock_checks: list[Callable[[Call], bool]] = []


def is_call_locked(call: Call) -> bool:
    """True when another domain reports records that pin the call (see `call_lock_checks`)."""
    return any(check(call) for check in call_lock_checks)


# Functions `check(call) -> bool` registered by the domains that score against the rubric.
rubric_lock_checks: list[Callable[[Call], bool]] = []


def is_rubric_locked(call: Call) -> bool:
    """True when another domain reports reviews of the call (see `rubric_lock_checks`)."""
    return any(check(call) for check in rubric_lock_checks)


class FieldErrors:
    """Field errors collected while cleaning, raised together as one ValidationFailed."""

    def __init__(self):
        self.errors: dict[str, list] = {}

    def add(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def require_admin(actor) -> None:
    if not can_manage_programmes(actor):
        raise PermissionDenied()


def reject_unknown(data: dict, allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


def clean_text(data: dict, name: str, errors: FieldErrors, *, max_len: int, required: bool = False) -> str | None:
    value = (data.get(name) or "").strip()
    if not value:
        if required:
            errors.add(name, _l("This field is required."))
        return None
    if len(value) > max_len:
        errors.add(name, _l("Use at most %(n)d characters.", n=max_len))
    return value


def clean_integer(data: dict, name: str, errors: FieldErrors, low: int, high: int) -> int | None:
    value = data.get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(name, _l("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.add(name, _l("Enter a number from %(low)d to %(high)d.", low=low, high=high))
        return None
    return number


def clean_amount(data: dict, name: str, currency: str, errors: FieldErrors, *, required: bool = True) -> int | None:
    """A positive amount in major units (Decimal, str or int) → minor units."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, _l("Enter an amount."))
        return None
    not_an_amount = _l("Enter an amount in %(currency)s with at most %(places)d decimal places.",
                       currency=currency, places=minor_units(currency))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors.add(name, not_an_amount)
        return None
    if amount <= 0:
        errors.add(name, _l("The amount must be more than zero."))
        return None
    # Compared in major units before any scaling: scaling a huge exponent would overflow.
    if amount > Decimal(MAX_AMOUNT_MINOR).scaleb(-minor_units(currency)):
        errors.add(name, _l("This amount is too large."))
        return None
    try:
        return to_minor(amount, currency)
    except ValueError:
        errors.add(name, not_an_amount)
        return None


def clean_moment(data: dict, name: str, tz_name: str | None, errors: FieldErrors) -> datetime | None:
    """An aware datetime as is, or a naive wall-clock time read in the call's zone → UTC."""
    value = data.get(name)
    if not isinstance(value, datetime):
        errors.add(name, _l("Enter a date and time."))
        return None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    if tz_name is None:  # the zone itself is wrong; that error is already reported
        return None
    moment = local_to_utc(value, tz_name)
    # A wall-clock time skipped when the clocks go forward does not exist in that zone.
    if utc_to_local(moment, tz_name).replace(tzinfo=None) != value:
        errors.add(name, _l("This time does not exist in %(zone)s because the clocks change; choose another time.",
                            zone=tz_name))
        return None
    return moment


def clean_codes(data: dict, name: str, allowed, errors: FieldErrors, *, upper: bool = False) -> list[str]:
    values = data.get(name) or []
    if isinstance(values, str):
        values = [values]
    cleaned = [str(v).strip().upper() if upper else str(v).strip() for v in values]
    cleaned = list(dict.fromkeys(v for v in cleaned if v))
    if any(not allowed(v) for v in cleaned):
        errors.add(name, _l("Choose only from the listed options."))
    return cleaned


def snapshot(obj, fields: Iterable[str]) -> dict:
    out = {}
    for field in fields:
        value = getattr(obj, field)
        out[field] = value.isoformat() if isinstance(value, datetime) else value
    return out


def get_or_raise(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj
