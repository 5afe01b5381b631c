"""The roles page: administrators find people and give or take the administrator, reviewer and trainer roles.

Joins the accounts blueprint (imported at the end of cade/accounts/views.py); the rules live in
cade/accounts/services/administration.py, the one role policy that the reviewer pool follows too.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cade.accounts import services
from cade.accounts.forms_roles import GRANT, RoleChangeForm, StaffSearchForm
from cade.accounts.models import User
from cade.accounts.reauth import recent_sign_in_required
from cade.accounts.services.administration import staff_page
from cade.accounts.views import bp
from cade.core.errors import DomainError, NotFound
from cade.core.forms import current_actor
from cade.core.permissions import admin_required, is_admin, role_label
from cade.extensions import db


@bp.get("/admin/roles")
@admin_required
def admin_roles():
    search = StaffSearchForm(formdata=request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    page = staff_page(query, page=request.args.get("page", 1, type=int))
    return render_template("accounts/admin_roles.html", search=search, query=query, page=page,
                           change_form=RoleChangeForm(formdata=None))


@bp.post("/admin/roles/<int:user_id>")
@admin_required
@recent_sign_in_required
def admin_change_role(user_id: int):
    back = url_for(".admin_roles", q=request.form.get("q") or None, page=request.form.get("page", 1, type=int))
    form = RoleChangeForm()
    if not form.validate():
        flash(_("Choose a role, then press “Give” or “Remove”."), "error")
        return redirect(back, 303)
    actor, role = current_actor(), form.role.data
    change = services.grant_role if form.change.data == GRANT else services.revoke_role
    try:
        changed = change(actor, user_id, role)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back, 303)
    db.session.commit()
    name, label = db.session.get(User, user_id).name, role_label(role)
    if form.change.data == GRANT:
        message = (_("%(name)s now has the role %(role)s, and has been told.", name=name, role=label) if changed
                   else _("%(name)s already has the role %(role)s: nothing changed.", name=name, role=label))
    else:
        message = (_("%(name)s no longer has the role %(role)s, and has been told.", name=name, role=label)
                   if changed else _("%(name)s does not have the role %(role)s: nothing changed.", name=name,
                                     role=label))
    flash(message, "success" if changed else "info")
    # An administrator who stepped down can no longer open the roles page.
    return redirect(back if is_admin(actor) else url_for("programmes.index"), 303)
