"""Courses, their sessions (with trainers), enrolments and certificates, with the enrolment and session state machines."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.training.constants import EnrolmentStatus, SessionStatus


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    # CapacityDimension values, in the order of the enum.
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The completion rule: attend this many of the course's sessions, or all of them when None.
    required_sessions: Mapped[int | None]
    # "Holds a certificate of this course" before enrolling (`services.prerequisites.holds_prerequisite`).
    prerequisite_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    published: Mapped[bool] = mapped_column(default=False)

    prerequisite: Mapped["Course | None"] = relationship(remote_side=[id])
    sessions: Mapped[list["Session"]] = relationship(back_populates="course", order_by="Session.starts_at",
                                                     cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("required_sessions IS NULL OR required_sessions >= 1",
                                      name="required_sessions_positive"),)


session_trainers = Table(
    "session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Session(TimestampMixin, db.Model):
    """One dated run of a course: when (in its own time zone), where or at which link, how many seats."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Shown only to those holding a seat, their trainers and admins (`permissions.can_see_session_venue`).
    place: Mapped[str | None] = mapped_column(Text)
    online_url: Mapped[str | None] = mapped_column(String(500))
    seats: Mapped[int]
    enrolment_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolment_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.SCHEDULED)

    course: Mapped[Course] = relationship(back_populates="sessions")
    trainers: Mapped[list[User]] = relationship(secondary=session_trainers, order_by=User.name)

    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("enrolment_closes_at > enrolment_opens_at", name="window_closes_after_opening"),
    )

    @property
    def display_title(self) -> str:
        return self.title or self.course.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def is_over(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at

    def window_is_open(self, now: datetime | None = None) -> bool:
        """Enrolment is open: inside the window, and the session has not started."""
        now = now or utcnow()
        return self.enrolment_opens_at <= now < self.enrolment_closes_at and now < self.starts_at


SESSION_MACHINE = StateMachine(
    noun="training_session",
    model=Session,
    statuses=SessionStatus,
    initial=SessionStatus.SCHEDULED,
    description="A training session. Cancelling it tells everyone enrolled (`cancel_session`); it is final.",
    transitions={SessionStatus.SCHEDULED: {SessionStatus.CANCELLED}, SessionStatus.CANCELLED: set()},
)


class Enrolment(TimestampMixin, db.Model):
    """A person's place in a session, for one of their organisations: a seat, or a place on the waiting list."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # 1, 2, 3… among those waiting in the session, without gaps: moves up as people ahead leave the list.
    waitlist_position: Mapped[int | None]
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        # One live enrolment per person per session, whatever two clicks or two tabs send at once.
        Index("uq_enrolments_live_per_session", "session_id", "user_id", unique=True,
              sqlite_where=text("status != 'cancelled'"), postgresql_where=text("status != 'cancelled'")),
        Index("ix_enrolments_session_status", "session_id", "status"),
    )


ENROLMENT_MACHINE = StateMachine(
    noun="enrolment",
    model=Enrolment,
    statuses=EnrolmentStatus,
    initial=EnrolmentStatus.CONFIRMED,
    description=("A person's enrolment in a training session. It starts confirmed while seats remain, otherwise "
                 "waitlisted (`enrol`); a cancelled seat promotes the first waitlisted person "
                 "(`cancel_enrolment`). Attendance moves a confirmed enrolment to attended or no_show, and the "
                 "course's completion rule to completed."),
    transitions={
        EnrolmentStatus.WAITLISTED: {EnrolmentStatus.CONFIRMED, EnrolmentStatus.CANCELLED},
        EnrolmentStatus.CONFIRMED: {EnrolmentStatus.CANCELLED, EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW},
        EnrolmentStatus.ATTENDED: {EnrolmentStatus.COMPLETED, EnrolmentStatus.NO_SHOW},
        EnrolmentStatus.NO_SHOW: {EnrolmentStatus.ATTENDED},
        EnrolmentStatus.COMPLETED: set(),
        EnrolmentStatus.CANCELLED: set(),
    },
    verbs={EnrolmentStatus.CONFIRMED: "promoted"},
)


class Certificate(TimestampMixin, db.Model):
    """Proof that a person completed a course, checkable by anyone at `/certificates/<code>`.

    One per person and course (`uq_certificates_user_course`): the second save of an attendance
    sheet, or two trainers saving at once, find it there. Revoked, it stays (the public page says
    when and why) and no longer counts as a prerequisite or for eligibility.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    # The organisation the person took the course for, as it was named then.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    organisation_name: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_certificates_user_course"),)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
