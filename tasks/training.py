"""Periodic training jobs: the "session tomorrow" reminder."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="training.session_reminders", ignore_result=True)
def session_reminders() -> int:
    """Queue "session tomorrow" to every confirmed participant of a session about a day away (each once:
    idempotency keys, so a second run, or two workers at once, send nothing more)."""
    from cade.training.services.reminders import queue_session_reminders

    result = queue_session_reminders()
    db.session.commit()
    logger.info("session reminders queued: %s", result)
    return result
