"""Report pages: the organisation writes, saves and submits a report; an admin reads it and approves it or asks
for changes. Routes join the grants blueprint (imported at the end of cade/grants/views.py)."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.applications.services.attachments import download_name
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, StorageUnavailable, UploadRejected, ValidationFailed
from cade.core.money import from_minor
from cade.core.permissions import admin_required, is_admin
from cade.core.questionnaires import kind_of
from cade.extensions import db
from cade.grants import report_files, reports
from cade.grants.constants import REPORT_KIND_LABELS, REPORT_STATUS_LABELS, SPEND_VARIANCE_EXPLAIN
from cade.grants.overdue import deadline_of, is_overdue
from cade.grants.report_input import ReportInput, input_from_form
from cade.grants.views import _viewable, bp
from cade.programmes.budgets import category_labels

bp.add_app_template_global(reports.grant_reports, "grant_reports")


def _errors(error: ValidationFailed) -> dict:
    return {name: [str(m) for m in messages] for name, messages in error.errors.items()}


def _plain(value: Decimal | None) -> str:
    # What a form shows for a stored number: read back as it is, whatever the reader's language.
    if value is None:
        return ""
    return format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize(), "f")


def _values(report) -> dict:
    """The saved report as its form's fields."""
    currency = report.grant.currency
    values = {"narrative": report.narrative or "",
              "total_spent": _plain(from_minor(report.total_spent_minor, currency))
              if report.total_spent_minor is not None else ""}
    answers = {answer.question_id: answer for answer in report.answers}
    for question in reports.questions_of(report):
        value = kind_of(question.kind).form_value(answers.get(question.id))
        values[question.field_name] = (value.isoformat() if hasattr(value, "isoformat")
                                       else _plain(value) if isinstance(value, Decimal) else value or "")
    for line in report.spend_lines:
        values[f"actual-{line.id}"] = (_plain(from_minor(line.actual_minor, currency))
                                       if line.actual_minor is not None else "")
        values[f"explanation-{line.id}"] = line.explanation or ""
    for value in report.indicator_values:
        values[f"indicator-{value.indicator_id}"] = _plain(value.value)
        values[f"evidence-{value.indicator_id}"] = value.evidence or ""
    return values


def _summary(report, rows, errors: dict) -> list[tuple[str, str, list]]:
    """The error summary: (field id, label, messages), in the order the fields appear on the page."""
    labels = {"narrative": _("Narrative")}
    for question in reports.questions_of(report):
        labels[question.field_name] = question.label
    for line in report.spend_lines:
        labels[f"actual-{line.id}"] = _("Actual spend, line %(n)d (%(what)s)", n=line.position, what=line.description)
        labels[f"explanation-{line.id}"] = _("Explanation, line %(n)d", n=line.position)
    labels["total_spent"] = _("Total spent")
    for row in rows:
        labels[f"indicator-{row.indicator.id}"] = row.indicator.label
        labels[f"evidence-{row.indicator.id}"] = _("Evidence: %(label)s", label=row.indicator.label)
    labels["file"] = _("Add a file")
    labels["approve-comments"] = _("Comments for the organisation")
    labels["changes-comments"] = _("What needs to change")
    order = list(labels)
    known = [(name, labels[name], errors[name]) for name in order if name in errors]
    return known + [(name, name, messages) for name, messages in errors.items() if name not in labels]


def _report_or_404(grant, report_id: int, *, admin: bool = False):
    try:
        report = reports.report_for_admin(report_id) if admin else reports.report_for_member(current_user, report_id)
    except NotFound:
        abort(404)
    if report.grant_id != grant.id:
        abort(404)  # a report of another grant is not at this address
    return report


def _page(report, *, values=None, errors=None, refusal=None, status=200, template=None):
    rows = reports.indicator_rows(report)
    errors = errors or {}
    editable = reports.is_editable(report) and not _is_admin_view()
    template = template or ("grants/report_form.html" if editable else "grants/report_show.html")
    return render_template(template, grant=report.grant, report=report, questions=reports.questions_of(report),
                           rows=rows, values=values if values is not None else _values(report), errors=errors,
                           summary=_summary(report, rows, errors), refusal=refusal, kind_labels=REPORT_KIND_LABELS,
                           status_labels=REPORT_STATUS_LABELS, variance=reports.variance,
                           needs_explanation=reports.needs_explanation, variance_limit=SPEND_VARIANCE_EXPLAIN,
                           percent=_percent, budget_categories=category_labels(report.grant.call), deadline=deadline_of(report),
                           overdue=is_overdue(report, utcnow().date())), status


def _percent(share: Decimal) -> str:
    return format_percent(share, "+#,##0.#%;-#,##0.#%")


def _is_admin_view() -> bool:
    return request.endpoint is not None and request.endpoint.startswith("grants.admin_")


@bp.route("/grants/<int:grant_id>/reports/<int:report_id>", methods=["GET", "POST"])
@login_required
def report(grant_id: int, report_id: int):
    grant = _viewable(grant_id)
    if is_admin(current_user) and request.method == "GET":
        try:
            reports.report_for_member(current_user, report_id)
        except NotFound:
            return redirect(url_for("grants.admin_report", grant_id=grant.id, report_id=report_id))
    report = _report_or_404(grant, report_id)
    if request.method == "GET":
        return _page(report)
    if not reports.is_editable(report):
        flash(str(reports.not_editable(report)), "error")
        return redirect(url_for("grants.report", grant_id=grant.id, report_id=report.id))
    return _post(report)


def _post(report):
    posted = request.form.to_dict()
    action = request.form.get("action", "save")
    try:
        command = ReportInput.from_input(input_from_form(request.form), currency=report.grant.currency,
                                         locale=str(get_locale() or "en"))
        reports.save_report(current_user, report.id, command)
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            report_files.add_report_attachment(current_user, report.id, upload.stream, upload.filename)
        if action.startswith("remove_file:") and action.partition(":")[2].isdigit():
            report_files.delete_report_attachment(current_user, report.id, int(action.partition(":")[2]))
    except ValidationFailed as error:
        return _refused(report, posted, errors=_errors(error), status=error.status)
    except UploadRejected as error:
        return _refused(report, posted, errors={"file": [str(error)]}, status=error.status)
    except StorageUnavailable as error:
        db.session.commit()  # the report was saved before the file: keep what was typed, ask for the file again
        return _refused(report, posted, errors={"file": [str(error)]}, status=error.status)
    except InvalidTransition as error:
        return _refused(report, posted, refusal=str(error), status=error.status)
    except NotFound:
        abort(404)
    db.session.commit()  # a refused submission still keeps what was typed
    if action == "submit":
        try:
            reports.submit_report(current_user, report.id, command)
        except ValidationFailed as error:
            return _refused(report, posted, errors=_errors(error), status=error.status)
        except InvalidTransition as error:
            return _refused(report, posted, refusal=str(error), status=error.status)
        db.session.commit()
        flash(_("Your report was submitted. The programme team will read it and tell you."), "success")
    else:
        flash(_("Your report was saved. You can come back to it at any time."), "success")
    return redirect(url_for("grants.report", grant_id=report.grant_id, report_id=report.id))


def _refused(report, posted: dict, *, errors=None, refusal=None, status=422):
    db.session.rollback()
    report = reports.report_for_member(current_user, report.id)
    return _page(report, values=posted, errors=errors, refusal=refusal, status=status,
                 template="grants/report_form.html" if reports.is_editable(report) else None)


@bp.get("/grants/<int:grant_id>/reports/<int:report_id>/files/<int:attachment_id>")
@login_required
def report_file(grant_id: int, report_id: int, attachment_id: int):
    grant = _viewable(grant_id)
    _report_or_404(grant, report_id, admin=is_admin(current_user))
    try:
        attachment, stream = report_files.open_report_attachment(current_user, report_id, attachment_id)
    except NotFound:
        abort(404)
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=download_name(attachment), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/admin/grants/<int:grant_id>/reports/<int:report_id>")
@admin_required
def admin_report(grant_id: int, report_id: int):
    grant = _viewable(grant_id)
    return _page(_report_or_404(grant, report_id, admin=True), template="grants/admin_report.html")


@bp.post("/admin/grants/<int:grant_id>/reports/<int:report_id>/<any(approve, changes):decision>")
@admin_required
def admin_review_report(grant_id: int, report_id: int, decision: str):
    grant = _viewable(grant_id)
    report = _report_or_404(grant, report_id, admin=True)
    comments = request.form.get("comments", "")
    try:
        if decision == "approve":
            reports.approve_report(current_user, report.id, comments)
        else:
            reports.request_changes(current_user, report.id, comments)
    except (ValidationFailed, InvalidTransition) as error:
        db.session.rollback()
        errors = {f"{decision}-{name}": messages for name, messages in _errors(error).items()} \
            if isinstance(error, ValidationFailed) else {}
        return _page(reports.report_for_admin(report.id), values={f"{decision}-comments": comments}, errors=errors,
                     refusal=None if errors else str(error), status=error.status,
                     template="grants/admin_report.html")
    db.session.commit()
    if decision == "approve":
        flash(_("The report is approved. The organisation has been told, and the tranches that waited for it can "
                "now be paid."), "success")
    else:
        flash(_("The report was sent back with your comments. The organisation has been told."), "success")
    return redirect(url_for("grants.admin_report", grant_id=grant.id, report_id=report.id))
