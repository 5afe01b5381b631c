"""Delivery of outbox notifications, and the sweep that makes sure none is lost."""

import logging

from celery import shared_task

from cade.extensions import db
from cade.notifications.constants import DELIVER_MANY_TASK, DELIVER_TASK, MAX_ATTEMPTS
from cade.notifications.services import DeliveryFailed, deliver_notification, sweep_outbox
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
    """Hand each of a commit's outbox rows to `deliver`, one task each with its own retries.

    Whoever committed them published one message for the lot instead of one per
    row; rows this misses (the broker went away halfway) stay pending and the
    sweep enqueues them.
    """
    for notification_id in notification_ids:
        self.app.send_task(DELIVER_TASK, args=[notification_id])
    return len(notification_ids)


@shared_task(name="notifications.resend_pending", ignore_result=True)
def resend_pending() -> int:
    """Re-enqueue due pending/failed rows and free rows stuck in 'sending' (they go out on commit)."""
    count = sweep_outbox()
    db.session.commit()
    if count:
        logger.info("outbox sweep: %d notifications enqueued again", count)
    return count
