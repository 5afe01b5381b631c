"""/reports/targets/<programme>: the representation targets of a programme, set and removed by administrators.

Its routes live on the reports blueprint (imported at the end of cade/reports/views.py).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from babel.numbers import format_percent
from flask_babel import get_locale
from flask_babel import gettext as _

from cade.core.errors import NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.programmes.models import Programme
from cade.reports.forms import GROUP_FIELD_ALIASES, TargetForm
from cade.reports.models import RepresentationTarget
from cade.reports.services.targets import (TargetInput, delete_target, group_labeller, programme_targets,
                                           set_target)
from cade.reports.views import bp


@bp.app_template_filter("share")
def share_filter(value) -> str:
    """A target's fraction (0.125) as the reader writes a percentage ("12.5%", "12,5 %"), every digit it has."""
    return format_percent(value.normalize(), locale=str(get_locale() or "en"), decimal_quantization=False)


def _programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return programme


@bp.route("/targets/<int:programme_id>", methods=["GET", "POST"])
@admin_required
def targets(programme_id: int):
    programme = _programme(programme_id)
    form = TargetForm()
    if request.method == "GET" and request.args.get("edit"):
        shown = db.session.get(RepresentationTarget, request.args.get("edit", type=int) or 0)
        if shown is not None and shown.programme_id == programme.id:
            form.fill(shown)
    if form.validate_on_submit():
        try:
            target, created = set_target(current_actor(), programme.id, TargetInput.from_input(form.command_data()))
        except ValidationFailed as exc:
            db.session.rollback()
            place_errors(form, exc, aliases=GROUP_FIELD_ALIASES)
        else:
            group = group_labeller()(target.dimension, target.value)
            db.session.commit()
            flash(_("Target set: %(group)s.", group=group) if created else
                  _("Target changed: %(group)s.", group=group), "success")
            return redirect(url_for(".targets", programme_id=programme.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("reports/targets.html", programme=programme, form=form,
                           targets=programme_targets(programme.id)), status


@bp.post("/targets/<int:programme_id>/<int:target_id>/delete")
@admin_required
def remove_target(programme_id: int, target_id: int):
    programme = _programme(programme_id)
    target = db.session.get(RepresentationTarget, target_id)
    if target is not None and target.programme_id != programme.id:
        abort(404)
    group = group_labeller()(target.dimension, target.value) if target is not None else None
    try:
        delete_target(current_actor(), target_id)
    except NotFound as exc:  # a double click, or another tab removed it first
        db.session.rollback()
        flash(exc.message, "info")
    else:
        db.session.commit()
        flash(_("Target removed: %(group)s.", group=group), "success")
    return redirect(url_for(".targets", programme_id=programme.id), code=303)
