"""Periodic reminders (call closing soon)."""

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
