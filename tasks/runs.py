"""The sweep that keeps background runs from staying "running" after their worker died."""

import logging

from celery import shared_task

from cade.core.runs import sweep_stale_runs
from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="runs.sweep_stale", ignore_result=True)
def sweep_stale() -> int:
    """Hand out once more, or mark failed, every run silent for RUN_STALE_AFTER (enqueued on commit)."""
    count = sweep_stale_runs()
    db.session.commit()
    if count:
        logger.info("runs sweep: %d silent runs handed out again or failed", count)
    return count
