"""Travel claims: the traveller's actual costs against receipts, capped per category at the approved amount,
then approved (or adjusted with a reason) by an admin and paid once.

After the event starts, the traveller or an owner of the organisation adds
lines to a draft claim: per cost category the amount paid, the currency paid
and the rate used. The rate comes from cade/core/rates when one is recorded
for the day paid; otherwise the person types it with its source. Each line
is converted to the programme's currency and needs a receipt (PDF, PNG or
JPEG by its bytes). A category's lines together are reimbursed up to the
amount the decision approved for it, in the order they were entered; what
goes beyond is kept and shown as not reimbursable. Submission goes through
CLAIM_MACHINE's compare-and-set, so a double click submits once; the admin's
approval and the payment are in cade/travel/claim_decisions.py.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import record_event
from cade.core.commands import MAX_AMOUNT_MINOR, Choice, Cleaner, Command, Currency, Day, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, UploadRejected, ValidationFailed
from cade.core.forms import parse_decimal_input
from cade.core.money import Money, minor_units, round_to_minor, to_minor
from cade.core.permissions import is_admin
from cade.core.rates import ExchangeRateMissing, convert
from cade.core.storage import get_storage
from cade.core.templating import file_size
from cade.core.timeutil import moment_json
from cade.core.uploads import display_name, sniff_content_type
from cade.extensions import db
from cade.notifications.services import notify
from cade.travel.constants import ClaimStatus, CostCategory
from cade.travel.models import CLAIM_MACHINE, Claim, ClaimLine, ClaimReceipt, Trip
from cade.travel.traveller_access import is_approved, traveller_and_owners, traveller_name, trip_for_writer

RECEIPT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
RATE_PLACES = 8  # ClaimLine.rate is Numeric(18, 8)
MAX_REASON = 2000


# ---------------------------------------------------------------- reading


def approved_amounts(trip: Trip) -> dict[str, int]:
    """{category: approved minor units} of the trip's decision (categories it did not approve are absent)."""
    return {cost.category: cost.approved_minor for cost in trip.costs if cost.approved_minor is not None}


def claim_of(trip: Trip) -> Claim | None:
    return db.session.scalar(select(Claim).where(Claim.trip_id == trip.id))


@dataclass(frozen=True)
class CategoryTotal:
    """One category of a claim: what was approved, claimed, is reimbursable and goes beyond the approval."""

    category: str
    approved_minor: int
    claimed_minor: int
    reimbursable_minor: int

    @property
    def excess_minor(self) -> int:
        return max(self.claimed_minor - self.approved_minor, 0)


def category_totals(trip: Trip, claim: Claim | None) -> list[CategoryTotal]:
    """Per category (the approved ones first, in the decision's order), the figures the claim pages show."""
    approved = approved_amounts(trip)
    lines = claim.lines if claim is not None else []
    order = list(approved) + [line.category for line in lines if line.category not in approved]
    totals = []
    for category in dict.fromkeys(order):
        mine = [line for line in lines if line.category == category]
        totals.append(CategoryTotal(category, approved.get(category, 0), sum(line.amount_minor for line in mine),
                                    sum(line.reimbursable_minor or 0 for line in mine)))
    return totals


def reimbursable_total(claim: Claim) -> int:
    return sum(line.reimbursable_minor or 0 for line in claim.lines)


def _cap_lines(trip: Trip, claim: Claim) -> None:
    """Share each category's approved amount among its lines in the order entered; the rest is not reimbursable."""
    left = dict(approved_amounts(trip))
    for line in sorted(claim.lines, key=lambda line: (line.id or 0)):
        room = left.get(line.category, 0)
        line.reimbursable_minor = min(line.amount_minor, room)
        left[line.category] = room - line.reimbursable_minor


# ---------------------------------------------------------------- writing


class PaidAmount(Cleaner):
    """The amount on the receipt, typed in the reader's language (context `locale`), in minor units of the
    currency paid (the field `paid_currency`, cleaned before it)."""

    def clean(self, raw, cleaning):
        currency = cleaning.values.get("paid_currency")
        if raw is None or not str(raw).strip():
            cleaning.refuse(_l("Enter the amount paid."))
            return None
        if not currency:
            return None  # the currency itself is wrong; that error is already reported
        try:
            value = parse_decimal_input(str(raw), cleaning.context.get("locale") or "en")
        except ValueError as error:
            cleaning.refuse(str(error))
            return None
        if value <= 0:
            cleaning.refuse(_l("The amount must be more than zero."))
            return None
        if value > Decimal(MAX_AMOUNT_MINOR).scaleb(-minor_units(currency)):
            cleaning.refuse(_l("This amount is too large."))
            return None
        try:
            return to_minor(value, currency)
        except ValueError:
            cleaning.refuse(_l("Enter an amount in %(currency)s with at most %(places)d decimal places.",
                               currency=currency, places=minor_units(currency)))
            return None


class RateUsed(Cleaner):
    """The rate the traveller typed (units of the programme's currency per unit paid), in their language; None
    when blank (a recorded rate may do)."""

    def clean(self, raw, cleaning):
        if raw is None or not str(raw).strip():
            return None
        try:
            value = parse_decimal_input(str(raw), cleaning.context.get("locale") or "en")
        except ValueError as error:
            cleaning.refuse(str(error))
            return None
        if value <= 0:
            cleaning.refuse(_l("Enter a rate above zero."))
            return None
        if value != value.quantize(Decimal(1).scaleb(-RATE_PLACES)) or value >= Decimal(10) ** 10:
            cleaning.refuse(_l("Use at most %(n)d decimal places.", n=RATE_PLACES))
            return None
        return value


@dataclass(frozen=True)
class ClaimLineInput(Command):
    """One actual cost. Keys: category, description, paid_currency, paid (in the reader's language), paid_on,
    rate and rate_source (asked only when no rate is recorded for the day paid). Context: locale."""

    category: str = field(Choice(CostCategory, required=True, message=_l("Choose the cost category.")))
    description: str | None = field(Text(max_len=300))
    paid_currency: str = field(Currency(message=_l("Enter the currency you paid in, such as USD or EUR.")))
    paid_minor: int = field(PaidAmount(), source="paid")
    paid_on: date | None = field(Day(required=False, message=_l("Enter the day you paid as YYYY-MM-DD.")))
    rate: Decimal | None = field(RateUsed())
    rate_source: str | None = field(Text(max_len=200))


def _converted(trip: Trip, command: ClaimLineInput, errors: FieldErrors) -> tuple[int, Decimal, str | None]:
    """(amount in the programme's currency, rate used, its source): the recorded rate of the day paid, else the
    typed one. Adds errors on rate/rate_source when neither exists."""
    currency = trip.application.call.currency
    if command.paid_currency == currency:
        return command.paid_minor, Decimal(1), None
    day = command.paid_on or trip.departs_on or (trip.event.starts_on if trip.event else None) or utcnow().date()
    try:
        conversion = convert(Money(command.paid_minor, command.paid_currency), currency, day)
    except ExchangeRateMissing:
        conversion = None
    if conversion is not None:
        applied = conversion.applied_rate.quantize(Decimal(1).scaleb(-RATE_PLACES))
        # Kept as data, not a sentence: the page writes it in its reader's language.
        source = f"{conversion.source} ({conversion.rate_date.isoformat()})"
        return conversion.amount.minor, applied, source[:200]
    if command.rate is None:
        errors.add("rate", _l("No exchange rate from %(from_currency)s to %(to_currency)s is recorded for %(day)s: "
                              "enter the rate you used.", from_currency=command.paid_currency,
                              to_currency=currency, day=day.isoformat()))
    if not command.rate_source:
        errors.add("rate_source", _l("Say where the rate comes from (your bank statement, an exchange office…)."))
    if errors:
        return 0, Decimal(1), None
    amount = round_to_minor(Money(command.paid_minor, command.paid_currency).amount * command.rate, currency)
    return amount, command.rate, command.rate_source


def _started(trip: Trip) -> bool:
    return trip.event is None or utcnow().date() >= trip.event.starts_on


def not_claimable(trip: Trip) -> InvalidTransition | None:
    """Why nothing can be claimed for `trip` yet (not approved, event not begun), or None when it can."""
    if not is_approved(trip):
        return InvalidTransition(_l("This trip has not been approved: there is nothing to claim yet."))
    if not _started(trip):
        return InvalidTransition(_l("Costs can be claimed once the event has started, on %(day)s.",
                                    day=format_date(trip.event.starts_on, "long")))
    return None


def claimable_trip(actor, trip_id: int) -> Trip:
    """The trip `actor` may claim for: theirs (traveller or owner), approved, its event begun; else NotFound
    (not theirs) or InvalidTransition saying why not yet."""
    trip = trip_for_writer(actor, trip_id)
    refusal = not_claimable(trip)
    if refusal is not None:
        raise refusal
    return trip


def _draft_claim(actor, trip_id: int) -> tuple[Trip, Claim]:
    trip = claimable_trip(actor, trip_id)
    claim = claim_of(trip)
    if claim is None:
        try:
            with db.session.begin_nested():  # the traveller and an owner adding a first line at once
                claim = Claim(trip_id=trip.id)
                db.session.add(claim)
                db.session.flush()
        except IntegrityError:
            claim = claim_of(trip)
    lock_row(Claim, claim.id)  # lines and submission of one claim take turns
    db.session.refresh(claim)
    if claim.status != ClaimStatus.DRAFT:
        raise _not_editable(claim)
    return trip, claim


def _not_editable(claim: Claim) -> InvalidTransition:
    return InvalidTransition(_l("This claim was submitted on %(day)s and can no longer be changed.",
                                day=format_date(claim.submitted_at, "long") if claim.submitted_at else ""))


def add_claim_line(actor, trip_id: int, command: ClaimLineInput, receipt: tuple[BinaryIO, str | None] | None = None
                   ) -> ClaimLine:
    """Add a cost to the trip's draft claim (made on the first line), with its receipt if one is given.

    Raises NotFound (not the traveller or an owner), InvalidTransition (not
    approved, event not begun, claim submitted), ValidationFailed (rate or
    source missing where no rate is recorded) and UploadRejected (receipt not
    a PDF, PNG or JPEG by content, empty or too large). An amount above the
    category's approval is accepted: the excess is marked not reimbursable.
    Audited `claim_line.added`. Flushes, never commits.
    """
    trip, claim = _draft_claim(actor, trip_id)
    errors = FieldErrors()
    amount, rate, source = _converted(trip, command, errors)
    errors.raise_if_any()
    line = ClaimLine(category=command.category, description=command.description, paid_minor=command.paid_minor,
                     paid_currency=command.paid_currency, rate=rate, rate_source=source, amount_minor=amount)
    claim.lines.append(line)
    db.session.flush()
    if receipt is not None:
        _attach(actor, line, *receipt)
    _cap_lines(trip, claim)
    db.session.flush()
    record_event(actor, "claim_line.added", line, None, {
        "claim_id": claim.id, "category": line.category, "paid_minor": line.paid_minor,
        "paid_currency": line.paid_currency, "rate": str(line.rate), "rate_source": line.rate_source,
        "amount_minor": line.amount_minor, "reimbursable_minor": line.reimbursable_minor})
    return line


def remove_claim_line(actor, trip_id: int, line_id: int) -> None:
    """Take a line (and its receipts, once committed) off the draft claim; audited `claim_line.removed`."""
    trip, claim = _draft_claim(actor, trip_id)
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None:
        raise NotFound()
    record_event(actor, "claim_line.removed", line, {"claim_id": claim.id, "category": line.category,
                                                     "amount_minor": line.amount_minor}, None)
    storage, names = get_storage(), [receipt.stored_name for receipt in line.receipts]
    after_commit(lambda: [storage.delete(name) for name in names])
    claim.lines.remove(line)
    db.session.flush()
    _cap_lines(trip, claim)
    db.session.flush()


def add_receipt(actor, trip_id: int, line_id: int, stream: BinaryIO, filename: str | None) -> ClaimReceipt:
    """Attach a receipt to a line of the draft claim; raises as add_claim_line does. Flushes, never commits."""
    _trip, claim = _draft_claim(actor, trip_id)
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None:
        raise NotFound()
    return _attach(actor, line, stream, filename)


def _attach(actor, line: ClaimLine, stream: BinaryIO, filename: str | None) -> ClaimReceipt:
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    storage = get_storage()
    try:
        stored = storage.put(stream, limit)
    except OverflowError:
        raise UploadRejected(_("Receipts can be at most %(size)s each.", size=file_size(limit)),
                             field="receipt") from None
    try:
        if stored.size == 0:
            raise UploadRejected(_("The file is empty."), field="receipt")
        with storage.open(stored.name) as kept:
            content_type = sniff_content_type(kept, RECEIPT_TYPES, {}, _(
                "A receipt must be a PDF, PNG or JPEG file. This file is none of them by its content, whatever its "
                "name says."))
    except UploadRejected as error:
        storage.delete(stored.name)
        error.field = error.field or "receipt"
        raise
    except BaseException:
        storage.delete(stored.name)
        raise
    on_rollback(lambda: storage.delete(stored.name))
    receipt = ClaimReceipt(stored_name=stored.name, original_name=display_name(filename), content_type=content_type,
                           size=stored.size, sha256=stored.sha256, uploaded_by_id=getattr(actor, "id", None),
                           uploaded_at=utcnow())
    line.receipts.append(receipt)
    db.session.flush()
    record_event(actor, "claim_receipt.added", receipt, None,
                 {"line_id": line.id, "size": stored.size, "sha256": stored.sha256})
    return receipt


def open_receipt(actor, trip_id: int, receipt_id: int) -> tuple[ClaimReceipt, BinaryIO]:
    """A receipt and its bytes, for the trip's writers and the admins; else NotFound."""
    trip = db.session.get(Trip, trip_id) if is_admin(actor) else trip_for_writer(actor, trip_id)
    receipt = db.session.get(ClaimReceipt, receipt_id)
    if trip is None or receipt is None or receipt.line.claim.trip_id != trip.id:
        raise NotFound()
    try:
        return receipt, get_storage().open(receipt.stored_name)
    except FileNotFoundError:
        raise NotFound() from None


def submit_claim(actor, trip_id: int) -> Claim:
    """Submit the draft claim (DRAFT → SUBMITTED); audited `travel claim.submitted`; every admin is told.

    Raises what `add_claim_line` raises for access, ValidationFailed when the
    claim has no line or a line has no receipt (on `receipt-<line id>`), and
    InvalidTransition for a claim already submitted (a double click).
    """
    trip, claim = _draft_claim(actor, trip_id)
    errors = FieldErrors()
    if not claim.lines:
        errors.add("category", _l("Add at least one cost before submitting the claim."))
    for line in claim.lines:
        if not line.receipts:
            errors.add(f"receipt-{line.id}", _l("Attach the receipt for this cost."))
    errors.raise_if_any()
    _cap_lines(trip, claim)
    now = utcnow()
    try:
        CLAIM_MACHINE.move(actor, claim, ClaimStatus.SUBMITTED, audit=(None, claim_figures(claim)),
                           submitted_at=now, submitted_by_id=actor.id)
    except InvalidTransition:
        raise _not_editable(claim) from None
    db.session.refresh(claim)
    from cade.accounts.services.administration import active_admins

    context = {**claim_context(trip, claim), "by_name": actor.name,
               "at": moment_json(claim.submitted_at, trip.application.call.timezone)}
    for admin in active_admins():
        notify("travel.claim_received", recipient=admin, context=context, key=f"claim-received:{claim.id}:{admin.id}")
    return claim


def claim_figures(claim: Claim) -> dict:
    return {"lines": {str(line.id): {"category": line.category, "amount_minor": line.amount_minor,
                                     "reimbursable_minor": line.reimbursable_minor} for line in claim.lines},
            "reimbursable_minor": reimbursable_total(claim)}


# ---------------------------------------------------------------- telling people


def claim_context(trip: Trip, claim: Claim) -> dict:
    currency = trip.application.call.currency
    return {"trip_id": trip.id, "claim_id": claim.id, "traveller": traveller_name(trip),
            "event": trip.event.name if trip.event else "", "title": trip.application.title,
            "reference": trip.application.reference or "", "organisation": trip.application.organisation.name,
            "claimed": Money(sum(line.amount_minor for line in claim.lines), currency).to_json(),
            "reimbursable": Money(reimbursable_total(claim), currency).to_json()}


def tell_travellers(trip: Trip, claim: Claim, kind: str, key: str, extra: dict) -> None:
    context = {**claim_context(trip, claim), **extra}
    for person in traveller_and_owners(trip):
        notify(kind, recipient=person.user, email=None if person.user else person.email,
               context={**context, "recipient_name": person.name or person.email} if person.user is None else context,
               key=f"{key}:{person.key}")


def claim_errors(error: ValidationFailed | UploadRejected) -> dict[str, list[str]]:
    if isinstance(error, ValidationFailed):
        return {name: [str(m) for m in messages] for name, messages in error.errors.items()}
    return {error.field or "receipt": [str(error.message)]}
