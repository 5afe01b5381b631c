"""Reading grantee reports: one report with all its parts (in a fixed number of queries), its indicators, what
keeps it from being submitted, and what a grant's page says about its reports."""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal

from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from cade.awards.models import Decision
from cade.core.db import utcnow
from cade.core.errors import NotFound
from cade.core.money import format_money
from cade.core.permissions import is_admin
from cade.core.questionnaires import Questionnaire, QuestionKind, answer_errors
from cade.extensions import db
from cade.grants.constants import (REPORT_KIND_LABELS, REPORT_STATUS_LABELS, REPORT_UNLOCKS, SPEND_VARIANCE_EXPLAIN,
                                   ReportKind, ReportStatus, TrancheStatus)
from cade.grants.models import Grant, GrantReport, Indicator, IndicatorTarget, IndicatorValue, SpendLine, Tranche
from cade.grants.tranches import tranches_of
from cade.organisations.models import Membership

EDITABLE = (ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED)


def reports_of(grant: Grant) -> list[GrantReport]:
    """The grant's reports, soonest due first (one query)."""
    return list(db.session.scalars(select(GrantReport).where(GrantReport.grant_id == grant.id)
                                   .order_by(GrantReport.due_on, GrantReport.id)))


def _loaded():
    return select(GrantReport).options(
        joinedload(GrantReport.grant).options(joinedload(Grant.organisation), joinedload(Grant.call),
                                              joinedload(Grant.decision).joinedload(Decision.application)),
        selectinload(GrantReport.spend_lines), selectinload(GrantReport.answers),
        selectinload(GrantReport.attachments), selectinload(GrantReport.indicator_values),
        selectinload(GrantReport.questionnaire).selectinload(Questionnaire.questions))


def report_for_member(user, report_id: int) -> GrantReport:
    """The report with all its parts, for a member of its grant's organisation; NotFound for anyone else."""
    user_id = getattr(user, "id", None)
    if user_id is None or not getattr(user, "is_authenticated", True):
        raise NotFound()
    member = select(Membership.id).where(Membership.organisation_id == Grant.organisation_id,
                                         Membership.user_id == user_id).exists()
    report = db.session.scalar(_loaded().join(GrantReport.grant).where(GrantReport.id == report_id, member))
    if report is None:
        raise NotFound()
    return report


def report_for_admin(report_id: int) -> GrantReport:
    """The report with all its parts. Raises NotFound."""
    report = db.session.scalar(_loaded().where(GrantReport.id == report_id))
    if report is None:
        raise NotFound()
    return report


def questions_of(report: GrantReport) -> list:
    return list(report.questionnaire.questions) if report.questionnaire is not None else []


def is_editable(report: GrantReport) -> bool:
    return report.status in EDITABLE


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator as a report shows it: the grant's target (if set) and what this report says."""

    indicator: Indicator
    target: Decimal | None
    value: IndicatorValue | None


def indicator_rows(report: GrantReport) -> list[IndicatorRow]:
    """The programme's active indicators (and retired ones this report already answered), in order (two queries)."""
    values = {value.indicator_id: value for value in report.indicator_values}
    indicators = db.session.scalars(
        select(Indicator).where(Indicator.programme_id == report.grant.call.programme_id,
                                or_(Indicator.active.is_(True), Indicator.id.in_(list(values) or [0])))
        .order_by(Indicator.position, Indicator.id)).all()
    targets = dict(db.session.execute(select(IndicatorTarget.indicator_id, IndicatorTarget.target)
                                      .where(IndicatorTarget.grant_id == report.grant_id)).all())
    return [IndicatorRow(indicator, targets.get(indicator.id), values.get(indicator.id)) for indicator in indicators]


def needs_explanation(line: SpendLine) -> bool:
    """Whether the line's actual spend is further than SPEND_VARIANCE_EXPLAIN % from its budget (either way)."""
    if line.actual_minor is None:
        return False
    return abs(line.actual_minor - line.budget_minor) * 100 > SPEND_VARIANCE_EXPLAIN * line.budget_minor


def variance(line: SpendLine) -> Decimal | None:
    """(actual − budget) / budget, or None when there is no actual or no budget to compare with."""
    if line.actual_minor is None or not line.budget_minor:
        return None
    return Decimal(line.actual_minor - line.budget_minor) / Decimal(line.budget_minor)



def completeness_errors(report: GrantReport) -> dict[str, list]:
    """What keeps the report from being submitted, by field; empty when it is complete."""
    errors: dict[str, list] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (report.narrative or "").strip():
        add("narrative", _l("Write the narrative: what was done in this period and what came of it."))
    answers = {answer.question_id: answer for answer in report.answers}
    for question in questions_of(report):
        # Report files are not tied to one question: a file question is answered by any attachment.
        files = report.attachments if question.kind == QuestionKind.FILE else ()
        for message in answer_errors(question, answers.get(question.id), files):
            add(question.field_name, message)
    currency = report.grant.currency
    for line in report.spend_lines:
        if line.actual_minor is None:
            add(f"actual-{line.id}", _l("Enter the amount spent on this line (0 if nothing was spent)."))
        elif needs_explanation(line) and not (line.explanation or "").strip():
            share = variance(line)
            share_text = " ({})".format(format_percent(share, "+#,##0%;-#,##0%")) if share is not None else ""
            add(f"explanation-{line.id}", _l(
                "%(actual)s spent against a budget of %(budget)s%(share)s: explain the difference (more than "
                "%(limit)d %% either way needs a word).", actual=format_money(line.actual_minor, currency),
                budget=format_money(line.budget_minor, currency), limit=SPEND_VARIANCE_EXPLAIN, share=share_text))
    spent = [line.actual_minor for line in report.spend_lines]
    if report.total_spent_minor is None:
        add("total_spent", _l("Enter the total spent."))
    elif None not in spent and sum(spent) != report.total_spent_minor:
        add("total_spent", _l("The spend lines add up to %(lines)s but the total spent says %(total)s. Correct a "
                              "line or the total so that they agree.", lines=format_money(sum(spent), currency),
                              total=format_money(report.total_spent_minor, currency)))
    for row in indicator_rows(report):
        if not row.indicator.active:
            continue
        if row.value is None:
            add(f"indicator-{row.indicator.id}", _l("Enter a value for “%(label)s” (0 if none).",
                                                     label=row.indicator.label))
        elif row.indicator.evidence_required and not (row.value.evidence or "").strip():
            add(f"evidence-{row.indicator.id}", _l("Give the evidence for this value (where it can be checked)."))
    return errors



# ---------------------------------------------------------------- the grant page


@dataclass(frozen=True)
class ReportsOverview:
    """A grant's reports and the grantee's next step: the report to write (or fix, or wait for) and what it unlocks."""

    reports: list[GrantReport]
    next_report: GrantReport | None
    unlocks: list[Tranche]
    overdue: set[int]  # ids of the reports the grantee is late with (cade/grants/overdue.py)
    reviewing: bool  # the reader is an admin: the links lead to the review pages
    kind_labels: dict = dataclass_field(default_factory=lambda: dict(REPORT_KIND_LABELS))
    status_labels: dict = dataclass_field(default_factory=lambda: dict(REPORT_STATUS_LABELS))


def grant_reports(grant: Grant, reader=None) -> ReportsOverview:
    """What the grant page shows about reports, for `reader` (two queries)."""
    reports = reports_of(grant)
    following = next((report for report in reports if report.status != ReportStatus.APPROVED), None)
    unlocks = []
    if following is not None:
        condition = REPORT_UNLOCKS[ReportKind(following.kind)]
        unlocks = [t for t in tranches_of(grant) if t.condition == condition.value and t.status == TrancheStatus.DUE]
    from cade.grants.overdue import is_overdue  # the one definition of "overdue" (sent back: more days to fix it)

    today = utcnow().date()
    overdue = {report.id for report in reports if is_overdue(report, today)}
    return ReportsOverview(reports, following, unlocks, overdue, is_admin(reader) if reader is not None else False)
