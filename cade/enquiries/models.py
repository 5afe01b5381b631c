"""Questions asked about a call and their published answers; a call's corrigenda and deadline extensions."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.db import UTCDateTime, utcnow
from cade.core.translations import Translatable
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
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # EnquiryStatus
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
