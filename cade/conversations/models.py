"""Clarification requests on an application, and the message thread between an organisation and the programme."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.conversations.constants import ClarificationStatus
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.core.uploads import UploadedFileColumns
from cade.extensions import db


class ClarificationRequest(TimestampMixin, db.Model):
    """Staff (or, where the call allows, a reviewer) ask the applicant to clarify named fields by a due date.

    `fields` names the application's fields that reopen (question field names `q_<id>`, "title", "summary",
    "requested_amount", "budget_lines"); `resume_status` is where review stood, and where it returns.
    """

    __tablename__ = "clarification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_as: Mapped[str] = mapped_column(String(16))  # "admin" or "reviewer"
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=ClarificationStatus.OPEN, index=True)
    resume_status: Mapped[str] = mapped_column(String(16))
    response: Mapped[str | None] = mapped_column(Text)  # the applicant's answer (a draft while open)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the named fields held when asked, so the history shows what changed: {field: text}.
    before: Mapped[dict] = mapped_column(JSON, default=dict)

    application: Mapped[Application] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


# A request's moves: answered by the applicant, or withdrawn by staff; either ends it (the application's own move
# back to review is APPLICATION_MACHINE's). Audited as clarification.answered / clarification.withdrawn.
CLARIFICATION_MACHINE = StateMachine(
    noun="clarification",
    model=ClarificationRequest,
    statuses=ClarificationStatus,
    initial=ClarificationStatus.OPEN,
    description=("A request to the applicant to clarify named fields of a submitted application by a due day. "
                 "The applicant's answer, or staff withdrawing it, ends it and returns the application to review."),
    transitions={
        ClarificationStatus.OPEN: {ClarificationStatus.ANSWERED, ClarificationStatus.WITHDRAWN},
        ClarificationStatus.ANSWERED: set(),
        ClarificationStatus.WITHDRAWN: set(),
    },
)


class MessageThread(db.Model):
    """The one conversation about an application (topic "application") or its grant (topic "grant")."""

    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(16))  # ThreadTopic
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
    messages: Mapped[list["Message"]] = relationship(back_populates="thread", order_by="Message.id",
                                                     cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("application_id", "topic"),)


class Message(db.Model):
    """One message of a thread; reviewers see it only once an admin shares it (`shared_at`)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[str] = mapped_column(String(16))  # MessageSide
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The clarification request this message asks or answers, if any.
    clarification_id: Mapped[int | None] = mapped_column(
        ForeignKey("clarification_requests.id", ondelete="SET NULL"), index=True)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    attachments: Mapped[list["MessageAttachment"]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", cascade="all, delete-orphan")


class MessageAttachment(UploadedFileColumns, db.Model):
    """A file sent with a message, checked by content like an application's attachments."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)

    message: Mapped[Message] = relationship(back_populates="attachments")
