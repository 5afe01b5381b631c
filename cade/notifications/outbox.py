"""Hands new outbox rows to Celery once, and only once, their transaction has committed.

Session events on `db.session` note the id of every Notification flushed in
a transaction; when the outermost transaction commits, `notifications.deliver`
is enqueued by name for each. A rolled-back transaction (or savepoint) drops
the ids it flushed, so nothing is ever sent for a change that did not happen.
If the broker is down the commit still stands: the row stays pending and the
periodic sweep (`notifications.resend_pending`) enqueues it later.
"""

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from cade.extensions import db
from cade.notifications.constants import DELIVER_TASK
from cade.notifications.models import Notification

logger = logging.getLogger(__name__)

_KEY = "cade.outbox"
# A broker that does not answer must not hold up the request that committed.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def init_app(app: Flask) -> None:
    """Listen on db.session (once per process, whatever the number of apps)."""
    for name, listener in _LISTENERS.items():
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.extensions["cade.outbox"] = True


def enqueue_after_commit(session: Session | scoped_session, notification_ids) -> None:
    """Enqueue delivery of these rows when the current transaction commits."""
    if isinstance(session, scoped_session):
        session = session()
    owner = session.get_nested_transaction() or session.get_transaction()
    entries = session.info.setdefault(_KEY, [])
    entries.extend((notification_id, owner) for notification_id in notification_ids)


def _after_flush(session: Session, flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, Notification)]
    if ids:
        enqueue_after_commit(session, ids)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction may still roll back
    entries = session.info.pop(_KEY, None)
    if entries:
        _enqueue(list(dict.fromkeys(notification_id for notification_id, _owner in entries)))


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    entries = session.info.get(_KEY)
    if entries:
        session.info[_KEY] = [e for e in entries if not _within(e[1], previous_transaction)]


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # The outermost transaction ended without a commit (closed, or rolled back).
        session.info.pop(_KEY, None)


def _within(owner: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while owner is not None:
        if owner is ancestor:
            return True
        owner = owner.parent
    return False


def _enqueue(notification_ids: list[int]) -> None:
    if not has_app_context():
        logger.warning("outbox: no app context, %d notifications left to the sweep", len(notification_ids))
        return
    celery_app = current_app.extensions["celery"]
    for position, notification_id in enumerate(notification_ids):
        try:
            celery_app.send_task(DELIVER_TASK, args=[notification_id], retry=True, retry_policy=_RETRY_POLICY)
        except Exception:  # the broker is down or refused: the sweep sends them later
            logger.exception(
                "outbox: could not enqueue %d notifications (first id %s); the sweep will send them",
                len(notification_ids) - position, notification_id,
            )
            return


_LISTENERS = {
    "after_flush": _after_flush,
    "after_commit": _after_commit,
    "after_soft_rollback": _after_soft_rollback,
    "after_transaction_end": _after_transaction_end,
}
