"""Tranches: a call's payment schedule, a grant's instalments, unlocking them, and paying each one once.

A call's schedule is rows of (share, condition, days after acceptance) whose
shares add up to exactly 100 %; a call without one pays everything on
signature. When a grant opens, `create_tranches` splits its amount by the
shares (rounded down, the remainder on the last tranche, so they add up
exactly): tranches paid on signature are payable at once, the others stay
locked (due) until `unlock_tranches(grant, condition)` is called when their
report is approved. `pay_tranche` records a payment through TRANCHE_MACHINE's
compare-and-set, so of two admins pressing at once exactly one pays.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from cade.core.audit import record_event
from cade.core.commands import Command, Day, FieldErrors, Text, field
from cade.core.forms import parse_decimal_input
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.money import Money
from cade.extensions import db
from cade.grants.closure import close_if_complete
from cade.grants.constants import TRANCHE_UNLOCKS, TrancheCondition, TrancheStatus
from cade.grants.models import TRANCHE_MACHINE, Grant, Tranche, TrancheTemplate
from cade.notifications.services import notify
from cade.organisations.models import Membership

MAX_DAYS = 3650  # ten years after acceptance


@dataclass(frozen=True)
class ScheduleRow:
    share: Decimal  # a fraction: 0.4 is 40 %
    condition: str
    due_after_days: int


DEFAULT_SCHEDULE = (ScheduleRow(Decimal(1), TrancheCondition.ON_SIGNATURE, 0),)


# ---------------------------------------------------------------- the schedule of a call


def call_schedule(call_id: int) -> list[ScheduleRow]:
    """The call's schedule in order, or the default (everything on signature, due at acceptance)."""
    rows = db.session.scalars(select(TrancheTemplate).where(TrancheTemplate.call_id == call_id)
                              .order_by(TrancheTemplate.position)).all()
    if not rows:
        return list(DEFAULT_SCHEDULE)
    return [ScheduleRow(Decimal(row.share), row.condition, row.due_after_days) for row in rows]


def has_own_schedule(call_id: int) -> bool:
    return db.session.scalar(select(TrancheTemplate.id).where(TrancheTemplate.call_id == call_id).limit(1)) is not None


def _blank(row: dict) -> bool:
    return not any(str(row.get(key) or "").strip() for key in ("share", "condition", "days"))


def clean_schedule(rows: list[dict]) -> list[ScheduleRow]:
    """Form rows (share in %, condition, days) → schedule rows; blank rows are ignored.

    Raises ValidationFailed with errors on `share-<i>`, `condition-<i>`,
    `days-<i>` (i is the row's index in `rows`) and on `shares` for the total.
    """
    errors = FieldErrors()
    cleaned: list[ScheduleRow] = []
    for index, row in enumerate(rows):
        if _blank(row):
            continue
        share = _percent(str(row.get("share") or "").strip().replace(",", "."), errors, f"share-{index}")
        condition = str(row.get("condition") or "").strip()
        if condition not in set(TrancheCondition):
            errors.add(f"condition-{index}", _l("Choose what must happen before this tranche is paid."))
        days = _days(str(row.get("days") or "").strip() or "0", errors, f"days-{index}")
        if share is not None and condition in set(TrancheCondition) and days is not None:
            cleaned.append(ScheduleRow(share, TrancheCondition(condition), days))
    if not errors:
        if not cleaned:
            errors.add("shares", _l("Enter at least one tranche."))
        elif sum(row.share for row in cleaned) != 1:
            total = format((sum(row.share for row in cleaned) * 100).normalize(), "f")
            errors.add("shares", _l("The shares add up to %(total)s %%; they must add up to exactly 100 %%.",
                                    total=total))
    errors.raise_if_any()
    return cleaned


def _percent(raw: str, errors: FieldErrors, name: str) -> Decimal | None:
    # As the person typed it, in their language ("33,33" in French), with or without a "%".
    text = str(raw or "").strip().removesuffix("%").strip()
    try:
        value = parse_decimal_input(text, str(get_locale() or "en"))
    except (ValueError, InvalidOperation):
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > 100:
        errors.add(name, _l("Enter a share above 0 and at most 100 %."))
        return None
    fraction = value / 100
    if fraction != fraction.quantize(Decimal("0.0001")):
        errors.add(name, _l("Use at most two decimals (33.33 %)."))
        return None
    return fraction.quantize(Decimal("0.0001"))


def _days(raw: str, errors: FieldErrors, name: str) -> int | None:
    try:
        days = int(raw)
    except ValueError:
        days = None
    if days is None or not 0 <= days <= MAX_DAYS:
        errors.add(name, _l("Enter a whole number of days from 0 to %(n)d.", n=MAX_DAYS))
        return None
    return days


def set_schedule(actor, call_id: int, rows: list[dict]) -> list[ScheduleRow]:
    """Replace the call's schedule with `rows` (validated by `clean_schedule`); audited `call.tranches_set`.

    Grants already opened keep their tranches: the schedule applies to grants opened from now on.
    """
    from cade.programmes.models import Call

    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound()
    schedule = clean_schedule(rows)
    before = [_row_json(row) for row in call_schedule(call_id)] if has_own_schedule(call_id) else None
    db.session.execute(delete(TrancheTemplate).where(TrancheTemplate.call_id == call_id))
    db.session.add_all(TrancheTemplate(call_id=call_id, position=position, share=row.share, condition=row.condition,
                                       due_after_days=row.due_after_days)
                       for position, row in enumerate(schedule, start=1))
    db.session.flush()
    record_event(actor, "call.tranches_set", call, {"schedule": before},
                 {"schedule": [_row_json(row) for row in schedule]})
    return schedule


def _row_json(row: ScheduleRow) -> dict:
    return {"share": str(row.share), "condition": str(row.condition), "due_after_days": row.due_after_days}


# ---------------------------------------------------------------- a grant's tranches


def split_amount(amount_minor: int, shares: list[Decimal]) -> list[int]:
    """`amount_minor` split by `shares` (adding up to 1): each rounded down, the remainder on the last."""
    amounts = [int((Decimal(amount_minor) * share).to_integral_value(rounding=ROUND_DOWN)) for share in shares[:-1]]
    return [*amounts, amount_minor - sum(amounts)]


@dataclass(frozen=True)
class PlannedTranche:
    position: int
    amount_minor: int
    currency: str
    condition: str
    due_on: date


def planned_tranches(call_id: int, amount_minor: int, currency: str, accepted_on: date) -> list[PlannedTranche]:
    """The tranches a grant of `amount_minor` accepted on `accepted_on` gets from its call's schedule today."""
    schedule = call_schedule(call_id)
    amounts = split_amount(amount_minor, [row.share for row in schedule])
    return [PlannedTranche(position, amount, currency, str(row.condition),
                           accepted_on + timedelta(days=row.due_after_days))
            for position, (row, amount) in enumerate(zip(schedule, amounts, strict=True), start=1)]


def acceptance_day(decision, fallback=None) -> date:
    accepted_at = getattr(decision, "accepted_at", None) or fallback or utcnow()
    return accepted_at.date()


def create_tranches(grant: Grant) -> list[Tranche]:
    """The grant's tranches from its call's schedule (once: a grant that has them keeps them). Flushes."""
    existing = tranches_of(grant)
    if existing:
        return existing
    planned = planned_tranches(grant.call_id, grant.amount_minor, grant.currency,
                               acceptance_day(grant.decision, grant.created_at))
    tranches = [
        Tranche(grant_id=grant.id, position=plan.position, amount_minor=plan.amount_minor, currency=plan.currency,
                condition=plan.condition, due_on=plan.due_on,
                status=TrancheStatus.PAYABLE if plan.condition == TrancheCondition.ON_SIGNATURE else TrancheStatus.DUE)
        for plan in planned
    ]
    db.session.add_all(tranches)
    db.session.flush()
    return tranches


def tranches_of(grant: Grant) -> list[Tranche]:
    return list(db.session.scalars(select(Tranche).where(Tranche.grant_id == grant.id).order_by(Tranche.position)))


def next_locked(tranches: list[Tranche]) -> Tranche | None:
    """The first tranche still waiting for its condition: what the grant page says unlocks the next payment."""
    return next((t for t in tranches if t.status == TrancheStatus.DUE), None)


def unlock_tranches(grant: Grant, condition: str, actor=None) -> list[int]:
    """Make the grant's locked tranches of `condition` payable (a report was approved); return their ids.

    Called by the reports when an interim or final report is approved. A second call finds nothing to unlock.
    """
    condition = TrancheCondition(condition)
    return TRANCHE_MACHINE.move_where(actor, TrancheStatus.PAYABLE, Tranche.grant_id == grant.id,
                                      Tranche.condition == condition.value, from_statuses=[TrancheStatus.DUE])


# ---------------------------------------------------------------- paying


@dataclass(frozen=True)
class PaymentInput(Command):
    paid_on: date = field(Day(message=_l("Enter the date the payment was made.")))
    reference: str = field(Text(max_len=100, required=True))
    today: date | None = None  # from context: the day "not in the future" is measured against

    def check(self, errors: FieldErrors) -> None:
        today = self.today or utcnow().date()
        if self.paid_on is not None and self.paid_on > today:
            errors.add("paid_on", _l("The payment date cannot be in the future."))


def locked_message(tranche: Tranche):
    return _l("This tranche cannot be paid yet: it is unlocked when %(what)s.",
              what=TRANCHE_UNLOCKS[TrancheCondition(tranche.condition)])


def paid_message(tranche: Tranche):
    who = tranche.paid_by.name if tranche.paid_by is not None else _l("an administrator")
    return _l("This tranche was already paid on %(day)s by %(name)s (reference %(reference)s).",
              day=format_date(tranche.paid_on, "long") if tranche.paid_on else "", name=who,
              reference=tranche.payment_reference or "")


def _refusal(tranche: Tranche) -> InvalidTransition:
    if tranche.status == TrancheStatus.PAID:
        return InvalidTransition(paid_message(tranche))
    if tranche.status == TrancheStatus.DUE:
        return InvalidTransition(locked_message(tranche))
    return InvalidTransition()


def pay_tranche(actor, tranche_id: int, command: PaymentInput) -> Tranche:
    """Record the payment of a payable tranche; audited `tranche.paid`; the grantee's owners are told.

    The last payment of a grant whose final report is approved closes it (`close_if_complete`).

    Raises NotFound, or InvalidTransition saying what unlocks a locked
    tranche or when and by whom a paid one was paid (also to the second of
    two admins pressing at once: the compare-and-set lets one through), or
    what is missing before the organisation may be paid: a verified payee
    account and a recent clear screening, both recorded with the payment.
    Flushes, never commits.
    """
    tranche = db.session.get(Tranche, tranche_id)
    if tranche is None:
        raise NotFound()
    if not TRANCHE_MACHINE.can(tranche, TrancheStatus.PAID):
        raise _refusal(tranche)
    payee, screening = _paid_to(tranche, command.paid_on)
    after = {"paid_on": command.paid_on.isoformat(), "reference": command.reference,
             "payee_account_id": payee.id, "screening_id": screening.id}
    try:
        TRANCHE_MACHINE.move(actor, tranche, TrancheStatus.PAID, audit=(None, after), paid_on=command.paid_on,
                             payment_reference=command.reference, paid_at=utcnow(),
                             paid_by_id=getattr(actor, "id", None), payee_account_id=payee.id,
                             screening_id=screening.id)
    except InvalidTransition:
        raise _refusal(tranche) from None  # another admin paid it first: `move` refreshed it
    db.session.refresh(tranche)
    _tell_grantee(tranche)
    close_if_complete(tranche.grant, actor)  # the last payment of a grant whose final report is approved ends it
    return tranche


def _paid_to(tranche: Tranche, paid_on: date):
    """The verified account and the recent clear screening a payment goes on, or InvalidTransition saying what
    to do first (cade/diligence/readiness.py asks the question for the grant page too)."""
    from cade.diligence.readiness import payment_readiness

    readiness = payment_readiness(tranche.grant, on=paid_on)
    if readiness.problems:
        raise InvalidTransition(_l("This tranche cannot be paid yet. %(problems)s",
                                   problems=" ".join(str(problem) for problem in readiness.problems)))
    return readiness.payee, readiness.screening


def _tell_grantee(tranche: Tranche) -> None:
    grant = tranche.grant
    application = grant.decision.application
    from cade.accounts.models import User

    owners = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == grant.organisation_id, Membership.role == "owner")
        .order_by(User.id)).all()
    context = {"grant_id": grant.id, "tranche_id": tranche.id, "position": tranche.position,
               "title": application.title, "reference": application.reference or "",
               "amount": Money(tranche.amount_minor, tranche.currency).to_json(),
               "paid_on": tranche.paid_on.isoformat(), "payment_reference": tranche.payment_reference}
    for owner in owners:
        notify("grants.tranche_paid", recipient=owner, key=f"tranche-paid:{tranche.id}:{owner.id}", context=context)


def schedule_errors(error: ValidationFailed) -> dict:
    return {name: [str(message) for message in messages] for name, messages in error.errors.items()}
