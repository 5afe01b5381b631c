"""Periodic grant jobs: owners are reminded of reports due in 14 days and told when a report is overdue."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="grants.report_reminders", ignore_result=True, max_retries=0)
def report_reminders() -> dict:
    """Queue "report due in 14 days" and "report overdue" to the owners of the organisations concerned.

    Idempotency keys per report, period and owner: a second run, or two workers at once, send nothing more.
    """
    from cade.grants.reminders import send_report_reminders

    result = send_report_reminders()
    db.session.commit()
    logger.info("grant report reminders: %s", result)
    return result
