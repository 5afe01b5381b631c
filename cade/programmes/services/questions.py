"""Questions and rubric criteria: ordered lists edited one item at a time, positions kept 0..n-1.

A call's questions live in its questionnaire (cade/core/questionnaires); what
each kind of question allows (a word limit, choices) is asked of the kind.

One set of question services serves every questionnaire of a call: its
application form and, above this domain, its grantee-report templates. A
questionnaire's owner is found through `questionnaire_owners`, a list of
functions `owner(questionnaire_id) -> QuestionnaireOwner | None`; this module
registers the call's application form, and a domain above registers its own
owners (cade/grants/report_templates.py: the report templates) when its
services are imported. The owner says which call the questions serve and how
far they may still change.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Command, FieldErrors, Flag, Integer, Text, field
from cade.core.db import lock_row
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.questionnaires import KINDS, Question, Questionnaire, QuestionnairePurpose
from cade.core.questionnaires.kinds import MAX_WORD_LIMIT
from cade.extensions import db
from cade.programmes.models import Call, RubricCriterion
from cade.programmes.services.common import (
    add_audited,
    change_audited,
    get_or_raise,
    is_call_locked,
    is_rubric_locked,
    require_admin,
    snapshot,
)

QUESTION_FIELDS = ("kind", "label", "help_text", "required", "word_limit", "choices")
CRITERION_FIELDS = ("label", "guidance", "weight", "max_score")


def _lock_list(model, owner_id: int) -> None:
    # Two admins reordering or adding at once would otherwise both renumber from
    # what they read first, leaving two items in one position.
    lock_row(model, owner_id)


def _owner_column(model):
    return model.questionnaire_id if model is Question else model.call_id


def _owner_id(item) -> int:
    return item.questionnaire_id if isinstance(item, Question) else item.call_id


def _siblings(model, owner_id: int) -> list:
    # Read afresh (populate_existing): positions loaded before the lock may be stale.
    owner = _owner_column(model)
    query = select(model).where(owner == owner_id).order_by(model.position, model.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _renumber(items: list) -> None:
    for position, item in enumerate(items):
        item.position = position


def _move(model, item, direction: str) -> None:
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": [_l("Move up or down.")]})
    _lock_list(Questionnaire if model is Question else Call, _owner_id(item))
    items = _siblings(model, _owner_id(item))
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    _renumber(items)
    db.session.flush()


def _remove(model, item, owner, relation: str) -> None:
    """Delete `item` and close the gap it leaves in its owner's list (`relation` on the owner)."""
    owner_id = _owner_id(item)
    db.session.delete(item)
    db.session.flush()
    _renumber(_siblings(model, owner_id))
    db.session.flush()
    db.session.expire(owner, [relation])


def _next_position(model, owner_id: int) -> int:
    last = db.session.scalar(select(func.max(model.position)).where(_owner_column(model) == owner_id))
    return 0 if last is None else last + 1


@dataclass(frozen=True)
class QuestionnaireOwner:
    """What holds a questionnaire: the call its questions serve, and how far they may still change.

    This one is a call's application form; an owner from a domain above
    subclasses it and answers the two questions for its own records.
    """

    call: Call
    purpose: str = QuestionnairePurpose.CALL_APPLICATION
    anchor: str = "questions"  # where its questions are on the page that edits them

    # What the admin is told when answers pin the questions (class attributes: an owner words its own).
    kind_fixed = _l("The kind of question cannot change once applications exist.")
    deletion_refused = _l("Questions cannot be deleted once applications exist; edit the question instead.")

    def answers_exist(self) -> bool:
        """True when answers pin the questions: no kind may change, no question be deleted."""
        return is_call_locked(self.call)

    def frozen(self):
        """Why no question may change at all now (a message), or None while they may."""
        return None


def _application_form(questionnaire_id: int) -> QuestionnaireOwner | None:
    call = db.session.scalar(select(Call).where(Call.questionnaire_id == questionnaire_id))
    return QuestionnaireOwner(call) if call is not None else None


# Functions `owner(questionnaire_id) -> QuestionnaireOwner | None`, asked in order (see the module docstring).
questionnaire_owners: list[Callable[[int], QuestionnaireOwner | None]] = [_application_form]


def owner_of_questionnaire(questionnaire_id: int) -> QuestionnaireOwner:
    """The owner of a questionnaire (see `questionnaire_owners`); raises NotFound when no owner claims it."""
    for find in questionnaire_owners:
        owner = find(questionnaire_id)
        if owner is not None:
            return owner
    raise NotFound()


def owner_of_question(question: Question) -> QuestionnaireOwner:
    return owner_of_questionnaire(question.questionnaire_id)


def call_of_question(question: Question) -> Call:
    """The call whose application form or report template holds `question`; NotFound for any other owner's."""
    return owner_of_question(question).call


def _refuse_if_frozen(owner: QuestionnaireOwner) -> None:
    reason = owner.frozen()
    if reason is not None:
        raise InvalidTransition(reason)


def _kind_takes(cleaning, setting: str) -> bool:
    kind = KINDS.get(cleaning.values.get("kind"))
    return kind is not None and getattr(kind, setting)


class WordLimit(Integer):
    """A word limit, kept only on a kind of question that takes one (another kind's is dropped, not judged)."""

    def clean(self, raw, cleaning):
        return super().clean(raw, cleaning) if _kind_takes(cleaning, "takes_word_limit") else None


class ChoiceLines(Cleaner):
    """The options of a choice question, one a line (or a list): stripped, once each whatever their case.

    Kept only on a kind of question that takes choices; another kind's are dropped, not judged.
    """

    def clean(self, raw, cleaning):
        if not _kind_takes(cleaning, "takes_choices"):
            return []
        lines = raw.splitlines() if isinstance(raw, str) else (raw or [])
        # Choices that differ only in letter case would look the same to an applicant.
        by_key: dict[str, str] = {}
        for line in lines:
            if isinstance(line, str) and line.strip():
                by_key.setdefault(line.strip().casefold(), line.strip())
        choices = list(by_key.values())
        if len(choices) < 2:
            cleaning.refuse(_l("Give at least two different choices, one per line."))
        elif any(len(choice) > 200 for choice in choices):
            cleaning.refuse(_l("Each choice can have at most 200 characters."))
        return choices


@dataclass(frozen=True)
class QuestionInput(Command):
    """A question as the admin types it, whole: a change restates every field.

    A new question is required unless the input says otherwise.
    """

    kind: str | None = field(Choice(KINDS, required=True, message=_l("Choose a kind of question.")))
    label: str | None = field(Text(max_len=300, required=True))
    help_text: str | None = field(Text(max_len=5_000))
    required: bool = field(Flag(), default=True)
    word_limit: int | None = field(WordLimit(1, MAX_WORD_LIMIT, required=False))
    choices: list[str] = field(ChoiceLines(), default_factory=list)

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        return super().from_input({"required": True, **(data or {})}, **context)


def add_questionnaire_question(actor, questionnaire_id: int, command: QuestionInput) -> Question:
    """Append a question to any questionnaire of a call (application form or report template).

    Raises PermissionDenied, NotFound, InvalidTransition (the owner's questions are frozen).
    """
    require_admin(actor)
    questionnaire = get_or_raise(Questionnaire, questionnaire_id)
    _lock_list(Questionnaire, questionnaire.id)
    _refuse_if_frozen(owner_of_questionnaire(questionnaire.id))
    question = Question(questionnaire_id=questionnaire.id, position=_next_position(Question, questionnaire.id),
                        **command.changes())
    add_audited(actor, question, "question.added", QUESTION_FIELDS)
    db.session.expire(questionnaire, ["questions"])
    return question


def add_question(actor, call_id: int, command: QuestionInput) -> Question:
    """Append a question to a call's application form. Raises PermissionDenied, NotFound."""
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    return add_questionnaire_question(actor, call.questionnaire_id, command)


def update_question(actor, question_id: int, command: QuestionInput) -> Question:
    """Change a question to `command`; its kind is fixed once answers exist, and nothing changes while frozen.

    Raises PermissionDenied, NotFound, ValidationFailed, InvalidTransition.
    """
    require_admin(actor)
    question = get_or_raise(Question, question_id)
    _lock_list(Questionnaire, question.questionnaire_id)
    owner = owner_of_question(question)
    _refuse_if_frozen(owner)
    if command.kind != question.kind and owner.answers_exist():
        raise ValidationFailed({"kind": [owner.kind_fixed]})
    change_audited(actor, question, command.changes(), "question.updated", QUESTION_FIELDS)
    return question


def delete_question(actor, question_id: int) -> None:
    """Delete a question and close the gap it leaves, unless answers exist or the questions are frozen.

    Raises PermissionDenied, NotFound, InvalidTransition.
    """
    require_admin(actor)
    question = get_or_raise(Question, question_id)
    _lock_list(Questionnaire, question.questionnaire_id)
    owner = owner_of_question(question)
    _refuse_if_frozen(owner)
    if owner.answers_exist():
        raise InvalidTransition(owner.deletion_refused)
    record_event(actor, "question.deleted", question, snapshot(question, QUESTION_FIELDS), None)
    _remove(Question, question, question.questionnaire, "questions")


def move_question(actor, question_id: int, direction: str) -> None:
    """Swap a question with its neighbour ("up" or "down"); positions stay 0..n-1.

    Raises PermissionDenied, NotFound, ValidationFailed, InvalidTransition (frozen).
    """
    require_admin(actor)
    question = get_or_raise(Question, question_id)
    _refuse_if_frozen(owner_of_question(question))
    _move(Question, question, direction)
    db.session.expire(question.questionnaire, ["questions"])
    record_event(actor, "question.moved", question, None, {"direction": direction, "position": question.position})


@dataclass(frozen=True)
class CriterionInput(Command):
    """A rubric criterion as the admin types it, whole: a change restates every field.

    A new criterion weighs 1 and is scored out of 5 unless the input says otherwise.
    """

    label: str | None = field(Text(max_len=200, required=True))
    guidance: str | None = field(Text(max_len=5_000))
    weight: int | None = field(Integer(1, 100))
    max_score: int | None = field(Integer(1, 100))

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        return super().from_input({"weight": 1, "max_score": 5, **(data or {})}, **context)


def _refuse_taken_label(label: str, call_id: int, criterion_id: int | None) -> None:
    clash = db.session.scalar(select(func.count(RubricCriterion.id)).where(
        RubricCriterion.call_id == call_id,
        func.lower(RubricCriterion.label) == label.lower(),
        RubricCriterion.id != (criterion_id or 0)))
    if clash:
        raise ValidationFailed({"label": [_l("This call already has a criterion with this label.")]})


def _refuse_if_rubric_locked(call: Call, message) -> None:
    # Taken under the list lock, so two admins' edits to one rubric are checked one after the other.
    _lock_list(Call, call.id)
    if is_rubric_locked(call):
        raise InvalidTransition(message)


def add_criterion(actor, call_id: int, command: CriterionInput) -> RubricCriterion:
    """Append a rubric criterion to a call, unless reviews of the call exist.

    Raises PermissionDenied, NotFound, ValidationFailed, InvalidTransition.
    """
    require_admin(actor)
    call = get_or_raise(Call, call_id)
    _refuse_if_rubric_locked(call, _l("Criteria cannot be added once reviews exist."))
    _refuse_taken_label(command.label, call.id, None)
    criterion = RubricCriterion(call_id=call.id, position=_next_position(RubricCriterion, call.id),
                                **command.changes())
    add_audited(actor, criterion, "criterion.added", CRITERION_FIELDS)
    db.session.expire(call, ["criteria"])
    return criterion


def update_criterion(actor, criterion_id: int, command: CriterionInput) -> RubricCriterion:
    """Change a rubric criterion to `command`; once reviews of the call exist, only its label and guidance.

    A changed weight or maximum score would silently change the meaning of
    scores already given. Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    criterion = get_or_raise(RubricCriterion, criterion_id)
    _lock_list(Call, criterion.call_id)
    _refuse_taken_label(command.label, criterion.call_id, criterion.id)
    if is_rubric_locked(criterion.call):
        errors = FieldErrors()
        for name in ("weight", "max_score"):
            if getattr(command, name) != getattr(criterion, name):
                errors.add(name, _l("This cannot change once reviews exist."))
        errors.raise_if_any()
    change_audited(actor, criterion, command.changes(), "criterion.updated", CRITERION_FIELDS)
    return criterion


def delete_criterion(actor, criterion_id: int) -> None:
    """Delete a rubric criterion and close the gap, unless reviews of the call exist (their scores would go too).

    Raises PermissionDenied, NotFound, InvalidTransition.
    """
    require_admin(actor)
    criterion = get_or_raise(RubricCriterion, criterion_id)
    _refuse_if_rubric_locked(criterion.call, _l("Criteria cannot be deleted once reviews exist; "
                                                "edit the label or guidance instead."))
    record_event(actor, "criterion.deleted", criterion, snapshot(criterion, CRITERION_FIELDS), None)
    _remove(RubricCriterion, criterion, criterion.call, "criteria")


def move_criterion(actor, criterion_id: int, direction: str) -> None:
    """Swap a criterion with its neighbour ("up" or "down"); positions stay 0..n-1.

    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    criterion = get_or_raise(RubricCriterion, criterion_id)
    _move(RubricCriterion, criterion, direction)
    db.session.expire(criterion.call, ["criteria"])
    record_event(actor, "criterion.moved", criterion, None, {"direction": direction, "position": criterion.position})
