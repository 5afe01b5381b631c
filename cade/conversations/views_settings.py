"""A call's clarification setting (admins): whether its reviewers may ask applicants to clarify."""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _

from cade.conversations.forms import ClarificationSettingsForm
from cade.conversations.settings import ClarificationSettingsInput, set_clarification_settings
from cade.conversations.views import bp
from cade.core.forms import current_actor, save_form
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.programmes.models import Call


@bp.route("/admin/calls/<int:call_id>/clarifications", methods=["GET", "POST"])
@admin_required
def call_settings(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    form = ClarificationSettingsForm(data={"reviewers_may_clarify": call.reviewers_may_clarify})
    if form.validate_on_submit() and save_form(
            form, lambda: set_clarification_settings(current_actor(), call.id,
                                                     ClarificationSettingsInput.from_input(form.data)),
            _("The clarification setting of this call was saved.")):
        return redirect(url_for("programmes.call_admin", call_id=call.id))
    return render_template("conversations/call_settings.html", call=call, form=form,
                           in_review=call.is_in_review()), 422 if form.errors else 200
