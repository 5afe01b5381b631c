"""Enquiries routes (admins): a call's questions, their answers, setting one aside, and the cut-off.

They join the enquiries blueprint (cade/enquiries/views.py)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cade.core.errors import DomainError, NotFound
from cade.core.forms import current_actor, save_form
from cade.core.permissions import admin_required
from cade.core.timeutil import utc_to_local
from cade.enquiries import answering
from cade.enquiries.asking import question_cutoff, questions_open
from cade.enquiries.constants import ENQUIRY_STATUS_LABELS, EnquiryStatus
from cade.enquiries.forms import CutoffForm, answer_form, translation_fields
from cade.enquiries.models import CallQuestion
from cade.enquiries.texts import translation_form_data
from cade.enquiries.views import bp
from cade.extensions import db
from cade.programmes.models import Call


def _call_or_404(call_id: int) -> Call:
    return db.get_or_404(Call, call_id)


def _question_or_404(call: Call, question_id: int) -> CallQuestion:
    question = db.session.get(CallQuestion, question_id)
    if question is None or question.call_id != call.id:
        abort(404)  # another call's question is not reached through this one
    return question


def _cutoff_form(call: Call) -> CutoffForm:
    typed = call.questions_close_at and utc_to_local(call.questions_close_at, call.timezone).replace(tzinfo=None)
    return CutoffForm(formdata=None, data={"questions_close_at": typed})


def _questions_page(call: Call, status: int = 200, cutoff_form: CutoffForm | None = None):
    return render_template("enquiries/admin_questions.html", call=call, questions=answering.questions_for_staff(call.id),
                           cutoff=question_cutoff(call), is_open=questions_open(call),
                           cutoff_form=cutoff_form or _cutoff_form(call),
                           STATUS_LABELS=ENQUIRY_STATUS_LABELS), status


@bp.get("/admin/calls/<int:call_id>/questions")
@admin_required
def admin_questions(call_id: int):
    return _questions_page(_call_or_404(call_id))


@bp.post("/admin/calls/<int:call_id>/questions/cutoff")
@admin_required
def set_cutoff(call_id: int):
    call = _call_or_404(call_id)
    form = CutoffForm()
    if form.validate_on_submit() and save_form(form, lambda: answering.set_question_cutoff(
            current_actor(), call.id, answering.CutoffInput.from_input(form.data, timezone=call.timezone)),
            _("The cut-off for questions is saved."), refusal=DomainError):
        return redirect(url_for("enquiries.admin_questions", call_id=call.id, _anchor="cutoff"), code=303)
    return _questions_page(call, 422, cutoff_form=form)


@bp.route("/admin/calls/<int:call_id>/questions/<int:question_id>", methods=["GET", "POST"])
@admin_required
def answer(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    question = _question_or_404(call, question_id)
    if question.status not in (EnquiryStatus.PENDING, EnquiryStatus.PUBLISHED):
        abort(404)  # set aside: nothing to answer or correct
    publishing = question.status == EnquiryStatus.PENDING
    if request.method == "GET":
        data = {"public_question": question.public_question or question.body, "answer": question.answer,
                **translation_form_data(question, answering.ANSWER_FIELDS)}
        form = answer_form(call, data=data)
    else:
        form = answer_form(call)
        service = answering.publish_answer if publishing else answering.correct_answer
        message = _("The answer is published.") if publishing else _("The correction is saved.")
        if form.validate_on_submit() and save_form(form, lambda: service(
                current_actor(), question.id, answering.AnswerInput.from_input(form.data, language=call.language)),
                message, refusal=DomainError):
            return redirect(url_for("enquiries.admin_questions", call_id=call.id,
                                    _anchor=f"question-{question.id}"), code=303)
    return render_template("enquiries/answer.html", call=call, question=question, form=form,
                           publishing=publishing, translation_fields=translation_fields,
                           STATUS_LABELS=ENQUIRY_STATUS_LABELS), 200 if request.method == "GET" else 422


@bp.post("/admin/calls/<int:call_id>/questions/<int:question_id>/dismiss")
@admin_required
def dismiss(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    question = _question_or_404(call, question_id)
    try:
        answering.dismiss_question(current_actor(), question.id,
                                   answering.DismissInput.from_input({"reason": request.form.get("reason")}))
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms] or [str(error)]
        flash(" ".join(messages), "error")
    else:
        db.session.commit()
        flash(_("The question is set aside; its asker sees why."), "success")
    return redirect(url_for("enquiries.admin_questions", call_id=call.id, _anchor=f"question-{question.id}"),
                    code=303)
