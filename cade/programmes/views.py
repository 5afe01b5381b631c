"""Public call pages and the admin pages for programmes, calls, questions and rubrics."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from cade.core.db import utcnow
from cade.core.errors import DomainError, ValidationFailed
from cade.core.questionnaires import QuestionnairePurpose
from cade.core.permissions import admin_required
from cade.core.forms import current_actor, place_errors, save_form
from cade.core.rules import call_conditions
from cade.extensions import db
from cade.programmes import services
from cade.programmes.budgets import budget_template
from cade.programmes.constants import CALL_PHASE_LABELS, PROGRAMME_KIND_LABELS, QUESTION_KIND_LABELS, CallPhase
from cade.programmes.forms import (
    CriterionForm,
    ProgrammeForm,
    QuestionForm,
    call_form,
    call_form_data,
    question_form_data,
)
from cade.programmes.models import Call, Programme, Question, RubricCriterion
from cade.programmes.permissions import can_view_call
from cade.programmes.services import CallInput, CriterionInput, ProgrammeInput, QuestionInput
from cade.programmes.services.questions import QuestionnaireOwner, owner_of_question

bp = Blueprint("programmes", __name__)


@bp.context_processor
def _labels():
    return {
        "PROGRAMME_KIND_LABELS": PROGRAMME_KIND_LABELS,
        "CALL_PHASE_LABELS": CALL_PHASE_LABELS,
        "QUESTION_KIND_LABELS": QUESTION_KIND_LABELS,
        "call_conditions": call_conditions,
    }


def _flash_error(exc: DomainError) -> None:
    flash(str(exc), "error")
    for messages in getattr(exc, "errors", {}).values():
        for message in messages:
            flash(str(message), "error")


def _run(action, success_message: str | None = None) -> None:
    """Run one service behind a button: commit and say so, or roll back and say why."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        db.session.commit()
        if success_message:
            flash(success_message, "success")


def _countdown(call: Call, now: datetime) -> str | None:
    phase = call.phase(now)
    if phase == CallPhase.OPEN:
        return _("Closes %(when)s", when=format_timedelta(call.closes_at - now, add_direction=True, threshold=1.5))
    if phase == CallPhase.UPCOMING:
        return _("Opens %(when)s", when=format_timedelta(call.opens_at - now, add_direction=True, threshold=1.5))
    if phase == CallPhase.CLOSED:
        return _("Closed %(when)s", when=format_timedelta(call.closes_at - now, add_direction=True, threshold=1.5))
    return None


def _apply_url(call: Call) -> str | None:
    # The applications blueprint owns this page; the call page must render even before it exists.
    try:
        return url_for("applications.start", call_id=call.id)
    except BuildError:
        return None


# ---------------------------------------------------------------- public pages


@bp.get("/")
def index():
    now = utcnow()
    page = services.open_calls_page(now, request.args.get("page", 1, type=int))
    return render_template("programmes/index.html", open_calls=page.items, page=page,
                           upcoming_calls=services.upcoming_calls(now), now=now)


@bp.get("/calls/closed")
def closed():
    now = utcnow()
    return render_template("programmes/closed.html", calls=services.recently_closed_calls(now),
                           days=services.RECENTLY_CLOSED_DAYS, now=now)


@bp.get("/calls/<int:call_id>")
def call(call_id):
    call = db.get_or_404(Call, call_id)
    if not can_view_call(current_user, call):
        abort(404)
    now = utcnow()
    phase = call.phase(now)
    viewer_tz = current_user.timezone if current_user.is_authenticated else None
    return render_template(
        "programmes/call.html", call=call, phase=phase, now=now, countdown=_countdown(call, now),
        viewer_tz=viewer_tz if viewer_tz and viewer_tz != call.timezone else None,
        apply_url=_apply_url(call) if phase == CallPhase.OPEN else None,
        budget=budget_template(call),
    )


# ---------------------------------------------------------------- admin: programmes


@bp.get("/admin/")
@admin_required
def admin_index():
    page = services.programmes_page(request.args.get("page", 1, type=int))
    ids = [programme.id for programme in page.items]
    return render_template("programmes/admin_index.html", programmes=page.items, page=page, now=utcnow(),
                           latest_calls=services.latest_calls_by_programme(ids),
                           call_counts=services.call_counts_by_programme(ids))


@bp.get("/admin/programmes/<int:programme_id>")
@admin_required
def programme_admin(programme_id):
    programme = db.get_or_404(Programme, programme_id)
    page = services.programme_calls_page(programme.id, request.args.get("page", 1, type=int))
    return render_template("programmes/programme_admin.html", programme=programme, calls=page.items, page=page,
                           now=utcnow())


@bp.route("/admin/programmes/new", methods=["GET", "POST"])
@admin_required
def programme_create():
    form = ProgrammeForm()
    if form.validate_on_submit() and save_form(
            form, lambda: services.create_programme(current_actor(), ProgrammeInput.from_input(form.data)),
            _("Programme created.")):
        return redirect(url_for(".admin_index"))
    return render_template("programmes/programme_form.html", form=form, programme=None)


@bp.route("/admin/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@admin_required
def programme_edit(programme_id):
    programme = db.get_or_404(Programme, programme_id)
    form = ProgrammeForm(obj=programme)
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_programme(current_actor(), programme.id, ProgrammeInput.from_input(form.data)),
            _("Programme saved.")):
        return redirect(url_for(".admin_index"))
    return render_template("programmes/programme_form.html", form=form, programme=programme)


# ---------------------------------------------------------------- admin: calls


@bp.route("/admin/programmes/<int:programme_id>/calls/new", methods=["GET", "POST"])
@admin_required
def call_create(programme_id):
    programme = db.get_or_404(Programme, programme_id)
    form = call_form(currency=programme.currency)
    if form.validate_on_submit():
        try:
            command = CallInput.from_input(form.data, currency=programme.currency)
            new_call = services.create_call(current_actor(), programme.id, command)
        except ValidationFailed as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Call created as a draft. Add its questions and rubric, then publish it."), "success")
            return redirect(url_for(".call_admin", call_id=new_call.id))
    return render_template("programmes/call_form.html", form=form, programme=programme, call=None)


@bp.route("/admin/calls/<int:call_id>/edit", methods=["GET", "POST"])
@admin_required
def call_edit(call_id):
    call = db.get_or_404(Call, call_id)
    rules = services.call_edit_rules(call)
    # A locked blind review is shown as text, so the post leaves it out and the call keeps it; a box ticked
    # on a page opened before the lock still reaches the service, which says why it cannot change.
    form = call_form(currency=call.currency, data=call_form_data(call), in_review=rules.in_review,
                     blind_review=not rules.blind_review_locked or "blind_review" in request.form)
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_call(current_actor(), call.id,
                                               CallInput.from_input(form.data, currency=call.currency)),
            _("Call saved.")):
        return redirect(url_for(".call_admin", call_id=call.id))
    return render_template("programmes/call_form.html", form=form, programme=call.programme, call=call,
                           rules=rules)


def _render_call_admin(call, question_form=None, criterion_form=None):
    return render_template(
        "programmes/call_admin.html", call=call, phase=call.phase(), now=utcnow(),
        question_form=question_form or QuestionForm(prefix="question"),
        criterion_form=criterion_form or CriterionForm(prefix="criterion"),
        publish_problems=services.publish_problems(call), locked=services.is_call_locked(call),
        rubric_locked=services.is_rubric_locked(call),
    )


@bp.get("/admin/calls/<int:call_id>")
@admin_required
def call_admin(call_id):
    return _render_call_admin(db.get_or_404(Call, call_id))


@bp.post("/admin/calls/<int:call_id>/publish")
@admin_required
def call_publish(call_id):
    call = db.get_or_404(Call, call_id)
    _run(lambda: services.publish_call(current_actor(), call.id), _("The call is published."))
    return redirect(url_for(".call_admin", call_id=call_id))


@bp.post("/admin/calls/<int:call_id>/unpublish")
@admin_required
def call_unpublish(call_id):
    call = db.get_or_404(Call, call_id)
    _run(lambda: services.unpublish_call(current_actor(), call.id),
         _("The call is back to draft and hidden from the public."))
    return redirect(url_for(".call_admin", call_id=call_id))


# ---------------------------------------------------------------- admin: questions and criteria


@bp.post("/admin/calls/<int:call_id>/questions")
@admin_required
def question_add(call_id):
    call = db.get_or_404(Call, call_id)
    form = QuestionForm(prefix="question")
    if form.validate_on_submit() and save_form(
            form, lambda: services.add_question(current_actor(), call.id, QuestionInput.from_input(form.data)),
            _("Question added.")):
        return redirect(url_for(".call_admin", call_id=call.id, _anchor="questions"))
    return _render_call_admin(call, question_form=form)


# The page (an endpoint taking `call_id`) that edits each purpose of questionnaire; a domain above that owns
# questionnaires registers its page here (cade/grants/views_report_templates.py: a call's report templates).
question_pages: dict[str, str] = {QuestionnairePurpose.CALL_APPLICATION: "programmes.call_admin"}


def _questions_url(owner: QuestionnaireOwner, anchor: str | None = None) -> str:
    return url_for(question_pages[owner.purpose], call_id=owner.call.id, _anchor=anchor or owner.anchor)


def _owner_or_404(question: Question) -> QuestionnaireOwner:
    try:
        return owner_of_question(question)
    except DomainError:
        abort(404)


@bp.route("/admin/questions/<int:question_id>/edit", methods=["GET", "POST"])
@admin_required
def question_edit(question_id):
    question = db.get_or_404(Question, question_id)
    owner = _owner_or_404(question)
    form = QuestionForm(data=question_form_data(question))
    # A report template's questions freeze once a report using them is submitted: said on the form, input kept.
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_question(current_actor(), question.id, QuestionInput.from_input(form.data)),
            _("Question saved."), refusal=DomainError):
        return redirect(_questions_url(owner))
    return render_template("programmes/question_form.html", form=form, question=question, call=owner.call,
                           back_url=_questions_url(owner), frozen=owner.frozen())


@bp.post("/admin/questions/<int:question_id>/delete")
@admin_required
def question_delete(question_id):
    question = db.get_or_404(Question, question_id)
    owner = _owner_or_404(question)
    _run(lambda: services.delete_question(current_actor(), question.id), _("Question deleted."))
    return redirect(_questions_url(owner))


@bp.post("/admin/questions/<int:question_id>/move")
@admin_required
def question_move(question_id):
    question = db.get_or_404(Question, question_id)
    owner = _owner_or_404(question)
    _run(lambda: services.move_question(current_actor(), question.id, request.form.get("direction", "")))
    return redirect(_questions_url(owner, f"question-{question_id}"))


@bp.post("/admin/calls/<int:call_id>/criteria")
@admin_required
def criterion_add(call_id):
    call = db.get_or_404(Call, call_id)
    form = CriterionForm(prefix="criterion")
    if form.validate_on_submit():
        try:
            if save_form(form, lambda: services.add_criterion(current_actor(), call.id, CriterionInput.from_input(form.data)),
                     _("Criterion added.")):
                return redirect(url_for(".call_admin", call_id=call.id, _anchor="rubric"))
        except DomainError as exc:  # the rubric became fixed while the page was open
            db.session.rollback()
            _flash_error(exc)
            return redirect(url_for(".call_admin", call_id=call.id, _anchor="rubric"))
    return _render_call_admin(call, criterion_form=form)


@bp.route("/admin/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@admin_required
def criterion_edit(criterion_id):
    criterion = db.get_or_404(RubricCriterion, criterion_id)
    form = CriterionForm(obj=criterion)
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_criterion(current_actor(), criterion.id, CriterionInput.from_input(form.data)),
            _("Criterion saved.")):
        return redirect(url_for(".call_admin", call_id=criterion.call_id, _anchor="rubric"))
    return render_template("programmes/criterion_form.html", form=form, criterion=criterion, call=criterion.call,
                           rubric_locked=services.is_rubric_locked(criterion.call))


@bp.post("/admin/criteria/<int:criterion_id>/delete")
@admin_required
def criterion_delete(criterion_id):
    criterion = db.get_or_404(RubricCriterion, criterion_id)
    call_id = criterion.call_id
    _run(lambda: services.delete_criterion(current_actor(), criterion.id), _("Criterion deleted."))
    return redirect(url_for(".call_admin", call_id=call_id, _anchor="rubric"))


@bp.post("/admin/criteria/<int:criterion_id>/move")
@admin_required
def criterion_move(criterion_id):
    criterion = db.get_or_404(RubricCriterion, criterion_id)
    call_id = criterion.call_id
    _run(lambda: services.move_criterion(current_actor(), criterion.id, request.form.get("direction", "")))
    return redirect(url_for(".call_admin", call_id=call_id, _anchor=f"criterion-{criterion_id}"))


from cade.programmes import views_languages  # noqa: E402,F401  (the languages of a call: its admin pages)
from cade.programmes import views_form_pdf  # noqa: E402,F401  (the printable blank form of a call)
from cade.programmes import views_budgets  # noqa: E402,F401  (a call's budget template: its admin pages)
