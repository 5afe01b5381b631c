"""Decisions on applications: outcome, amount, feedback, rationale, status and release."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db


class Decision(TimestampMixin, db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)  # awards only
    # The currency the amount is in, kept with it (the call's at the time of the decision): reports read it.
    currency: Mapped[str | None] = mapped_column(String(3))
    feedback: Mapped[str] = mapped_column(Text, default="")  # for the applicant, sent at release
    rationale: Mapped[str] = mapped_column(Text, default="")  # for the record, never sent
    # Deciding with fewer submitted reviews than the call requires needs a stated reason.
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=DecisionStatus.DECIDED)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by the move to released
    # What the applicant was sent at release, kept as sent: the decision's feedback and the reviewers'
    # comments may be edited later, what the applicant was told may not. None until released.
    released_feedback: Mapped[str | None] = mapped_column(Text)
    released_comments: Mapped[list[str] | None] = mapped_column(JSON)

    application: Mapped[Application] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_decisions_call_outcome", "call_id", "outcome"),)

    def __init__(self, **kwargs):
        # Decided from the moment it exists, not only once inserted: predicates read it before the flush.
        kwargs.setdefault("status", DecisionStatus.DECIDED)
        super().__init__(**kwargs)

    @hybrid_property
    def is_released(self) -> bool:
        """Whether the applicant has been told: every status after decided (accepted and declined, next, too)."""
        return self.status != DecisionStatus.DECIDED

    @is_released.inplace.expression
    @classmethod
    def _is_released_expression(cls):
        return cls.status != DecisionStatus.DECIDED


DECISION_MACHINE = StateMachine(
    noun="decision",
    model=Decision,
    statuses=DecisionStatus,
    initial=DecisionStatus.DECIDED,
    description=("An administrator's decision on an application: award (with an amount), waitlist or reject. "
                 "It may change while decided; releasing the call's decisions tells the applicants and makes "
                 "it final. Accepting or declining an award offer comes next."),
    transitions={DecisionStatus.DECIDED: {DecisionStatus.RELEASED}, DecisionStatus.RELEASED: set()},
)
