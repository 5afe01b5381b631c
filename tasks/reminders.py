"""Periodic reminders: calls closing soon (to applicants), reviews due soon or overdue (to reviewers)."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="reminders.call_closing", ignore_result=True)
def call_closing():
    """Queue the 7-day and 48-hour call-closing reminders (each sent once: idempotency keys)."""
    from cade.applications.services import queue_call_closing_reminders

    result = queue_call_closing_reminders()
    db.session.commit()
    logger.info("call-closing reminders queued: %s", result)
    return result


@shared_task(name="reminders.reviews_due", ignore_result=True)
def reviews_due() -> int:
    """Queue "review due soon" and "review overdue" messages (each sent once: idempotency keys)."""
    from cade.reviews.services.reminders import queue_review_reminders

    result = queue_review_reminders()
    db.session.commit()
    logger.info("review reminders queued: %s", result)
    return result
