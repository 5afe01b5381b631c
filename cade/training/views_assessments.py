"""Capacity assessment pages: an organisation's assessments, the form, its gain, and the admin's view across all."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import login_required

from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.forms import current_actor
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.organisations.services.queries import organisations_for_user
from cade.reports.outputs.charts import grouped_bar_chart
from cade.training.assessments import gains
from cade.training.assessments import services as assessments
from cade.training.assessments.models import (
    ASSESSMENT_KIND_LABELS,
    ASSESSMENT_STATUS_LABELS,
    JUSTIFICATION_MAX_CHARS,
    SCORE_ANCHORS,
    AssessmentKind,
)
from cade.training.constants import DIMENSION_LABELS
from cade.training.forms import ConfirmForm
from cade.training.views import bp


def _number(value) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.##")


def _gain(value) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + format_decimal(value, format="#,##0.##")


def _chart(title, rows: list[gains.DimensionGain], before_label, after_label):
    return grouped_bar_chart(
        title, [str(DIMENSION_LABELS[row.dimension]) for row in rows],
        [(before_label, [row.before for row in rows]), (after_label, [row.after for row in rows])],
        value_format=_number, max_value=5, show_title=False)


def _context() -> dict:
    return {"ASSESSMENT_KIND_LABELS": ASSESSMENT_KIND_LABELS, "ASSESSMENT_STATUS_LABELS": ASSESSMENT_STATUS_LABELS,
            "SCORE_ANCHORS": SCORE_ANCHORS, "DIMENSIONS": assessments.DIMENSIONS,
            "JUSTIFICATION_MAX_CHARS": JUSTIFICATION_MAX_CHARS, "format_gain": _gain, "format_number": _number}


@bp.get("/training/assessments")
@login_required
def assessments_index():
    organisations = organisations_for_user(current_actor())
    chosen = request.args.get("organisation", type=int)
    organisation = next((o for o in organisations if o.id == chosen), organisations[0] if organisations else None)
    if chosen is not None and (organisation is None or organisation.id != chosen):
        abort(404)
    found = gains.organisation_assessments(organisation.id) if organisation else []
    comparison = gains.compare(found)
    chart = None
    if comparison.baseline and comparison.follow_up:
        chart = _chart(_("Capacity per dimension: baseline and latest follow-up (1–5)"), comparison.rows,
                       _("Baseline"), _("Latest follow-up"))
    baseline = next((a for a in found if a.kind == AssessmentKind.BASELINE), None)
    open_follow_up = next((a for a in found if a.kind == AssessmentKind.FOLLOW_UP and a.is_draft), None)
    return render_template("training/assessments/index.html", organisations=organisations,
                           organisation=organisation, assessments=found, comparison=comparison, chart=chart,
                           baseline=baseline, open_follow_up=open_follow_up, form=ConfirmForm(), **_context())


@bp.post("/training/assessments/start")
@login_required
def assessment_start():
    organisation_id = request.form.get("organisation_id", type=int)
    if not ConfirmForm().validate_on_submit() or organisation_id is None:
        flash(_("The form had expired. Please press the button again."), "error")
        return redirect(url_for(".assessments_index"))
    try:
        assessment = assessments.start_assessment(current_actor(), organisation_id, request.form.get("kind", ""))
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".assessments_index", organisation=organisation_id))
    db.session.commit()
    return redirect(url_for(".assessment_edit", assessment_id=assessment.id))


def _typed(form_data) -> dict:
    names = [name for d in assessments.DIMENSIONS
             for name in (assessments.score_field(d), assessments.justification_field(d))]
    return {name: form_data.get(name, "") for name in names}


def _saved(assessment) -> dict:
    values = {}
    for row in assessment.scores:
        values[assessments.score_field(row.dimension)] = "" if row.score is None else str(row.score)
        values[assessments.justification_field(row.dimension)] = row.justification or ""
    return values


def _form_page(assessment, *, values, errors=None, error=None, status=200):
    errors = {name: [str(m) for m in messages] for name, messages in (errors or {}).items()}
    return render_template("training/assessments/form.html", assessment=assessment, values=values, errors=errors,
                           error=error, form=ConfirmForm(), **_context()), status


@bp.route("/training/assessments/<int:assessment_id>", methods=["GET", "POST"])
@login_required
def assessment_edit(assessment_id):
    try:
        assessment = assessments.get_assessment(current_actor(), assessment_id)
    except NotFound:
        abort(404)
    if request.method == "GET":
        return _form_page(assessment, values=_saved(assessment))
    values = _typed(request.form)
    if not ConfirmForm().validate_on_submit():
        return _form_page(assessment, values=values, error=_("The form had expired. Please press the button again."),
                          status=400)
    submitting = request.form.get("action") == "submit"
    try:
        command = assessments.AssessmentInput.from_input(values, complete=submitting)
        if submitting:
            assessments.submit_assessment(current_actor(), assessment.id, command)
        else:
            assessments.save_assessment(current_actor(), assessment.id, command)
    except ValidationFailed as exc:
        db.session.rollback()
        if submitting and _keep_draft(assessment.id, values):
            error = _("Your answers are saved as a draft. Complete the marked fields to submit.")
        else:
            error = _("Nothing was saved yet. Please correct the marked fields.")
        return _form_page(db.session.get(type(assessment), assessment.id), values=values, errors=exc.errors,
                          error=error, status=422)
    except DomainError as exc:
        db.session.rollback()
        return _form_page(db.session.get(type(assessment), assessment.id), values=values, error=str(exc),
                          status=exc.status)
    db.session.commit()
    flash(_("Assessment submitted. Thank you.") if submitting else _("Draft saved."), "success")
    if submitting:
        return redirect(url_for(".assessments_index", organisation=assessment.organisation_id))
    return redirect(url_for(".assessment_edit", assessment_id=assessment.id))


def _keep_draft(assessment_id: int, values: dict) -> bool:
    """A submit refused for what is missing still keeps what was typed, as a draft."""
    try:
        assessments.save_assessment(current_actor(), assessment_id, assessments.AssessmentInput.from_input(values))
    except DomainError:
        db.session.rollback()
        return False
    db.session.commit()
    return True


@bp.get("/admin/training/assessments")
@admin_required
def admin_assessments():
    overall = gains.gains_by_dimension()
    chart = _chart(_("Mean capacity per dimension across organisations: baseline and latest follow-up (1–5)"),
                   overall, _("Baseline (mean)"), _("Latest follow-up (mean)"))
    return render_template("training/assessments/admin.html", overall=overall, chart=chart,
                           regions=gains.gains_by_region(), courses=gains.gains_by_course(), **_context())
