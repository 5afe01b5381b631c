"""A grant: the accepted award it comes from, its amount, status and agreement PDF."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.awards.models import Decision
from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.grants.constants import GrantStatus
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
