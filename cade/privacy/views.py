"""/account/data: download one's personal data, erase one's account, erase an organisation one owns."""

import json

from flask import Blueprint, Response, render_template
from flask_login import login_required

from cade.accounts.reauth import recent_sign_in_required
from cade.accounts.views import leave_session
from cade.core.db import utcnow
from cade.core.errors import DomainError
from cade.core.forms import current_actor, place_errors
from cade.extensions import db, limiter
from cade.privacy import erasure, export, organisations
from cade.privacy.permissions import can_erase_organisation
from cade.privacy.forms import EraseAccountForm, EraseOrganisationForm, ExportForm

bp = Blueprint("privacy", __name__, url_prefix="/account/data")
# The erasure forms check a password: a stolen session must not turn them into a way to guess it.
ERASE_LIMIT = "10 per hour"


@bp.app_context_processor
def _privacy_links():
    # The organisation's page offers erasure to its owners.
    return {"can_erase_organisation": can_erase_organisation}


@bp.get("")
@login_required
def index():
    me = current_actor()
    return render_template("privacy/index.html", export_form=ExportForm(),
                           blockers=erasure.erasure_blockers(me), owned=organisations.owned_organisations(me))


@bp.post("/export")
@login_required
@recent_sign_in_required
def download():
    form = ExportForm()
    if not form.validate_on_submit():
        return index()
    data = export.export_personal_data(current_actor())
    db.session.commit()
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="cade-personal-data-{utcnow():%Y-%m-%d}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/erase", methods=["GET", "POST"])
@login_required
@limiter.limit(ERASE_LIMIT, methods=["POST"])
@recent_sign_in_required(pages_too=False)
def erase():
    me = current_actor()
    form = EraseAccountForm()
    if form.validate_on_submit():
        try:
            outcome = erasure.erase_person(me, erasure.ErasureInput.from_input(form.data))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)  # a wrong password by its field, a refusal above the form
        else:
            leave_session()
            return render_template("privacy/erased.html", outcome=outcome)
    return render_template("privacy/erase.html", form=form, preview=erasure.preview_erasure(me),
                           blockers=erasure.erasure_blockers(me))


@bp.route("/organisations/<int:organisation_id>/erase", methods=["GET", "POST"])
@login_required
@limiter.limit(ERASE_LIMIT, methods=["POST"])
@recent_sign_in_required(pages_too=False)
def erase_organisation(organisation_id):
    me = current_actor()
    org = organisations.load_erasable_organisation(me, organisation_id)
    form = EraseOrganisationForm()
    if form.validate_on_submit():
        try:
            outcome = organisations.erase_organisation(me, org.id, erasure.ErasureInput.from_input(form.data))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)  # a wrong password by its field, a refusal above the form
        else:
            return render_template("privacy/organisation_erased.html", outcome=outcome)
    return render_template("privacy/erase_organisation.html", form=form, organisation=org,
                           preview=organisations.preview_organisation_erasure(org),
                           blockers=organisations.organisation_blockers(org))

