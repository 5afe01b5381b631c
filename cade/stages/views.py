"""Pages of cade/stages (see its package docstring): a call's two stages (admins), a concept note's files for the
reviewers of its full proposal, and the template globals that put a concept note beside its full proposal."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import REVIEWER, admin_required, role_required
from cade.extensions import db
from cade.programmes.models import Call
from cade.stages import links, reading
from cade.stages.forms import StageUnlinkForm, stage_link_form
from cade.stages.links import StageLinkInput

bp = Blueprint("stages", __name__)

bp.add_app_template_global(reading.stage_facts, "stage_facts")


@bp.app_template_global("concept_note_for_review")
def _concept_note_for_review(assignment_id: int):
    # Asked by the review page with its own assignment: the service checks again who is reading.
    return reading.concept_note_for_review(current_actor(), assignment_id)


def _render(call: Call, form=None, unlink_form=None, status: int = 200):
    candidates = links.concept_call_candidates(call)
    return render_template(
        "stages/admin_call.html", call=call, form=form or stage_link_form(call, candidates),
        unlink_form=unlink_form or StageUnlinkForm(formdata=None), in_review=call.is_in_review(),
        applications=links.application_count(call.id), has_candidates=bool(candidates),
        shortlisted=links.shortlisted_count(call.concept_call_id or call.id),
    ), status


@bp.route("/admin/calls/<int:call_id>/stages", methods=["GET", "POST"])
@admin_required
def call_stages(call_id: int):
    call = db.get_or_404(Call, call_id)
    if request.method == "GET":
        return _render(call)
    form = stage_link_form(call, links.concept_call_candidates(call), formdata=request.form)
    if form.validate():
        try:
            links.link_stages(current_actor(), call.id, StageLinkInput.from_input(form.data))
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            db.session.commit()
            flash(_("The two stages are saved."), "success")
            return redirect(url_for(".call_stages", call_id=call.id), 303)
    return _render(db.session.get(Call, call_id), form=form, status=422)


@bp.post("/admin/calls/<int:call_id>/stages/unlink")
@admin_required
def unlink(call_id: int):
    call = db.get_or_404(Call, call_id)
    form = StageUnlinkForm()
    if form.validate():
        try:
            links.unlink_stages(current_actor(), call.id, form.reason.data)
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        except InvalidTransition as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for(".call_stages", call_id=call.id), 303)
        else:
            db.session.commit()
            flash(_("This call has one stage again."), "success")
            return redirect(url_for(".call_stages", call_id=call.id), 303)
    return _render(db.session.get(Call, call_id), unlink_form=form, status=422)


@bp.get("/review/assignments/<int:assignment_id>/concept-note/attachments/<int:attachment_id>")
@role_required(REVIEWER)
def concept_note_attachment(assignment_id: int, attachment_id: int):
    try:
        entry, stream = reading.open_concept_note_attachment(current_actor(), assignment_id, attachment_id)
    except (NotFound, FileNotFoundError):
        abort(404)
    response = send_file(stream, mimetype=entry.content_type, as_attachment=True,
                         download_name=entry.download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
