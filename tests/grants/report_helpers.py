"""A grant opened with reports to write: a 40/40/20 schedule, an interim report template with one required
question, two budget lines and two indicators (one asking for evidence, one with a target)."""

from dataclasses import dataclass
from decimal import Decimal

from cade.core.questionnaires import Question, Questionnaire, QuestionnairePurpose, QuestionKind
from cade.extensions import db as _db
from cade.grants.models import GrantReport, Indicator, IndicatorTarget, ReportTemplate
from cade.grants.report_input import ReportInput, input_from_form
from cade.grants.reports import reports_of
from cade.grants.services import open_grant
from cade.grants.tranches import set_schedule
from tests.factories import BudgetLineFactory
from tests.grants.helpers import accepted_decision

SCHEDULE = [
    {"share": "40", "condition": "on_signature", "days": "0"},
    {"share": "40", "condition": "interim_report_approved", "days": "180"},
    {"share": "20", "condition": "final_report_approved", "days": "365"},
]
BUDGET = [("equipment", "Routers and solar panels", 8_000_00), ("training", "Training of local operators", 4_345_00)]


@dataclass
class Opened:
    grant: object
    owner: object
    networks: Indicator  # evidence required, target 3
    people: Indicator
    question: Question | None

    @property
    def interim(self) -> GrantReport:
        return next(r for r in reports_of(self.grant) if r.kind == "interim")

    @property
    def final(self) -> GrantReport:
        return next(r for r in reports_of(self.grant) if r.kind == "final")


def opened_grant(*, schedule=SCHEDULE, interim_template=True, owner_locale="en", organisation=None) -> Opened:
    decision, owner = accepted_decision(owner_locale=owner_locale, organisation=organisation)
    for position, (category, description, amount) in enumerate(BUDGET):
        BudgetLineFactory(application=decision.application, position=position, category=category,
                          description=description, amount_minor=amount)
    if schedule is not None:
        set_schedule(None, decision.call_id, schedule)
    question = None
    if interim_template:
        questionnaire = Questionnaire(purpose=QuestionnairePurpose.GRANT_REPORT)
        question = Question(kind=QuestionKind.LONG_TEXT, label="What did the community learn?", required=True,
                            position=1, choices=[])
        questionnaire.questions.append(question)
        _db.session.add(ReportTemplate(call_id=decision.call_id, kind="interim", due_after_days=90,
                                       questionnaire=questionnaire))
    programme_id = decision.application.call.programme_id
    networks = Indicator(programme_id=programme_id, position=1, code="networks", label="Community networks supported",
                         unit="networks", evidence_required=True)
    people = Indicator(programme_id=programme_id, position=2, code="people", label="People connected", unit="people")
    retired = Indicator(programme_id=programme_id, position=3, code="old", label="Retired indicator", unit="things",
                        active=False)
    _db.session.add_all([networks, people, retired])
    _db.session.commit()
    grant = open_grant(decision)
    _db.session.add(IndicatorTarget(grant_id=grant.id, indicator_id=networks.id, target=Decimal(3)))
    _db.session.commit()
    return Opened(grant, owner, networks, people, question)


def complete_form(opened: Opened, report: GrantReport, **overrides) -> dict:
    """The flat form of a complete report: lines as budgeted, totals agreeing, every indicator answered."""
    form = {"narrative": "Three villages are connected.", "total_spent": "12345.00",
            f"indicator-{opened.networks.id}": "2", f"evidence-{opened.networks.id}": "Site visit photos, list of sites",
            f"indicator-{opened.people.id}": "1250", f"evidence-{opened.people.id}": ""}
    for line in report.spend_lines:
        form[f"actual-{line.id}"] = f"{line.budget_minor / 100:.2f}"
        form[f"explanation-{line.id}"] = ""
    if report.questionnaire_id is not None and opened.question is not None:
        form[f"q_{opened.question.id}"] = "To maintain the routers themselves."
    form.update(overrides)
    return form


def command(form: dict, *, locale="en", currency="USD") -> ReportInput:
    return ReportInput.from_input(input_from_form(form), currency=currency, locale=locale)
