"""Automatic reviewer assignment of a large call, carried out by a worker."""

import logging

from celery import shared_task

from cade.extensions import db
from cade.reviews.services.runs import AUTO_ASSIGN_TASK, run_auto_assignment

logger = logging.getLogger(__name__)


@shared_task(name=AUTO_ASSIGN_TASK, ignore_result=True, max_retries=0)
def auto_assign(run_id: int) -> str:
    """Carry out a queued assignment run, committing its progress batch by batch.

    A run that is finished or already taken by another worker is left alone, so running this twice is harmless.
    """
    run = run_auto_assignment(run_id, commit_progress=db.session.commit)
    db.session.commit()
    status = run.status if run is not None else "missing"
    logger.info("assignment run %s: %s", run_id, status)
    return status
