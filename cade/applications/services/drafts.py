"""Starting an application and saving its draft (which may be incomplete)."""

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cade.applications.constants import (
    LIVE_STATUSES,
    MAX_BUDGET_LINES,
    ApplicationStatus,
)
from cade.applications.eligibility import check_eligibility
from cade.applications.models import Answer, Application, BudgetLine
from cade.applications.services._common import NotADraft, load_application, lock_draft, require_member
from cade.applications.permissions import is_member
from cade.core.audit import record_event
from cade.core.commands import Amount, Choice, Cleaner, Command, Text, field
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
from cade.core.questionnaires import clean_answer, store_answers
from cade.programmes.constants import CallPhase
from cade.programmes.budgets import BudgetTemplate
from cade.programmes.models import Call

KEEP: Any = object()  # "leave this field as it is"


class BudgetLines(Cleaner):
    """A draft's budget lines: each cleaned as a BudgetLineInput, its errors named budget_lines-<n>-<field>."""

    def clean(self, raw, cleaning):
        lines = raw or []
        if isinstance(lines, (str, bytes, Mapping)) or not isinstance(lines, Iterable):
            cleaning.refuse(_l("Not a valid choice."))
            return []
        lines = list(lines)
        if len(lines) > MAX_BUDGET_LINES:
            cleaning.refuse(_l("Use at most %(n)d budget lines.", n=MAX_BUDGET_LINES))
        cleaned = []
        for index, line in enumerate(lines[:MAX_BUDGET_LINES]):
            try:
                cleaned.append(BudgetLineInput.from_input(line if isinstance(line, Mapping) else {},
                                                          **cleaning.context))
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    for message in messages:
                        cleaning.errors.add(f"{cleaning.name}-{index}-{name}", message)
        return cleaned


class Answers(Cleaner):
    """Raw answers by question id; each is cleaned against its question by `save_draft` (the call's questions)."""

    def clean(self, raw, cleaning):
        if not isinstance(raw, Mapping):
            cleaning.refuse(_l("Not a valid choice."))
            return {}
        answers = {}
        for key, value in raw.items():
            try:
                answers[int(key)] = value
            except (TypeError, ValueError):
                cleaning.errors.add(f"q_{key}", _l("This question is not part of the call."))
        return answers


class LineCategory(Cleaner):
    """A budget line's category: one the call offers (context `budget`, the call's BudgetTemplate; without it, the
    default categories), never one it does not fund, which is refused by name."""

    def clean(self, raw, cleaning):
        template = cleaning.context.get("budget") or BudgetTemplate(currency="")
        code = Choice([option.code for option in template.options], required=True,
                      message=_l("Choose a category.")).clean(raw, cleaning)
        option = template.option(code)
        if option is not None and option.ineligible:
            cleaning.refuse(_l("%(category)s is not an eligible cost in this call.", category=option.label))
            return None
        return code


@dataclass(frozen=True)
class BudgetLineInput(Command):
    """One budget line as typed; the amount in major units of the call's currency (context `currency`), the
    category one of the call's (context `budget`: see LineCategory)."""

    category: str | None = field(LineCategory())
    description: str = field(Text(max_len=300, empty=""))
    amount_minor: int | None = field(Amount(required=False, allow_zero=True), source="amount")


@dataclass(frozen=True)
class DraftInput(Command):
    """What a save changes, read from a partial input: a field the input does not carry stays KEEP (untouched).

    Keys: title, summary, requested_amount and each budget line's amount in
    major units of the call's currency (context `currency`), budget_lines (a
    list of {category, description, amount}; context `budget`, the call's
    BudgetTemplate, says which categories it offers), cofinancing (what the
    organisation funds itself, in major units, where the call asks for
    co-financing), answers ({question id: value}, cleaned against the call's
    questions when saved).
    """

    partial = True

    title: Any = field(Text(max_len=200, empty=""), default=KEEP)
    summary: Any = field(Text(max_len=None, empty=""), default=KEEP)
    requested_amount_minor: Any = field(Amount(required=False, allow_zero=True), source="requested_amount",
                                        default=KEEP)
    budget_lines: Any = field(BudgetLines(), default=KEEP)
    cofinancing_minor: Any = field(Amount(required=False, allow_zero=True), source="cofinancing", default=KEEP)
    answers: dict[int, Any] = field(Answers(), default_factory=dict)


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


def check_can_start(call: Call, organisation: Organisation, now=None) -> None:
    """Refuse starting an application to `call` for `organisation` unless the call is open now (DeadlinePassed,
    InvalidTransition) and the organisation eligible (NotEligible, with the reasons). Applicants and staff entering
    an assisted application (cade/applications/assisted.py) are held to the same."""
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
    check_can_start(call, organisation, now)

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


def save_draft(actor, application_id: int, data: DraftInput, *, reopened: Collection[str] | None = None) -> Application:
    """Save what the applicant typed into a draft (a DraftInput cleaned by `from_input`); incomplete is fine.

    Answers are cleaned here, against the call's questions. Raises NotFound,
    PermissionDenied, NotADraft (an InvalidTransition) and ValidationFailed
    (errors keyed q_<id>); nothing is saved then.

    `reopened` names the fields a clarification request reopened (cade/conversations: "title", "summary",
    "requested_amount", "budget_lines", "q_<id>"): the application is then saved while information is
    requested instead of as a draft (NotReopened once it no longer is), and a change to any other field
    is refused by name (ValidationFailed).
    """
    application = load_application(application_id)
    require_member(actor, application)
    errors: dict[str, list] = {}
    if reopened is None:
        lock_draft(application)
    else:
        lock_reopened(application)
        for name in sorted(_fields_changed(data) - set(reopened)):
            errors.setdefault(name, []).append(_("This part of the application was not reopened; it cannot change."))
    questions = {q.id: q for q in application.call.questions}

    changes = {name: value for name, value in data.changes("title", "summary", "requested_amount_minor",
                                                              "cofinancing_minor").items()
               if value is not KEEP}
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
        lines = [BudgetLine(position=index, category=line.category, description=line.description,
                            amount_minor=line.amount_minor or 0)
                 for index, line in enumerate(data.budget_lines)]
    if errors:
        raise ValidationFailed(errors)

    for name, value in changes.items():
        setattr(application, name, value)
    store_answers(application.answers, lambda question_id: Answer(question_id=question_id), answer_values)
    if lines is not None:
        application.budget_lines.clear()
        db.session.flush()
        application.budget_lines.extend(lines)
    # Saves are not audited one by one (autosave runs every few seconds); transitions are.
    db.session.flush()
    return application


class NotReopened(NotADraft):
    """The clarification that reopened the application was answered or withdrawn meanwhile."""


# A DraftInput field → the name a clarification request reopens it by (the others are named as they are).
_REOPENED_AS = {"requested_amount_minor": "requested_amount", "cofinancing_minor": "budget_lines"}


def _fields_changed(data: DraftInput) -> set[str]:
    """The fields `data` would change, by the names clarification requests use."""
    names = {_REOPENED_AS.get(spec.name, spec.name) for spec in dataclasses.fields(data)
             if spec.name != "answers" and getattr(data, spec.name) is not KEEP}
    return names | {f"q_{question_id}" for question_id in data.answers}


def lock_reopened(application: Application) -> None:
    """Hold the application's row for this transaction, and confirm information is still requested on it.

    As `lock_draft` does for drafts: a save that waited for an answer sent a moment before changes nothing.
    """
    db.session.flush()
    result = db.session.execute(
        update(Application.__table__)
        .where(Application.__table__.c.id == application.id,
               Application.__table__.c.status == ApplicationStatus.INFO_REQUESTED.value)
        .values(updated_at=utcnow())
    )
    if result.rowcount != 1:
        db.session.refresh(application)
        raise NotReopened(_("Information is no longer requested on this application; it can no longer be changed."))
