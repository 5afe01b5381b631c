"""Delivery of outbox notifications, and the sweep that makes sure none is lost."""

import logging

from celery import shared_task

from cade.extensions import db
from cade.notifications.constants import DELIVER_MANY_TASK, DELIVER_TASK, DELIVERY_BATCH, MAX_ATTEMPTS
from cade.notifications.services import (
    DeliveryFailed,
    claim,
    deliver_notification,
    get_backend,
    renew,
    send_claimed,
    sweep_outbox,
)
from cade.notifications.timings import max_retry_countdown

logger = logging.getLogger(__name__)


@shared_task(name=DELIVER_TASK, bind=True, max_retries=MAX_ATTEMPTS, ignore_result=True)
def deliver(self, notification_id: int) -> str:
    """Send one outbox row; safe to run twice (the row is claimed); retries with backoff.

    A retry due within max_retry_countdown() waits in the broker; a later one
    is left to the sweep (the row keeps its next_attempt_at): a message held
    back longer than the broker's visibility timeout would be delivered twice.
    """
    try:
        status = deliver_notification(notification_id)
    except DeliveryFailed as exc:
        db.session.commit()  # keep the error, the attempt count and the time of the next try
        if exc.retry_at is None:
            return "failed"
        countdown = exc.retry_in()
        if countdown > max_retry_countdown().total_seconds():
            logger.info("notification %s: next try in %ss, left to the sweep", notification_id, countdown)
            return "waiting"
        raise self.retry(exc=exc, countdown=countdown) from exc
    db.session.commit()
    return status


@shared_task(name=DELIVER_MANY_TASK, bind=True, ignore_result=True, max_retries=0)
def deliver_many(self, notification_ids: list[int]) -> int:
    """Send a commit's outbox rows over one SMTP connection, DELIVERY_BATCH rows to a commit; how many went.

    Whoever committed them published one message for the lot instead of one
    per row. All are claimed at once, as `deliver` claims its one: if this
    worker dies, the rows it has not marked sent keep a claim that runs out,
    and the sweep hands them out again. They are then sent and marked a batch
    at a time, in a few statements each (`send_claimed`), each batch's claim
    renewed first (a row handed out again meanwhile is left to its new
    owner). A row that fails is tried again by a `deliver` task of its own
    once its back-off has passed, as if it had gone alone (a longer wait is
    left to the sweep).
    """
    sent = 0
    claims = claim(notification_ids)
    claimed = list(claims)
    with get_backend().session() as sender:
        for start in range(0, len(claimed), DELIVERY_BATCH):
            batch = {notification_id: claims[notification_id]
                     for notification_id in claimed[start:start + DELIVERY_BATCH]}
            if start:  # the first batch was claimed a moment ago
                batch = renew(batch)
            outcome = send_claimed(list(batch), sender)
            db.session.commit()
            sent += outcome.sent
            for failure in outcome.failures:
                _retry_alone(self.app, failure)
    return sent


def _retry_alone(celery_app, failure: DeliveryFailed) -> None:
    """Enqueue a failed row's next try as its own `deliver` task, unless it was given up or waits too long."""
    if failure.retry_at is None:
        return
    countdown = failure.retry_in()
    if countdown > max_retry_countdown().total_seconds():
        logger.info("notification %s: next try in %ss, left to the sweep", failure.notification_id, countdown)
        return
    try:
        celery_app.send_task(DELIVER_TASK, args=[failure.notification_id], countdown=countdown)
    except Exception:  # the broker went away: the row keeps its next_attempt_at and the sweep sends it
        logger.exception("notification %s: could not enqueue its next try; left to the sweep",
                         failure.notification_id)


@shared_task(name="notifications.resend_pending", ignore_result=True)
def resend_pending() -> int:
    """Re-enqueue due pending/failed rows and free rows stuck in 'sending' (they go out on commit)."""
    count = sweep_outbox()
    db.session.commit()
    if count:
        logger.info("outbox sweep: %d notifications enqueued again", count)
    return count
