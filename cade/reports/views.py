"""/reports/: ask for a funding summary, follow it, read its dashboard, download its files (administrators)."""

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import defer
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, Optional

from cade.core.errors import ValidationFailed
from cade.core.forms import MultiCheckboxField, current_actor, place_errors, select_choices
from cade.core.money import is_currency
from cade.core.permissions import admin_required
from cade.core.runs import RUN_STATUS_LABELS, Run, RunStatus
from cade.extensions import db
from cade.programmes.models import Call, Programme
from cade.reports.constants import REPORT_RUN_KIND
from cade.reports.services import runs as report_runs
from cade.reports.services.charts import dashboard_charts
from cade.reports.services.dashboard import cut_notes, table_page
from cade.reports.services.summary import FundingSummaryInput
from cade.reports.services.tables import summary_tables

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_template_filter("percent")
def percent_filter(value) -> str:
    """A fraction (0.25) as a percentage in the reader's language ("25 %")."""
    return format_percent(value, format="#,##0.0%")

RECENT_RUNS = 20


class ReportForm(FlaskForm):
    """Shape only: FundingSummaryInput checks the selection and the period."""

    programme_ids = MultiCheckboxField(_l("Programmes"), coerce=str, validate_choice=False,
                                       description=_l("None chosen: every programme."))
    call_ids = MultiCheckboxField(_l("Calls"), coerce=str, validate_choice=False,
                                  description=_l("None chosen: every call of the programmes above."))
    date_from = DateField(_l("Submitted from"), validators=[Optional()])
    date_to = DateField(_l("Submitted until"), validators=[Optional()],
                        description=_l("Amounts are converted at the latest rate on or before this day "
                                       "(today when it is empty)."))
    currency = SelectField(_l("Reporting currency"), validators=[InputRequired()])

    def fill_choices(self) -> None:
        programmes = db.session.execute(select(Programme.id, Programme.name, Programme.currency)
                                        .order_by(Programme.name)).all()
        calls = db.session.execute(select(Call.id, Call.title).order_by(Call.opens_at.desc(), Call.id)).all()
        self.programme_ids.choices = select_choices((p.id, p.name) for p in programmes)
        self.call_ids.choices = select_choices((c.id, c.title) for c in calls)
        currencies = sorted({p.currency for p in programmes} | {"EUR", "USD"})
        self.currency.choices = select_choices((c, c) for c in currencies if is_currency(c))


def _recent_runs() -> list[Run]:
    return db.session.scalars(select(Run).where(Run.kind == REPORT_RUN_KIND)
                              .order_by(Run.id.desc()).limit(RECENT_RUNS)).all()


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = ReportForm()
    form.fill_choices()
    if request.method == "GET" and request.args.get("again"):
        _fill_from_run(form, request.args.get("again", type=int))
    if form.validate_on_submit():
        try:
            run = report_runs.request_report(current_actor(), FundingSummaryInput.from_input(form.data))
        except ValidationFailed as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("core.run", run_id=run.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("reports/index.html", form=form, runs=_recent_runs(), RunStatus=RunStatus,
                           RUN_STATUS_LABELS=RUN_STATUS_LABELS, expired=report_runs.files_expired), status


def _fill_from_run(form: ReportForm, run_id: int | None) -> None:
    """"Compile again": the form filled with an earlier run's choices."""
    run = db.session.get(Run, run_id) if run_id else None
    if run is None or run.kind != REPORT_RUN_KIND:
        return
    params = run.params
    form.programme_ids.data = [str(i) for i in params.get("programme_ids") or []]
    form.call_ids.data = [str(i) for i in params.get("call_ids") or []]
    for name in ("date_from", "date_to"):
        if params.get(name):
            getattr(form, name).data = date.fromisoformat(params[name])
    form.currency.data = params.get("currency")


def _finished(run_id: int) -> Run | None:
    """The finished report run, None while it is not finished; 404 for anything else.

    Its result (the whole summary, which grows with the data) is loaded only if it is read.
    """
    run = db.session.get(Run, run_id, options=[defer(Run.result)])
    if run is None or run.kind != REPORT_RUN_KIND:
        abort(404)
    if run.status != RunStatus.SUCCEEDED:
        return None
    return run


@bp.get("/<int:run_id>/")
@admin_required
def dashboard(run_id: int):
    run = _finished(run_id)
    if run is None:
        return redirect(url_for("core.run", run_id=run_id))
    digest, expired = report_runs.stored_dashboard(run)
    return render_template("reports/dashboard.html", run=run, summary=digest, tables=summary_tables(digest),
                           charts=dashboard_charts(digest), cut_notes=cut_notes(digest), expired=expired,
                           formats=report_runs.FORMATS)


@bp.get("/<int:run_id>/tables/<name>")
@admin_required
def full_table(run_id: int, name: str):
    """Every row of one table of the summary, a page at a time: what the dashboard cut, in full."""
    run = _finished(run_id)
    if run is None:
        return redirect(url_for("core.run", run_id=run_id))
    page = table_page(summary_tables(run.result), name, request.args.get("page", 1, type=int))
    if page is None:
        abort(404)
    return render_template("reports/table.html", run=run, page=page)


@bp.get("/<int:run_id>/<any(csv, xlsx, pdf):fmt>")
@admin_required
def download(run_id: int, fmt: str):
    try:
        entry, stream = report_runs.report_file(current_actor(), run_id, fmt)
    except report_runs.FilesExpired as exc:
        return render_template("reports/expired.html", run_id=run_id, message=exc.message), 410
    return send_file(stream, mimetype=entry["content_type"], as_attachment=True, download_name=entry["name"],
                     max_age=0)


from cade.reports import views_targets  # noqa: E402,F401  (the representation-target pages, on this blueprint)
from cade.reports import views_open_data  # noqa: E402,F401  (the public /open-data page, on this blueprint)
