"""Payee accounts: the bank details an organisation is paid to, entered by an owner, confirmed by two admins.

An owner (or an admin) enters the details with the bank letter that confirms
them; the IBAN is checked by its checksum and its country's format and the
BIC by its format (schwifty), and the account holder must be the
organisation's legal name or the difference is explained. One admin checks
the details against the letter, a second admin confirms them: neither the
one who entered them nor the one who checked (the four-eyes check
constraint holds the same rule in the database; the service refuses first
with words). Confirming supersedes the organisation's earlier verified
account; entering new details replaces those still waiting. Every step is a
compare-and-set move of PAYEE_MACHINE, audited, and told to every owner.
Pages show accounts `masked`; only the admin paying sees the full number.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty import exceptions as bank_errors
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.audit import record_event
from cade.core.commands import Cleaner, Command, Currency, FieldErrors, Id, Text, field
from cade.core.countries import is_country
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import is_admin
from cade.diligence.constants import DocumentKind, DocumentStatus, PayeeStatus
from cade.diligence.models import PAYEE_MACHINE, Document, PayeeAccount
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.models import Membership, Organisation
from cade.organisations.permissions import can_edit_organisation

MASK = "••••"
ACCOUNT_NUMBER = re.compile(r"(?=(?:[ \-./]*[A-Za-z0-9]){4})[A-Za-z0-9][A-Za-z0-9 \-./]*")


# ---------------------------------------------------------------- cleaning what was typed


def compact(raw) -> str:
    return re.sub(r"[\s\-.]", "", str(raw or "")).upper()


@dataclass(frozen=True)
class Iban(Cleaner):
    """An IBAN as typed (spaces allowed) → its electronic form, checked by checksum and the country's format."""

    def clean(self, raw, cleaning):
        value = compact(raw) if isinstance(raw, str | None) else None
        if value == "":
            return None
        try:
            return IBAN(value or "").compact
        except bank_errors.InvalidChecksumDigits:
            cleaning.refuse(_l("This IBAN's check digits are wrong: a character was probably mistyped. Copy it "
                               "again from the bank letter."))
        except bank_errors.InvalidCountryCode:
            cleaning.refuse(_l("An IBAN starts with a country code that uses IBANs, such as DE or SN."))
        except bank_errors.InvalidLength:
            cleaning.refuse(_l("This IBAN has the wrong number of characters for its country."))
        except bank_errors.SchwiftyException:
            cleaning.refuse(_l("This is not a valid IBAN for its country. Copy it again from the bank letter."))
        return None


@dataclass(frozen=True)
class Bic(Cleaner):
    """A SWIFT/BIC code of 8 or 11 characters, checked by format."""

    def clean(self, raw, cleaning):
        value = compact(raw) if isinstance(raw, str | None) else None
        if value == "":
            return None
        try:
            return BIC(value or "").compact
        except bank_errors.SchwiftyException:
            cleaning.refuse(_l("Enter a BIC (SWIFT code) of 8 or 11 letters and digits, such as DEUTDEFF."))
        return None


@dataclass(frozen=True)
class CountryCode(Cleaner):
    def clean(self, raw, cleaning):
        value = str(raw or "").strip().upper() if isinstance(raw, str | None) else ""
        if not is_country(value):
            cleaning.refuse(_l("Choose the bank's country."))
            return None
        return value


@dataclass(frozen=True)
class PayeeInput(Command):
    account_holder: str = field(Text(max_len=200, required=True))
    holder_explanation: str | None = field(Text(max_len=2000))
    bank_name: str = field(Text(max_len=200, required=True))
    bank_country: str = field(CountryCode())
    iban: str | None = field(Iban())
    account_number: str | None = field(Text(max_len=40))
    bic: str | None = field(Bic())
    routing_code: str | None = field(Text(max_len=40))
    currency: str = field(Currency(message=_l("Choose the account's currency.")))
    bank_letter_id: int | None = field(Id(required=False))
    # From context, so that a form shows these with every other error (the service asks them again):
    legal_name: str | None = None  # the organisation's name the holder is compared with
    letter_ids: frozenset[int] | None = None  # the organisation's bank letters

    def check(self, errors: FieldErrors) -> None:
        if self.legal_name is not None:
            _check_holder(self.account_holder, self.holder_explanation, self.legal_name, errors)
        if self.letter_ids is not None and "bank_letter_id" not in errors:
            _check_letter(self.bank_letter_id, self.letter_ids, errors)
        if self.iban is None and not self.account_number and "iban" not in errors:
            errors.add("iban", _l("Enter the IBAN, or the account number where the bank has no IBAN."))
        if self.iban and self.account_number:
            errors.add("account_number", _l("Enter either an IBAN or an account number, not both."))
        elif self.account_number and not ACCOUNT_NUMBER.fullmatch(self.account_number) and "account_number" not in errors:
            errors.add("account_number", _l("Enter the account number as the bank letter writes it: letters and "
                                            "digits, at least four, with spaces or dashes if you like."))
        if self.account_number and not self.iban and not self.bic and not self.routing_code and "bic" not in errors:
            errors.add("routing_code", _l("Enter the BIC or the bank's local routing code."))
        if self.iban and self.bic and self.iban[:2] != BIC(self.bic).country_code:
            errors.add("bic", _l("This BIC is of a bank in %(bic)s, but the IBAN is of an account in %(iban)s: "
                                 "check both against the bank letter.", bic=BIC(self.bic).country_code,
                                 iban=self.iban[:2]))
        if self.iban and self.bank_country and self.iban[:2] != self.bank_country:
            errors.add("bank_country", _l("The IBAN is of an account in %(iban)s: choose that country.",
                                          iban=self.iban[:2]))


def comparable_name(name: str | None) -> str:
    """A name as compared with the legal name: no accents, no case, no punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", " ", letters).split())


def holder_matches(holder: str, organisation: Organisation) -> bool:
    return comparable_name(holder) == comparable_name(organisation.name)


def _check_holder(holder: str | None, explanation: str | None, legal_name: str, errors: FieldErrors) -> None:
    if holder and comparable_name(holder) != comparable_name(legal_name) and not explanation:
        errors.add("holder_explanation", _l("The account holder is not the organisation's legal name (%(name)s): "
                                            "explain why, or enter an account in the organisation's name.",
                                            name=legal_name))


def _check_letter(letter_id: int | None, letter_ids, errors: FieldErrors) -> None:
    if letter_id is None:
        errors.add("bank_letter_id", _l("Choose the bank letter that confirms this account. Upload one among the "
                                        "organisation's documents first if there is none."))
    elif letter_id not in letter_ids:
        errors.add("bank_letter_id", _l("Choose one of the organisation's bank letters."))


# ---------------------------------------------------------------- what pages show


def masked(account: PayeeAccount | None) -> str:
    """The account number with only its last 4 characters: "•••• 1234"."""
    if account is None:
        return ""
    number = account.iban or account.account_number or ""
    return f"{MASK} {number[-4:]}"


def full_number(account: PayeeAccount | None) -> str:
    """The whole IBAN (in groups of four) or account number: for the admin paying, nobody else."""
    if account is None:
        return ""
    if account.iban:
        return IBAN(account.iban).formatted
    return account.account_number or ""


def verified_payee(organisation_id: int) -> PayeeAccount | None:
    """The organisation's verified account (the latest confirmed), or None: tranches are paid to it only."""
    return db.session.scalar(select(PayeeAccount).where(PayeeAccount.organisation_id == organisation_id,
                                                        PayeeAccount.status == PayeeStatus.VERIFIED)
                             .order_by(PayeeAccount.confirmed_at.desc(), PayeeAccount.id.desc()).limit(1))


def waiting_payee(organisation_id: int) -> PayeeAccount | None:
    """Details entered and not yet confirmed or rejected, or None."""
    return db.session.scalar(select(PayeeAccount).where(
        PayeeAccount.organisation_id == organisation_id,
        PayeeAccount.status.in_((PayeeStatus.PENDING, PayeeStatus.CHECKED)))
        .order_by(PayeeAccount.id.desc()).limit(1))


def last_rejected_payee(organisation_id: int) -> PayeeAccount | None:
    """The organisation's latest details when they were rejected (the owners read why), else None."""
    latest = db.session.scalar(select(PayeeAccount).where(PayeeAccount.organisation_id == organisation_id)
                               .order_by(PayeeAccount.id.desc()).limit(1))
    return latest if latest is not None and latest.status == PayeeStatus.REJECTED else None


def bank_letters(organisation_id: int) -> list[Document]:
    """The organisation's bank letters that may back payee details (not refused), newest first."""
    return list(db.session.scalars(select(Document).where(
        Document.organisation_id == organisation_id, Document.kind == DocumentKind.BANK_LETTER,
        Document.status != DocumentStatus.REFUSED).order_by(Document.issued_on.desc(), Document.id.desc())))


# ---------------------------------------------------------------- entering


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


def _snapshot(account: PayeeAccount) -> dict[str, Any]:
    # The audit trail keeps the masked number: the full one lives in one row, not in every log.
    return {"account_holder": account.account_holder, "bank_name": account.bank_name,
            "bank_country": account.bank_country, "account": masked(account), "bic": account.bic,
            "routing_code": account.routing_code, "currency": account.currency,
            "bank_letter_id": account.bank_letter_id}


def enter_payee(actor, organisation_id: int, command: PayeeInput) -> PayeeAccount:
    """New bank details for the organisation, waiting for two admins; audited `payee.entered`.

    Details still waiting are rejected as replaced. Every owner is told at their own address, and admins that
    details await checking. Raises NotFound, PermissionDenied (not an owner or an admin), or ValidationFailed
    (a holder other than the legal name without an explanation; a bank letter that is not one of the
    organisation's). Flushes, never commits.
    """
    organisation = _organisation(organisation_id)
    if not can_edit_organisation(actor, organisation):
        raise PermissionDenied()
    errors = FieldErrors()
    _check_holder(command.account_holder, command.holder_explanation, organisation.name, errors)
    _check_letter(command.bank_letter_id, {letter.id for letter in bank_letters(organisation.id)}, errors)
    errors.raise_if_any()
    PAYEE_MACHINE.move_where(actor, PayeeStatus.REJECTED, PayeeAccount.organisation_id == organisation.id,
                             from_statuses=[PayeeStatus.PENDING, PayeeStatus.CHECKED],
                             rejection_reason=str(_l("Replaced by details entered later.")))
    account = PayeeAccount(organisation_id=organisation.id, entered_by_id=getattr(actor, "id", None),
                           entered_at=utcnow(), **command.changes(
                               "account_holder", "holder_explanation", "bank_name", "bank_country", "iban",
                               "account_number", "bic", "routing_code", "currency", "bank_letter_id"))
    if account.holder_explanation and holder_matches(account.account_holder, organisation):
        account.holder_explanation = None
    db.session.add(account)
    db.session.flush()
    record_event(actor, "payee.entered", account, None, _snapshot(account))
    _tell_owners(account, "diligence.payee_changed", f"payee-entered:{account.id}", actor)
    _tell_admins(account, "check", exclude=(getattr(actor, "id", None),))
    return account


# ---------------------------------------------------------------- the two admins


def _account(account_id: int) -> PayeeAccount:
    account = db.session.get(PayeeAccount, account_id)
    if account is None:
        raise NotFound()
    return account


def _refusal(account: PayeeAccount) -> InvalidTransition:
    if account.status == PayeeStatus.VERIFIED:
        who = account.confirmed_by.name if account.confirmed_by else _l("an administrator")
        return InvalidTransition(_l("These bank details were already confirmed by %(name)s.", name=who))
    if account.status == PayeeStatus.CHECKED:
        who = account.checked_by.name if account.checked_by else _l("an administrator")
        return InvalidTransition(_l("These bank details were already checked by %(name)s; a second administrator "
                                    "confirms them.", name=who))
    if account.status == PayeeStatus.REJECTED:
        return InvalidTransition(_l("These bank details were rejected: the owners enter new ones."))
    if account.status == PayeeStatus.SUPERSEDED:
        return InvalidTransition(_l("These bank details were replaced by later ones."))
    return InvalidTransition(_l("These bank details must be checked before they are confirmed."))


def _move(actor, account: PayeeAccount, new: str, **values) -> None:
    if not PAYEE_MACHINE.can(account, new):
        raise _refusal(account)
    try:
        PAYEE_MACHINE.move(actor, account, new, **values)
    except InvalidTransition:
        raise _refusal(account) from None  # another admin moved it first: `move` refreshed it
    db.session.refresh(account)


def check_payee(actor, account_id: int) -> PayeeAccount:
    """The first admin checked the details against the bank letter; audited `payee account.checked`.

    Raises NotFound, PermissionDenied (not an admin, or the admin who entered them), InvalidTransition.
    """
    account = _account(account_id)
    if not is_admin(actor):
        raise PermissionDenied()
    if account.entered_by_id == actor.id:
        raise PermissionDenied(_l("You entered these bank details: another administrator must check them."))
    _move(actor, account, PayeeStatus.CHECKED, checked_by_id=actor.id, checked_at=utcnow())
    _tell_admins(account, "confirm", exclude=(account.entered_by_id, actor.id))
    return account


def confirm_payee(actor, account_id: int) -> PayeeAccount:
    """A second admin confirms checked details: they become the verified account, the previous one superseded.

    Audited `payee account.verified`; owners told. Raises NotFound, PermissionDenied (not an admin, or the one
    who entered or checked them), InvalidTransition (not checked yet, or already confirmed by another admin).
    """
    account = _account(account_id)
    if not is_admin(actor):
        raise PermissionDenied()
    if account.entered_by_id == actor.id:
        raise PermissionDenied(_l("You entered these bank details: two other administrators check and confirm "
                                  "them."))
    if account.checked_by_id == actor.id:
        raise PermissionDenied(_l("You checked these bank details: a second administrator must confirm them."))
    _move(actor, account, PayeeStatus.VERIFIED, confirmed_by_id=actor.id, confirmed_at=utcnow())
    PAYEE_MACHINE.move_where(actor, PayeeStatus.SUPERSEDED, PayeeAccount.organisation_id == account.organisation_id,
                             PayeeAccount.id != account.id, from_statuses=[PayeeStatus.VERIFIED])
    _tell_owners(account, "diligence.payee_verified", f"payee-verified:{account.id}", actor)
    return account


def reject_payee(actor, account_id: int, reason: str | None) -> PayeeAccount:
    """An admin rejects details waiting for a check or a confirmation, with a reason told to the owners.

    Audited `payee account.rejected`. Raises NotFound, PermissionDenied, ValidationFailed (no reason),
    InvalidTransition.
    """
    account = _account(account_id)
    if not is_admin(actor):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_l("Say why the details are rejected: the owners read it.")]})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": [_l("Use at most %(n)d characters.", n=2000)]})
    _move(actor, account, PayeeStatus.REJECTED, rejection_reason=reason)
    _tell_owners(account, "diligence.payee_rejected", f"payee-rejected:{account.id}", actor)
    return account


# ---------------------------------------------------------------- telling people


def owners_of(organisation_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role == "owner").order_by(User.id)))


def _context(account: PayeeAccount, actor) -> dict:
    return {"organisation_id": account.organisation_id, "organisation": account.organisation.name,
            "account_id": account.id, "account": masked(account), "bank_name": account.bank_name,
            "account_holder": account.account_holder, "currency": account.currency,
            "by_name": getattr(actor, "name", "") or "", "reason": account.rejection_reason or ""}


def _tell_owners(account: PayeeAccount, kind: str, key: str, actor) -> None:
    context = _context(account, actor)
    for owner in owners_of(account.organisation_id):
        notify(kind, recipient=owner, key=f"{key}:{owner.id}", context=context)


def _tell_admins(account: PayeeAccount, step: str, exclude: tuple) -> None:
    from cade.accounts.services.administration import active_admins

    context = {**_context(account, None), "step": step}
    for admin in active_admins():
        if admin.id not in exclude:
            notify("diligence.payee_awaiting", recipient=admin, context=context,
                   key=f"payee-awaiting:{step}:{account.id}:{admin.id}")
