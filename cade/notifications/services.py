"""The outbox API: other domains call notify(); delivery, the sweep and the inbox read the rows."""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update

from cade.core.audit import record_event
from cade.core.db import insert_rows, utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.core.permissions import require_admin
from cade.extensions import db
from cade.notifications import outbox
from cade.notifications.constants import (
    FAILED_PAGE_SIZE,
    INBOX_PAGE_SIZE,
    MAX_ATTEMPTS,
    SWEEP_BATCH,
    NotificationStatus,
)
from cade.notifications.delivery import (  # noqa: F401  (the domain's API)
    DeliveryFailed,
    claim,
    deliver_batch,
    deliver_notification,
    get_backend,
    renew,
    send_claimed,
)
from cade.notifications.models import Notification
from cade.notifications.timings import sweep_grace


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


def notify_many(kind: str, messages) -> list[int]:
    """`notify(kind, recipient=…, locale=…, key=…, context=…, known_new=True)` for each (recipient, locale,
    key, context) of `messages`, in one INSERT; returns the outbox rows' ids, delivered once the transaction
    commits. The caller knows the keys are new (fresh objects' ids, or `queued_keys`); a duplicate key fails
    the whole batch."""
    if not messages:
        return []
    rows = insert_rows(Notification.__table__, [
        {"recipient_id": recipient.id, "recipient_email": recipient.email, "locale": locale or "en",
         "idempotency_key": key, "context": dict(context or {})} for recipient, locale, key, context in messages],
        {"kind": kind, "in_app": True}, returning=("id",))
    ids = [row.id for row in rows]
    outbox.enqueue_after_commit(db.session, ids)
    return ids


def sweep_outbox(now: datetime | None = None) -> int:
    """Hand out again what was not delivered; return how many rows will be enqueued.

    Rows left in 'sending' past their claim (a worker died mid-send) go back
    to pending (or to failed for good once out of attempts); pending and
    failed rows that are due are enqueued when the caller commits. Fresh rows
    (younger than timings.sweep_grace) are left to the outbox's own enqueue.
    """
    now = now or utcnow()
    db.session.execute(
        update(Notification)
        .where(Notification.status == NotificationStatus.SENDING, Notification.next_attempt_at <= now)
        .values(
            status=case((Notification.attempts >= MAX_ATTEMPTS, NotificationStatus.FAILED),
                        else_=NotificationStatus.PENDING),
            # Due at once, so that this very sweep enqueues it, however young the row (a short lease).
            next_attempt_at=case((Notification.attempts >= MAX_ATTEMPTS, None), else_=now),
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
                and_(Notification.next_attempt_at.is_(None), Notification.created_at <= now - sweep_grace()),
            ),
        )
        .order_by(Notification.id)
        .limit(SWEEP_BATCH)
    ).all()
    outbox.enqueue_after_commit(db.session, due)
    return len(due)


def _given_up():
    """A row no worker will try again: failed, and out of attempts (or refused for good by the server)."""
    return and_(Notification.status == NotificationStatus.FAILED, Notification.attempts >= MAX_ATTEMPTS)


def failed_page(page: int = 1, per_page: int = FAILED_PAGE_SIZE):
    """The notifications given up on, newest first, one page of them (for the administrators)."""
    query = select(Notification).where(_given_up()).order_by(Notification.created_at.desc(),
                                                              Notification.id.desc())
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)


def outbox_counts() -> dict[str, int]:
    """How many rows wait, are being sent, wait for a retry, and were given up on (one GROUP BY query)."""
    state = case((_given_up(), "given_up"), (Notification.status == NotificationStatus.FAILED, "retrying"),
                 else_=Notification.status)
    counts = dict.fromkeys(["pending", "sending", "retrying", "given_up"], 0)
    rows = db.session.execute(
        select(state, func.count()).where(Notification.status != NotificationStatus.SENT).group_by(state)
    )
    counts.update({name: count for name, count in rows})
    return counts


def retry_notification(actor, notification_id: int) -> Notification:
    """Give a notification that was given up on a fresh set of attempts; it goes out after the caller commits.

    For an administrator once the cause is mended (the address corrected, the
    mail server back). The row returns to pending with its attempts at zero,
    its last error kept until the next try, and the change audited. Raises
    PermissionDenied for anyone else, NotFound, and InvalidTransition when the
    row is not given up on (another administrator tried it again first).
    """
    require_admin(actor)
    row = db.session.get(Notification, notification_id)
    if row is None:
        raise NotFound()
    before = {"status": row.status, "attempts": row.attempts}
    changed = db.session.execute(
        update(Notification).where(Notification.id == notification_id, _given_up())
        .values(status=NotificationStatus.PENDING, attempts=0, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidTransition()
    db.session.refresh(row)
    record_event(actor, "notification.retried", row, before=before,
                 after={"status": row.status, "attempts": row.attempts})
    outbox.enqueue_after_commit(db.session, [row.id])
    return row


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
