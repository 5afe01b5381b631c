"""Documents, payee accounts and screenings of an organisation."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.core.uploads import UploadedFileColumns
from cade.diligence.constants import DocumentKind, DocumentStatus, PayeeStatus, ScreeningResult
from cade.extensions import db
from cade.organisations.models import Organisation


def _one_of(enum) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class Document(UploadedFileColumns, db.Model):
    """A dated document of an organisation, checked by content, verified or refused by an admin, reused everywhere."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(200))  # required for 'other'; a note for the rest
    year: Mapped[int | None] = mapped_column(Integer)  # the financial year of audited accounts
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)  # None: does not expire
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.PENDING, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys="Document.uploaded_by_id")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    __table_args__ = (
        CheckConstraint(f"kind IN ({_one_of(DocumentKind)})", name="kind_known"),
        CheckConstraint(f"status IN ({_one_of(DocumentStatus)})", name="status_known"),
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
        CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL", name="refusal_has_reason"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", DocumentStatus.PENDING)
        super().__init__(**kwargs)


DOCUMENT_MACHINE = StateMachine(
    noun="document",
    model=Document,
    statuses=DocumentStatus,
    initial=DocumentStatus.PENDING,
    description=("An organisation's due-diligence document: uploaded (checked by content), then verified or "
                 "refused with a reason by an admin; a verified document is valid until its expiry date."),
    transitions={DocumentStatus.PENDING: {DocumentStatus.VERIFIED, DocumentStatus.REFUSED},
                 DocumentStatus.VERIFIED: set(), DocumentStatus.REFUSED: set()},
)


class PayeeAccount(db.Model):
    """The bank account an organisation is paid to; verified by two admins before any tranche is paid to it."""

    __tablename__ = "payee_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    account_holder: Mapped[str] = mapped_column(String(200))
    # Why the holder differs from the organisation's legal name (required when it does).
    holder_explanation: Mapped[str | None] = mapped_column(Text)
    bank_name: Mapped[str] = mapped_column(String(200))
    bank_country: Mapped[str] = mapped_column(String(2))
    iban: Mapped[str | None] = mapped_column(String(34))  # electronic form, no spaces
    account_number: Mapped[str | None] = mapped_column(String(40))  # where there is no IBAN
    bic: Mapped[str | None] = mapped_column(String(11))
    routing_code: Mapped[str | None] = mapped_column(String(40))  # a local routing number where there is no BIC
    currency: Mapped[str] = mapped_column(String(3))
    bank_letter_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=PayeeStatus.PENDING, index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    bank_letter: Mapped[Document | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    __table_args__ = (
        CheckConstraint(f"status IN ({_one_of(PayeeStatus)})", name="status_known"),
        CheckConstraint("iban IS NOT NULL OR account_number IS NOT NULL", name="has_account"),
        # Four eyes: the admin who confirms is neither the one who checked nor the one who entered.
        CheckConstraint("confirmed_by_id IS NULL OR (confirmed_by_id <> checked_by_id AND "
                        "(entered_by_id IS NULL OR confirmed_by_id <> entered_by_id))", name="four_eyes"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", PayeeStatus.PENDING)
        super().__init__(**kwargs)


PAYEE_MACHINE = StateMachine(
    noun="payee account",
    model=PayeeAccount,
    statuses=PayeeStatus,
    initial=PayeeStatus.PENDING,
    description=("Bank details an owner entered: checked by one admin against the bank letter, confirmed by a "
                 "second admin (never the one who entered or checked them), or rejected with a reason; a newer "
                 "verified account supersedes the older one."),
    transitions={PayeeStatus.PENDING: {PayeeStatus.CHECKED, PayeeStatus.REJECTED},
                 PayeeStatus.CHECKED: {PayeeStatus.VERIFIED, PayeeStatus.REJECTED},
                 PayeeStatus.VERIFIED: {PayeeStatus.SUPERSEDED},
                 PayeeStatus.REJECTED: set(), PayeeStatus.SUPERSEDED: set()},
)


class Screening(db.Model):
    """A record that an admin screened an organisation and its signatories against named sanctions lists."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    screened_on: Mapped[date] = mapped_column(Date)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lists: Mapped[list[str]] = mapped_column(JSON, default=list)  # the lists checked, as the programme names them
    names: Mapped[list[str]] = mapped_column(JSON, default=list)  # the organisation and the signatories screened
    result: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text)  # what was checked and where (a reference, a search record)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    checked_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint(f"result IN ({_one_of(ScreeningResult)})", name="result_known"),)
