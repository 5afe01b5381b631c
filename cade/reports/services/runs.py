"""Report runs: an administrator asks for a report, a worker compiles it, its files are kept for a while.

A report is a run (cade/core/runs) of kind "report", handed to the
`reports.compile` task once the request commits. Reports may overlap (two
admins asking at once get two runs, each compiled on its own): they only
read. The compiled figures are the run's result, with beside them the part
the dashboard shows (`dashboard_digest`: every long list cut to its largest
groups), which the dashboard reads alone and draws in the reader's language;
the CSV, XLSX and PDF are written in the requester's language from the whole
summary, through the storage interface, and kept for
REPORT_KEEP_DAYS, after which a beat task deletes them and the page says
they expired and offers to compile again.
"""

import logging
import tempfile
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound, PermissionDenied, StorageUnavailable
from cade.core.permissions import is_admin
from cade.core.runs import (
    Run,
    RunKind,
    RunLost,
    claim_run,
    describe_error,
    fail_run,
    finish_run,
    report_progress,
    start_run,
)
from cade.core.runs.models import RunStatus
from cade.core.storage import get_storage
from cade.extensions import db
from cade.notifications.services import notify
from cade.reports.constants import FUNDING_SUMMARY, REPORT_RUN_KIND
from cade.reports.services.dashboard import dashboard_digest
from cade.reports.services.summary import FundingSummaryInput, check_selection, funding_summary
from cade.reports.services.tables import summary_tables

logger = logging.getLogger(__name__)

REPORT_TASK = "reports.compile"

# The formats a report is written in, with what each file is called and served as.
FORMATS = {
    "csv": ("funding-summary-csv.zip", "application/zip"),
    "xlsx": ("funding-summary.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("funding-summary.pdf", "application/pdf"),
}


def _page_context(run: Run) -> dict:
    return {"expired": files_expired(run)}


REPORT_RUNS = RunKind(
    name=REPORT_RUN_KIND,
    task=REPORT_TASK,
    label=_l("Funding summary"),
    template="reports/_run.html",
    context=_page_context,
    retry=True,  # compiling reads only: a second worker may start it again
)


def can_compile_reports(user) -> bool:
    return is_admin(user)


def request_report(actor, command: FundingSummaryInput) -> Run:
    """Queue a funding summary for `actor` (an admin); its task starts once the caller commits.

    Raises PermissionDenied, and ValidationFailed naming a programme or call that does not exist.
    """
    if not can_compile_reports(actor):
        raise PermissionDenied()
    check_selection(command)
    params = {"report": FUNDING_SUMMARY, **command.to_params(), "locale": getattr(actor, "locale", None) or "en"}
    return start_run(actor, REPORT_RUN_KIND, params)


def compile_report(run_id: int, commit_progress: Callable[[], None] | None = None) -> Run | None:
    """Carry out a queued report run: figures, then each file, then tell the requester.

    A run that is not queued (finished, or taken by another worker) is left
    alone. A domain error (a missing exchange rate) fails the run with its
    message, which names what is missing; anything else fails it with one line
    and goes to the log with its traceback.
    """
    run = db.session.get(Run, run_id)
    if run is None or run.kind != REPORT_RUN_KIND:
        return None
    if not claim_run(run):
        return run
    commit = commit_progress or (lambda: None)
    commit()
    locale = run.params.get("locale") or "en"
    stored: list[dict] = []
    try:
        with force_locale(locale):
            command = FundingSummaryInput.from_input(run.params)
            summary = funding_summary(command, today=run.created_at.date())
            report_progress(run, 40)
            commit()
            tables = summary_tables(summary)
            for index, (fmt, writer) in enumerate(writers(summary, tables).items(), start=1):
                stored.append(_store(fmt, writer))
                report_progress(run, 40 + index * 60 // (len(FORMATS) + 1))
                commit()
        # The dashboard's digest is made here, once, so that showing it costs the same whatever the data.
        finished = finish_run(run, result={**summary, "dashboard": dashboard_digest(summary)}, files=stored)
        _tell_requester(run)
        return finished
    except RunLost:
        logger.warning("report run %s was handed to another worker; this one stops", run.id)
        _delete_files(stored)
        return run
    except DomainError as exc:
        _delete_files(stored)
        return fail_run(run, str(exc.message))
    except Exception as exc:  # reported on the run's page; the traceback goes to the log
        logger.exception("report run %s failed", run.id)
        _delete_files(stored)
        db.session.rollback()
        run = db.session.get(Run, run_id)
        return fail_run(run, describe_error(exc))


def writers(summary: dict, tables) -> dict[str, Callable]:
    """Each format's writer of the compiled `summary` (and its `tables`) onto a binary stream."""
    from cade.reports.outputs.csv import write_csv_zip
    from cade.reports.outputs.pdf import html_to_pdf
    from cade.reports.outputs.xlsx import write_xlsx

    from cade.reports.services.charts import dashboard_charts

    def pdf(stream):
        html = render_template("reports/print.html", summary=summary, tables=tables,
                               charts=dashboard_charts(summary))
        stream.write(html_to_pdf(html))

    return {"csv": lambda stream: write_csv_zip(tables, stream),
            "xlsx": lambda stream: write_xlsx(tables, stream),
            "pdf": pdf}


def _store(fmt: str, writer: Callable) -> dict:
    """Write one format and store it. Raises StorageUnavailable (failing the run, which can be asked again)."""
    name, content_type = FORMATS[fmt]
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as buffer:
        writer(buffer)
        buffer.seek(0)
        try:
            stored = get_storage().put(buffer)
        except StorageUnavailable as error:
            raise StorageUnavailable(_l("The report's files could not be stored just now. "
                                        "Ask for the report again in a few minutes."), reason=error.reason) from error
    return {"format": fmt, "stored_name": stored.name, "name": name, "content_type": content_type,
            "size": stored.size}


def _delete_files(files: list[dict]) -> None:
    """Remove a failed run's files; a storage that is down leaves them (logged), and the run still fails."""
    storage = get_storage()
    for file in files:
        try:
            storage.delete(file["stored_name"])
        except StorageUnavailable:
            logger.warning("report file %s left in storage: storage unavailable", file["stored_name"])


def _tell_requester(run: Run) -> None:
    """The requester (or, for the monthly summary, every active administrator) gets a link to the report."""
    from cade.accounts.models import User
    from cade.accounts.services.administration import active_admins

    if run.params.get("notify") == "admins":
        recipients = active_admins()
    else:
        requester = db.session.get(User, run.requested_by_id) if run.requested_by_id else None
        recipients = [requester] if requester is not None and requester.active else []
    for user in recipients:
        notify("reports.ready", recipient=user, key=f"report-ready:{run.id}:{user.id}",
               context={"run_id": run.id, "report": run.params.get("report", FUNDING_SUMMARY),
                        "date_from": run.params.get("date_from"), "date_to": run.params.get("date_to")})


def keep_for() -> timedelta:
    return timedelta(days=current_app.config["REPORT_KEEP_DAYS"])


def files_expired(run: Run) -> bool:
    """Whether the run's files are past their keep time (or were deleted as such)."""
    if run.status != RunStatus.SUCCEEDED:
        return False
    return bool(run.result.get("files_expired")) or _past_keep_time(run)


def _past_keep_time(run: Run) -> bool:
    return run.finished_at is not None and run.finished_at + keep_for() < utcnow()


def stored_dashboard(run: Run) -> tuple[dict, bool]:
    """(what the dashboard of the finished `run` shows, whether its files expired), read without its summary.

    The summary grows with the data (a country's or a reviewer's figures in
    each of its lists); the digest does not. Both databases read one key of
    the JSON result (`result -> 'dashboard'`), so the page never loads the
    rest, as long as the caller loaded the run with its result deferred. A
    run compiled before digests were kept has one made from its summary.
    """
    digest, marked = db.session.execute(select(Run.result["dashboard"], Run.result["files_expired"])
                                        .where(Run.id == run.id)).one()
    if digest is None:
        digest = dashboard_digest(run.result)
    return digest, bool(marked) or _past_keep_time(run)


def report_file(actor, run_id: int, fmt: str):
    """(file entry, open stream) of a finished report's file for an admin. Raises NotFound, FilesExpired."""
    if not can_compile_reports(actor):
        raise NotFound()
    run = db.session.get(Run, run_id)
    if run is None or run.kind != REPORT_RUN_KIND or run.status != RunStatus.SUCCEEDED:
        raise NotFound()
    entry = next((f for f in run.files if f.get("format") == fmt), None)
    if entry is None:
        raise NotFound()
    if files_expired(run) or not get_storage().exists(entry["stored_name"]):
        raise FilesExpired()
    return entry, get_storage().open(entry["stored_name"])


class FilesExpired(DomainError, status=410, slug="report-expired"):
    default_message = _l("This report's files have expired. Compile it again to get fresh ones.")


def delete_expired_files(now=None) -> int:
    """Delete the files of every report past its keep time; return how many runs were cleared."""
    cutoff = (now or utcnow()) - keep_for()
    runs = db.session.scalars(select(Run).where(Run.kind == REPORT_RUN_KIND, Run.status == RunStatus.SUCCEEDED,
                                                Run.finished_at < cutoff)).all()
    cleared = 0
    for run in runs:
        if run.result.get("files_expired"):
            continue
        _delete_files(run.files)
        run.result = {**run.result, "files_expired": True}
        cleared += 1
    return cleared


def last_month(today) -> tuple:
    """(first day, last day) of the month before `today`'s."""
    first_of_this = today.replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def queue_monthly_summary(today=None) -> Run | None:
    """Queue last month's funding summary for the administrators (once a month: a second call does nothing).

    The run has no requester; when it is ready each active administrator is
    sent a link to it (`_tell_requester`), never the file itself.
    """
    from cade.core.runs import latest_run

    today = today or utcnow().date()
    start, end = last_month(today)
    scope = f"monthly:{start:%Y-%m}"
    if latest_run(REPORT_RUN_KIND, scope) is not None:
        return None
    command = FundingSummaryInput.from_input({"date_from": start, "date_to": end,
                                               "currency": current_app.config["REPORT_CURRENCY"]})
    params = {"report": FUNDING_SUMMARY, **command.to_params(), "locale": "en", "notify": "admins"}
    return start_run(None, REPORT_RUN_KIND, params, scope=scope)
