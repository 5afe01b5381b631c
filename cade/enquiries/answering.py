"""Staff's side of a call's questions: publish an answer (numbered, dated), correct it, set a question aside, and
set the cut-off. Every change is audited; the asker is told when their question is answered."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cade.core.audit import record_event
from cade.core.commands import Choice, Command, FieldErrors, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.core.permissions import require_admin
from cade.core.timeutil import format_in_zone, moment_json
from cade.enquiries.constants import ANSWER_MAX_CHARS, DISMISSED, EnquiryStatus
from cade.enquiries.models import QUESTION_MACHINE, CallQuestion
from cade.enquiries.numbering import lock_call, next_number
from cade.enquiries.texts import OptionalMoment, TranslatedCommand, Translations, texts_by_language
from cade.extensions import db
from cade.notifications.services import notify
from cade.programmes.models import Call

ANSWER_FIELDS = ("public_question", "answer")


@dataclass(frozen=True)
class AnswerInput(TranslatedCommand):
    """A published question and its answer, in the call's language (`language`, from the context) and others."""

    translated = ANSWER_FIELDS
    language: str = "en"  # the call's, from the context: the language of the two texts below
    public_question: str | None = field(Text(max_len=ANSWER_MAX_CHARS, required=True))
    answer: str | None = field(Text(max_len=ANSWER_MAX_CHARS, required=True))
    translations: dict = field(Translations(ANSWER_FIELDS, ANSWER_MAX_CHARS), default_factory=dict)


def _snapshot(question: CallQuestion) -> dict:
    return {"status": question.status, "number": question.number, "public_question": question.public_question,
            "answer": question.answer, "translations": dict(question.translations or {})}


def _question_to_change(question_id: int) -> CallQuestion:
    """The question, read again under its call's lock: two admins at once see each other's work."""
    question = db.session.get(CallQuestion, question_id)
    if question is None:
        raise NotFound()
    lock_call(question.call_id)
    return db.session.get(CallQuestion, question_id, populate_existing=True)


def _same_answer(question: CallQuestion, command: AnswerInput) -> bool:
    return (question.public_question, question.answer, question.translations or {}) == (
        command.public_question, command.answer, command.translations)


def publish_answer(actor, question_id: int, command: AnswerInput, now: datetime | None = None) -> CallQuestion:
    """Publish a pending question (as reworded by staff) with its answer, under the call's next number, and tell
    the asker; the same answer sent again gives back the published question. Raises PermissionDenied, NotFound,
    InvalidTransition (already answered otherwise, or set aside)."""
    require_admin(actor)
    question = _question_to_change(question_id)
    if question.status == EnquiryStatus.PUBLISHED and _same_answer(question, command):
        return question  # the same answer sent twice (a double click): published once
    if question.status == EnquiryStatus.PUBLISHED:
        raise InvalidTransition(_l("This question is already answered, as number %(n)d.", n=question.number))
    if question.status != EnquiryStatus.PENDING:
        raise InvalidTransition(_l("This question was set aside; it can no longer be answered."))
    before = _snapshot(question)
    text = {"number": next_number(CallQuestion, question.call_id), "public_question": command.public_question,
            "answer": command.answer, "translations": dict(command.translations or {})}
    QUESTION_MACHINE.move(actor, question, EnquiryStatus.PUBLISHED, audit=(before, text),
                          answered_by_id=actor.id, published_at=now or utcnow(), **text)
    _tell_asker(question)
    return question


def correct_answer(actor, question_id: int, command: AnswerInput) -> CallQuestion:
    """Change a published question or answer (a correction keeps its number and date; the audit keeps both
    versions). Raises PermissionDenied, NotFound, InvalidTransition (not published)."""
    require_admin(actor)
    question = _question_to_change(question_id)
    if question.status != EnquiryStatus.PUBLISHED:
        raise InvalidTransition(_l("Only a published answer can be corrected."))
    before = _snapshot(question)
    question.public_question = command.public_question
    question.answer = command.answer
    question.translations = command.translations
    after = _snapshot(question)
    if after != before:
        db.session.flush()
        record_event(actor, "call_question.corrected", question, before, after)
    return question


@dataclass(frozen=True)
class DismissInput(Command):
    reason: str | None = field(Choice(DISMISSED, required=True, message=_l("Choose why it is not published.")))


def dismiss_question(actor, question_id: int, command: DismissInput) -> CallQuestion:
    """Set a pending question aside (a duplicate, or out of scope); its asker sees why among their questions.
    Raises PermissionDenied, NotFound, InvalidTransition (no longer pending)."""
    require_admin(actor)
    question = _question_to_change(question_id)
    if question.status == command.reason:
        return question  # set aside twice for the same reason (a double click)
    if question.status != EnquiryStatus.PENDING:
        raise InvalidTransition(_l("This question is no longer waiting for an answer."))
    QUESTION_MACHINE.move(actor, question, command.reason, audit=(_snapshot(question), None))
    return question


def _tell_asker(question: CallQuestion) -> None:
    asker = question.asked_by
    if asker is None or not asker.active:
        return
    call = question.call
    notify("enquiries.answered", recipient=asker, locale=asker.locale, key=f"question-answered:{question.id}",
           context={
               "call_id": call.id, "number": question.number, "language": call.language,
               "published": moment_json(question.published_at, call.timezone),
               "texts": texts_by_language({"call_title": (call, "title"),
                                           "public_question": (question, "public_question"),
                                           "answer": (question, "answer")}),
           })


@dataclass(frozen=True)
class CutoffInput(Command):
    """The moment questions stop, typed in the call's time zone (`timezone`, from the context); empty: the
    deadline."""

    timezone: str = "UTC"
    questions_close_at: datetime | None = field(OptionalMoment())


def set_question_cutoff(actor, call_id: int, command: CutoffInput) -> Call:
    """Set when questions about the call stop (None: at the deadline); it must come before the deadline.
    Audited with the moment before and after. Raises PermissionDenied, NotFound, ValidationFailed."""
    require_admin(actor)
    if db.session.get(Call, call_id) is None:
        raise NotFound()
    lock_call(call_id)
    call = db.session.get(Call, call_id, populate_existing=True)
    cutoff = command.questions_close_at
    if cutoff is not None and cutoff >= call.closes_at:
        errors = FieldErrors()
        errors.add("questions_close_at", _l("Questions must stop before the deadline, %(deadline)s.",
                                            deadline=format_in_zone(call.closes_at, call.timezone)))
        errors.raise_if_any()
    before = call.questions_close_at
    if before != cutoff:
        call.questions_close_at = cutoff
        db.session.flush()
        record_event(actor, "call.questions_cutoff_set", call,
                     {"questions_close_at": before.isoformat() if before else None},
                     {"questions_close_at": cutoff.isoformat() if cutoff else None})
    return call


def questions_for_staff(call_id: int) -> dict[str, list[CallQuestion]]:
    """The call's questions for its admin page: pending (oldest first), published (by number), set aside
    (newest first), with their askers (one query)."""
    rows = db.session.scalars(
        select(CallQuestion).options(joinedload(CallQuestion.asked_by)).where(CallQuestion.call_id == call_id)
        .order_by(CallQuestion.asked_at, CallQuestion.id)
    ).all()
    return {
        "pending": [q for q in rows if q.status == EnquiryStatus.PENDING],
        "published": sorted((q for q in rows if q.status == EnquiryStatus.PUBLISHED), key=lambda q: q.number),
        "dismissed": [q for q in reversed(rows) if q.status in DISMISSED],
    }
