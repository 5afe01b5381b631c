"""Periodic training jobs: the "session tomorrow" reminder and the capacity follow-up due reminder."""

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


@shared_task(name="training.assessment_follow_ups", ignore_result=True)
def assessment_follow_ups() -> int:
    """Remind each member of an organisation whose capacity follow-up is due (once per follow-up and member)."""
    from cade.training.assessments.reminders import remind_due_follow_ups

    result = remind_due_follow_ups()
    db.session.commit()
    logger.info("assessment follow-up reminders queued: %s", result)
    return result
