"""Administrators' reports (scope "admin-read"): the funding summary at once, or compiled as a report run."""

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from cade.api.auth import ADMIN_READ
from cade.api.outputs import run_out
from cade.api.problems import SUMMARY_FIELD_NAMES, bad_request, renamed
from cade.api.registry import endpoint, json_response
from cade.api.types import FundingSummary, FundingSummaryFilters, ReportRunOut
from cade.core.errors import NotFound, ValidationFailed
from cade.core.rates import ExchangeRateMissing
from cade.core.runs import Run
from cade.extensions import db
from cade.reports.constants import REPORT_RUN_KIND
from cade.reports.services.runs import files_expired, request_report
from cade.reports.services.summary import FundingSummaryInput, funding_summary


def summary_input(filters: FundingSummaryFilters) -> FundingSummaryInput:
    """The service's command for `filters`; its refusals named as the client named the fields (400)."""
    try:
        return FundingSummaryInput.from_input({
            "programme_ids": filters.programme, "call_ids": filters.call, "date_from": filters.date_from,
            "date_to": filters.date_to, "currency": filters.currency or current_app.config["REPORT_CURRENCY"],
            "group_by": [str(d) for d in filters.group_by]})
    except ValidationFailed as error:
        raise renamed(error, SUMMARY_FIELD_NAMES) from None


@endpoint("GET", "/reports/funding-summary", summary=_l("Funding summary"), query=FundingSummaryFilters,
          response=FundingSummary, scope=ADMIN_READ, errors=(403,),
          description=_l("Applications, awards and money per breakdown, per currency and converted to the reporting "
                         "currency at the dated rates listed. Amounts are integers in minor units. Needs a token "
                         "with the admin-read scope of an administrator."))
def funding_summary_report(query: FundingSummaryFilters, token):
    command = summary_input(query)
    try:
        summary = funding_summary(command)
    except ValidationFailed as error:
        raise renamed(error, SUMMARY_FIELD_NAMES) from None
    except ExchangeRateMissing as error:  # the reporting currency asked cannot be reached: name it
        raise bad_request({"currency": [error.message]}) from None
    return FundingSummary.model_validate(summary)


@endpoint("POST", "/report-runs", summary=_l("Queue a funding summary report"), body=FundingSummaryFilters,
          response=ReportRunOut, status=202, scope=ADMIN_READ, errors=(403,),
          headers={"Location": _l("The report run's address, to follow its progress.")},
          description=_l("Compiles the funding summary in the background (CSV, XLSX and PDF). Follow it at the "
                         "Location given; its files are linked once it has succeeded."))
def create_report_run(body: FundingSummaryFilters, token):
    command = summary_input(body)
    try:
        run = request_report(token.user, command)
    except ValidationFailed as error:
        raise renamed(error, SUMMARY_FIELD_NAMES) from None
    db.session.commit()
    response = json_response(run_out(run, expired=False), 202)
    response.headers["Location"] = url_for("api.report_run", run_id=run.id, _external=True)
    return response


@endpoint("GET", "/report-runs/{run_id}", summary=_l("A report run's progress and files"), response=ReportRunOut,
          scope=ADMIN_READ, errors=(403, 404))
def report_run(run_id: int, token):
    run = db.session.get(Run, run_id)
    if run is None or run.kind != REPORT_RUN_KIND:
        raise NotFound()
    return run_out(run, expired=files_expired(run))
