"""Representation targets: the share of a programme's awards meant to reach a region or a group, and a baseline."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.core.db import TimestampMixin
from cade.extensions import db
from cade.programmes.models import Programme


class RepresentationTarget(TimestampMixin, db.Model):
    """At least `target_share` of the programme's awards should go to `value` of `dimension`.

    Shares are fractions (0.3000 is 30 %). The baseline is where things stood
    before (the IGF's 8 % of participants from Africa) with its source, so the
    summary can show actual against target against baseline.
    """

    __tablename__ = "representation_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(32))  # one of TARGET_DIMENSIONS
    value: Mapped[str] = mapped_column(String(32))  # "002", "technical_community", "LDC"
    target_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    baseline_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    baseline_source: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship()

    __table_args__ = (UniqueConstraint("programme_id", "dimension", "value", name="uq_representation_target"),)
