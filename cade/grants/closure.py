"""The end of a grant: it closes once its final report is approved and every tranche is paid; money returned.

`close_if_complete` is called after each of the two events that can finish a
grant (a tranche paid, a report approved). Both may happen at the same
moment in two transactions, each seeing only its own change: then neither
would see the grant complete and it would never close. So the check first
locks the grant's row, after the caller's own change: the second transaction
waits for the first to commit and then reads both changes, and the move
itself is GRANT_MACHINE's compare-and-set, so the grant closes exactly once.

`record_returned` adds unspent money the grantee paid back; what is returned
never exceeds what was paid out in tranches.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select

from cade.accounts.models import User
from cade.core.audit import record_event
from cade.core.commands import Amount, Command, Day, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.core.money import Money
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.grants.constants import GrantStatus, ReportKind, ReportStatus, TrancheStatus
from cade.grants.models import GRANT_MACHINE, Grant, GrantReport, Tranche
from cade.notifications.services import notify
from cade.organisations.models import Membership


def is_complete(grant_id: int) -> bool:
    """Whether the grant's final report is approved and none of its tranches is left unpaid (one query)."""
    final_approved = exists().where(GrantReport.grant_id == grant_id, GrantReport.kind == ReportKind.FINAL,
                                    GrantReport.status == ReportStatus.APPROVED)
    unpaid = exists().where(Tranche.grant_id == grant_id, Tranche.status != TrancheStatus.PAID)
    return bool(db.session.scalar(select(and_(final_approved, ~unpaid))))


def close_if_complete(grant: Grant, actor) -> bool:
    """Close `grant` (ACTIVE → CLOSED, closed_at) if it is complete; True only for the call that closed it.

    Audited `grant.closed`; each owner of the organisation is told
    (`grants.closed`). Safe to call any number of times and from two
    transactions at once (see the module docstring). Flushes, never commits.
    """
    db.session.flush()  # the caller's change (the payment, the approval) is written before the lock is taken
    lock_row(Grant, grant.id)
    db.session.refresh(grant)  # as the lock found it: another transaction may have closed it meanwhile
    if not GRANT_MACHINE.can(grant, GrantStatus.CLOSED) or not is_complete(grant.id):
        return False
    closed_at = utcnow()
    moved = GRANT_MACHINE.move_where(actor, GrantStatus.CLOSED, Grant.id == grant.id,
                                     from_statuses=[GrantStatus.ACTIVE], closed_at=closed_at)
    if not moved:
        return False  # another transaction closed it first
    db.session.refresh(grant)
    _tell_owners_closed(grant)
    return True


def owners_of(organisation_id: int) -> list[User]:
    """The organisation's active owners, in a stable order: who is told about its grants."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role == "owner", User.active.is_(True))
        .order_by(User.id)))


def paid_out_minor(grant_id: int) -> int:
    """What was paid of the grant in tranches, in minor units of its currency."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Tranche.amount_minor), 0))
                                 .where(Tranche.grant_id == grant_id, Tranche.status == TrancheStatus.PAID)))


def _tell_owners_closed(grant: Grant) -> None:
    application = grant.decision.application
    context = {"grant_id": grant.id, "title": application.title, "reference": application.reference or "",
               "call_title": grant.call.title, "amount": Money(grant.amount_minor, grant.currency).to_json(),
               "paid": Money(paid_out_minor(grant.id), grant.currency).to_json(),
               "closed_on": grant.closed_at.date().isoformat()}
    for owner in owners_of(grant.organisation_id):
        notify("grants.closed", recipient=owner, key=f"grant-closed:{grant.id}:{owner.id}", context=context)


# ---------------------------------------------------------------- money returned


@dataclass(frozen=True)
class ReturnedInput(Command):
    """Money the grantee paid back: the amount in the grant's currency (context `currency`), the day, a reference."""

    currency: str  # the grant's, from the context: never typed
    amount_minor: int | None = field(Amount(), source="amount")
    returned_on: date | None = field(Day(message=_l("Enter the date the money was received.")))
    reference: str | None = field(Text(max_len=100, required=True))
    today: date | None = None  # from context: the day "not in the future" is measured against

    def check(self, errors: FieldErrors) -> None:
        today = self.today or utcnow().date()
        if self.returned_on is not None and self.returned_on > today:
            errors.add("returned_on", _l("The date cannot be in the future."))


def record_returned(actor, grant_id: int, command: ReturnedInput) -> Grant:
    """Add money returned to the grant (active or closed): returned_minor grows; the day and reference are this one's.

    Raises PermissionDenied unless `actor` is an admin, NotFound, and
    ValidationFailed on `amount` when the total returned would exceed what was
    paid out in tranches (the message says how much may still be recorded).
    The grant's row is locked first, so two admins recording at once cannot
    together return more than was paid. Audited `grant.returned`. Flushes, never commits.
    """
    if not is_admin(actor):
        raise PermissionDenied()
    grant = db.session.get(Grant, grant_id)
    if grant is None:
        raise NotFound()
    lock_row(Grant, grant.id)
    db.session.refresh(grant)
    if command.currency != grant.currency:
        raise ValueError("a returned amount is read in the grant's currency")  # a programming error
    room = paid_out_minor(grant.id) - grant.returned_minor
    if command.amount_minor > room:
        message = (_l("Nothing paid out is left to return: %(paid)s was paid and %(returned)s is already recorded.",
                      paid=Money(paid_out_minor(grant.id), grant.currency).format(),
                      returned=Money(grant.returned_minor, grant.currency).format()) if room <= 0 else
                   _l("At most %(room)s can be recorded: %(paid)s was paid out and %(returned)s is already "
                      "recorded as returned.", room=Money(room, grant.currency).format(),
                      paid=Money(paid_out_minor(grant.id), grant.currency).format(),
                      returned=Money(grant.returned_minor, grant.currency).format()))
        raise ValidationFailed({"amount": [message]})
    before = {"returned_minor": grant.returned_minor,
              "returned_on": grant.returned_on.isoformat() if grant.returned_on else None,
              "reference": grant.returned_reference}
    grant.returned_minor += command.amount_minor
    grant.returned_on = command.returned_on
    grant.returned_reference = command.reference
    db.session.flush()
    record_event(actor, "grant.returned", grant, before,
                 {"amount_minor": command.amount_minor, "currency": grant.currency,
                  "returned_minor": grant.returned_minor, "returned_on": command.returned_on.isoformat(),
                  "reference": command.reference})
    return grant
