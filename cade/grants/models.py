"""A grant: the accepted award it comes from, its amount, status and agreement PDF; its call's tranche schedule and
its tranches; its reports (answers, spend per budget line, attachments, indicator values); the outcome indicators a
programme defines and each grant's targets."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.awards.models import Decision
from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.grants.constants import AmendmentKind, AmendmentStatus, GrantStatus, ReportKind, ReportStatus, TrancheCondition, TrancheStatus
from cade.accounts.models import User
from cade.organisations.models import Organisation
from cade.applications.models import BudgetLine
from cade.core.questionnaires import Questionnaire
from cade.core.questionnaires.models import AnswerColumns
from cade.core.uploads import UploadedFileColumns
from cade.programmes.models import Call, Programme


class Grant(db.Model):
    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One grant per accepted award: the unique key is what makes opening it twice impossible.
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="RESTRICT"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="RESTRICT"), index=True)
    # Copied from the decision at acceptance: the amount the agreement states, whatever happens to the decision.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=GrantStatus.ACTIVE, index=True)
    agreement_stored_name: Mapped[str] = mapped_column(String(64))
    agreement_size: Mapped[int] = mapped_column(BigInteger)
    agreement_sha256: Mapped[str] = mapped_column(String(64))
    agreement_language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Closure: set when the final report is approved and the last tranche paid (GRANT_MACHINE).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Unspent money the grantee paid back (grant currency), recorded by an admin; 0 when none.
    returned_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_on: Mapped[date | None] = mapped_column(Date)
    returned_reference: Mapped[str | None] = mapped_column(String(100))

    decision: Mapped[Decision] = relationship()
    organisation: Mapped[Organisation] = relationship()
    call: Mapped[Call] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("returned_minor >= 0 AND returned_minor <= amount_minor", name="returned_within_amount"),
        Index("ix_grants_created_at_id", "created_at", "id"),  # the admins' list, newest first, by keyset
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", GrantStatus.ACTIVE)
        kwargs.setdefault("returned_minor", 0)
        super().__init__(**kwargs)


GRANT_MACHINE = StateMachine(
    noun="grant",
    model=Grant,
    statuses=GrantStatus,
    initial=GrantStatus.ACTIVE,
    description=("What an accepted award becomes: opened active with its agreement when the offer is accepted; "
                 "closed once the final report is approved and the last tranche paid."),
    transitions={GrantStatus.ACTIVE: {GrantStatus.CLOSED}, GrantStatus.CLOSED: set()},
)


_CONDITIONS = ", ".join(f"'{c.value}'" for c in TrancheCondition)


class TrancheTemplate(db.Model):
    """One row of a call's payment schedule: a share of the grant, paid on a condition, due some days after acceptance."""

    __tablename__ = "tranche_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4))  # a fraction: 0.4000 is 40 %
    condition: Mapped[str] = mapped_column(String(32))
    due_after_days: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("call_id", "position"),
        CheckConstraint("share > 0 AND share <= 1", name="share_fraction"),
        CheckConstraint("due_after_days >= 0", name="days_not_negative"),
        CheckConstraint(f"condition IN ({_CONDITIONS})", name="condition_known"),
    )


class Tranche(db.Model):
    """One instalment of a grant: its amount, the condition that unlocks it, when it is due and its payment."""

    __tablename__ = "tranches"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    condition: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=TrancheStatus.DUE, index=True)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where and on what screening the money went (cade/diligence): kept with the payment for the record.
    payee_account_id: Mapped[int | None] = mapped_column(ForeignKey("payee_accounts.id", ondelete="RESTRICT"))
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id", ondelete="RESTRICT"))

    grant: Mapped[Grant] = relationship()
    paid_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("grant_id", "position"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("status IN ('due', 'payable', 'paid')", name="status_known"),
        CheckConstraint(f"condition IN ({_CONDITIONS})", name="condition_known"),
        CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_reference IS NOT NULL)",
                        name="paid_has_payment"),
    )


TRANCHE_MACHINE = StateMachine(
    noun="tranche",
    model=Tranche,
    statuses=TrancheStatus,
    initial=TrancheStatus.DUE,
    description=("An instalment of a grant. Created when the grant opens: payable at once when it is paid on "
                 "signature, else due (locked) until its report is approved; paid once, when an admin records "
                 "the payment (two admins at once: one wins)."),
    transitions={TrancheStatus.DUE: {TrancheStatus.PAYABLE}, TrancheStatus.PAYABLE: {TrancheStatus.PAID},
                 TrancheStatus.PAID: set()},
)


_REPORT_KINDS = ", ".join(f"'{k.value}'" for k in ReportKind)
_REPORT_STATUSES = ", ".join(f"'{s.value}'" for s in ReportStatus)


class ReportTemplate(db.Model):
    """A call's report of one kind: when it is due (days after acceptance) and the questions it asks.

    A call without a template for a kind still gets that report when a grant
    needs it (the final one always; the interim one when a tranche waits for
    it), due after DEFAULT_REPORT_DAYS and asking only the built-in parts
    (narrative, spend per budget line, indicators, attachments).
    """

    __tablename__ = "report_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_after_days: Mapped[int] = mapped_column(Integer)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), unique=True)

    questionnaire: Mapped[Questionnaire] = relationship(cascade="all, delete-orphan", single_parent=True)

    __table_args__ = (
        UniqueConstraint("call_id", "kind"),
        CheckConstraint(f"kind IN ({_REPORT_KINDS})", name="kind_known"),
        CheckConstraint("due_after_days >= 0", name="days_not_negative"),
    )


class GrantReport(db.Model):
    """One report of a grant (interim or final): its due date, status, narrative, spend total and review."""

    __tablename__ = "grant_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.DRAFT, index=True)
    # The template's questionnaire when the grant opened (None: only the built-in parts).
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id", ondelete="SET NULL"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    total_spent_minor: Mapped[int | None] = mapped_column(BigInteger)  # as the grantee states it; lines must add up
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comments: Mapped[str | None] = mapped_column(Text)  # the admin's, when asking for changes or approving

    grant: Mapped[Grant] = relationship()
    questionnaire: Mapped[Questionnaire | None] = relationship()
    spend_lines: Mapped[list["SpendLine"]] = relationship(
        back_populates="report", order_by="SpendLine.position", cascade="all, delete-orphan")
    answers: Mapped[list["ReportAnswer"]] = relationship(back_populates="report", cascade="all, delete-orphan")
    attachments: Mapped[list["ReportAttachment"]] = relationship(
        back_populates="report", order_by="ReportAttachment.id", cascade="all, delete-orphan")
    indicator_values: Mapped[list["IndicatorValue"]] = relationship(
        back_populates="report", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("grant_id", "kind"),
        CheckConstraint(f"kind IN ({_REPORT_KINDS})", name="kind_known"),
        CheckConstraint(f"status IN ({_REPORT_STATUSES})", name="status_known"),
        CheckConstraint("total_spent_minor IS NULL OR total_spent_minor >= 0", name="total_not_negative"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", ReportStatus.DRAFT)
        kwargs.setdefault("narrative", "")
        super().__init__(**kwargs)


REPORT_MACHINE = StateMachine(
    noun="report",
    model=GrantReport,
    statuses=ReportStatus,
    initial=ReportStatus.DRAFT,
    description=("A grantee report: written and saved as a draft, submitted, then approved (which unlocks the "
                 "tranches waiting for it) or sent back with comments, fixed and submitted again."),
    transitions={ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
                 ReportStatus.SUBMITTED: {ReportStatus.APPROVED, ReportStatus.CHANGES_REQUESTED},
                 ReportStatus.CHANGES_REQUESTED: {ReportStatus.SUBMITTED},
                 ReportStatus.APPROVED: set()},
)


class ReportAnswer(AnswerColumns, db.Model):
    """The answer to one question of a report's questionnaire (the same shape as an application's answers)."""

    __tablename__ = "report_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)

    report: Mapped[GrantReport] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("report_id", "question_id"),)


class SpendLine(db.Model):
    """Actual spend against one line of the application's budget (budget copied, so it reads the same later)."""

    __tablename__ = "spend_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300))
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    actual_minor: Mapped[int | None] = mapped_column(BigInteger)
    explanation: Mapped[str | None] = mapped_column(Text)  # required where actual differs from budget by >10 %

    report: Mapped[GrantReport] = relationship(back_populates="spend_lines")
    budget_line: Mapped[BudgetLine | None] = relationship()

    __table_args__ = (
        UniqueConstraint("report_id", "position"),
        CheckConstraint("budget_minor >= 0", name="budget_not_negative"),
        CheckConstraint("actual_minor IS NULL OR actual_minor >= 0", name="actual_not_negative"),
    )


class ReportAttachment(UploadedFileColumns, db.Model):
    """A file attached to a report (evidence, photos, invoices), checked by content like an application's."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)

    report: Mapped[GrantReport] = relationship(back_populates="attachments")


class Indicator(db.Model):
    """An outcome a programme's grantees report, in a unit ("community networks supported", "people connected")."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40))  # stable within the programme: open data and exports use it
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # retired indicators keep their reported values

    programme: Mapped[Programme] = relationship()

    __table_args__ = (UniqueConstraint("programme_id", "code"),)


class IndicatorTarget(db.Model):
    """What one grant aims for on one indicator."""

    __tablename__ = "indicator_targets"

    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[Decimal] = mapped_column(Numeric(18, 2))

    indicator: Mapped[Indicator] = relationship()

    __table_args__ = (CheckConstraint("target >= 0", name="target_not_negative"),)


class IndicatorValue(db.Model):
    """What one report says was achieved on one indicator in the period it covers (values add up across reports)."""

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="RESTRICT"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    evidence: Mapped[str | None] = mapped_column(Text)

    report: Mapped[GrantReport] = relationship(back_populates="indicator_values")
    indicator: Mapped[Indicator] = relationship()

    __table_args__ = (
        UniqueConstraint("report_id", "indicator_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )


class GrantBudgetLine(db.Model):
    """The grant's own budget: copied from the application's lines when the grant opens, changed only by amendments
    (reallocations); new reports copy it into their spend lines."""

    __tablename__ = "grant_budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("grant_id", "position"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )


_AMENDMENT_KINDS = ", ".join(f"'{k.value}'" for k in AmendmentKind)
_AMENDMENT_STATUSES = ", ".join(f"'{s.value}'" for s in AmendmentStatus)


class GrantAmendment(db.Model):
    """A change to a signed grant the grantee asked for: an extension, a reallocation or a new signatory."""

    __tablename__ = "grant_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AmendmentStatus.REQUESTED, index=True)
    reason: Mapped[str] = mapped_column(Text)
    # What changes: {"days": 90} | {"moves": [{"from": line id, "to": line id, "amount_minor": n}]} |
    # {"name": "…", "position": "…"}.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    grant: Mapped[Grant] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint(f"kind IN ({_AMENDMENT_KINDS})", name="kind_known"),
        CheckConstraint(f"status IN ({_AMENDMENT_STATUSES})", name="status_known"),
        CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL", name="refusal_has_reason"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", AmendmentStatus.REQUESTED)
        super().__init__(**kwargs)


AMENDMENT_MACHINE = StateMachine(
    noun="amendment",
    model=GrantAmendment,
    statuses=AmendmentStatus,
    initial=AmendmentStatus.REQUESTED,
    description=("A change to a signed grant: requested with a reason; a reallocation under the programme's "
                 "threshold is in force on notice (noted); the rest are approved (a new agreement version, dates "
                 "moved) or refused with a reason by an admin."),
    transitions={AmendmentStatus.REQUESTED: {AmendmentStatus.NOTED, AmendmentStatus.APPROVED,
                                             AmendmentStatus.REFUSED},
                 AmendmentStatus.NOTED: set(), AmendmentStatus.APPROVED: set(), AmendmentStatus.REFUSED: set()},
)


class AgreementVersion(db.Model):
    """Every version of a grant's agreement PDF: 1 at acceptance, one more per approved amendment; all kept."""

    __tablename__ = "agreement_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("grant_amendments.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("grant_id", "version"),)
