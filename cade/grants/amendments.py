"""Amendments to a signed grant: an owner asks for a no-cost extension, a reallocation between budget lines or a
new signatory, with a reason; an admin approves or refuses.

A reallocation that takes out of each line at most the programme's
`reallocation_notice_percent` of it is in force at once, on notice (NOTED):
the budget changes and the admins are told, and no new agreement is drawn.
Everything else waits (REQUESTED) for an admin. Approval applies it (dates
moved, budget changed, signatory named) and draws the next agreement version;
refusal needs a reason. Each decision is one compare-and-set move of
AMENDMENT_MACHINE under the grant's row lock, so of two admins deciding at
once one wins and the other is told what was decided, and two approvals of
one grant never take the same version number.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.audit import record_event
from cade.core.commands import Cleaner, Command, FieldErrors, Id, Integer, Text, field
from cade.core.commands import Amount as AmountCleaner
from cade.core.commands import Cleaning
from cade.core.db import lock_row, utcnow
from cade.core.forms import parse_decimal_input
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.money import Money
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.grants.amendment_effects import (Move, apply_extension, apply_reallocation, budget_lines, checked_moves,
                                           make_version, moves_of, on_notice)
from cade.grants.agreement_versions import versions_of
from cade.grants.constants import AmendmentKind, AmendmentStatus, GrantStatus
from cade.grants.models import AMENDMENT_MACHINE, Grant, GrantAmendment
from cade.notifications.services import notify
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership
from cade.organisations.services import membership_of

MAX_REASON = 5000
MAX_EXTENSION_DAYS = 730
MAX_MOVES = 3  # rows of the reallocation form (blank ones are ignored)
MAX_SIGNATORY = 200


# ---------------------------------------------------------------- who may


def can_request_amendment(user, grant) -> bool:
    """The owners of the grant's organisation, while the grant is active."""
    if user is None or grant is None or not getattr(user, "is_authenticated", False):
        return False
    membership = membership_of(user, grant.organisation_id)
    return (membership is not None and membership.role == MembershipRole.OWNER
            and grant.status == GrantStatus.ACTIVE)


def can_decide_amendment(user, amendment) -> bool:
    """Administrators, while the amendment waits for a decision."""
    return is_admin(user) and amendment is not None and AMENDMENT_MACHINE.can(amendment, AmendmentStatus.APPROVED)


# ---------------------------------------------------------------- what is asked


def _reason_check(command, errors: FieldErrors) -> None:
    if not command.reason and "reason" not in errors:
        errors.add("reason", _l("Say why the grant needs this change."))


@dataclass(frozen=True)
class ExtensionInput(Command):
    kind: ClassVar[str] = AmendmentKind.EXTENSION
    days: int = field(Integer(1, MAX_EXTENSION_DAYS, message=_l("Enter a whole number of days from 1 to %(n)d.",
                                                                 n=MAX_EXTENSION_DAYS)))
    reason: str = field(Text(max_len=MAX_REASON))

    check = _reason_check

    def details(self) -> dict:
        return {"days": self.days}


@dataclass(frozen=True)
class SignatoryInput(Command):
    kind: ClassVar[str] = AmendmentKind.SIGNATORY
    name: str = field(Text(max_len=MAX_SIGNATORY))
    position: str = field(Text(max_len=MAX_SIGNATORY))
    reason: str = field(Text(max_len=MAX_REASON))

    def check(self, errors: FieldErrors) -> None:
        for name, missing in (("name", _l("Enter the name of the person who will sign for the organisation.")),
                              ("position", _l("Enter their position in the organisation."))):
            if not getattr(self, name) and name not in errors:
                errors.add(name, missing)
        _reason_check(self, errors)

    def details(self) -> dict:
        return {"name": self.name, "position": self.position}


def _typed_amount(raw, locale: str | None):
    """An amount as the person typed it in their language ("1 500,50" in French) → Decimal; anything else as is,
    for the Amount cleaner to refuse in its own words."""
    if not isinstance(raw, str) or not raw.strip() or not locale:
        return raw
    try:
        return parse_decimal_input(raw, locale)
    except ValueError:
        return raw


class Moves(Cleaner):
    """Rows of {from, to, amount} (blank rows ignored) → Moves; errors on `from-<i>`, `to-<i>`, `amount-<i>` and,
    when no row is filled in, on `moves`. Amounts are in the context's `currency`, typed in its `locale`."""

    def clean(self, raw, cleaning: Cleaning):
        rows = raw if isinstance(raw, list | tuple) else []
        moves = []
        for index, row in enumerate(rows[:MAX_MOVES]):
            row = row if isinstance(row, dict) else {}
            if not any(str(row.get(key) or "").strip() for key in ("from", "to", "amount")):
                continue
            values = {}
            raw = {**row, "amount": _typed_amount(row.get("amount"), cleaning.context.get("locale"))}
            for key, cleaner in (("from", Id()), ("to", Id()), ("amount", AmountCleaner())):
                values[key] = cleaner.clean(raw.get(key), Cleaning(f"{key}-{index}", cleaning.errors,
                                                                   cleaning.context, {}))
            if None not in values.values():
                moves.append((index, Move(values["from"], values["to"], values["amount"])))
        if not moves and not cleaning.errors:
            cleaning.errors.add("moves", _l("Enter at least one amount to move, with the lines it moves between."))
        return moves


@dataclass(frozen=True)
class ReallocationInput(Command):
    kind: ClassVar[str] = AmendmentKind.REALLOCATION
    # (the row's index in the form, the move): errors found against the budget name the row the person typed.
    moves: list = field(Moves())
    reason: str = field(Text(max_len=MAX_REASON))
    currency: str | None = None  # from context: the grant's
    locale: str | None = None  # from context: the language amounts were typed in

    check = _reason_check

    def details(self) -> dict:
        return {"moves": [move.to_json() for _index, move in self.moves]}


AmendmentInput = ExtensionInput | SignatoryInput | ReallocationInput
INPUTS: dict[str, Any] = {AmendmentKind.EXTENSION: ExtensionInput, AmendmentKind.REALLOCATION: ReallocationInput,
                          AmendmentKind.SIGNATORY: SignatoryInput}


# ---------------------------------------------------------------- asking


def _grant_for_owner(actor, grant_id: int) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or actor is None or membership_of(actor, grant.organisation_id) is None:
        raise NotFound()  # another organisation's grant does not exist for this person
    if not can_request_amendment(actor, grant):
        if grant.status != GrantStatus.ACTIVE:
            raise InvalidTransition(_l("This grant is closed and can no longer be amended."))
        raise PermissionDenied(_l("Only an owner of the organisation can ask for an amendment."))
    return grant


def _row_errors(error: ValidationFailed, moves: list) -> ValidationFailed:
    """Errors found on the i-th move → the field names of the form row it came from."""
    rows = [index for index, _move in moves]
    renamed: dict[str, list] = {}
    for name, messages in error.errors.items():
        key, _dash, position = name.rpartition("-")
        renamed[f"{key}-{rows[int(position)]}"] = messages
    return ValidationFailed(renamed)


def request_amendment(actor, grant_id: int, command: AmendmentInput) -> GrantAmendment:
    """Ask for an amendment of an active grant; audited `amendment.requested`.

    A reallocation on notice (`on_notice`) is in force at once: NOTED, the
    budget changed, the admins and owners told (`grants.amendment_noted`).
    Anything else waits for an admin, who is told (`grants.amendment_requested`).
    Raises NotFound (not a member of the grant's organisation), PermissionDenied
    (a member, not an owner), InvalidTransition (the grant is closed) and, for a
    reallocation, ValidationFailed on the form row's `from-<i>`, `to-<i>`,
    `amount-<i>` (a line of another grant, the same line twice, more than a
    line holds). Flushes, never commits.
    """
    grant = _grant_for_owner(actor, grant_id)
    lock_row(Grant, grant.id)  # budget changes of one grant take turns
    db.session.refresh(grant)
    moves = [move for _index, move in getattr(command, "moves", [])]
    if command.kind == AmendmentKind.REALLOCATION:
        try:
            checked_moves(grant, moves)
        except ValidationFailed as error:
            raise _row_errors(error, command.moves) from None
    amendment = GrantAmendment(grant_id=grant.id, kind=str(command.kind), reason=command.reason,
                               details=command.details(), requested_by_id=actor.id, requested_at=utcnow())
    db.session.add(amendment)
    db.session.flush()
    record_event(actor, "amendment.requested", amendment, None,
                 {"grant_id": grant.id, "kind": amendment.kind, "details": amendment.details})
    percent = grant.call.programme.reallocation_notice_percent
    if command.kind == AmendmentKind.REALLOCATION and on_notice(grant, moves, percent):
        amounts = apply_reallocation(grant, moves)
        AMENDMENT_MACHINE.move(actor, amendment, AmendmentStatus.NOTED, decided_at=utcnow(),
                               audit=(None, {"budget": {str(k): v for k, v in amounts.items()}}))
        db.session.refresh(amendment)
        _tell(amendment, "grants.amendment_noted", [*_admins(), *_owners(grant)])
    else:
        _tell(amendment, "grants.amendment_requested", _admins())
    return amendment


# ---------------------------------------------------------------- deciding


def _decided(amendment: GrantAmendment) -> InvalidTransition:
    decider = db.session.get(User, amendment.decided_by_id) if amendment.decided_by_id else None
    who = decider.name if decider is not None else _l("an administrator")
    day = format_date(amendment.decided_at, "long") if amendment.decided_at else ""
    if amendment.status == AmendmentStatus.APPROVED:
        return InvalidTransition(_l("This amendment was already approved on %(day)s by %(name)s.", day=day, name=who))
    if amendment.status == AmendmentStatus.REFUSED:
        return InvalidTransition(_l("This amendment was already refused on %(day)s by %(name)s.", day=day, name=who))
    return InvalidTransition(_l("This amendment is in force on notice since %(day)s: there is nothing to decide.",
                                day=day))


@dataclass(frozen=True)
class _Reason(Command):
    reason: Any = field(Text(max_len=MAX_REASON))
    required: bool = False

    def check(self, errors):
        if self.required and not self.reason and "reason" not in errors:
            errors.add("reason", _l("Say why the amendment is refused, so the organisation knows what to do."))


def _decidable(actor, amendment_id: int) -> GrantAmendment:
    if not is_admin(actor):
        raise PermissionDenied()
    amendment = db.session.get(GrantAmendment, amendment_id)
    if amendment is None:
        raise NotFound()
    lock_row(Grant, amendment.grant_id)  # one grant's approvals take turns: budget and version numbers
    db.session.refresh(amendment)
    if not AMENDMENT_MACHINE.can(amendment, AmendmentStatus.APPROVED):
        raise _decided(amendment)
    return amendment


def _move(actor, amendment: GrantAmendment, new: AmendmentStatus, reason: str | None, after: dict) -> None:
    try:
        AMENDMENT_MACHINE.move(actor, amendment, new, audit=(None, {"reason": reason, **after}),
                               decided_by_id=actor.id, decided_at=utcnow(), decision_reason=reason)
    except InvalidTransition:
        raise _decided(amendment) from None  # another admin decided first: `move` refreshed it
    db.session.refresh(amendment)


def approve_amendment(actor, amendment_id: int, reason: str | None = None) -> GrantAmendment:
    """Approve a requested amendment (REQUESTED → APPROVED), apply it and draw the next agreement version;
    audited `amendment.approved`; the owners are told (`grants.amendment_approved`).

    An extension moves the due dates of unpaid tranches and of reports not yet
    approved; a reallocation changes the budget (checked again: the budget may
    have changed since the request); a new signatory is named by the new
    version. Raises PermissionDenied (not an admin), NotFound, ValidationFailed
    (`reason` too long) and InvalidTransition (already decided: of two admins
    at once, the second is told what the first did; a reallocation the budget
    no longer allows). Flushes, never commits.
    """
    reason = _Reason.from_input({"reason": reason}).reason
    amendment = _decidable(actor, amendment_id)
    grant = amendment.grant
    after: dict = {"details": amendment.details}
    if amendment.kind == AmendmentKind.REALLOCATION:
        try:
            amounts = apply_reallocation(grant, moves_of(amendment))
        except ValidationFailed as error:
            why = " ".join(str(message) for messages in error.errors.values() for message in messages)
            raise InvalidTransition(_l("The budget has changed since this reallocation was asked for, and it is no "
                                       "longer possible: %(why)s Refuse it, so the organisation can ask again.",
                                       why=why)) from None
        after["budget"] = {str(k): v for k, v in amounts.items()}
    _move(actor, amendment, AmendmentStatus.APPROVED, reason, after)
    if amendment.kind == AmendmentKind.EXTENSION:
        apply_extension(grant, amendment.details["days"])
    version = make_version(grant, amendment)
    record_event(actor, "grant.agreement_amended", grant, None,
                 {"version": version.version, "amendment_id": amendment.id, "agreement_sha256": version.sha256})
    _tell(amendment, "grants.amendment_approved", _owners(grant), version=version.version)
    return amendment


def refuse_amendment(actor, amendment_id: int, reason: str | None) -> GrantAmendment:
    """Refuse a requested amendment with a reason (REQUESTED → REFUSED); audited `amendment.refused`; the owners
    are told (`grants.amendment_refused`). Raises PermissionDenied, NotFound, ValidationFailed on `reason`
    (missing or too long) and InvalidTransition (already decided). Flushes, never commits."""
    reason = _Reason.from_input({"reason": reason}, required=True).reason
    amendment = _decidable(actor, amendment_id)
    _move(actor, amendment, AmendmentStatus.REFUSED, reason, {})
    _tell(amendment, "grants.amendment_refused", _owners(amendment.grant))
    return amendment


# ---------------------------------------------------------------- reading


def amendments_of(grant) -> list[GrantAmendment]:
    """The grant's amendments, newest first."""
    return list(db.session.scalars(select(GrantAmendment).where(GrantAmendment.grant_id == grant.id)
                                   .order_by(GrantAmendment.requested_at.desc(), GrantAmendment.id.desc())))


def amendment_of(grant, amendment_id: int) -> GrantAmendment:
    """One amendment of this grant. Raises NotFound (none, or another grant's)."""
    amendment = db.session.get(GrantAmendment, amendment_id)
    if amendment is None or amendment.grant_id != grant.id:
        raise NotFound()
    return amendment


@dataclass(frozen=True)
class AmendmentsOverview:
    """What a grant page shows of amendments: the agreement versions (newest first), the amendments (newest
    first) and how many wait for an admin."""

    versions: list
    amendments: list
    waiting: int


def amendments_overview(grant) -> AmendmentsOverview:
    """The grant's agreement versions and amendments, in two queries (a Jinja global: `amendments_overview(grant)`)."""
    found = amendments_of(grant)
    return AmendmentsOverview(versions=versions_of(grant), amendments=found,
                              waiting=sum(1 for a in found if a.status == AmendmentStatus.REQUESTED))


def moves_described(amendment: GrantAmendment, lines: dict | None = None) -> list[dict]:
    """A reallocation's moves with its lines' descriptions: [{amount: Money, from, to}]; `lines` are the grant's
    budget lines by id when the caller has them (a page describing many amendments asks once)."""
    lines = budget_lines(amendment.grant_id) if lines is None else lines
    return [{"amount": Money(move.amount_minor, amendment.grant.currency),
             "from": getattr(lines.get(move.from_line), "description", ""),
             "to": getattr(lines.get(move.to_line), "description", "")} for move in moves_of(amendment)]


# ---------------------------------------------------------------- telling people


def _admins() -> list[User]:
    from cade.accounts.services.administration import active_admins

    return active_admins()


def _owners(grant) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == grant.organisation_id, Membership.role == MembershipRole.OWNER)
        .order_by(User.id)))


def _tell(amendment: GrantAmendment, kind: str, recipients: list[User], **extra) -> None:
    grant = amendment.grant
    application = grant.decision.application
    context = {"grant_id": grant.id, "amendment_id": amendment.id, "amendment_kind": amendment.kind,
               "title": application.title, "reference": application.reference or "",
               "organisation": grant.organisation.name, "reason": amendment.reason,
               "decision_reason": amendment.decision_reason or "", "days": amendment.details.get("days"),
               "name": amendment.details.get("name"), "position": amendment.details.get("position"),
               "moves": [{"amount": m["amount"].to_json(), "from": m["from"], "to": m["to"]}
                         for m in moves_described(amendment)], **extra}
    for recipient in dict.fromkeys(recipients):
        notify(kind, recipient=recipient, context=context, key=f"{kind}:{amendment.id}:{recipient.id}")
