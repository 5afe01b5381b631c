"""Periodic reminders to reviewers (review due in three days, review overdue)."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="reminders.reviews_due", ignore_result=True)
def reviews_due() -> int:
    """Queue "review due soon" and "review overdue" messages (each sent once: idempotency keys)."""
    from cade.reviews.services.reminders import queue_review_reminders

    result = queue_review_reminders()
    db.session.commit()
    logger.info("review reminders queued: %s", result)
    return result
