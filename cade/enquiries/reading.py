"""What the public call page shows of its questions and notices, in the reader's language (three queries at most).

Answers are shown as published (the reworded question, never who asked), each with its number and the day it
was published in the call's time zone; a text with no version in the reader's language comes in the call's
language, marked as a fallback (`LocalText.fallback`).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.timeutil import utc_to_local
from cade.core.translations import LocalText, localized
from cade.enquiries.asking import count_questions_of_asker, question_cutoff, questions_open
from cade.enquiries.constants import EnquiryStatus
from cade.enquiries.models import CallQuestion
from cade.enquiries.notices import notices_of
from cade.enquiries.permissions import can_ask_question
from cade.programmes.models import Call
from cade.extensions import db


@dataclass(frozen=True)
class PublishedAnswer:
    number: int
    published_on: date
    question: LocalText
    answer: LocalText


@dataclass(frozen=True)
class PublishedNotice:
    number: int
    kind: str
    published_on: date
    body: LocalText
    previous_closes_at: datetime | None
    new_closes_at: datetime | None


@dataclass(frozen=True)
class CallEnquiries:
    answers: list[PublishedAnswer]
    notices: list[PublishedNotice]
    cutoff: datetime
    open: bool  # questions are still taken
    may_ask: bool  # the reader may ask now (signed in, confirmed, before the cut-off)
    asked: int  # how many questions the reader has asked about the call


def _day(moment: datetime, call: Call) -> date:
    return utc_to_local(moment, call.timezone).date()


def published_answers(call: Call) -> list[PublishedAnswer]:
    """The call's published answers by number, in the reader's language (one query)."""
    rows = db.session.scalars(select(CallQuestion).where(CallQuestion.call_id == call.id,
                                                         CallQuestion.status == EnquiryStatus.PUBLISHED)
                              .order_by(CallQuestion.number))
    return [PublishedAnswer(row.number, _day(row.published_at, call), localized(row, "public_question"),
                            localized(row, "answer")) for row in rows]


def call_enquiries(call: Call, reader=None, now: datetime | None = None) -> CallEnquiries:
    """The answers, notices and cut-off of `call` as `reader` (None: a visitor) sees them."""
    now = now or utcnow()
    signed_in = bool(getattr(reader, "is_authenticated", False))
    is_open = questions_open(call, now)
    notices = [PublishedNotice(row.number, row.kind, _day(row.published_at, call), localized(row, "body"),
                               row.previous_closes_at, row.new_closes_at) for row in notices_of(call.id)]
    return CallEnquiries(
        answers=published_answers(call), notices=notices, cutoff=question_cutoff(call), open=is_open,
        may_ask=is_open and can_ask_question(reader, call),
        asked=count_questions_of_asker(reader, call.id) if signed_in else 0)
