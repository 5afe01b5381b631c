"""Reports compiled by a worker, the monthly funding summary, and the clean-up of expired report files."""

import logging

from celery import shared_task

from cade.extensions import db
from cade.reports.services.runs import REPORT_TASK, compile_report, delete_expired_files, queue_monthly_summary

logger = logging.getLogger(__name__)


@shared_task(name=REPORT_TASK, ignore_result=True, max_retries=0)
def compile(run_id: int) -> str:
    """Compile a queued report run, committing its progress step by step; a run not queued is left alone."""
    run = compile_report(run_id, commit_progress=db.session.commit)
    db.session.commit()
    status = run.status if run is not None else "missing"
    logger.info("report run %s: %s", run_id, status)
    return status


@shared_task(name="reports.delete_expired", ignore_result=True)
def delete_expired() -> int:
    count = delete_expired_files()
    db.session.commit()
    return count


@shared_task(name="reports.monthly_summary", ignore_result=True)
def monthly_summary() -> int | None:
    """Queue last month's funding summary; the administrators get a link when it is ready."""
    run = queue_monthly_summary()
    db.session.commit()
    return run.id if run is not None else None


@shared_task(name="reports.regenerate_open_data", ignore_result=True, max_retries=0)
def regenerate_open_data() -> int:
    """Rewrite the open-data files from the released awards, so that what changes between releases (an offer
    declined or lapsed, consent withdrawn, a tranche paid) reaches them within the hour; unchanged files stay as
    they are, with their ETag. Returns how many grants the files hold."""
    from cade.reports.open_data.documents import regenerate_documents

    documents = regenerate_documents()
    db.session.commit()
    count = max((document.grants_count for document in documents), default=0)
    logger.info("open data regenerated: %s grants", count)
    return count
