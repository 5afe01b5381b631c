"""The append-only audit trail: who did what to which object, before and after, and how administrators read it.

Append-only is kept three ways: the ORM refuses to flush a change to or a
deletion of a loaded event, the session refuses bulk UPDATE and DELETE
statements on the model, and tests/core/test_audit_viewer.py scans cade/ and
tasks/ for any other UPDATE or DELETE on the table.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Select, String, and_, column, distinct, event, or_, select, table
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from cade.core.db import UTCDateTime, insert_rows, utcnow
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


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state):
    # Bulk statements skip the mapper events above.
    if (state.is_update or state.is_delete) and any(
            mapper.class_ is AuditEvent for mapper in state.all_mappers):
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
    insert_rows(AuditEvent.__table__,
                [{"object_id": object_id, "before": before, "after": after} for object_id, before, after in changes],
                {"actor_id": getattr(actor, "id", None), "verb": verb, "object_type": object_type, "at": utcnow()},
                connection=connection)


# Reading the trail. The actor's name and e-mail are read from the users table at the time of reading
# (never copied into the log), so a person erased later appears under their pseudonym. Core sits below
# accounts: a light table clause rather than the User model.
_users = table("users", column("id"), column("name"), column("email"))
PAGE_SIZE = 50
SHOWN_VALUE_LENGTH = 200


@dataclass(frozen=True)
class AuditFilters:
    """What an administrator asked for; None means "any". `since` is inclusive, `until` exclusive (aware UTC)."""

    actor_email: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    verb_prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditChange:
    """One key whose value changed: its value before and after as text, None where the key was absent."""

    key: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None

    @property
    def changes(self) -> list[AuditChange]:
        return audit_changes(self.event.before, self.event.after, limit=SHOWN_VALUE_LENGTH)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_cursor: int | None  # the id to pass as `cursor` for the following (older) page


def _filtered(filters: AuditFilters) -> Select:
    query = (select(AuditEvent, _users.c.name, _users.c.email)
             .outerjoin(_users, _users.c.id == AuditEvent.actor_id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if filters.actor_email:
        query = query.where(_users.c.email == filters.actor_email.strip().lower())
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.verb_prefix:
        query = query.where(AuditEvent.verb.startswith(filters.verb_prefix.strip(), autoescape=True))
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return query


def audit_page(filters: AuditFilters, cursor: int | None = None, per_page: int = PAGE_SIZE) -> AuditPage:
    """The events matching `filters`, newest first, older than event `cursor` (one query, whatever the log's size).

    Keyset pagination on (at, id): a page costs the same at the end of a long log as at its start.
    """
    query = _filtered(filters)
    if cursor is not None:
        seen = aliased(AuditEvent)
        cursor_at = select(seen.at).where(seen.id == cursor).scalar_subquery()
        query = query.where(or_(AuditEvent.at < cursor_at, and_(AuditEvent.at == cursor_at, AuditEvent.id < cursor)))
    rows = [AuditRow(event, name, email) for event, name, email in db.session.execute(query.limit(per_page + 1))]
    more = len(rows) > per_page
    rows = rows[:per_page]
    return AuditPage(rows, rows[-1].event.id if more else None)


def audit_rows(filters: AuditFilters, batch: int = 500) -> Iterator[AuditRow]:
    """Every event matching `filters`, newest first, fetched `batch` rows at a time (for a streamed export)."""
    result = db.session.execute(_filtered(filters).execution_options(yield_per=batch))
    for event_row, name, email in result:
        yield AuditRow(event_row, name, email)


def audit_object_types() -> list[str]:
    """The object types the log holds, for the filter's choices."""
    return list(db.session.scalars(select(distinct(AuditEvent.object_type)).order_by(AuditEvent.object_type)))


def _as_text(value, limit: int | None) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def audit_changes(before, after, *, limit: int | None = None) -> list[AuditChange]:
    """The keys whose value differs between `before` and `after` (either may be None), in key order.

    A value that is not a mapping is compared as a whole, under the key "". Values are shown as text
    (JSON for anything but a string), cut to `limit` characters when given.
    """
    def as_mapping(value) -> dict:
        if value is None:
            return {}
        return value if isinstance(value, dict) else {"": value}

    old, new = as_mapping(before), as_mapping(after)
    missing = object()
    changes = []
    for key in sorted(old.keys() | new.keys(), key=str):
        was, now = old.get(key, missing), new.get(key, missing)
        if was != now:
            changes.append(AuditChange(str(key), None if was is missing else _as_text(was, limit),
                                       None if now is missing else _as_text(now, limit)))
    return changes
