"""Routes for grant closure (joins the grants blueprint; imported at the end of cade/grants/views.py):
the admins' page recording money a grantee returned."""


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cade.core.db import utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.core.money import Money, minor_units
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.grants import closure, services
from cade.grants.views import bp

FIELDS = ("amount", "returned_on", "reference")




def _grant_or_404(grant_id: int):
    try:
        return services.get_grant(grant_id)
    except NotFound:
        abort(404)


def _page(grant, values: dict, errors: dict, status: int = 200):
    paid = closure.paid_out_minor(grant.id)
    return render_template(
        "grants/admin_returned.html", grant=grant, values=values, errors=errors, fields=FIELDS,
        paid=Money(paid, grant.currency), returned=Money(grant.returned_minor, grant.currency),
        room=Money(max(paid - grant.returned_minor, 0), grant.currency), places=minor_units(grant.currency),
        today=utcnow().date().isoformat()), status


@bp.route("/admin/grants/<int:grant_id>/returned", methods=["GET", "POST"])
@admin_required
def returned(grant_id: int):
    grant = _grant_or_404(grant_id)
    if request.method == "GET":
        return _page(grant, {name: "" for name in FIELDS}, {})
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        command = closure.ReturnedInput.from_input(values, currency=grant.currency, today=utcnow().date())
        closure.record_returned(current_user, grant.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        errors = {name: [str(message) for message in messages] for name, messages in error.errors.items()}
        return _page(_grant_or_404(grant_id), values, errors, error.status)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    flash(_("Recorded: %(amount)s returned (reference %(reference)s).",
            amount=Money(command.amount_minor, grant.currency).format(), reference=command.reference), "success")
    return redirect(url_for("grants.show", grant_id=grant.id))
