"""Rows as the API's types (cade/api/types.py): no query here, only what the loaded rows hold."""

from flask import url_for

from cade.api import types
from cade.core.money import from_minor
from cade.core.runs import RUN_ERROR_LABELS, Run
from cade.core.runs.models import RunStatus
from cade.core.translations import languages_of


def money(amount_minor: int | None, currency: str | None) -> types.Money | None:
    if amount_minor is None or not currency:
        return None
    return types.Money(amount=str(from_minor(amount_minor, currency)), currency=currency)


def call_out(call) -> types.CallOut:
    programme = call.programme
    return types.CallOut(
        id=call.id, title=call.title, description=call.description,
        programme=types.ProgrammeRef(id=programme.id, name=programme.name, kind=programme.kind),
        currency=programme.currency, opens_at=call.opens_at, closes_at=call.closes_at, timezone=call.timezone,
        min_award=money(call.min_award_minor, programme.currency),
        max_award=money(call.max_award_minor, programme.currency),
        budget_envelope=money(call.budget_envelope_minor, programme.currency),
        languages=languages_of(call), url=url_for("programmes.call", call_id=call.id, _external=True))


def application_out(application, decision) -> types.ApplicationOut:
    released = decision is not None and decision.released_at is not None
    currency = application.call.programme.currency if application.requested_amount_minor is not None else None
    return types.ApplicationOut(
        id=application.id, reference=application.reference, status=application.status, title=application.title,
        summary=application.summary, call=types.CallRef(id=application.call.id, title=application.call.title),
        organisation=types.OrganisationRef(id=application.organisation.id, name=application.organisation.name),
        requested_amount=money(application.requested_amount_minor, currency),
        submitted_at=application.submitted_at,
        decision=types.DecisionOut(outcome=decision.outcome, released_at=decision.released_at,
                                   amount=money(decision.amount_minor, decision.currency))
        if released else None)


def run_out(run: Run, *, expired: bool) -> types.ReportRunOut:
    files = [] if expired or run.status != RunStatus.SUCCEEDED else [
        types.ReportFile(format=entry["format"], name=entry["name"], content_type=entry["content_type"],
                         size=entry["size"],
                         url=url_for("reports.download", run_id=run.id, fmt=entry["format"], _external=True))
        for entry in run.files]
    error = run.error
    if error in RUN_ERROR_LABELS:
        error = str(RUN_ERROR_LABELS[error])
    return types.ReportRunOut(
        id=run.id, status=run.status, progress=run.progress, params=run.params, created_at=run.created_at,
        started_at=run.started_at, finished_at=run.finished_at, error=error, files_expired=expired, files=files,
        url=url_for("core.run", run_id=run.id, _external=True))
