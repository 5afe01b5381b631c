"""Enquiries routes (admins): a call's notices, a corrigendum and a deadline extension.

They join the enquiries blueprint (cade/enquiries/views.py)."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from cade.core.db import utcnow
from cade.core.errors import DomainError
from cade.core.forms import current_actor, save_form
from cade.core.permissions import admin_required
from cade.enquiries import notices
from cade.enquiries.forms import corrigendum_form, extension_form, translation_fields
from cade.enquiries.views import bp
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call


def _notices_page(call: Call, status: int = 200, *, corrigendum=None, extension=None):
    return render_template(
        "enquiries/admin_notices.html", call=call, notices=notices.notices_of(call.id),
        published=call.status == CallStatus.PUBLISHED, open=utcnow() < call.closes_at,
        corrigendum_form=corrigendum or corrigendum_form(call, formdata=None),
        extension_form=extension or extension_form(call, formdata=None),
        translation_fields=translation_fields), status


def _back(call: Call):
    return redirect(url_for("enquiries.admin_notices", call_id=call.id, _anchor="notices"), code=303)


@bp.get("/admin/calls/<int:call_id>/notices")
@admin_required
def admin_notices(call_id: int):
    return _notices_page(db.get_or_404(Call, call_id))


@bp.post("/admin/calls/<int:call_id>/notices/corrigendum")
@admin_required
def add_corrigendum(call_id: int):
    call = db.get_or_404(Call, call_id)
    form = corrigendum_form(call)
    if form.validate_on_submit() and save_form(form, lambda: notices.publish_corrigendum(
            current_actor(), call.id, notices.CorrigendumInput.from_input(form.data, language=call.language)),
            _("The corrigendum is published; organisations with a draft are told."), refusal=DomainError):
        return _back(call)
    return _notices_page(call, 422, corrigendum=form)


@bp.post("/admin/calls/<int:call_id>/notices/extension")
@admin_required
def add_extension(call_id: int):
    call = db.get_or_404(Call, call_id)
    form = extension_form(call)
    if form.validate_on_submit() and save_form(form, lambda: notices.extend_deadline(
            current_actor(), call.id, notices.ExtensionInput.from_input(
                form.data, language=call.language, timezone=call.timezone)),
            _("The deadline is extended; organisations with a draft are told."), refusal=DomainError):
        return _back(call)
    return _notices_page(call, 422, extension=form)
