"""Hands new outbox rows to Celery once, and only once, their transaction has committed.

A session event notes every Notification flushed and asks `after_commit`
(cade/core/after_commit.py) to enqueue `notifications.deliver` by name for
it once the outermost transaction commits (many rows of one commit go as one
`notifications.deliver_many` message, which a worker sends over one SMTP connection). A rolled-back transaction (or
savepoint) drops what it flushed, so nothing is ever sent for a change that
did not happen. If the broker is down the commit still stands: the row stays
pending and the periodic sweep (`notifications.resend_pending`) enqueues it
later; the first refusal in a commit stops the attempts for the rest of it,
so a request that notifies many people is not held up once per row.
"""

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from cade.core.after_commit import after_commit
from cade.extensions import db
from cade.notifications.constants import DELIVER_MANY_TASK, DELIVER_TASK
from cade.notifications.models import Notification

logger = logging.getLogger(__name__)

_KEY = "cade.outbox"
# A broker that does not answer must not hold up the request that committed.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Rows handed over in one message: a worker sends them over one SMTP connection (tasks/notifications.py);
# small enough that a large commit is shared among many workers.
ENQUEUE_CHUNK = 200


def init_app(app: Flask) -> None:
    """Listen on db.session (once per process, whatever the number of apps)."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
    app.extensions["cade.outbox"] = True


def enqueue_after_commit(session: Session | scoped_session, notification_ids) -> None:
    """Enqueue delivery of these rows when the current transaction commits.

    The rows of every flush of a transaction (each notify() flushes its own)
    go to the broker together, after the commit: each flush's callback hands
    its ids to the transaction's batch (a savepoint rolled back drops its
    callback, and so its ids), and the batch publishes them last.
    """
    notification_ids = list(notification_ids)
    if not notification_ids:
        return
    if isinstance(session, scoped_session):
        session = session()
    batch = _batch(session)
    after_commit(lambda: batch.pending.extend(notification_ids), session)


class _Batch:
    """What one outermost transaction hands to the broker: each id once, and no retry after a refusal."""

    def __init__(self, transaction):
        self.transaction = transaction
        self.pending: list[int] = []
        self.sent: set[int] = set()
        self.refused = False

    def publish(self) -> None:
        pending, self.pending = self.pending, []
        _enqueue(self, pending)


def _batch(session: Session) -> _Batch:
    root = session.get_transaction() or session.begin()
    batch = session.info.get(_KEY)
    if batch is None or batch.transaction is not root:
        batch = session.info[_KEY] = _Batch(root)
        after_commit(batch.publish, session, last=True)
    return batch


def _after_flush(session: Session, flush_context) -> None:
    enqueue_after_commit(session, [obj.id for obj in session.new if isinstance(obj, Notification)])


def _enqueue(batch: _Batch, notification_ids: list[int]) -> None:
    notification_ids = [i for i in dict.fromkeys(notification_ids) if i not in batch.sent]
    if batch.refused or not notification_ids:
        return  # the first refusal in this commit was logged; the sweep sends these too
    if not has_app_context():
        logger.warning("outbox: no app context, %d notifications left to the sweep", len(notification_ids))
        return
    celery_app = current_app.extensions["celery"]
    for start in range(0, len(notification_ids), ENQUEUE_CHUNK):
        chunk = notification_ids[start:start + ENQUEUE_CHUNK]
        # One row: its delivery task. Many: one message the worker fans out, so that the committing request or
        # run pays one publish per chunk, not one per row (0.6-0.75 ms each: 20 s for 30,000 assignments).
        name, args = (DELIVER_TASK, chunk) if len(chunk) == 1 else (DELIVER_MANY_TASK, [chunk])
        try:
            celery_app.send_task(name, args=args, retry=True, retry_policy=_RETRY_POLICY)
        except Exception:  # the broker is down or refused: the sweep sends them later
            batch.refused = True
            logger.exception("outbox: could not enqueue notifications (first id %s); the sweep will send them",
                             chunk[0])
            return
        batch.sent.update(chunk)
