"""Calls: create, change, publish and unpublish them, with dates read in the call's time zone."""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.core.money import from_minor
from cade.core.rules import registered_rules
from cade.core.timeutil import is_timezone
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import CALL_MACHINE, Call, Programme
from cade.programmes.services.common import (
    FieldErrors,
    clean_amount,
    clean_integer,
    clean_moment,
    clean_text,
    get_or_raise,
    is_call_locked,
    reject_unknown,
    require_admin,
    snapshot,
)

REFERENCE_PREFIX = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
MAX_REVIEWS = 10

# The call's own fields; each registered eligibility rule adds its field (and its columns to the snapshot).
CALL_FIELDS = (
    "title", "reference_prefix", "description", "timezone", "opens_at", "closes_at",
    "budget_envelope", "min_award", "max_award", "reviews_required", "blind_review",
)
CALL_SNAPSHOT = (
    "title", "reference_prefix", "description", "status", "timezone", "opens_at", "closes_at",
    "budget_envelope_minor", "min_award_minor", "max_award_minor", "reviews_required", "blind_review",
)


def _call_fields() -> tuple[str, ...]:
    return CALL_FIELDS + tuple(rule.field_name for rule in registered_rules())


def _call_snapshot() -> tuple[str, ...]:
    return CALL_SNAPSHOT + tuple(column for rule in registered_rules() for column in rule.columns)


def _clean_call(data: dict, currency: str) -> dict:
    errors = FieldErrors()
    values = {
        "title": clean_text(data, "title", errors, max_len=200, required=True),
        "description": clean_text(data, "description", errors, max_len=50_000),
        "blind_review": bool(data.get("blind_review")),
    }
    prefix = (data.get("reference_prefix") or "").strip().upper()
    if not prefix:
        errors.add("reference_prefix", _l("This field is required."))
    elif len(prefix) > 40 or not REFERENCE_PREFIX.fullmatch(prefix):
        errors.add("reference_prefix", _l("Use only letters, digits and single dashes, e.g. CADE-2026."))
    values["reference_prefix"] = prefix

    tz_name = data.get("timezone") or "UTC"
    if not is_timezone(tz_name):
        errors.add("timezone", _l("Choose a time zone from the list."))
        tz_name = None
    values["timezone"] = tz_name
    values["opens_at"] = clean_moment(data, "opens_at", tz_name, errors)
    values["closes_at"] = clean_moment(data, "closes_at", tz_name, errors)
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        errors.add("closes_at", _l("The call must close after it opens."))

    envelope = clean_amount(data, "budget_envelope", currency, errors)
    low = clean_amount(data, "min_award", currency, errors)
    high = clean_amount(data, "max_award", currency, errors)
    if low and high and low > high:
        errors.add("min_award", _l("The minimum award cannot be more than the maximum award."))
    if high and envelope and high > envelope:
        errors.add("max_award", _l("The maximum award cannot be more than the budget envelope."))
    values.update(budget_envelope_minor=envelope, min_award_minor=low, max_award_minor=high)
    values["reviews_required"] = clean_integer(data, "reviews_required", errors, 1, MAX_REVIEWS)

    for rule in registered_rules():
        columns, problems = rule.clean(data.get(rule.field_name), currency)
        for problem in problems:
            errors.add(rule.field_name, problem)
        values.update(columns)
    errors.raise_if_any()
    return values


def _call_values(call: Call) -> dict:
    """The call as service input, so a partial update can be merged over it."""
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


def create_call(actor, programme_id: int, **data) -> Call:
    """Create a draft call in a programme.

    `opens_at`/`closes_at` are naive wall-clock times in `timezone` (as typed
    into the form) or aware datetimes; amounts are major units of the
    programme's currency. Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    reject_unknown(data, _call_fields())
    programme = get_or_raise(Programme, programme_id)
    data.setdefault("reviews_required", 2)
    values = _clean_call(data, programme.currency)
    _refuse_taken_prefix(values["reference_prefix"], None)
    call = Call(programme=programme, status=CallStatus.DRAFT, **values)
    db.session.add(call)
    db.session.flush()
    record_event(actor, "call.created", call, None, snapshot(call, _call_snapshot()))
    return call


def update_call(actor, call_id: int, **changes) -> Call:
    """Change a call, published or not; the reference prefix is fixed once the call is locked.

    A published call's deadline may move earlier or later, but not to a
    moment already past: that would close the call at once, behind the back
    of everyone writing an application (unpublish it instead, while nobody
    has applied). Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    reject_unknown(changes, _call_fields())
    call = get_or_raise(Call, call_id)
    values = _clean_call({**_call_values(call), **changes}, call.currency)
    if (call.status == CallStatus.PUBLISHED and values["closes_at"] != call.closes_at
            and values["closes_at"] <= utcnow()):
        raise ValidationFailed({"closes_at": [_l(
            "This call is published: its deadline cannot be moved to a time that has already passed.")]})
    if values["reference_prefix"] != call.reference_prefix and is_call_locked(call):
        raise ValidationFailed(
            {"reference_prefix": [_l("The reference prefix cannot change once applications exist.")]})
    _refuse_taken_prefix(values["reference_prefix"], call.id)
    before = snapshot(call, _call_snapshot())
    for field, value in values.items():
        setattr(call, field, value)
    db.session.flush()
    record_event(actor, "call.updated", call, before, snapshot(call, _call_snapshot()))
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
