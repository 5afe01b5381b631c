"""Periodic clarification jobs: the members of an organisation are reminded of a clarification due in two days."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="conversations.clarification_reminders", ignore_result=True, max_retries=0)
def clarification_reminders() -> int:
    """Queue the clarification reminders; idempotency keys make a second run (or two workers) send nothing."""
    from cade.conversations.reminders import remind_due_clarifications

    queued = remind_due_clarifications()
    db.session.commit()
    logger.info("clarification reminders queued: %s", queued)
    return queued
