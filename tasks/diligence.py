"""Periodic due-diligence jobs: owners are told 30, 14 and 3 days before a verified document expires."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="diligence.document_reminders", ignore_result=True, max_retries=0)
def document_reminders() -> int:
    """Queue "your document expires in N days" to the owners of the organisations concerned.

    Idempotency keys per document, threshold and owner: a second run, or two workers at once, send nothing more.
    """
    from cade.diligence.reminders import remind_expiring_documents

    queued = remind_expiring_documents()
    db.session.commit()
    logger.info("document expiry reminders queued: %d", queued)
    return queued
