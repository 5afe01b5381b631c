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
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.money import format_money, from_minor
from cade.core.rules import registered_rules
from cade.core.timeutil import is_timezone
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import CALL_MACHINE, Call, Programme
from cade.programmes.services.common import (
    add_audited,
    change_audited,
    committed_in_call,
    get_or_raise,
    is_blind_review_locked,
    is_call_locked,
    plain,
    require_admin,
)

REFERENCE_PREFIX = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
MAX_REVIEWS = 10
REASON_MAX_CHARS = 2000

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


class KeptFlag(Cleaner):
    """A tick box, or None when the input leaves it out: the call keeps its setting.

    The edit form shows a setting that can no longer change as text, not as a
    box, so it sends nothing for it; a new call left without it is not blind.
    """

    def clean(self, raw, cleaning):
        return None if raw is None else Flag().clean(raw, cleaning)


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
    the programme's, which the boundary gives as context. `blind_review` is
    None when not given (unchanged). `reason` says why a call in review is
    changed; it is not a column but goes to the audit row.
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
    blind_review: bool | None = field(KeptFlag())
    eligibility: dict[str, Any] = field(Eligibility(), default_factory=dict)
    reason: str | None = field(Text(max_len=REASON_MAX_CHARS))

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
        """The call's columns as the command sets them, the eligibility rules' included (not those left out)."""
        columns = {**self.changes(*CALL_COLUMNS), **self.eligibility}
        if self.blind_review is None:
            del columns["blind_review"]
        return columns


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


PREFIX_TAKEN = _l("Another call already uses this reference prefix.")


def _prefix_taken(prefix: str, call_id: int | None) -> bool:
    # References are unique across calls, so each call needs a prefix of its own.
    query = select(Call.id).where(Call.reference_prefix == prefix)
    if call_id is not None:
        query = query.where(Call.id != call_id)
    return db.session.scalar(query.limit(1)) is not None


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
    if _prefix_taken(command.reference_prefix, None):
        raise ValidationFailed({"reference_prefix": [PREFIX_TAKEN]})
    call = Call(programme=programme, status=CallStatus.DRAFT, **command.columns())
    add_audited(actor, call, "call.created", _call_snapshot())
    return call


def update_call(actor, call_id: int, command: CallInput) -> Call:
    """Change a call, published or not, to `command`, within the rules that hold for it by then.

    - The reference prefix is fixed once the call is locked (applications exist).
    - A published call's deadline may move earlier or later, but not to a
      moment already past: that would close the call at once, behind the back
      of everyone writing an application (unpublish it instead, while nobody
      has applied).
    - The budget envelope never goes below the amount already committed in the
      call. The call's row is locked before that amount is read, as deciding
      an award locks it, so an award decided at the same moment is counted.
    - Blind review cannot change once a reviewer has opened an application of
      the call; a command that leaves it out (None) keeps it.
    - A call in review (`Call.is_in_review`) changes only with a reason; the
      audit row keeps it with what changed (before and after, by column).

    Every refusal is named at once. Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    lock_row(Call, call_id)
    call = db.session.get(Call, call_id, populate_existing=True)  # as it stands now that it is ours
    if call is None:
        raise NotFound()
    _require_currency(command, call.currency)
    columns = command.columns()
    changed = {name: value for name, value in columns.items() if getattr(call, name) != value}
    now = utcnow()
    errors = FieldErrors()
    if call.status == CallStatus.PUBLISHED and "closes_at" in changed and command.closes_at <= now:
        errors.add("closes_at", _l(
            "This call is published: its deadline cannot be moved to a time that has already passed."))
    if "reference_prefix" in changed:
        if is_call_locked(call):
            errors.add("reference_prefix", _l("The reference prefix cannot change once applications exist."))
        elif _prefix_taken(command.reference_prefix, call.id):
            errors.add("reference_prefix", PREFIX_TAKEN)
    if "budget_envelope_minor" in changed:
        committed = committed_in_call(call.id)
        if command.budget_envelope_minor < committed:
            errors.add("budget_envelope", _l("The envelope cannot be below the %(committed)s already awarded.",
                                             committed=format_money(committed, call.currency)))
    if "blind_review" in changed and is_blind_review_locked(call):
        errors.add("blind_review", _l(
            "Blind review cannot change: reviewers have already opened applications of this call."))
    if changed and call.is_in_review(now) and not command.reason:
        errors.add("reason", _l(
            "This call is in review: say why you are changing it. The reason is kept in the audit log."))
    errors.raise_if_any()
    what_changed = {name: {"before": plain(getattr(call, name)), "after": plain(value)}
                    for name, value in changed.items()}
    change_audited(actor, call, columns, "call.updated", _call_snapshot(),
                   note={"reason": command.reason, "changed": what_changed})
    return call


@dataclass(frozen=True)
class CallEditRules:
    """What holds while a call is edited, for the edit page to say before anything is typed (`update_call`)."""

    in_review: bool  # every change needs a reason
    committed_minor: int  # the budget envelope cannot go below it
    blind_review_locked: bool  # a reviewer has opened an application


def call_edit_rules(call: Call, now: datetime | None = None) -> CallEditRules:
    """The rules `update_call` will apply to `call`, as they stand now (two queries)."""
    return CallEditRules(in_review=call.is_in_review(now), committed_minor=committed_in_call(call.id),
                         blind_review_locked=is_blind_review_locked(call))


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
