"""Admin pages: a call's ranking with its targets, deciding one application, and releasing the decisions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from cade.accounts.reauth import recent_sign_in_required
from cade.applications.assisted import assisted_application_ids
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.constants import ADMIN_OFFER_LABELS, DECISION_OUTCOME_LABELS, RELEASED_STATUS
from cade.awards.forms import (
    FLAG_LABELS,
    AwardWaitlistedForm,
    RankingFilterForm,
    ReleaseConfirmForm,
    decision_form,
    targets_form,
)
from cade.awards.services import decisions, offers
from cade.awards.services.commitments import committed_total
from cade.awards.services.release import (
    ReleaseCountChanged,
    release_decisions,
    release_preview,
)
from cade.awards.services.ranking import rank_call
from cade.awards.views import bp
from cade.core.errors import BudgetExceeded, DomainError, InvalidTransition, ValidationFailed
from cade.core.forms import current_actor, place_errors, save_form
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.organisations.constants import ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS
from cade.programmes.models import Call
from cade.reviews.constants import RECOMMENDATION_LABELS
from cade.reviews.services.aggregation import score_summary
from cade.reviews.services.settings import SelectionTargetsInput, review_settings, set_selection_targets


@bp.context_processor
def _labels():
    return {
        "DECISION_OUTCOME_LABELS": DECISION_OUTCOME_LABELS,
        "RECOMMENDATION_LABELS": RECOMMENDATION_LABELS,
        "STAKEHOLDER_GROUP_LABELS": STAKEHOLDER_GROUP_LABELS,
        "ORGANISATION_TYPE_LABELS": ORGANISATION_TYPE_LABELS,
        "FLAG_LABELS": FLAG_LABELS,
        "RELEASED_STATUS": RELEASED_STATUS,
    }


# ---------------------------------------------------------------- the ranking


def _render_ranking(call: Call, targets, status: int = 200):
    filters = RankingFilterForm(formdata=request.args)
    filters.validate()
    page = request.args.get("page", 1, type=int)
    try:
        ranking = rank_call(call.id, filters.filters(), page=page)
    except ValidationFailed as error:
        # A range upside down: say so beside the field and rank without it.
        place_errors(filters, error)
        ranking = rank_call(call.id, filters.filters(), page=page)
    page_args = {key: value for key, value in request.args.items() if key != "page"}
    # What a declined or lapsed offer freed goes to the waiting list first, one action away.
    proposed = offers.first_waitlisted(call.id) if ranking.remaining_minor > 0 else None
    return render_template("awards/ranking.html", call=call, ranking=ranking, filters=filters, targets=targets,
                           page_args=page_args, unreleased=ranking.unreleased,
                           proposed=proposed, assisted_ids=assisted_application_ids(call.id)), status


@bp.route("/admin/calls/<int:call_id>/ranking", methods=["GET", "POST"])
@admin_required
def ranking(call_id: int):
    call = db.get_or_404(Call, call_id)
    if request.method == "GET":
        return _render_ranking(call, targets_form(review_settings(call.id)))
    if request.form.get("action") != "targets":
        abort(400)
    form = targets_form(review_settings(call.id), formdata=request.form)
    if form.validate() and save_form(form, lambda: set_selection_targets(
            current_actor(), call.id, SelectionTargetsInput.from_input(
                {"region_targets": form.region_targets(), "stakeholder_targets": form.stakeholder_targets()})),
            _("Selection targets saved.")):
        return redirect(url_for(".ranking", call_id=call.id, **request.args) + "#targets")
    return _render_ranking(call, form, status=422)


def _render_release(call: Call, form: ReleaseConfirmForm, *, changed_from: int | None = None, status: int = 200):
    return render_template("awards/release.html", call=call, form=form, preview=release_preview(call.id),
                           changed_from=changed_from), status


@bp.route("/admin/calls/<int:call_id>/release", methods=["GET", "POST"])
@admin_required
@recent_sign_in_required(pages_too=False)
def release(call_id: int):
    call = db.get_or_404(Call, call_id)
    if request.method == "GET" or "confirm" not in request.form:
        # First what would go out, and to whom. A POST without `confirm` (a page from before this step) asks too.
        return _render_release(call, ReleaseConfirmForm(formdata=None))
    form = ReleaseConfirmForm()
    if not form.validate():
        return _render_release(call, form, status=400)
    try:
        count = release_decisions(current_actor(), call.id, expected=form.expected.data)
    except ReleaseCountChanged:
        db.session.rollback()
        return _render_release(call, form, changed_from=form.expected.data, status=409)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".ranking", call_id=call.id))
    db.session.commit()
    if count:
        flash(ngettext("%(num)d decision released; the applicants are being told.",
                       "%(num)d decisions released; the applicants are being told.", count), "success")
    else:
        flash(_("There was nothing new to release."), "info")
    return redirect(url_for(".ranking", call_id=call.id))


# ---------------------------------------------------------------- one decision


def _render_decide(application: Application, form, status: int = 200, award_form=None):
    call = application.call
    decision = decisions.decision_for(application.id)
    waitlisted = offers.is_awardable_from_waitlist(application, decision)
    if waitlisted and award_form is None:
        award_form = AwardWaitlistedForm(formdata=None)
    return render_template(
        "awards/decide.html", application=application, call=call, form=form, decision=decision,
        summary=score_summary(application.id), awarded=committed_total(call.id),
        offer_labels=ADMIN_OFFER_LABELS, fx_missing=decision is not None and offers.fx_missing(decision),
        report_currency=offers.report_currency(), award_form=award_form if waitlisted else None,
    ), status


@bp.route("/admin/applications/<int:application_id>/decision", methods=["GET", "POST"])
@admin_required
@recent_sign_in_required(pages_too=False)
def decide(application_id: int):
    application = db.get_or_404(Application, application_id)
    if application.status == ApplicationStatus.DRAFT:
        abort(404)
    call = application.call
    if request.method == "GET":
        return _render_decide(application, decision_form(call, decisions.decision_for(application.id)))
    form = decision_form(call, formdata=request.form)
    if form.validate():
        try:
            command = decisions.DecisionInput.from_input(form.data, currency=call.currency)
            decisions.decide_application(current_actor(), application.id, command)
        except (ValidationFailed, BudgetExceeded) as error:
            db.session.rollback()
            place_errors(form, error)
        except InvalidTransition as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for(".decide", application_id=application.id))
        else:
            db.session.commit()
            flash(_("Decision saved. The applicant sees it once the call's decisions are released."), "success")
            return redirect(url_for(".ranking", call_id=call.id) + f"#application-{application.id}")
    return _render_decide(application, form, status=422)


@bp.post("/admin/applications/<int:application_id>/decision/award")
@admin_required
@recent_sign_in_required(pages_too=False)
def award_waitlisted(application_id: int):
    application = db.get_or_404(Application, application_id)
    call = application.call
    form = AwardWaitlistedForm()
    form.currency = call.currency
    if form.validate():
        try:
            command = offers.AwardWaitlistedInput.from_input(form.data, currency=call.currency)
            offers.award_waitlisted(current_actor(), application.id, command)
        except (ValidationFailed, BudgetExceeded) as error:
            db.session.rollback()
            place_errors(form, error)
        except InvalidTransition as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for(".decide", application_id=application.id), 303)
        else:
            db.session.commit()
            flash(_("Awarded from the waiting list: the offer has been sent to the applicant."), "success")
            return redirect(url_for(".decide", application_id=application.id), 303)
    return _render_decide(application, decision_form(call, decisions.decision_for(application.id)), status=422,
                          award_form=form)
