"""Admin pages of assisted applications: find an organisation and start its draft, and record its consent.

They join the applications blueprint (cade/applications/views.py). The draft
itself is filled in and submitted on the applicant's own edit page, which the
administrator who entered it may use for the organisation.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cade.applications import assisted
from cade.applications.constants import CONSENT_METHOD_LABELS
from cade.applications.forms_assisted import ConsentForm, OrganisationSearchForm, StartAssistedForm
from cade.applications.models import Application
from cade.applications.permissions import can_record_consent, is_assisting
from cade.applications.views import bp
from cade.core.errors import DomainError, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.programmes.models import Call


@bp.app_context_processor
def _consent_labels():
    # The assisted marker (applications/_assisted.html) is also shown on the awards pages.
    return {"consent_method_labels": CONSENT_METHOD_LABELS}


def _render_call_page(call: Call, status: int = 200):
    search = OrganisationSearchForm(formdata=request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    return render_template(
        "applications/assisted_call.html", call=call, search=search, query=query,
        candidates=assisted.find_organisations(call, query) if query else [],
        start_form=StartAssistedForm(formdata=None), entries=assisted.assisted_applications(call.id)), status


@bp.get("/admin/calls/<int:call_id>/assisted")
@admin_required
def assisted_call(call_id: int):
    return _render_call_page(db.get_or_404(Call, call_id))


@bp.post("/admin/calls/<int:call_id>/assisted")
@admin_required
def assisted_start(call_id: int):
    call = db.get_or_404(Call, call_id)
    form = StartAssistedForm()
    if not form.validate():
        flash(_("Choose an organisation from the search results."), "error")
        return _render_call_page(call, status=400)
    try:
        application = assisted.start_assisted_application(current_actor(), call.id, form.organisation_id.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_call_page(call, status=error.status)
    db.session.commit()
    flash(_("The draft was started for %(organisation)s. Enter its answers, record its consent, then submit it.",
            organisation=application.organisation.display_name), "success")
    return redirect(url_for("applications.edit", application_id=application.id), 303)


def _assisted_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.assisted_entry is None:
        abort(404)
    return application


def _consent_form(application: Application, formdata=None) -> ConsentForm:
    entry = application.assisted_entry
    data = None
    if formdata is None and entry.consent_recorded_at is not None:
        data = {"method": entry.consent_method, "given_by": entry.consent_given_by, "note": entry.consent_note}
    return ConsentForm(formdata=formdata, data=data)


def _render_consent(application: Application, form: ConsentForm, status: int = 200):
    return render_template("applications/assisted_consent.html", application=application, call=application.call,
                           entry=application.assisted_entry, form=form,
                           assisting=is_assisting(current_actor(), application),
                           history=assisted.assisted_history(application.id),
                           history_labels=assisted.HISTORY_LABELS), status


@bp.route("/admin/applications/<int:application_id>/assisted", methods=["GET", "POST"])
@admin_required
def assisted_consent(application_id: int):
    application = _assisted_or_404(application_id)
    if request.method == "GET":
        return _render_consent(application, _consent_form(application))
    form = _consent_form(application, formdata=request.form)
    if not can_record_consent(current_actor(), application):
        flash(_("This application has been submitted or withdrawn: its consent record can no longer change."),
              "error")
        return _render_consent(application, form, status=409)
    if form.validate():
        try:
            assisted.record_consent(current_actor(), application.id, assisted.ConsentInput.from_input(form.data))
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return _render_consent(application, form, status=error.status)
        else:
            db.session.commit()
            flash(_("The organisation's consent is on record."), "success")
            if is_assisting(current_actor(), application):
                return redirect(url_for("applications.edit", application_id=application.id), 303)
            return redirect(url_for("applications.assisted_consent", application_id=application.id), 303)
    return _render_consent(application, form, status=422)
