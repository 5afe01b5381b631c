"""Calls: create, change, publish and unpublish them, with dates read in the call's time zone."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.commands import (
    Amount,
    Cleaner,
    Cleaning,
    Command,
    FieldErrors,
    Flag,
    Integer,
    Moment,
    Text,
    field,
)
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.core.money import from_minor
from cade.core.rules import registered_rules
from cade.core.timeutil import is_timezone
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import CALL_MACHINE, Call, Programme
from cade.programmes.services.common import (
    add_audited,
    change_audited,
    get_or_raise,
    is_call_locked,
    require_admin,
)

REFERENCE_PREFIX = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
MAX_REVIEWS = 10

# The call's own columns, as CallInput cleans them; each registered eligibility rule adds its columns.
CALL_COLUMNS = (
    "title", "reference_prefix", "description", "timezone", "opens_at", "closes_at",
    "budget_envelope_minor", "min_award_minor", "max_award_minor", "reviews_required", "blind_review",
)
CALL_SNAPSHOT = (
    "title", "reference_prefix", "description", "status", "timezone", "opens_at", "closes_at",
    "budget_envelope_minor", "min_award_minor", "max_award_minor", "reviews_required", "blind_review",
)


def _call_snapshot() -> tuple[str, ...]:
    return CALL_SNAPSHOT + tuple(column for rule in registered_rules() for column in rule.columns)


class ReferencePrefix(Cleaner):
    """Letters, digits and single dashes, upper-cased: every application reference of the call starts with it."""

    def clean(self, raw, cleaning):
        prefix = str(raw).strip().upper() if raw is not None else ""
        if not prefix:
            cleaning.refuse(_l("This field is required."))
        elif len(prefix) > 40 or not REFERENCE_PREFIX.fullmatch(prefix):
            cleaning.refuse(_l("Use only letters, digits and single dashes, e.g. CADE-2026."))
        return prefix


class TimeZone(Cleaner):
    """An IANA time zone name, UTC when none is given; None when refused, so no time is read in it."""

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            return "UTC"
        if not isinstance(raw, str) or not is_timezone(raw):
            cleaning.refuse(_l("Choose a time zone from the list."))
            return None
        return raw


class Eligibility(Cleaner):
    """The settings of every registered eligibility rule, by call column: each rule's field read by its cleaner.

    The rules are registered per app, so their fields cannot be fields of the
    dataclass: CallInput.from_input gathers them under this field's key, and
    each rule's errors are named by the rule's own field.
    """

    def clean(self, raw, cleaning):
        settings: dict[str, Any] = {}
        for rule in registered_rules():
            value = rule.cleaner.clean(raw.get(rule.field_name),
                                       Cleaning(rule.field_name, cleaning.errors, cleaning.context, cleaning.values))
            settings.update(rule.settings(value))
        return settings


@dataclass(frozen=True)
class CallInput(Command):
    """A call as the admin types it, whole: a change restates every field (see `call_as_input`).

    `opens_at`/`closes_at` are naive wall-clock times in `timezone` (as typed
    into the form) or aware datetimes; amounts are major units of `currency`,
    the programme's, which the boundary gives as context.
    """

    currency: str  # from the context, never typed: a call's amounts are in its programme's currency
    title: str | None = field(Text(max_len=200, required=True))
    reference_prefix: str | None = field(ReferencePrefix())
    description: str | None = field(Text(max_len=50_000))
    timezone: str | None = field(TimeZone())
    opens_at: datetime | None = field(Moment())
    closes_at: datetime | None = field(Moment())
    budget_envelope_minor: int | None = field(Amount(), source="budget_envelope")
    min_award_minor: int | None = field(Amount(), source="min_award")
    max_award_minor: int | None = field(Amount(), source="max_award")
    reviews_required: int | None = field(Integer(1, MAX_REVIEWS))
    blind_review: bool = field(Flag(), default=False)
    eligibility: dict[str, Any] = field(Eligibility(), default_factory=dict)

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        data = dict(data or {})
        data.setdefault("reviews_required", 2)  # as the form offers it, for a body that leaves it out
        data["eligibility"] = {rule.field_name: data.get(rule.field_name) for rule in registered_rules()}
        return super().from_input(data, **context)

    def check(self, errors: FieldErrors) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors.add("closes_at", _l("The call must close after it opens."))
        low, high, envelope = self.min_award_minor, self.max_award_minor, self.budget_envelope_minor
        if low and high and low > high:
            errors.add("min_award", _l("The minimum award cannot be more than the maximum award."))
        if high and envelope and high > envelope:
            errors.add("max_award", _l("The maximum award cannot be more than the budget envelope."))

    def columns(self) -> dict[str, Any]:
        """The call's columns as the command sets them, the eligibility rules' included."""
        return {**self.changes(*CALL_COLUMNS), **self.eligibility}


def call_as_input(call: Call) -> dict:
    """The call's stored values as CallInput reads them, so a change can be merged over them (an edit, a PATCH)."""
    currency = call.currency
    return {
        "title": call.title, "reference_prefix": call.reference_prefix, "description": call.description,
        "timezone": call.timezone, "opens_at": call.opens_at, "closes_at": call.closes_at,
        "budget_envelope": from_minor(call.budget_envelope_minor, currency),
        "min_award": from_minor(call.min_award_minor, currency),
        "max_award": from_minor(call.max_award_minor, currency),
        "reviews_required": call.reviews_required, "blind_review": call.blind_review,
        **{rule.field_name: rule.form_value(call) for rule in registered_rules()},
    }


def _refuse_taken_prefix(prefix: str, call_id: int | None) -> None:
    # References are unique across calls, so each call needs a prefix of its own.
    query = select(Call.id).where(Call.reference_prefix == prefix)
    if call_id is not None:
        query = query.where(Call.id != call_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed({"reference_prefix": [_l("Another call already uses this reference prefix.")]})


def _require_currency(command: CallInput, currency: str) -> None:
    # Amounts read in one currency must not be stored as another's (cade/core/money.py says why).
    if command.currency != currency:
        raise ValueError(f"the call's amounts were read in {command.currency}, but its programme counts in {currency}")


def create_call(actor, programme_id: int, command: CallInput) -> Call:
    """Create a draft call in a programme, its amounts read in the programme's currency.

    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    programme = get_or_raise(Programme, programme_id)
    _require_currency(command, programme.currency)
    _refuse_taken_prefix(command.reference_prefix, None)
    call = Call(programme=programme, status=CallStatus.DRAFT, **command.columns())
    add_audited(actor, call, "call.created", _call_snapshot())
    return call


def update_call(actor, call_id: int, command: CallInput) -> Call:
    """Change a call, published or not, to `command`; the reference prefix is fixed once the call is locked.

    A published call's deadline may move earlier or later, but not to a
    moment already past: that would close the call at once, behind the back
    of everyone writing an application (unpublish it instead, while nobody
    has applied). Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    _require_currency(command, call.currency)
    if (call.status == CallStatus.PUBLISHED and command.closes_at != call.closes_at
            and command.closes_at <= utcnow()):
        raise ValidationFailed({"closes_at": [_l(
            "This call is published: its deadline cannot be moved to a time that has already passed.")]})
    if command.reference_prefix != call.reference_prefix and is_call_locked(call):
        raise ValidationFailed(
            {"reference_prefix": [_l("The reference prefix cannot change once applications exist.")]})
    _refuse_taken_prefix(command.reference_prefix, call.id)
    change_audited(actor, call, command.columns(), "call.updated", _call_snapshot())
    return call


def publish_problems(call: Call, now: datetime | None = None) -> list:
    """What stands between the call and publication (empty when it may be published)."""
    now = now or utcnow()
    problems = []
    if not call.questions:
        problems.append(_l("Add at least one question."))
    if not call.criteria:
        problems.append(_l("Add at least one rubric criterion."))
    elif any(c.weight <= 0 for c in call.criteria):
        problems.append(_l("Every rubric criterion needs a weight above zero."))
    if call.closes_at <= now:
        problems.append(_l("The closing date has passed; move it into the future."))
    return problems


def publish_call(actor, call_id: int) -> Call:
    """Make a draft call public. Raises PermissionDenied, NotFound, InvalidTransition,
    ValidationFailed (errors under "publish": what is missing)."""
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    if not CALL_MACHINE.can(call, CallStatus.PUBLISHED):
        raise InvalidTransition(_l("This call is already published."))
    problems = publish_problems(call)
    if problems:
        raise ValidationFailed({"publish": problems}, message=_l("This call cannot be published yet."))
    return CALL_MACHINE.move(actor, call, CallStatus.PUBLISHED)


def unpublish_call(actor, call_id: int) -> Call:
    """Take a published call back to draft, unless applications pin it.

    Raises PermissionDenied, NotFound, InvalidTransition.
    """
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    if not CALL_MACHINE.can(call, CallStatus.DRAFT):
        raise InvalidTransition(_l("This call is not published."))
    if is_call_locked(call):
        raise InvalidTransition(_l("This call has applications and must stay published."))
    return CALL_MACHINE.move(actor, call, CallStatus.DRAFT)
