"""The admin's side of a travel claim: approve it as claimed or adjust lines with a reason (never above the
amount approved for their category, nor above what was claimed), then record its payment, once.

Both moves go through CLAIM_MACHINE's compare-and-set: of two admins deciding
or paying at once, one does it and the other is told who did and when. The
traveller and the organisation's owners are told of each.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from cade.accounts.models import User
from cade.core.commands import Command, Day, FieldErrors, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied
from cade.core.forms import parse_decimal_input
from cade.core.money import Money, minor_units, to_minor
from cade.core.permissions import is_admin
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.travel.claims import MAX_REASON, approved_amounts, claim_figures, reimbursable_total, tell_travellers
from cade.travel.constants import ClaimStatus
from cade.travel.models import CLAIM_MACHINE, Claim


def _admin_claim(actor, claim_id: int) -> Claim:
    if not is_admin(actor):
        raise PermissionDenied()
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound()
    return claim


def _decided(claim: Claim) -> InvalidTransition:
    if claim.status == ClaimStatus.DRAFT:
        return InvalidTransition(_l("This claim has not been submitted: there is nothing to decide yet."))
    decider = db.session.get(User, claim.decided_by_id) if claim.decided_by_id else None
    return InvalidTransition(_l("This claim was already approved on %(day)s by %(name)s.",
                                day=format_date(claim.decided_at, "long") if claim.decided_at else "",
                                name=decider.name if decider else _l("an administrator")))


@dataclass(frozen=True)
class Adjustment:
    """An admin's figure for one line, in minor units of the programme's currency, and why."""

    reimbursable_minor: int
    reason: str | None


def read_adjustments(claim: Claim, form, locale: str = "en") -> dict[int, Adjustment]:
    """The adjusted lines of an admin's form (`reimbursable-<id>`, `reason-<id>`, amounts typed in `locale`);
    a line left empty, or given its own figure without a reason, is approved as it stands. ValidationFailed names
    each bad field (a reason for no amount, an amount that is not one)."""
    errors = FieldErrors()
    currency = claim.trip.application.call.currency
    found = {}
    for line in claim.lines:
        raw = str(form.get(f"reimbursable-{line.id}") or "").strip()
        reason = str(form.get(f"reason-{line.id}") or "").replace("\r\n", "\n").strip() or None
        if not raw:
            if reason:
                errors.add(f"reimbursable-{line.id}", _l("Enter the reimbursable amount this reason is for."))
            continue
        try:
            amount = parse_decimal_input(raw, locale)
        except ValueError as error:
            errors.add(f"reimbursable-{line.id}", str(error))
            continue
        try:
            minor = to_minor(amount, currency)
        except ValueError:
            errors.add(f"reimbursable-{line.id}", _l(
                "Enter an amount in %(currency)s with at most %(places)d decimal places.", currency=currency,
                places=minor_units(currency)))
            continue
        if minor != line.reimbursable_minor or reason:
            found[line.id] = Adjustment(minor, reason)
    errors.raise_if_any()
    return found


def decide_claim(actor, claim_id: int, adjustments: dict[int, Adjustment] | None = None) -> Claim:
    """Approve a submitted claim as claimed (within the approved amounts) or with lines adjusted
    (SUBMITTED → APPROVED); audited `travel claim.approved` with each adjustment; the traveller and the owners
    are told.

    An adjusted line needs a reason, cannot be below zero or above the amount
    claimed, and a category's lines together never go above its approved
    amount (ValidationFailed on `reimbursable-<id>`/`reason-<id>`). Raises
    PermissionDenied (not an admin), NotFound, InvalidTransition (not submitted,
    or already decided: of two admins at once the second is told).
    """
    claim = _admin_claim(actor, claim_id)
    if not CLAIM_MACHINE.can(claim, ClaimStatus.APPROVED):
        raise _decided(claim)
    adjustments = adjustments or {}
    trip = claim.trip
    approved = approved_amounts(trip)
    currency = trip.application.call.currency
    errors = FieldErrors()
    lines = {line.id: line for line in claim.lines}
    figures = {line.id: line.reimbursable_minor or 0 for line in claim.lines}
    for line_id, adjustment in adjustments.items():
        line = lines.get(line_id)
        if line is None:
            errors.add(f"reimbursable-{line_id}", _l("This line is not part of the claim."))
            continue
        if not adjustment.reason:
            errors.add(f"reason-{line_id}", _l("Say why this amount is adjusted: the traveller will read it."))
        elif len(adjustment.reason) > MAX_REASON:
            errors.add(f"reason-{line_id}", _l("Use at most %(n)d characters.", n=MAX_REASON))
        if adjustment.reimbursable_minor < 0:
            errors.add(f"reimbursable-{line_id}", _l("Enter an amount of zero or more."))
        elif adjustment.reimbursable_minor > line.amount_minor:
            errors.add(f"reimbursable-{line_id}", _l("At most the amount claimed, %(amount)s.",
                                                     amount=Money(line.amount_minor, currency).format()))
        figures[line_id] = adjustment.reimbursable_minor
    for category, cap in ((c, approved.get(c, 0)) for c in {line.category for line in claim.lines}):
        in_category = [line for line in claim.lines if line.category == category]
        if sum(figures[line.id] for line in in_category) > cap:
            for line in in_category:
                if line.id in adjustments:
                    errors.add(f"reimbursable-{line.id}", _l(
                        "The lines of this category together cannot go above the approved %(amount)s.",
                        amount=Money(cap, currency).format()))
    errors.raise_if_any()
    before = claim_figures(claim)
    for line_id, adjustment in adjustments.items():
        lines[line_id].reimbursable_minor = adjustment.reimbursable_minor
        lines[line_id].adjustment_reason = adjustment.reason
    db.session.flush()
    after = {**claim_figures(claim), "adjusted": {str(i): {"reimbursable_minor": a.reimbursable_minor, "reason": a.reason}
                                             for i, a in adjustments.items()}}
    try:
        CLAIM_MACHINE.move(actor, claim, ClaimStatus.APPROVED, audit=(before, after), decided_at=utcnow(),
                           decided_by_id=actor.id)
    except InvalidTransition:
        raise _decided(claim) from None
    db.session.refresh(claim)
    tell_travellers(trip, claim, "travel.claim_decided", f"claim-decided:{claim.id}",
                     {"adjusted": bool(adjustments),
                      "at": moment_json(claim.decided_at, trip.application.call.timezone),
                      "reasons": [{"category": lines[i].category, "reason": a.reason,
                                   "amount": Money(a.reimbursable_minor, currency).to_json()}
                                  for i, a in adjustments.items()]})
    return claim


@dataclass(frozen=True)
class ClaimPaymentInput(Command):
    paid_on: date = field(Day(message=_l("Enter the date the payment was made.")))
    reference: str = field(Text(max_len=100, required=True))
    today: date | None = None

    def check(self, errors: FieldErrors) -> None:
        if self.paid_on is not None and self.paid_on > (self.today or utcnow().date()):
            errors.add("paid_on", _l("The payment date cannot be in the future."))


def _paid(claim: Claim) -> InvalidTransition:
    if claim.status == ClaimStatus.PAID:
        payer = db.session.get(User, claim.paid_by_id) if claim.paid_by_id else None
        return InvalidTransition(_l("This claim was already paid on %(day)s by %(name)s (reference %(reference)s).",
                                    day=format_date(claim.paid_on, "long") if claim.paid_on else "",
                                    name=payer.name if payer else _l("an administrator"),
                                    reference=claim.payment_reference or ""))
    return InvalidTransition(_l("This claim must be approved before it is paid."))


def pay_claim(actor, claim_id: int, command: ClaimPaymentInput) -> Claim:
    """Record the payment of an approved claim (APPROVED → PAID), once; audited `travel claim.paid`; the traveller
    and the owners are told. Raises PermissionDenied, NotFound and InvalidTransition (not approved, or already
    paid: of two admins at once, the second is told who paid and when). Flushes, never commits."""
    claim = _admin_claim(actor, claim_id)
    if not CLAIM_MACHINE.can(claim, ClaimStatus.PAID):
        raise _paid(claim)
    after = {"paid_on": command.paid_on.isoformat(), "reference": command.reference,
             "reimbursable_minor": reimbursable_total(claim)}
    try:
        CLAIM_MACHINE.move(actor, claim, ClaimStatus.PAID, audit=(None, after), paid_on=command.paid_on,
                           payment_reference=command.reference, paid_by_id=actor.id)
    except InvalidTransition:
        raise _paid(claim) from None  # another admin paid it first: `move` refreshed it
    db.session.refresh(claim)
    tell_travellers(claim.trip, claim, "travel.claim_paid", f"claim-paid:{claim.id}",
                     {"paid_on": claim.paid_on.isoformat(), "payment_reference": claim.payment_reference})
    return claim
