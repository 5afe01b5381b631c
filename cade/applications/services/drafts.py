"""Starting an application and saving its draft (which may be incomplete)."""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cade.applications.constants import (
    BUDGET_CATEGORIES,
    LIVE_STATUSES,
    MAX_AMOUNT_MINOR,
    MAX_BUDGET_LINES,
    ApplicationStatus,
)
from cade.applications.eligibility import check_eligibility
from cade.applications.models import Answer, Application, BudgetLine
from cade.applications.services._common import load_application, lock_draft, require_member
from cade.applications.permissions import is_member
from cade.core.audit import record_event
from cade.core.errors import (
    DeadlinePassed,
    InvalidTransition,
    NotEligible,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from cade.core.timeutil import format_in_zone, utcnow
from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.core.questionnaires import clean_answer
from cade.programmes.constants import CallPhase
from cade.programmes.models import Call

KEEP: Any = object()  # "leave this field as it is"


@dataclass
class BudgetLineInput:
    category: str
    description: str
    amount_minor: int


@dataclass
class DraftInput:
    """What a save changes; fields left at KEEP are not touched.

    `answers` maps a question id to its new value (str for text and choice,
    Decimal for number, date for date; None or "" clears it).
    """

    title: Any = KEEP
    summary: Any = KEEP
    requested_amount_minor: Any = KEEP
    answers: dict[int, Any] = field(default_factory=dict)
    budget_lines: Any = KEEP


# Applications a dashboard page: a member of a network of many organisations still gets a light page.
DASHBOARD_PAGE_SIZE = 20


def list_applications_for_user(user, page: int = 1, per_page: int = DASHBOARD_PAGE_SIZE):
    """One page of the applications of the user's organisations, newest first, call and organisation loaded."""
    query = (
        select(Application)
        .join(Membership, Membership.organisation_id == Application.organisation_id)
        .where(Membership.user_id == user.id)
        .options(joinedload(Application.call).joinedload(Call.programme),
                 joinedload(Application.organisation))
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)


def live_applications_by_organisation(call_id: int, organisation_ids) -> dict[int, Application]:
    """Each organisation's live application to the call, for those that have one (one query)."""
    return {application.organisation_id: application for application in db.session.scalars(select(Application).where(
        Application.call_id == call_id, Application.organisation_id.in_(list(organisation_ids)),
        Application.status.in_([s.value for s in LIVE_STATUSES])))}


def find_live_application(call_id: int, organisation_id: int) -> Application | None:
    """The organisation's application to the call that is not withdrawn, if any."""
    return db.session.scalar(select(Application).where(
        Application.call_id == call_id, Application.organisation_id == organisation_id,
        Application.status.in_([s.value for s in LIVE_STATUSES])))


def start_application(actor, call_id: int, organisation_id: int, now=None) -> Application:
    """Start a draft for `organisation_id` to `call_id`, or return its live application.

    Raises NotFound (no such call or organisation), PermissionDenied (actor not a
    member, or e-mail not verified), DeadlinePassed / InvalidTransition (call not
    open) and NotEligible (message lists the reasons).
    """
    call = db.session.get(Call, call_id)
    organisation = db.session.get(Organisation, organisation_id)
    if call is None or organisation is None:
        raise NotFound()
    if not is_member(actor, organisation.id):
        raise PermissionDenied()
    if not getattr(actor, "is_verified", False):
        raise PermissionDenied(_("Please confirm your e-mail address before you apply."))
    existing = find_live_application(call.id, organisation.id)
    if existing is not None:
        return existing
    now = now or utcnow()
    phase = call.phase(now)
    if phase == CallPhase.CLOSED:
        raise DeadlinePassed(_("This call closed on %(deadline)s.",
                               deadline=format_in_zone(call.closes_at, call.timezone)))
    if phase != CallPhase.OPEN:
        raise InvalidTransition(_("This call is not open for applications."))
    reasons = check_eligibility(call, organisation)
    if reasons:
        raise NotEligible(" ".join(reasons), reasons=reasons)

    application = Application(call=call, organisation=organisation, created_by_id=actor.id,
                              status=ApplicationStatus.DRAFT, title="", summary="")
    try:
        # A savepoint: if another request started the same draft a moment ago,
        # the unique index refuses ours and we hand back theirs.
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        existing = find_live_application(call.id, organisation.id)
        if existing is None:
            raise
        return existing
    record_event(actor, "application.started", application,
                 after={"call_id": call.id, "organisation_id": organisation.id})
    return application


def _clean_text(value, max_chars: int | None, field_name: str, errors: dict) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").strip()
    if max_chars is not None and len(text) > max_chars:
        errors.setdefault(field_name, []).append(
            _("Use at most %(n)d characters.", n=max_chars))
    return text


def _check_amount(amount, field_name: str, errors: dict) -> None:
    """An amount in minor units: a whole number from zero up to MAX_AMOUNT_MINOR."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        errors.setdefault(field_name, []).append(_("Enter an amount of zero or more."))
    elif amount > MAX_AMOUNT_MINOR:
        errors.setdefault(field_name, []).append(_("This number is too large."))


def save_draft(actor, application_id: int, data: DraftInput) -> Application:
    """Save what the applicant typed into a draft; incomplete is fine, wrong shapes are not.

    Raises NotFound, PermissionDenied, NotADraft (an InvalidTransition) and
    ValidationFailed (errors keyed by field name: title, summary,
    requested_amount, q_<id>, budget_lines-<n>-<field>); nothing is saved then.
    """
    application = load_application(application_id)
    require_member(actor, application)
    lock_draft(application)
    errors: dict[str, list] = {}
    questions = {q.id: q for q in application.call.questions}

    changes = {}
    if data.title is not KEEP:
        changes["title"] = _clean_text(data.title, 200, "title", errors)
    if data.summary is not KEEP:
        changes["summary"] = _clean_text(data.summary, None, "summary", errors)
    if data.requested_amount_minor is not KEEP:
        amount = data.requested_amount_minor
        if amount is not None:
            _check_amount(amount, "requested_amount", errors)
        changes["requested_amount_minor"] = amount
    answer_values = {}
    for question_id, value in data.answers.items():
        question = questions.get(question_id)
        if question is None:
            errors.setdefault(f"q_{question_id}", []).append(_("This question is not part of the call."))
            continue
        values, problems = clean_answer(question, value)
        if problems:
            errors.setdefault(question.field_name, []).extend(problems)
        answer_values[question_id] = values
    lines = None
    if data.budget_lines is not KEEP:
        lines = []
        if len(data.budget_lines or []) > MAX_BUDGET_LINES:
            errors.setdefault("budget_lines", []).append(
                _("Use at most %(n)d budget lines.", n=MAX_BUDGET_LINES))
        for index, line in enumerate((data.budget_lines or [])[:MAX_BUDGET_LINES]):
            prefix = f"budget_lines-{index}"
            if line.category not in BUDGET_CATEGORIES:
                errors.setdefault(f"{prefix}-category", []).append(_("Choose a category."))
            description = _clean_text(line.description, 300, f"{prefix}-description", errors)
            _check_amount(line.amount_minor, f"{prefix}-amount", errors)
            lines.append(BudgetLine(position=index, category=line.category,
                                    description=description, amount_minor=line.amount_minor))
    if errors:
        raise ValidationFailed(errors)

    for name, value in changes.items():
        setattr(application, name, value)
    existing = {answer.question_id: answer for answer in application.answers}
    for question_id, values in answer_values.items():
        answer = existing.get(question_id)
        if values is None:
            if answer is not None:
                application.answers.remove(answer)
            continue
        if answer is None:
            answer = Answer(question_id=question_id)
            application.answers.append(answer)
        answer.text, answer.number, answer.date_value = None, None, None
        for name, value in values.items():
            setattr(answer, name, value)
    if lines is not None:
        application.budget_lines.clear()
        db.session.flush()
        application.budget_lines.extend(lines)
    # Saves are not audited one by one (autosave runs every few seconds); transitions are.
    db.session.flush()
    return application
