"""The outbox API: other domains call notify(); delivery, the sweep and the inbox read the rows."""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update

from cade.core.db import utcnow
from cade.core.errors import NotFound
from cade.extensions import db
from cade.notifications import outbox
from cade.notifications.constants import (
    INBOX_PAGE_SIZE,
    MAX_ATTEMPTS,
    SWEEP_BATCH,
    SWEEP_GRACE,
    NotificationStatus,
)
from cade.notifications.delivery import DeliveryFailed, deliver_notification  # noqa: F401  (the domain's API)
from cade.notifications.models import Notification


def queued_keys(keys) -> set[str]:
    """Which of these idempotency keys already have an outbox row (one query): what a batch may skip."""
    keys = set(keys)
    if not keys:
        return set()
    return set(db.session.scalars(select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys))))


def notify(kind: str, *, recipient=None, email: str | None = None, locale: str | None = None,
           context: dict | None = None, key: str, in_app: bool = True, known_new: bool = False) -> Notification:
    """Queue one notification in the current transaction; return the outbox row.

    `kind` names the templates (``"applications.submitted"`` renders
    ``templates/email/applications/submitted.txt`` and ``.html``); `context`
    holds JSON-serialisable raw values only (ids, strings, numbers; amounts as
    `Money.to_json()`, moments as `timeutil.moment_json`), never text written
    out in one language, since the inbox renders it in the reader's; `key` is the
    idempotency key: a second call with the same key returns the existing row
    and sends nothing more. Pass a user as `recipient`, or an address as
    `email` for someone without an account. Flushes, never commits; the outbox
    enqueues its delivery once the transaction commits. A caller that has
    already asked `queued_keys` for a batch passes `known_new=True` and saves
    the lookup; the unique key still refuses a duplicate.
    """
    if recipient is None and not email:
        raise ValueError("a notification needs a recipient or an e-mail address")
    if not known_new:
        existing = db.session.scalar(select(Notification).where(Notification.idempotency_key == key))
        if existing is not None:
            return existing
    row = Notification(
        kind=kind,
        recipient_id=getattr(recipient, "id", None),
        recipient_email=email or recipient.email,
        locale=locale or getattr(recipient, "locale", None) or "en",
        context=dict(context or {}),
        idempotency_key=key,
        in_app=in_app and recipient is not None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def sweep_outbox(now: datetime | None = None) -> int:
    """Hand out again what was not delivered; return how many rows will be enqueued.

    Rows left in 'sending' past their claim (a worker died mid-send) go back
    to pending (or to failed for good once out of attempts); pending and
    failed rows that are due are enqueued when the caller commits. Fresh rows
    (younger than SWEEP_GRACE) are left to the outbox's own enqueue.
    """
    now = now or utcnow()
    db.session.execute(
        update(Notification)
        .where(Notification.status == NotificationStatus.SENDING, Notification.next_attempt_at <= now)
        .values(
            status=case((Notification.attempts >= MAX_ATTEMPTS, NotificationStatus.FAILED),
                        else_=NotificationStatus.PENDING),
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    due = db.session.scalars(
        select(Notification.id)
        .where(
            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
            Notification.attempts < MAX_ATTEMPTS,
            or_(
                Notification.next_attempt_at <= now,
                and_(Notification.next_attempt_at.is_(None), Notification.created_at <= now - SWEEP_GRACE),
            ),
        )
        .order_by(Notification.id)
        .limit(SWEEP_BATCH)
    ).all()
    outbox.enqueue_after_commit(db.session, due)
    return len(due)


def _inbox(user):
    return (Notification.recipient_id == user.id, Notification.in_app.is_(True))


def inbox_page(user, page: int = 1, per_page: int = INBOX_PAGE_SIZE):
    """The user's in-app notifications, newest first, one page of them."""
    query = select(Notification).where(*_inbox(user)).order_by(
        Notification.created_at.desc(), Notification.id.desc()
    )
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)


def unread_count(user) -> int:
    """How many of the user's in-app notifications are unread (one COUNT query)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(*_inbox(user), Notification.read_at.is_(None))
    ) or 0


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again is harmless); NotFound otherwise."""
    row = db.session.scalar(select(Notification).where(Notification.id == notification_id, *_inbox(user)))
    if row is None:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return row


def mark_all_read(user) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(*_inbox(user), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
