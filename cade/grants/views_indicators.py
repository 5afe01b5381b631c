"""Indicator pages (admins): a programme's outcome indicators, and a grant's targets with its progress."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _

from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.forms import current_actor, save_form
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.grants import indicators as service
from cade.grants.forms_indicators import IndicatorForm
from cade.grants.models import Grant, Indicator
from cade.grants.views import bp
from cade.programmes.models import Programme


def _programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return programme


def _indicator_or_404(programme: Programme, indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or indicator.programme_id != programme.id:
        abort(404)  # another programme's indicator is not reached through this one
    return indicator


def _list_page(programme: Programme, form: IndicatorForm | None = None, status: int = 200):
    return render_template("grants/indicators.html", programme=programme, form=form or IndicatorForm(),
                           indicators=service.indicators_of(programme.id, active_only=False),
                           used=service.used_indicator_ids(programme.id),
                           suggestions=service.default_indicators(programme.kind)), status


def _back(programme: Programme, anchor: str | None = None):
    return redirect(url_for("grants.programme_indicators", programme_id=programme.id, _anchor=anchor))


def _run(action, success_message: str) -> bool:
    """Run one service behind a button: commit and say so, or roll back and say why."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms] or [str(error)]
        flash(" ".join(messages), "error")
        return False
    db.session.commit()
    flash(success_message, "success")
    return True


@bp.route("/admin/programmes/<int:programme_id>/indicators", methods=["GET", "POST"])
@admin_required
def programme_indicators(programme_id: int):
    programme = _programme_or_404(programme_id)
    if request.method == "GET":
        return _list_page(programme)
    form = IndicatorForm()
    if form.validate_on_submit():
        # The command's own checks and the service's refusals both land beside their fields (save_form).
        if save_form(form, lambda: service.add_indicator(
                current_actor(), programme.id, service.IndicatorInput.from_input(form.data)), _("Indicator added.")):
            return _back(programme, "indicators")
    return _list_page(programme, form, 422)


@bp.route("/admin/programmes/<int:programme_id>/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_indicator(programme_id: int, indicator_id: int):
    programme = _programme_or_404(programme_id)
    indicator = _indicator_or_404(programme, indicator_id)
    form = IndicatorForm(obj=indicator)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if save_form(form, lambda: service.edit_indicator(
                    current_actor(), indicator.id, service.IndicatorInput.from_input(form.data)),
                    _("Indicator saved.")):
                return _back(programme, f"indicator-{indicator.id}")
        status = 422
    return render_template("grants/indicator_form.html", programme=programme, indicator=indicator, form=form,
                           code_locked=service.is_code_used(indicator.id)), status


@bp.post("/admin/programmes/<int:programme_id>/indicators/<int:indicator_id>/retire")
@admin_required
def retire_indicator(programme_id: int, indicator_id: int):
    programme = _programme_or_404(programme_id)
    indicator = _indicator_or_404(programme, indicator_id)
    _run(lambda: service.retire_indicator(current_actor(), indicator.id),
         _("“%(label)s” is retired: grantees are no longer asked for it; its values are kept.",
           label=indicator.label))
    return _back(programme, f"indicator-{indicator.id}")


@bp.post("/admin/programmes/<int:programme_id>/indicators/<int:indicator_id>/restore")
@admin_required
def restore_indicator(programme_id: int, indicator_id: int):
    programme = _programme_or_404(programme_id)
    indicator = _indicator_or_404(programme, indicator_id)
    _run(lambda: service.restore_indicator(current_actor(), indicator.id),
         _("“%(label)s” is asked for again.", label=indicator.label))
    return _back(programme, f"indicator-{indicator.id}")


@bp.post("/admin/programmes/<int:programme_id>/indicators/<int:indicator_id>/move")
@admin_required
def move_indicator(programme_id: int, indicator_id: int):
    programme = _programme_or_404(programme_id)
    indicator = _indicator_or_404(programme, indicator_id)
    _run(lambda: service.move_indicator(current_actor(), indicator.id, request.form.get("direction", "")),
         _("Indicator moved."))
    return _back(programme, f"indicator-{indicator.id}")


@bp.post("/admin/programmes/<int:programme_id>/indicators/suggested")
@admin_required
def add_suggested_indicators(programme_id: int):
    programme = _programme_or_404(programme_id)
    added: list = []
    try:
        added = service.add_suggested_indicators(current_actor(), programme.id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(programme)
    db.session.commit()
    if added:
        flash(ngettext("%(num)d suggested indicator added.", "%(num)d suggested indicators added.", len(added)),
              "success")
    else:
        flash(_("The programme already has every suggested indicator."), "info")
    return _back(programme, "indicators")


# ---------------------------------------------------------------- a grant's targets


def _grant_or_404(grant_id: int) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None:
        abort(404)
    return grant


@bp.route("/admin/grants/<int:grant_id>/indicators", methods=["GET", "POST"])
@admin_required
def grant_indicators(grant_id: int):
    grant = _grant_or_404(grant_id)
    active = service.indicators_of(service.grant_programme_id(grant))
    errors: dict = {}
    typed: dict = {}
    status = 200
    if request.method == "POST":
        typed = {item.id: request.form.get(f"target-{item.id}", "") for item in active}
        try:
            command = service.TargetsInput.from_form(request.form, [item.id for item in active])
            service.set_targets(current_actor(), grant.id, command)
        except ValidationFailed as error:
            db.session.rollback()
            errors = {name: [str(m) for m in messages] for name, messages in error.errors.items()}
            status = error.status
        except NotFound:
            abort(404)
        else:
            db.session.commit()
            flash(_("The targets are saved."), "success")
            return redirect(url_for("grants.grant_indicators", grant_id=grant.id))
    progress = service.grant_progress(grant)
    targets = {p.indicator.id: p.target for p in progress}
    values = typed or {item.id: "" if targets.get(item.id) is None else f"{targets[item.id].normalize():f}"
                       for item in active}
    return render_template("grants/grant_indicators.html", grant=grant, indicators=active, values=values,
                           errors=errors, progress=progress, format_percent=format_percent), status
