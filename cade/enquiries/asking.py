"""Asking a question about a call: who may, until when, and how many at a time; and what the asker sees of theirs.

The cut-off is `question_cutoff(call)`, the one answer every page, form and service asks: the call's own
`questions_close_at`, or its deadline when it has none (and never later than the deadline).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.commands import Command, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, NotFound, PermissionDenied
from cade.core.timeutil import format_in_zone
from cade.enquiries.constants import MAX_PENDING_PER_ASKER, QUESTION_MAX_CHARS, EnquiryStatus
from cade.enquiries.models import CallQuestion
from cade.enquiries.permissions import can_ask_question
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call


def question_cutoff(call: Call) -> datetime:
    """The moment questions about `call` stop being taken."""
    if call.questions_close_at is None:
        return call.closes_at
    return min(call.questions_close_at, call.closes_at)


def questions_open(call: Call, now: datetime | None = None) -> bool:
    """True while a published call takes questions (before the cut-off)."""
    return call.status == CallStatus.PUBLISHED and (now or utcnow()) < question_cutoff(call)


def cutoff_passed_message(call: Call):
    return _l("Questions about this call closed on %(cutoff)s.",
              cutoff=format_in_zone(question_cutoff(call), call.timezone))


@dataclass(frozen=True)
class QuestionInput(Command):
    """A question as its asker types it."""

    body: str | None = field(Text(max_len=QUESTION_MAX_CHARS, required=True))


def ask_question(actor, call_id: int, command: QuestionInput, now: datetime | None = None) -> CallQuestion:
    """Record `actor`'s question about a published call, pending an answer from staff.

    The same text sent twice while the first is still pending (a double click) gives back the first question.
    One person's questions are counted under their own row lock, so two sent at once cannot pass the limit.
    Raises NotFound (no such published call), PermissionDenied (e-mail address not confirmed), DeadlinePassed
    (after the cut-off, said in the call's time zone), InvalidTransition (too many questions waiting).
    """
    call = db.session.get(Call, call_id)
    if call is None or call.status != CallStatus.PUBLISHED:
        raise NotFound()
    if not can_ask_question(actor, call):
        raise PermissionDenied(_l("Please confirm your e-mail address before you ask a question."))
    if not questions_open(call, now):
        raise DeadlinePassed(cutoff_passed_message(call), field="body")
    lock_row(User, actor.id)
    waiting = db.session.scalars(
        select(CallQuestion).where(CallQuestion.call_id == call.id, CallQuestion.asked_by_id == actor.id,
                                   CallQuestion.status == EnquiryStatus.PENDING)
        .order_by(CallQuestion.id).execution_options(populate_existing=True)
    ).all()
    same = next((question for question in waiting if question.body == command.body), None)
    if same is not None:
        return same
    if len(waiting) >= MAX_PENDING_PER_ASKER:
        raise InvalidTransition(_l(
            "You already have %(n)d questions waiting for an answer on this call. Please wait for them to be "
            "answered before you ask more; the answers will be published on the call page.",
            n=MAX_PENDING_PER_ASKER), field="body")
    question = CallQuestion(call_id=call.id, asked_by_id=actor.id, body=command.body,
                            asked_at=now or utcnow(), status=EnquiryStatus.PENDING)
    db.session.add(question)
    db.session.flush()
    return question


def questions_of_asker(user, call_id: int) -> list[CallQuestion]:
    """The questions `user` asked about the call, newest first (one query)."""
    return list(db.session.scalars(
        select(CallQuestion).where(CallQuestion.call_id == call_id, CallQuestion.asked_by_id == user.id)
        .order_by(CallQuestion.asked_at.desc(), CallQuestion.id.desc())
    ))


def count_questions_of_asker(user, call_id: int) -> int:
    """How many questions `user` asked about the call (one COUNT query)."""
    return db.session.scalar(select(func.count(CallQuestion.id)).where(
        CallQuestion.call_id == call_id, CallQuestion.asked_by_id == user.id)) or 0
