"""Periodic travel jobs: travellers and owners are reminded of post-trip reports due in 7 days and overdue."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="travel.post_trip_reminders", ignore_result=True, max_retries=0)
def post_trip_reminders() -> int:
    """Queue the post-trip report reminders; idempotency keys make a second run (or two workers) send nothing."""
    from cade.travel.reminders import remind_post_trip

    queued = remind_post_trip()
    db.session.commit()
    logger.info("post-trip report reminders queued: %s", queued)
    return queued
