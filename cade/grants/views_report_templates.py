"""A call's report templates (admins): when the interim and final reports are due, and the questions each asks.

The questions are edited, moved and deleted through the programmes pages that
edit a call's application questions (one set of question services for every
questionnaire); those pages come back here for a report's questions.
"""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _

from cade.core.errors import DomainError
from cade.core.forms import current_actor, save_form
from cade.core.permissions import admin_required
from cade.core.questionnaires import QUESTION_KIND_LABELS, QuestionnairePurpose
from cade.extensions import db
from cade.grants import report_templates as service
from cade.grants.constants import DEFAULT_REPORT_DAYS, REPORT_KIND_LABELS, ReportKind
from cade.grants.report_template_forms import ReportScheduleForm
from cade.grants.views import bp
from cade.programmes.forms import QuestionForm
from cade.programmes.models import Call
from cade.programmes.services.questions import QuestionInput
from cade.programmes.views import question_pages

question_pages[QuestionnairePurpose.GRANT_REPORT] = "grants.call_reports"


def _call_or_404(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    return call


def _question_form(kind: str, posted: bool = True) -> QuestionForm:
    # A form not being answered must not read another form's post (its boxes would all come out unticked).
    return QuestionForm(prefix=f"{kind}-question", **({} if posted else {"formdata": None}))


def _render(call: Call, schedule_form=None, question_forms: dict | None = None):
    templates = service.templates_of(call.id)
    if schedule_form is None:
        current = service.schedule_as_input(call.id)
        schedule_form = ReportScheduleForm(prefix="schedule", formdata=None,
                                           data=current.changes("interim", "interim_days", "final_days"))
    question_forms = {kind: (question_forms or {}).get(kind) or _question_form(kind, posted=False)
                      for kind in ReportKind}
    shown = [kind for kind in ReportKind if kind in templates or kind == ReportKind.FINAL
             or question_forms[kind].errors]
    sections = []
    for kind in shown:
        template = templates.get(kind)
        owner = service.template_owner(template) if template else None
        sections.append({
            "kind": kind, "label": REPORT_KIND_LABELS[kind], "template": template,
            "questions": template.questionnaire.questions if template else [],
            "frozen": owner.frozen() if owner else None, "answered": owner.answers_exist() if owner else False,
            "form": question_forms[kind],
        })
    return render_template("grants/call_reports.html", call=call, schedule_form=schedule_form, sections=sections,
                           tranche_waits=service.tranche_waits_for_interim(call.id),
                           default_days=DEFAULT_REPORT_DAYS, QUESTION_KIND_LABELS=QUESTION_KIND_LABELS)


@bp.route("/admin/calls/<int:call_id>/reports", methods=["GET", "POST"])
@admin_required
def call_reports(call_id: int):
    call = _call_or_404(call_id)
    form = ReportScheduleForm(prefix="schedule")
    if form.validate_on_submit() and save_form(
            form, lambda: service.set_report_schedule(current_actor(), call.id,
                                                      service.ReportScheduleInput.from_input(form.data)),
            _("The report schedule is saved. It applies to grants opened from now on.")):
        return redirect(url_for("grants.call_reports", call_id=call.id))
    return _render(call, schedule_form=form if form.is_submitted() else None)


@bp.post("/admin/calls/<int:call_id>/reports/<kind>/questions")
@admin_required
def report_question_add(call_id: int, kind: str):
    call = _call_or_404(call_id)
    if kind not in set(ReportKind):
        abort(404)
    form = _question_form(kind)
    if form.validate_on_submit() and save_form(
            form, lambda: service.add_report_question(current_actor(), call.id, kind,
                                                      QuestionInput.from_input(form.data)),
            _("Question added."), refusal=DomainError):
        return redirect(url_for("grants.call_reports", call_id=call.id, _anchor=f"{kind}-questions"))
    return _render(call, question_forms={kind: form})
