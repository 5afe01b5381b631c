"""Travel routes (claims and post-trip reports): the traveller or an owner writes the claim with receipts and the
post-trip report; an admin approves or adjusts the claim and records its payment. They join the travel blueprint
(cade/travel/views.py)."""

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from cade.applications.services.attachments import download_name
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, StorageUnavailable, UploadRejected, ValidationFailed
from cade.core.forms import current_actor
from cade.core.permissions import admin_required
from cade.core.questionnaires import kind_of
from cade.extensions import db
from cade.travel import claim_decisions, claims, post_trip
from cade.travel.constants import CLAIM_STATUS_LABELS, COST_CATEGORY_LABELS, PostTripStatus
from cade.travel.traveller_access import traveller_name, trip_for_writer, trip_or_404
from cade.travel.views import bp

LINE_FIELDS = ("category", "description", "paid", "paid_currency", "paid_on", "rate", "rate_source")


def _errors(error) -> dict:
    return claims.claim_errors(error)


def _locale() -> str:
    return str(get_locale() or "en")


def _writable_or_404(trip_id: int):
    try:
        return trip_for_writer(current_actor(), trip_id)
    except NotFound:
        abort(404)


def _claim_labels(claim) -> dict:
    labels = {name: label for name, label in (
        ("category", _("Cost category")), ("description", _("What it was")), ("paid", _("Amount paid")),
        ("paid_currency", _("Currency paid")), ("paid_on", _("Day paid")), ("rate", _("Rate used")),
        ("rate_source", _("Source of the rate")), ("receipt", _("Receipt")))}
    for line in (claim.lines if claim else []):
        category = COST_CATEGORY_LABELS.get(line.category, line.category)
        labels[f"receipt-{line.id}"] = _("Receipt: %(category)s", category=category)
        labels[f"reimbursable-{line.id}"] = _("Reimbursable: %(category)s", category=category)
        labels[f"reason-{line.id}"] = _("Reason: %(category)s", category=category)
    labels.update(paid_on_payment=_("Payment date"), reference=_("Payment reference"))
    return labels


def _summary(labels: dict, errors: dict) -> list[tuple[str, str, list]]:
    known = [(name, labels[name], errors[name]) for name in labels if name in errors]
    return known + [(name, name, messages) for name, messages in errors.items() if name not in labels]


def _claim_page(trip, *, template="travel/claim.html", values=None, errors=None, refusal=None, status=200):
    claim = claims.claim_of(trip)
    errors = errors or {}
    currency = trip.application.call.currency
    values = values if values is not None else {"paid_currency": currency}
    waiting = claims.not_claimable(trip) if claim is None else None
    return render_template(template, trip=trip, claim=claim, totals=claims.category_totals(trip, claim),
                           approved=claims.approved_amounts(trip), currency=currency, values=values, errors=errors,
                           summary=_summary(_claim_labels(claim), errors), refusal=refusal,
                           traveller=traveller_name(trip), categories=COST_CATEGORY_LABELS,
                           status_labels=CLAIM_STATUS_LABELS, editable=waiting is None and (claim is None or claim.status == "draft"),
                           waiting=str(waiting) if waiting else None,
                           reimbursable=claims.reimbursable_total(claim) if claim else 0,
                           today=utcnow().date().isoformat()), status


@bp.route("/trips/<int:trip_id>/claim", methods=["GET", "POST"])
@login_required
def claim(trip_id: int):
    trip = _writable_or_404(trip_id)
    if request.method == "GET":
        return _claim_page(trip)
    action = request.form.get("action", "add")
    values = {name: request.form.get(name, "") for name in LINE_FIELDS}
    try:
        if action == "add":
            command = claims.ClaimLineInput.from_input(values, locale=_locale())
            upload = request.files.get("receipt")
            receipt = (upload.stream, upload.filename) if upload is not None and upload.filename else None
            claims.add_claim_line(current_actor(), trip.id, command, receipt)
            message = _("The cost was added to your claim.")
        elif action.startswith("receipt-") and action[8:].isdigit():
            upload = request.files.get(action)
            if upload is None or not upload.filename:
                raise ValidationFailed({action: [_("Choose the receipt to attach.")]})
            try:
                claims.add_receipt(current_actor(), trip.id, int(action[8:]), upload.stream, upload.filename)
            except UploadRejected as error:
                raise ValidationFailed({action: [str(error)]}) from None
            message = _("The receipt was attached.")
        elif action.startswith("remove-") and action[7:].isdigit():
            claims.remove_claim_line(current_actor(), trip.id, int(action[7:]))
            message = _("The cost was removed from your claim.")
        elif action == "submit":
            claims.submit_claim(current_actor(), trip.id)
            message = _("Your claim was submitted. The programme team will check it and tell you.")
        else:
            abort(400)
    except (ValidationFailed, UploadRejected) as error:
        db.session.rollback()
        return _claim_page(trip_or_404(trip_id), values=values, errors=_errors(error), status=error.status)
    except StorageUnavailable as error:  # the cost and its receipt go together: both stay on the page
        db.session.rollback()
        field = action if action.startswith("receipt-") else "receipt"
        return _claim_page(trip_or_404(trip_id), values=values, errors={field: [str(error)]}, status=error.status)
    except InvalidTransition as error:
        db.session.rollback()
        return _claim_page(trip_or_404(trip_id), values=values, refusal=str(error), status=error.status)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("travel.claim", trip_id=trip.id))


@bp.get("/trips/<int:trip_id>/claim/receipts/<int:receipt_id>")
@login_required
def claim_receipt(trip_id: int, receipt_id: int):
    try:
        receipt, stream = claims.open_receipt(current_actor(), trip_id, receipt_id)
    except NotFound:
        abort(404)
    response = send_file(stream, mimetype=receipt.content_type, as_attachment=True,
                         download_name=download_name(receipt), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/trips/<int:trip_id>/claim", methods=["GET", "POST"])
@admin_required
def admin_claim(trip_id: int):
    try:
        trip = trip_or_404(trip_id)
    except NotFound:
        abort(404)
    claim_row = claims.claim_of(trip)
    if request.method == "GET":
        return _claim_page(trip, template="travel/claim_admin.html")
    if claim_row is None:
        abort(404)
    action = request.form.get("action", "")
    values = request.form.to_dict()
    try:
        if action == "approve":
            claim_decisions.decide_claim(current_actor(), claim_row.id, claim_decisions.read_adjustments(claim_row, request.form, _locale()))
            message = _("The claim is approved. The traveller and the organisation's owners have been told.")
        elif action == "pay":
            command = claim_decisions.ClaimPaymentInput.from_input(
                {"paid_on": request.form.get("paid_on", ""), "reference": request.form.get("reference", "")},
                today=utcnow().date())
            claim_decisions.pay_claim(current_actor(), claim_row.id, command)
            message = _("Payment recorded, reference %(reference)s.", reference=command.reference)
        else:
            abort(400)
    except ValidationFailed as error:
        db.session.rollback()
        errors = _errors(error)
        if "paid_on" in errors:
            errors["paid_on_payment"] = errors.pop("paid_on")
        return _claim_page(trip_or_404(trip_id), template="travel/claim_admin.html", values=values, errors=errors,
                           status=error.status)
    except InvalidTransition as error:
        db.session.rollback()
        return _claim_page(trip_or_404(trip_id), template="travel/claim_admin.html", values=values,
                           refusal=str(error), status=error.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("travel.admin_claim", trip_id=trip.id))


# ---------------------------------------------------------------- the post-trip report


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize(), "f")
    return str(value)


def _report_values(trip, report) -> dict:
    answers = {answer.question_id: answer for answer in (report.answers if report else [])}
    return {question.field_name: _plain(kind_of(question.kind).form_value(answers.get(question.id)))
            for question in post_trip.questions_of(trip)}


def _report_page(trip, *, values=None, errors=None, refusal=None, status=200):
    report = post_trip.report_of(trip)
    questions = post_trip.questions_of(trip)
    errors = errors or {}
    labels = {question.field_name: question.label for question in questions}
    today = utcnow().date()
    submitted = report is not None and report.status == PostTripStatus.SUBMITTED
    return render_template("travel/post_trip.html", trip=trip, report=report, questions=questions,
                           values=values if values is not None else _report_values(trip, report), errors=errors,
                           summary=_summary(labels, errors), refusal=refusal, traveller=traveller_name(trip),
                           submitted=submitted,
                           overdue=not submitted and trip.post_trip_due_on is not None
                           and trip.post_trip_due_on < today), status


@bp.route("/trips/<int:trip_id>/report", methods=["GET", "POST"])
@login_required
def post_trip_report(trip_id: int):
    trip = _writable_or_404(trip_id)
    if request.method == "GET":
        return _report_page(trip)
    posted = request.form.to_dict()
    answers = {question.id: request.form.get(question.field_name) for question in post_trip.questions_of(trip)
               if question.field_name in request.form}
    action = request.form.get("action", "save")
    try:
        post_trip.save_post_trip(current_actor(), trip.id, answers, _locale())
    except ValidationFailed as error:
        db.session.rollback()
        return _report_page(trip_or_404(trip_id), values=posted, errors=_errors(error), status=error.status)
    except InvalidTransition as error:
        db.session.rollback()
        return _report_page(trip_or_404(trip_id), values=posted, refusal=str(error), status=error.status)
    db.session.commit()  # a refused submission still keeps what was typed
    if action == "submit":
        try:
            post_trip.submit_post_trip(current_actor(), trip.id, {}, _locale())
        except ValidationFailed as error:
            db.session.rollback()
            return _report_page(trip_or_404(trip_id), values=posted, errors=_errors(error), status=error.status)
        except InvalidTransition as error:
            db.session.rollback()
            return _report_page(trip_or_404(trip_id), values=posted, refusal=str(error), status=error.status)
        db.session.commit()
        flash(_("Your post-trip report was submitted. Thank you."), "success")
    else:
        flash(_("Your post-trip report was saved. You can come back to it at any time."), "success")
    return redirect(url_for("travel.post_trip_report", trip_id=trip.id))

