"""Kinds and statuses of due-diligence records, and their labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class DocumentKind(StrEnum):
    REGISTRATION_CERTIFICATE = "registration_certificate"
    STATUTES = "statutes"
    AUDITED_ACCOUNTS = "audited_accounts"  # for one financial year (Document.year)
    BANK_LETTER = "bank_letter"  # the bank's letter confirming the account: payee details point at one
    OTHER = "other"  # what a programme asks beyond these, named by the document's title


DOCUMENT_KIND_LABELS = {
    DocumentKind.REGISTRATION_CERTIFICATE: _l("Registration certificate"),
    DocumentKind.STATUTES: _l("Statutes"),
    DocumentKind.AUDITED_ACCOUNTS: _l("Audited accounts"),
    DocumentKind.BANK_LETTER: _l("Bank letter"),
    DocumentKind.OTHER: _l("Other document"),
}


class DocumentStatus(StrEnum):
    """DOCUMENT_MACHINE in cade/diligence/models.py has the moves."""

    PENDING = "pending"  # uploaded, waiting for an admin
    VERIFIED = "verified"  # an admin checked it; valid until its expiry date
    REFUSED = "refused"  # an admin refused it with a reason; the owner uploads another


DOCUMENT_STATUS_LABELS = {DocumentStatus.PENDING: _l("Waiting for verification"),
                          DocumentStatus.VERIFIED: _l("Verified"), DocumentStatus.REFUSED: _l("Refused")}


class DocumentsRequiredAt(StrEnum):
    """When a call asks for valid documents (Call.documents_required_at; None: never)."""

    SUBMISSION = "submission"
    AWARD = "award"


class PayeeStatus(StrEnum):
    """PAYEE_MACHINE in cade/diligence/models.py has the moves (two different admins, neither the one who entered it)."""

    PENDING = "pending"  # entered (by an owner or an admin), waiting for a first admin's check
    CHECKED = "checked"  # a first admin checked it against the bank letter; waiting for a second admin
    VERIFIED = "verified"  # a second admin confirmed it: tranches may be paid to it
    REJECTED = "rejected"  # refused with a reason
    SUPERSEDED = "superseded"  # a later account was verified; kept for the record of past payments


PAYEE_STATUS_LABELS = {
    PayeeStatus.PENDING: _l("Waiting for a first check"), PayeeStatus.CHECKED: _l("Waiting for a second admin"),
    PayeeStatus.VERIFIED: _l("Verified"), PayeeStatus.REJECTED: _l("Rejected"),
    PayeeStatus.SUPERSEDED: _l("Replaced"),
}


class ScreeningResult(StrEnum):
    CLEAR = "clear"  # no match on any list: payments may go ahead while the screening is recent
    MATCH = "match"  # a possible or confirmed match: no payment until a later clear screening


SCREENING_RESULT_LABELS = {ScreeningResult.CLEAR: _l("Clear"), ScreeningResult.MATCH: _l("Possible match")}

DOCUMENT_REMINDER_DAYS = (30, 14, 3)  # owners are told this many days before a verified document expires
DEFAULT_SCREENING_VALID_DAYS = 180
