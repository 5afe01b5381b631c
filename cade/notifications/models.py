"""Outbox rows: written with the change they report, delivered at least once."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.core.db import UTCDateTime, utcnow
from cade.extensions import db
from cade.notifications.constants import NotificationStatus

if TYPE_CHECKING:  # notifications sit below accounts: the User class is named, never imported
    from cade.accounts.models import User


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # kind names the templates: "applications.submitted" → templates/email/applications/submitted.*
    kind: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # For people without an account yet (invitations); otherwise the user's address.
    recipient_email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Pending or failed: not to be tried before this moment (None: at once).
    # Sending: when the worker's claim expires and the sweep may hand the row out again.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_app: Mapped[bool] = mapped_column(default=True)

    recipient: Mapped["User | None"] = relationship("User")

    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_inbox", "recipient_id", "read_at"),
    )

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
