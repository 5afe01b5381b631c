"""Questions asked about a call and their published answers; a call's corrigenda and deadline extensions."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.core.translations import Translatable
from cade.enquiries.constants import EnquiryStatus
from cade.extensions import db
from cade.programmes.models import Call


class CallQuestion(Translatable, db.Model):
    """A question someone signed in asked about a call, and (once published) its numbered answer.

    The asker is kept for staff only: the call page shows the question as published (`public_question`, which
    staff may reword to remove what identifies the asker) and the answer, never who asked.
    """

    __tablename__ = "call_questions"
    translatable_fields = ("public_question", "answer")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # as asked
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=EnquiryStatus.PENDING, index=True)
    number: Mapped[int | None]  # given at publication, gapless per call
    public_question: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])

    __table_args__ = (UniqueConstraint("call_id", "number"),)

    @property
    def text_language(self) -> str:
        return self.call.language


# A question waits for staff, then is published with its number or set aside (duplicate, out of scope); a published
# answer may still be corrected (a change of its text, not of its state). Audited as call_question.<verb>.
QUESTION_MACHINE = StateMachine(
    noun="call_question",
    model=CallQuestion,
    statuses=EnquiryStatus,
    initial=EnquiryStatus.PENDING,
    description=("A question asked about a call. Staff publish it, reworded so it names nobody, with its answer "
                 "and the call's next number, or set it aside as a duplicate or out of scope."),
    transitions={
        EnquiryStatus.PENDING: {EnquiryStatus.PUBLISHED, EnquiryStatus.DUPLICATE, EnquiryStatus.OUT_OF_SCOPE},
        EnquiryStatus.PUBLISHED: set(),
        EnquiryStatus.DUPLICATE: set(),
        EnquiryStatus.OUT_OF_SCOPE: set(),
    },
    verbs={EnquiryStatus.DUPLICATE: "dismissed", EnquiryStatus.OUT_OF_SCOPE: "dismissed"},
)


class CallNotice(Translatable, db.Model):
    """A corrigendum or a deadline extension published on a call, numbered and dated; organisations holding a
    draft are told. An extension keeps the deadline before and after it."""

    __tablename__ = "call_notices"
    translatable_fields = ("body",)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # NoticeKind: corrigendum | extension
    body: Mapped[str] = mapped_column(Text)
    previous_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship()

    __table_args__ = (UniqueConstraint("call_id", "number"),)

    @property
    def text_language(self) -> str:
        return self.call.language
