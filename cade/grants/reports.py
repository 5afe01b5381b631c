"""Grantee reports: made when a grant opens, written and saved by the organisation, submitted once complete,
then approved by an admin (which unlocks the tranches that waited for it) or sent back with comments.

A grant gets one report per kind it needs: the kinds its call has templates
for, the final one always, and the kind any of its tranches waits for (so no
tranche stays locked for ever). Each report copies the application's budget
lines, so "actual against budget" reads the same whatever happens to the
application later. Saving refuses only malformed values; submitting also
asks for everything a reviewer needs (`completeness_errors`). Every move goes
through REPORT_MACHINE's compare-and-set: a double click submits once, and of
two admins deciding at once one wins and the other is told what was decided.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.commands import Command, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.money import Money
from cade.core.permissions import is_admin
from cade.core.questionnaires import clean_answer, store_answers
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.grants.constants import REPORT_UNLOCKS, ReportKind, ReportStatus
from cade.grants.models import (REPORT_MACHINE, Grant, GrantBudgetLine, GrantReport, IndicatorValue, ReportAnswer,
                                SpendLine, Tranche)
from cade.grants.report_input import KEEP, ReportInput, typed_answer
from cade.grants.report_reading import (EDITABLE, IndicatorRow, ReportsOverview, completeness_errors, grant_reports,
                                        indicator_rows, is_editable, needs_explanation, questions_of,
                                        report_for_admin, report_for_member, reports_of, variance)
from cade.grants.report_templates import report_plans
from cade.grants.tranches import acceptance_day, unlock_tranches
from cade.notifications.services import notify
from cade.organisations.models import Membership

MAX_COMMENTS = 5000

# What the pages and other domains read about reports is in report_reading; it is named here too, so that
# `reports` is the one place to look for everything a report does.
__all__ = ["EDITABLE", "KEEP", "IndicatorRow", "ReportInput", "ReportsOverview", "approve_report", "completeness_errors",
           "create_reports", "editable_report", "grant_reports", "indicator_rows", "is_editable", "needs_explanation",
           "not_editable", "questions_of", "report_for_admin", "report_for_member", "reports_of", "request_changes",
           "save_report", "submit_report", "variance"]


# ---------------------------------------------------------------- creation


def create_reports(grant: Grant) -> list[GrantReport]:
    """The grant's reports with their due dates, questionnaires and spend lines (once: a grant that has them keeps
    them). Called when the grant opens, after its tranches. Flushes."""
    existing = reports_of(grant)
    if existing:
        return existing
    accepted_on = acceptance_day(grant.decision, grant.created_at)
    # The grant's own budget (as amended); each spend line still names the application's line where there is one.
    budget = db.session.scalars(select(GrantBudgetLine).where(GrantBudgetLine.grant_id == grant.id)
                                .order_by(GrantBudgetLine.position)).all()
    # The plans the offer showed (cade/grants/offer_terms.py): the call's templates, else the defaults; the
    # interim report whenever a tranche waits for it, so no tranche stays locked for ever.
    reports = [
        GrantReport(grant_id=grant.id, kind=str(plan.kind), due_on=accepted_on + timedelta(days=plan.due_after_days),
                    questionnaire_id=plan.questionnaire_id,
                    spend_lines=[SpendLine(position=line.position, budget_line_id=line.budget_line_id,
                                           category=line.category, description=line.description,
                                           budget_minor=line.amount_minor)
                                 for line in budget])
        for plan in report_plans(grant.call_id)
    ]
    db.session.add_all(reports)
    db.session.flush()
    return reports


# ---------------------------------------------------------------- writing


def not_editable(report: GrantReport) -> InvalidTransition:
    if report.status == ReportStatus.APPROVED:
        return InvalidTransition(_l("This report was approved on %(day)s and can no longer be changed.",
                                    day=format_date(report.reviewed_at, "long") if report.reviewed_at else ""))
    return InvalidTransition(_l("This report was submitted on %(day)s and can no longer be changed; the programme "
                                "team may send it back to you with comments.",
                                day=format_date(report.submitted_at, "long") if report.submitted_at else ""))


def editable_report(actor, report_id: int) -> GrantReport:
    report = report_for_member(actor, report_id)
    # Saves and submissions of one report take turns: the second reads what the first wrote.
    lock_row(GrantReport, report.id)
    db.session.refresh(report)
    if not is_editable(report):
        raise not_editable(report)
    return report


def save_report(actor, report_id: int, command: ReportInput) -> GrantReport:
    """Save what a member typed into an editable report; an incomplete report is fine.

    Raises NotFound (not a member of the grant's organisation), InvalidTransition
    (submitted or approved) and ValidationFailed naming each malformed field
    (q_<id>, total_spent, actual-<line id>, explanation-<line id>,
    indicator-<id>, evidence-<id>); nothing is saved then. Flushes, never commits.
    """
    report = editable_report(actor, report_id)
    errors: dict[str, list] = {}
    answers = _cleaned_answers(report, command, errors)
    lines = {line.id: line for line in report.spend_lines}
    for line_id in command.spend:
        if line_id not in lines:
            errors.setdefault(f"actual-{line_id}", []).append(_l("This line is not part of the report."))
    rows = {row.indicator.id: row for row in indicator_rows(report) if row.indicator.active}
    for indicator_id, entry in command.indicators.items():
        if indicator_id not in rows:
            errors.setdefault(f"indicator-{indicator_id}", []).append(_l("This indicator is not reported here."))
            continue
        value = entry.value if entry.value is not KEEP else getattr(rows[indicator_id].value, "value", None)
        evidence = entry.evidence if entry.evidence is not KEEP else getattr(rows[indicator_id].value, "evidence", None)
        if value is None and evidence:
            errors.setdefault(f"indicator-{indicator_id}", []).append(_l("Enter the value this evidence is for."))
    if errors:
        raise ValidationFailed(errors)

    if command.narrative is not KEEP:
        report.narrative = command.narrative
    if command.total_spent_minor is not KEEP:
        report.total_spent_minor = command.total_spent_minor
    _store_answers(report, answers)
    for line_id, entry in command.spend.items():
        if entry.actual_minor is not KEEP:
            lines[line_id].actual_minor = entry.actual_minor
        if entry.explanation is not KEEP:
            lines[line_id].explanation = entry.explanation
    for indicator_id, entry in command.indicators.items():
        _store_value(report, rows[indicator_id], entry)
    report.updated_at, report.updated_by_id = utcnow(), actor.id
    # Saves are not audited one by one (a draft is saved many times); transitions are.
    db.session.flush()
    return report


def _cleaned_answers(report: GrantReport, command: ReportInput, errors: dict) -> dict[int, dict | None]:
    questions = {question.id: question for question in questions_of(report)}
    cleaned = {}
    for question_id, raw in command.answers.items():
        question = questions.get(question_id)
        if question is None:
            errors.setdefault(f"q_{question_id}", []).append(_l("This question is not part of the report."))
            continue
        values, problems = clean_answer(question, typed_answer(question, raw, command.locale))
        if problems:
            errors.setdefault(question.field_name, []).extend(problems)
        cleaned[question_id] = values
    return cleaned


def _store_answers(report: GrantReport, answers: dict[int, dict | None]) -> None:
    store_answers(report.answers, lambda question_id: ReportAnswer(question_id=question_id), answers)


def _store_value(report: GrantReport, row: IndicatorRow, entry) -> None:
    stored = row.value
    value = entry.value if entry.value is not KEEP else getattr(stored, "value", None)
    evidence = entry.evidence if entry.evidence is not KEEP else getattr(stored, "evidence", None)
    if value is None:
        if stored is not None:
            report.indicator_values.remove(stored)
        return
    if stored is None:
        stored = IndicatorValue(indicator_id=row.indicator.id)
        report.indicator_values.append(stored)
    stored.value, stored.evidence = value, evidence


def submit_report(actor, report_id: int, command: ReportInput) -> GrantReport:
    """Save, check completeness, then submit (DRAFT or CHANGES_REQUESTED → SUBMITTED); audited `report.submitted`;
    every admin is told.

    Any member of the grant's organisation may submit. Raises what `save_report`
    raises, and ValidationFailed with `completeness_errors` (the save is then
    the caller's to keep or roll back). A second submission (a double click)
    finds the report submitted: InvalidTransition. Flushes, never commits.
    """
    report = save_report(actor, report_id, command)
    errors = completeness_errors(report)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    resubmitted = report.status == ReportStatus.CHANGES_REQUESTED
    try:
        REPORT_MACHINE.move(actor, report, ReportStatus.SUBMITTED, audit=(None, _figures(report)),
                            submitted_at=now, submitted_by_id=actor.id)
    except InvalidTransition:
        raise not_editable(report) from None
    db.session.refresh(report)
    _tell_admins(report, actor, resubmitted)
    return report


def _figures(report: GrantReport) -> dict:
    return {"kind": report.kind, "total_spent_minor": report.total_spent_minor, "currency": report.grant.currency,
            "indicators": {str(v.indicator_id): str(v.value) for v in report.indicator_values}}


# ---------------------------------------------------------------- review


@dataclass(frozen=True)
class _Comments(Command):
    text: Any = field(Text(max_len=MAX_COMMENTS), source="comments")
    required: bool = False

    def check(self, errors):
        if self.required and not self.text and "comments" not in errors:
            errors.add("comments", _l("Say what needs to change, so the organisation knows what to fix."))


def _clean_comments(comments, *, required: bool) -> str | None:
    """The admin's comments, stripped (None when empty); ValidationFailed on `comments` when too long or missing."""
    return _Comments.from_input({"comments": comments}, required=required).text


def _decided(report: GrantReport) -> InvalidTransition:
    reviewer = db.session.get(User, report.reviewed_by_id) if report.reviewed_by_id else None
    who = reviewer.name if reviewer is not None else _l("an administrator")
    day = format_date(report.reviewed_at, "long") if report.reviewed_at else ""
    if report.status == ReportStatus.APPROVED:
        return InvalidTransition(_l("This report was already approved on %(day)s by %(name)s.", day=day, name=who))
    if report.status == ReportStatus.CHANGES_REQUESTED:
        return InvalidTransition(_l("Changes to this report were already requested on %(day)s by %(name)s.",
                                    day=day, name=who))
    return InvalidTransition(_l("This report has not been submitted: there is nothing to review yet."))


def _reviewed(actor, report_id: int, new: ReportStatus, comments: str | None) -> GrantReport:
    if not is_admin(actor):
        raise PermissionDenied()
    report = report_for_admin(report_id)
    if not REPORT_MACHINE.can(report, new):
        raise _decided(report)
    try:
        REPORT_MACHINE.move(actor, report, new, audit=(None, {"comments": comments}), reviewed_at=utcnow(),
                            reviewed_by_id=actor.id, review_comments=comments)
    except InvalidTransition:
        raise _decided(report) from None  # another admin decided first: `move` refreshed it
    db.session.refresh(report)
    return report


def approve_report(actor, report_id: int, comments: str | None = None) -> GrantReport:
    """Approve a submitted report (SUBMITTED → APPROVED); audited `report.approved`; unlock the tranches that
    waited for it; close the grant if that was all it waited for; tell the owners.

    Raises PermissionDenied (not an admin), NotFound, ValidationFailed
    (comments too long) and InvalidTransition (not submitted, or already
    decided: of two admins at once, the second is told what the first did).
    Flushes, never commits.
    """
    comments = _clean_comments(comments, required=False)
    report = _reviewed(actor, report_id, ReportStatus.APPROVED, comments)
    grant = report.grant
    unlocked = unlock_tranches(grant, REPORT_UNLOCKS[ReportKind(report.kind)], actor)
    from cade.grants.closure import close_if_complete

    close_if_complete(grant, actor)
    tranches = db.session.scalars(select(Tranche).where(Tranche.id.in_(unlocked or [0]))
                                  .order_by(Tranche.position)).all()
    _tell_owners(report, "grants.report_approved", f"report-approved:{report.id}", {
        "unlocked": [{"position": t.position, "amount": Money(t.amount_minor, t.currency).to_json()}
                     for t in tranches]})
    return report


def request_changes(actor, report_id: int, comments: str | None) -> GrantReport:
    """Send a submitted report back with comments (SUBMITTED → CHANGES_REQUESTED); audited; the owners are told.

    Raises PermissionDenied, NotFound, ValidationFailed (no comments) and
    InvalidTransition (not submitted, or already decided). Flushes, never commits.
    """
    comments = _clean_comments(comments, required=True)
    report = _reviewed(actor, report_id, ReportStatus.CHANGES_REQUESTED, comments)
    _tell_owners(report, "grants.report_changes_requested",
                 f"report-changes:{report.id}:{report.reviewed_at.isoformat()}", {})
    return report


# ---------------------------------------------------------------- telling people


def _context(report: GrantReport) -> dict:
    grant = report.grant
    application = grant.decision.application
    return {"grant_id": grant.id, "report_id": report.id, "kind": report.kind, "title": application.title,
            "reference": application.reference or "", "organisation": grant.organisation.name,
            "due_on": report.due_on.isoformat(), "comments": report.review_comments or ""}


def _tell_admins(report: GrantReport, actor, resubmitted: bool) -> None:
    from cade.accounts.services.administration import active_admins

    context = {**_context(report), "by_name": actor.name, "resubmitted": resubmitted,
               "at": moment_json(report.submitted_at, report.grant.call.timezone)}
    for admin in active_admins():
        notify("grants.report_submitted", recipient=admin, context=context,
               key=f"report-submitted:{report.id}:{report.submitted_at.isoformat()}:{admin.id}")


def _tell_owners(report: GrantReport, kind: str, key: str, extra: dict) -> None:
    owners = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == report.grant.organisation_id, Membership.role == "owner")
        .order_by(User.id)).all()
    context = {**_context(report), "at": moment_json(report.reviewed_at, report.grant.call.timezone), **extra}
    for owner in owners:
        notify(kind, recipient=owner, key=f"{key}:{owner.id}", context=context)

