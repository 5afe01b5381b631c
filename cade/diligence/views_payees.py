"""Due-diligence routes (payees); they join the diligence blueprint (cade/diligence/views.py).

An organisation's bank details page (its owners and the admins; a plain member or a stranger gets 404): the
verified and the waiting account, masked, the form to enter new details, and for admins the check, confirm and
reject buttons. The admins' screenings page of an organisation: the record so far and the form to add one.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required, is_admin
from cade.diligence import payees as service
from cade.diligence import screenings as screening_service
from cade.diligence.constants import PAYEE_STATUS_LABELS, SCREENING_RESULT_LABELS
from cade.diligence.forms_payees import PayeeForm, RejectionForm, ScreeningForm
from cade.diligence.models import PayeeAccount
from cade.diligence.views import bp
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.organisations.permissions import can_edit_organisation
from cade.programmes.models import Programme

bp.add_app_template_global(service.masked, "masked_account")


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not can_edit_organisation(current_user, organisation):
        abort(404)  # bank details are the owners' and the admins': for anyone else the page does not exist
    return organisation


def _letters(organisation_id: int) -> list[tuple[int, str]]:
    return [(letter.id, _("%(name)s, issued %(day)s", name=letter.original_name,
                          day=format_date(letter.issued_on, "medium")))
            for letter in service.bank_letters(organisation_id)]


def _page(organisation, form=None, rejection=None, *, status: int = 200, refusal: str | None = None,
          rejecting: int | None = None):
    form = form or PayeeForm(formdata=None, letters=_letters(organisation.id))
    return render_template("diligence/payee.html", organisation=organisation, form=form,
                           rejection=rejection or RejectionForm(formdata=None), rejecting=rejecting,
                           verified=service.verified_payee(organisation.id),
                           waiting=service.waiting_payee(organisation.id),
                           rejected=service.last_rejected_payee(organisation.id), status_labels=PAYEE_STATUS_LABELS,
                           is_admin=is_admin(current_user), refusal=refusal, has_letters=bool(form.bank_letter_id
                                                                                             .choices[1:])), status


@bp.route("/organisations/<int:organisation_id>/payee", methods=["GET", "POST"])
@login_required
def payee(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    if request.method == "GET":
        return _page(organisation)
    letters = _letters(organisation.id)
    form = PayeeForm(letters=letters)
    if not form.validate():  # only the CSRF token can fail here: the command cleans the fields
        return _page(organisation, form, status=400)
    try:
        command = service.PayeeInput.from_input(form.data, legal_name=organisation.name,
                                                 letter_ids=frozenset(letter_id for letter_id, _name in letters))
        service.enter_payee(current_actor(), organisation.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        place_errors(form, error)
        return _page(organisation, form, status=error.status)
    except (NotFound, PermissionDenied):
        abort(404)
    db.session.commit()
    flash(_("The bank details are saved. Two administrators check them against the bank letter before any "
            "payment is made to them; every owner has been told."), "success")
    return redirect(url_for("diligence.payee", organisation_id=organisation.id))


def _account_or_404(organisation: Organisation, account_id: int) -> PayeeAccount:
    account = db.session.get(PayeeAccount, account_id)
    if account is None or account.organisation_id != organisation.id:
        abort(404)
    return account


@bp.post("/organisations/<int:organisation_id>/payee/<int:account_id>/<any(check, confirm, reject):step>")
@login_required
def payee_step(organisation_id: int, account_id: int, step: str):
    organisation = _organisation_or_404(organisation_id)
    if not is_admin(current_user):
        abort(404)
    account = _account_or_404(organisation, account_id)
    rejection = RejectionForm()
    try:
        if step == "check":
            service.check_payee(current_actor(), account.id)
            done = _("Checked. A second administrator confirms the details next.")
        elif step == "confirm":
            service.confirm_payee(current_actor(), account.id)
            done = _("Confirmed: tranches are paid to this account from now on.")
        else:
            if not rejection.validate():
                return _page(organisation, rejection=rejection, status=400, rejecting=account.id)
            service.reject_payee(current_actor(), account.id, rejection.reason.data)
            done = _("Rejected. The owners are told why.")
    except ValidationFailed as error:
        db.session.rollback()
        place_errors(rejection, error)
        return _page(organisation, rejection=rejection, status=error.status, rejecting=account.id)
    except (PermissionDenied, InvalidTransition) as error:
        db.session.rollback()
        return _page(organisation, status=error.status, refusal=str(error))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("diligence.payee", organisation_id=organisation.id))


# ---------------------------------------------------------------- screenings (admins)


def _screening_form(organisation, formdata=None):
    programmes = list(db.session.scalars(select(Programme).order_by(Programme.name, Programme.id)))
    lists = list(dict.fromkeys(name for programme in programmes for name in programme.screening_lists or []))
    form = ScreeningForm(formdata=formdata, programmes=[(p.id, p.name) for p in programmes], lists=lists)
    if formdata is None:
        form.names.data = "\n".join(screening_service.names_to_screen(organisation))
        form.screened_on.data = utcnow().date().isoformat()
        if len(programmes) == 1:
            form.programme_id.data = str(programmes[0].id)
    return form, programmes


def _screenings_page(organisation, form, programmes, status: int = 200):
    return render_template("diligence/screenings.html", organisation=organisation, form=form,
                           programmes=[p for p in programmes if p.screening_lists],
                           screenings=screening_service.screenings_of(organisation.id),
                           result_labels=SCREENING_RESULT_LABELS), status


@bp.route("/admin/organisations/<int:organisation_id>/screenings", methods=["GET", "POST"])
@admin_required
def screenings(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if request.method == "GET":
        return _screenings_page(organisation, *_screening_form(organisation))
    form, programmes = _screening_form(organisation, request.form)
    if not form.validate():
        return _screenings_page(organisation, form, programmes, 400)
    data = {**form.data, "lists": [*(form.lists.data or []), *(form.other_lists.data or "").splitlines()]}
    try:
        command = screening_service.ScreeningInput.from_input(data, today=utcnow().date())
        screening_service.record_screening(current_actor(), organisation.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        place_errors(form, error, aliases=None if form.lists.choices else {"lists": "other_lists"})
        return _screenings_page(organisation, form, programmes, error.status)
    db.session.commit()
    flash(_("The screening is recorded."), "success")
    return redirect(url_for("diligence.screenings", organisation_id=organisation.id))
