"""Periodic award jobs: offers past their acceptance deadline lapse; owners are told a week before."""

import logging

from celery import shared_task

from cade.extensions import db

logger = logging.getLogger(__name__)


@shared_task(name="awards.offer_deadlines", ignore_result=True, max_retries=0)
def offer_deadlines() -> dict:
    """Lapse the offers past their deadline (proposing the waitlist) and queue "deadline near" to owners.

    Both are claims and idempotency keys: a second run, or two workers at once, change and send nothing more.
    """
    from cade.awards.services.offers import lapse_offers, remind_offer_deadlines

    lapsed = lapse_offers()
    reminded = remind_offer_deadlines()
    db.session.commit()
    result = {"lapsed": len(lapsed), "reminded": reminded}
    logger.info("award offers: %s", result)
    return result
