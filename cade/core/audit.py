"""The append-only audit trail: who did what to which object, before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from cade.core.db import UTCDateTime, utcnow
from cade.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    verb: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (db.Index("ix_audit_events_object", "object_type", "object_id"),)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


def record_event(actor, verb: str, obj, before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Add an audit row for `obj` in the current transaction (flushes, never commits)."""
    event_row = AuditEvent(
        actor_id=getattr(actor, "id", None),
        verb=verb,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        before=before,
        after=after,
    )
    db.session.add(event_row)
    db.session.flush()
    return event_row


def record_events(actor, verb: str, object_type: str, changes, *, connection=None) -> None:
    """Add one audit row per `(object_id, before, after)` of `changes`, in one INSERT (flushes, never commits).

    `connection` writes them in another transaction than the session's (work done after a commit).
    """
    rows = [{"actor_id": getattr(actor, "id", None), "verb": verb, "object_type": object_type,
             "object_id": object_id, "before": before, "after": after, "at": utcnow()}
            for object_id, before, after in changes]
    if rows:
        (connection or db.session).execute(insert(AuditEvent.__table__) if connection else insert(AuditEvent), rows)
