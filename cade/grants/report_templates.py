"""A call's report templates: which reports its grants owe, how many days after acceptance each is due, its questions.

A call may name an interim and a final report (ReportTemplate rows), each
with its own questionnaire. A call without a template for a kind still gets
that report when a grant needs it (the final one always; the interim one when
a tranche waits for it), due after DEFAULT_REPORT_DAYS with only the built-in
parts: `report_plans(call_id)` says what a grant opened today is asked for.

The questions of a template are edited with the same services as a call's
application form (cade/programmes/services/questions.py), which find this
module's templates through `questionnaire_owners` (`report_questions`, added
from cade/wiring.py): they may change until a
grant of the call has submitted a report using them. Until then a grant that
opened with them only has drafts; once one exists, no kind may change and no
question be deleted (a draft's answers would lose their meaning or vanish).

Removing the interim report from the schedule is refused while its template
asks questions: the admin deletes them first, so nothing goes silently.
"""

from dataclasses import dataclass
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.permissions import require_admin
from cade.core.db import get_or_raise
from cade.core.audit import record_event
from cade.core.commands import Command, FieldErrors, Flag, Integer, field
from cade.core.db import lock_row
from cade.core.errors import InvalidTransition, NotFound
from cade.core.questionnaires import Question, Questionnaire, QuestionnairePurpose
from cade.extensions import db
from cade.grants.constants import DEFAULT_REPORT_DAYS, ReportKind, ReportStatus, TrancheCondition
from cade.grants.models import GrantReport, ReportTemplate, TrancheTemplate
from cade.programmes.models import Call
from cade.programmes.services.questions import QuestionInput, QuestionnaireOwner, add_questionnaire_question

MAX_DAYS = 3650  # ten years after acceptance

DAYS_MESSAGE = _l("Enter a whole number of days from 0 to %(n)d.", n=MAX_DAYS)


# ---------------------------------------------------------------- reading


def templates_of(call_id: int) -> dict[str, ReportTemplate]:
    """The call's report templates by kind ("interim", "final"); a kind the call does not name is absent."""
    rows = db.session.scalars(select(ReportTemplate).where(ReportTemplate.call_id == call_id))
    return {ReportKind(row.kind): row for row in rows}


def tranche_waits_for_interim(call_id: int) -> bool:
    """True when a tranche of the call's schedule is paid on the interim report: its grants must write one."""
    return db.session.scalar(select(TrancheTemplate.id).where(
        TrancheTemplate.call_id == call_id,
        TrancheTemplate.condition == TrancheCondition.INTERIM_REPORT_APPROVED.value).limit(1)) is not None


@dataclass(frozen=True)
class ReportPlan:
    """A report a grant of the call owes: its kind, days after acceptance, and its questionnaire (None: built-in)."""

    kind: ReportKind
    due_after_days: int
    questionnaire_id: int | None


def report_plans(call_id: int) -> list[ReportPlan]:
    """The reports a grant of the call opened now owes, interim first: the call's templates, else the defaults.

    The interim report is owed when the call names one or a tranche waits for it; the final one always.
    """
    templates = templates_of(call_id)
    kinds = [ReportKind.FINAL]
    if ReportKind.INTERIM in templates or tranche_waits_for_interim(call_id):
        kinds.insert(0, ReportKind.INTERIM)
    plans = []
    for kind in kinds:
        template = templates.get(kind)
        plans.append(ReportPlan(kind, template.due_after_days, template.questionnaire_id) if template
                     else ReportPlan(kind, DEFAULT_REPORT_DAYS[kind], None))
    return plans


def submitted_reports_use(questionnaire_id: int) -> bool:
    """True once a grant has submitted a report asking these questions (approved and sent back ones included)."""
    return db.session.scalar(select(GrantReport.id).where(
        GrantReport.questionnaire_id == questionnaire_id, GrantReport.status != ReportStatus.DRAFT).limit(1)) is not None


def reports_use(questionnaire_id: int) -> bool:
    """True once any grant's report (a draft included) asks these questions."""
    return db.session.scalar(select(GrantReport.id).where(
        GrantReport.questionnaire_id == questionnaire_id).limit(1)) is not None


# ---------------------------------------------------------------- the questions' owner

FROZEN = {
    ReportKind.INTERIM: _l("The questions of the interim report cannot change any more: a grantee has already "
                           "submitted a report answering them."),
    ReportKind.FINAL: _l("The questions of the final report cannot change any more: a grantee has already "
                         "submitted a report answering them."),
}


@dataclass(frozen=True)
class ReportQuestions(QuestionnaireOwner):
    """A report template as the owner of its questions (see the module docstring for how far they may change)."""

    kind: str = ReportKind.FINAL
    questionnaire_id: int = 0

    kind_fixed = _l("The kind of question cannot change once grants of this call have this report.")
    deletion_refused = _l("Questions cannot be deleted once grants of this call have this report; "
                          "edit the question instead.")

    def answers_exist(self) -> bool:
        return reports_use(self.questionnaire_id)

    def frozen(self):
        return FROZEN[ReportKind(self.kind)] if submitted_reports_use(self.questionnaire_id) else None


def report_questions(questionnaire_id: int) -> ReportQuestions | None:
    """The report template owning `questionnaire_id`, as a questionnaire owner; None for another owner's."""
    template = db.session.scalar(select(ReportTemplate).where(ReportTemplate.questionnaire_id == questionnaire_id))
    if template is None:
        return None
    return ReportQuestions(call=db.session.get(Call, template.call_id), purpose=QuestionnairePurpose.GRANT_REPORT,
                           anchor=f"{template.kind}-questions", kind=template.kind,
                           questionnaire_id=questionnaire_id)


def template_owner(template: ReportTemplate) -> ReportQuestions:
    return report_questions(template.questionnaire_id)


# ---------------------------------------------------------------- the schedule


class InterimDays(Integer):
    """The interim report's days, judged only when the call asks an interim report (else dropped)."""

    def clean(self, raw, cleaning):
        return super().clean(raw, cleaning) if cleaning.values.get("interim") else None


@dataclass(frozen=True)
class ReportScheduleInput(Command):
    """Whether the call asks an interim report, and the days after acceptance each report is due."""

    interim: bool = field(Flag(), default=False)
    interim_days: int | None = field(InterimDays(0, MAX_DAYS, message=DAYS_MESSAGE))
    final_days: int | None = field(Integer(0, MAX_DAYS, message=DAYS_MESSAGE))

    def check(self, errors: FieldErrors) -> None:
        if self.interim and self.interim_days is not None and self.final_days is not None \
                and self.final_days <= self.interim_days:
            errors.add("final_days", _l("The final report must be due after the interim report "
                                        "(more than %(n)d days after acceptance).", n=self.interim_days))


def schedule_as_input(call_id: int) -> ReportScheduleInput:
    """The call's report schedule as the form shows it: its templates, else the defaults."""
    plans = {plan.kind: plan for plan in report_plans(call_id)}
    interim = plans.get(ReportKind.INTERIM)
    interim_days = interim.due_after_days if interim else DEFAULT_REPORT_DAYS[ReportKind.INTERIM]
    return ReportScheduleInput(interim=interim is not None, interim_days=interim_days,
                               final_days=plans[ReportKind.FINAL].due_after_days)






def _question_count(template: ReportTemplate) -> int:
    return db.session.scalar(select(func.count(Question.id)).where(
        Question.questionnaire_id == template.questionnaire_id))


def _create_template(call_id: int, kind: ReportKind, days: int) -> ReportTemplate:
    questionnaire = Questionnaire(purpose=QuestionnairePurpose.GRANT_REPORT)
    template = ReportTemplate(call_id=call_id, kind=kind.value, due_after_days=days, questionnaire=questionnaire)
    db.session.add(template)
    db.session.flush()
    return template


def _schedule_json(templates: dict[str, ReportTemplate]) -> dict:
    return {str(kind): template.due_after_days for kind, template in sorted(templates.items())}


def set_report_schedule(actor, call_id: int, command: ReportScheduleInput) -> dict[str, ReportTemplate]:
    """Make the call's report templates say `command`: a final template always, an interim one when asked.

    Templates are created (with an empty questionnaire), changed or, for an
    interim report no longer asked, removed; audited `call.reports_set`.
    Refused on `interim` (ValidationFailed) while a tranche of the call waits
    for the interim report, or while the interim template still asks
    questions. Grants already opened keep their reports' due dates. Raises
    PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    lock_row(Call, call.id)  # two admins saving at once would both create the same template
    templates = templates_of(call.id)
    before = _schedule_json(templates)
    interim = templates.get(ReportKind.INTERIM)
    if not command.interim:
        errors = FieldErrors()
        if tranche_waits_for_interim(call.id):
            errors.add("interim", _l("A tranche of this call is paid when the interim report is approved, so its "
                                     "grants must write one. Keep the interim report, or change the tranche "
                                     "schedule first."))
        elif interim is not None and _question_count(interim):
            errors.add("interim", _l("The interim report still asks %(n)d questions. Delete them first if the "
                                     "call should ask no interim report.", n=_question_count(interim)))
        errors.raise_if_any()
    wanted = {ReportKind.FINAL: command.final_days}
    if command.interim:
        wanted[ReportKind.INTERIM] = command.interim_days
    for kind, days in wanted.items():
        if kind in templates:
            templates[kind].due_after_days = days
        else:
            templates[kind] = _create_template(call.id, kind, days)
    if not command.interim and interim is not None:
        db.session.delete(interim)
        del templates[ReportKind.INTERIM]
    db.session.flush()
    record_event(actor, "call.reports_set", call, {"reports": before or None}, {"reports": _schedule_json(templates)})
    return templates


# ---------------------------------------------------------------- questions


def add_report_question(actor, call_id: int, kind: str, command: QuestionInput) -> Question:
    """Append a question to the call's report of `kind`.

    A call without a final template gets one, due after the default days
    (audited `call.reports_set`); the interim report must be asked in the
    schedule first. Raises PermissionDenied, NotFound, InvalidTransition
    (no interim report, or the questions are frozen).
    """
    require_admin(actor)
    try:
        kind = ReportKind(kind)
    except ValueError:
        raise NotFound() from None
    call = get_or_raise(Call, call_id)
    lock_row(Call, call.id)
    template = templates_of(call.id).get(kind)
    if template is None and kind == ReportKind.INTERIM:
        raise InvalidTransition(_l("This call asks no interim report. Ask one in the schedule above first."))
    if template is None:
        template = _create_template(call.id, kind, DEFAULT_REPORT_DAYS[kind])
        record_event(actor, "call.reports_set", call, {"reports": None},
                     {"reports": _schedule_json(templates_of(call.id))})
    return add_questionnaire_question(actor, template.questionnaire_id, command)
