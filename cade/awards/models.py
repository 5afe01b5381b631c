"""Decisions on applications: outcome, amount, feedback, rationale and release."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.extensions import db


class Decision(TimestampMixin, db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)  # awards only
    feedback: Mapped[str] = mapped_column(Text, default="")  # for the applicant, sent at release
    rationale: Mapped[str] = mapped_column(Text, default="")  # for the record, never sent
    # Deciding with fewer submitted reviews than the call requires needs a stated reason.
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_decisions_call_outcome", "call_id", "outcome"),)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None
