"""A grant: the accepted award it comes from, its amount, status and agreement PDF; its call's tranche schedule and
its tranches."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.awards.models import Decision
from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.grants.constants import GrantStatus, TrancheCondition, TrancheStatus
from cade.accounts.models import User
from cade.organisations.models import Organisation
from cade.programmes.models import Call


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

    decision: Mapped[Decision] = relationship()
    organisation: Mapped[Organisation] = relationship()
    call: Mapped[Call] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", GrantStatus.ACTIVE)
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
