"""Service input in one shape: typed command dataclasses, cleaned once from whatever a boundary received.

A command is a frozen dataclass that says what a service needs, with ids
rather than loaded objects, so that a page, a CLI command, a Celery task and
the JSON API hand a service the same thing. Each field names its cleaner;
`Command.from_input(data, **context)` reads a mapping (a form's `.data`, a
JSON body, CLI options), cleans every field and raises one ValidationFailed
naming every bad field at once, so a form shows all its errors together and
the API answers one 422 with the same field names. A field without a
cleaner is taken from `context` (an id from the URL, the currency of the
programme an amount is in) or keeps its default.

Cleaners check shape and range only: what a value *is*. Whether the action is
allowed (states, deadlines, envelopes, permissions) stays in the service,
which raises the domain errors of `cade.core.errors`. A command may add
checks across its fields in `check(errors)`.

    @dataclass(frozen=True)
    class ProgrammeInput(Command):
        name: str = field(Text(max_len=200, required=True))
        currency: str = field(Currency(required=True))

    command = ProgrammeInput.from_input(form.data)   # or request.get_json()
    create_programme(actor, command)
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from cade.core.errors import ValidationFailed
from cade.core.money import is_currency, minor_units, to_minor
from cade.core.timeutil import local_to_utc, utc_to_local

# Far above any grant, far below what the BIGINT columns hold (sums of many amounts stay exact too).
MAX_AMOUNT_MINOR = 10**15


class FieldErrors:
    """Field errors collected while cleaning, raised together as one ValidationFailed."""

    def __init__(self):
        self.errors: dict[str, list] = {}

    def add(self, name: str, message) -> None:
        self.errors.setdefault(name, []).append(message)

    def __contains__(self, name: str) -> bool:
        return name in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


@dataclasses.dataclass
class Cleaning:
    """What a cleaner knows besides the raw value: its field, the errors so far, the context, the values so far."""

    name: str
    errors: FieldErrors
    context: Mapping[str, Any]
    values: dict[str, Any]

    def refuse(self, message) -> None:
        self.errors.add(self.name, message)


class Cleaner:
    """Turns one raw value into the typed value a command holds; reports problems on its field.

    `clean(raw, cleaning)` returns the value, or None after `cleaning.refuse(...)`.
    `source` names the input key when it differs from the field name.
    """

    source: str | None = None

    def clean(self, raw, cleaning: Cleaning):
        raise NotImplementedError


def field(cleaner: Cleaner | None = None, *, default=dataclasses.MISSING, default_factory=dataclasses.MISSING,
          source: str | None = None):
    """A command field cleaned by `cleaner`, read from input key `source` (default: the field's name)."""
    metadata = {"clean": cleaner, "source": source}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    if default is dataclasses.MISSING and cleaner is not None:
        default = None  # a cleaned field always gets a value; None until cleaning says otherwise
    return dataclasses.field(default=default, metadata=metadata)


class Command:
    """Base of every command: `from_input` cleans, `check` adds checks across fields, `changes` lists values.

    Input keys that name no field (a form's submit button, its CSRF token, a
    field of a newer client) are not read: a command takes what it declares.
    A `partial` command (an autosave, a PATCH) cleans only the fields the
    input carries; the others keep their default, which the service reads as
    "leave it as it is".
    """

    partial: ClassVar[bool] = False

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        """Clean `data` field by field; raise ValidationFailed naming every bad field, else return the command.

        Fields are cleaned in declaration order, so a cleaner may read a field
        declared before it (a moment reads the time zone's field). Fields
        without a cleaner come from `context`, or keep their default.
        """
        data = data or {}
        errors = FieldErrors()
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            cleaner = spec.metadata.get("clean")
            if cleaner is None:
                if spec.name in context:
                    values[spec.name] = context[spec.name]
                continue
            source = spec.metadata.get("source") or spec.name
            if cls.partial and source not in data:
                continue
            values[spec.name] = cleaner.clean(data.get(source), Cleaning(source, errors, context, values))
        command = cls(**values)
        command.check(errors)
        errors.raise_if_any()
        return command

    def check(self, errors: FieldErrors) -> None:
        """Checks across fields (a minimum below a maximum); add to `errors` by field name."""

    def changes(self, *names: str) -> dict[str, Any]:
        """The named fields (all when none) as a dict, for a model's columns or an audit snapshot."""
        names = names or tuple(spec.name for spec in dataclasses.fields(self))
        return {name: getattr(self, name) for name in names}


# --- cleaners ------------------------------------------------------------------------------------------------


def _stripped(raw) -> str:
    return str(raw).strip() if raw is not None else ""


@dataclasses.dataclass(frozen=True)
class Text(Cleaner):
    """Text, stripped, with Windows line ends made plain; `empty` (None) when empty, refused when required;
    at most `max_len` characters (no limit with None)."""

    max_len: int | None
    required: bool = False
    empty: Any = None

    def clean(self, raw, cleaning):
        if raw is not None and not isinstance(raw, str):
            cleaning.refuse(_l("Enter text."))
            return None
        value = _stripped(raw).replace("\r\n", "\n")
        if not value:
            if self.required:
                cleaning.refuse(_l("This field is required."))
            return self.empty
        if self.max_len is not None and len(value) > self.max_len:
            cleaning.refuse(_l("Use at most %(n)d characters.", n=self.max_len))
        return value


@dataclasses.dataclass(frozen=True)
class Integer(Cleaner):
    """A whole number from `low` to `high`."""

    low: int
    high: int
    required: bool = True
    message: Any = None  # a domain's own wording for every refusal, instead of the two below

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            if self.required:
                cleaning.refuse(self.message or _l("Enter a whole number."))
            return None
        if isinstance(raw, bool):
            cleaning.refuse(self.message or _l("Enter a whole number."))
            return None
        try:
            number = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None:
            cleaning.refuse(self.message or _l("Enter a whole number."))
            return None
        if not self.low <= number <= self.high:
            cleaning.refuse(self.message or _l("Enter a number from %(low)d to %(high)d.", low=self.low,
                                               high=self.high))
            return None
        return number


@dataclasses.dataclass(frozen=True)
class Amount(Cleaner):
    """A positive amount typed in major units (Decimal, str or int) → minor units of the context's `currency`.

    With `allow_zero`, zero is an amount too (a draft's budget line not yet costed).

    The currency comes from the command's context (`currency_key`), or from a
    field cleaned before this one of that name: the programme an amount is in
    is known to the boundary, not typed with the amount.
    """

    required: bool = True
    currency_key: str = "currency"
    allow_zero: bool = False

    def clean(self, raw, cleaning):
        currency = cleaning.values.get(self.currency_key) or cleaning.context.get(self.currency_key)
        if raw is None or raw == "":
            if self.required:
                cleaning.refuse(_l("Enter an amount."))
            return None
        if not currency:
            return None  # the currency itself is wrong; that error is already reported
        not_an_amount = _l("Enter an amount in %(currency)s with at most %(places)d decimal places.",
                           currency=currency, places=minor_units(currency))
        try:
            amount = Decimal(str(raw).strip()) if not isinstance(raw, bool) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            cleaning.refuse(not_an_amount)
            return None
        if amount < 0 and self.allow_zero:
            cleaning.refuse(_l("Enter an amount of zero or more."))
            return None
        if amount <= 0 and not self.allow_zero:
            cleaning.refuse(_l("The amount must be more than zero."))
            return None
        # Compared in major units before any scaling: scaling a huge exponent would overflow.
        if amount > Decimal(MAX_AMOUNT_MINOR).scaleb(-minor_units(currency)):
            cleaning.refuse(_l("This amount is too large."))
            return None
        try:
            return to_minor(amount, currency)
        except ValueError:
            cleaning.refuse(not_an_amount)
            return None


@dataclasses.dataclass(frozen=True)
class Currency(Cleaner):
    """An ISO 4217 code, upper-cased."""

    required: bool = True
    message: Any = _l("Choose a currency.")

    def clean(self, raw, cleaning):
        code = _stripped(raw).upper() if isinstance(raw, str | None) else ""
        if not code and not self.required:
            return None
        if not is_currency(code):
            cleaning.refuse(self.message)
            return None
        return code


@dataclasses.dataclass(frozen=True)
class Moment(Cleaner):
    """An aware datetime as is, or a naive wall-clock time read in the zone of an earlier field → UTC."""

    zone_field: str = "timezone"

    def clean(self, raw, cleaning):
        if not isinstance(raw, datetime):
            cleaning.refuse(_l("Enter a date and time."))
            return None
        if raw.tzinfo is not None:
            return raw.astimezone(timezone.utc)
        zone = cleaning.values.get(self.zone_field) or cleaning.context.get(self.zone_field)
        if zone is None:  # the zone itself is wrong; that error is already reported
            return None
        moment = local_to_utc(raw, zone)
        # A wall-clock time skipped when the clocks go forward does not exist in that zone.
        if utc_to_local(moment, zone).replace(tzinfo=None) != raw:
            cleaning.refuse(_l("This time does not exist in %(zone)s because the clocks change; choose another time.",
                               zone=zone))
            return None
        return moment


@dataclasses.dataclass(frozen=True)
class Day(Cleaner):
    """A calendar date (a `date`, or ISO text such as 2026-12-05)."""

    required: bool = True
    message: Any = _l("Enter a date.")

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            if self.required:
                cleaning.refuse(self.message)
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(_stripped(raw))
        except (TypeError, ValueError):
            cleaning.refuse(self.message)
            return None


@dataclasses.dataclass(frozen=True)
class Choice(Cleaner):
    """One of `allowed` (an enum or any iterable of values), as a string."""

    allowed: Iterable
    required: bool = False
    message: Any = None  # a domain's own wording for every refusal, instead of the two below

    def clean(self, raw, cleaning):
        value = _stripped(raw) if isinstance(raw, str | None) else raw
        if not value:
            if self.required:
                cleaning.refuse(self.message or _l("Please choose one."))
            return None
        if str(value) not in {str(option) for option in self.allowed}:
            cleaning.refuse(self.message or _l("Not a valid choice."))
            return None
        return str(value)


@dataclasses.dataclass(frozen=True)
class Codes(Cleaner):
    """Several of a list: each accepted by `allowed` (a predicate or an iterable), once each.

    With an iterable, the codes come back in its order (a fixed list of
    options); with a predicate, in the order given. `upper` upper-cases them
    first (country codes).
    """

    allowed: Callable[[str], bool] | Iterable
    upper: bool = False
    message: Any = _l("Choose only from the listed options.")

    def clean(self, raw, cleaning):
        values = raw or []
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, Iterable):
            cleaning.refuse(self.message)
            return []
        codes = [_stripped(v).upper() if self.upper else _stripped(v) for v in values]
        codes = list(dict.fromkeys(code for code in codes if code))
        # An enum class is callable too, but it is a list of options, not a test.
        if callable(self.allowed) and not isinstance(self.allowed, type):
            if any(not self.allowed(code) for code in codes):
                cleaning.refuse(self.message)
            return codes
        options = [str(option) for option in self.allowed]
        if any(code not in options for code in codes):
            cleaning.refuse(self.message)
        return [option for option in options if option in codes]


class Flag(Cleaner):
    """A tick box: anything truthy is True ("y", "on", True); missing is False."""

    def clean(self, raw, cleaning):
        if isinstance(raw, str):
            return raw.strip().lower() not in ("", "0", "false", "no", "off", "n")
        return bool(raw)


@dataclasses.dataclass(frozen=True)
class Email(Cleaner):
    """An e-mail address that email-validator accepts (no DNS look-up); refused with `message`.

    Kept in the one spelling accounts store and compare: Unicode composed
    (NFC), the domain in Unicode, lower-cased.
    """

    required: bool = True
    message: Any = _l("Enter a valid e-mail address.")

    def clean(self, raw, cleaning):
        value = _stripped(raw) if isinstance(raw, str | None) else ""
        if not value:
            if self.required:
                cleaning.refuse(self.message)
            return None
        try:
            return validate_email(unicodedata.normalize("NFC", value), check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            cleaning.refuse(self.message)
            return None


@dataclasses.dataclass(frozen=True)
class Id(Cleaner):
    """The id of a row: a positive whole number (whether the row exists is the service's question)."""

    required: bool = True

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            if self.required:
                cleaning.refuse(_l("This field is required."))
            return None
        if isinstance(raw, bool):
            cleaning.refuse(_l("Not a valid choice."))
            return None
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if not 0 < number < 2**63:
            cleaning.refuse(_l("Not a valid choice."))
            return None
        return number


@dataclasses.dataclass(frozen=True)
class Ids(Cleaner):
    """Several row ids (a list, or one): positive whole numbers, once each, in the order given."""

    message: Any = _l("Choose only from the listed options.")

    def clean(self, raw, cleaning):
        values = raw if isinstance(raw, list | tuple) else ([] if raw in (None, "") else [raw])
        found = []
        for value in values:
            try:
                number = int(str(value).strip()) if not isinstance(value, bool) else 0
            except (TypeError, ValueError):
                number = 0
            if not 0 < number < 2**63:
                cleaning.refuse(self.message)
                return []
            found.append(number)
        return list(dict.fromkeys(found))
