"""Representation targets (the share of a programme's awards meant to reach a region or a group, and a baseline),
and the published open-data documents."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.core.db import TimestampMixin, UTCDateTime, utcnow
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


class OpenDataDocument(db.Model):
    """One published open-data file (`kind`: "360giving" or "iati"), as last generated from the released
    decisions (cade/reports/open_data): served as is with its ETag, and regenerated when decisions are released."""

    __tablename__ = "open_data_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100))
    etag: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    grants_count: Mapped[int] = mapped_column(default=0)
