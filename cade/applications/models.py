"""Applications, their answers, budget lines and attachments."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.core.questionnaires.models import AnswerColumns
from cade.programmes.models import Call


class Application(TimestampMixin, db.Model):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.DRAFT, index=True)
    reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    requested_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the organisation's profile said at submission (cade/applications/snapshots.py): reports count
    # by these, so a profile edited later does not move an application between regions or groups.
    org_country: Mapped[str | None] = mapped_column(String(2))
    org_region_code: Mapped[str | None] = mapped_column(String(3))
    org_subregion_code: Mapped[str | None] = mapped_column(String(3))
    org_stakeholder_group: Mapped[str | None] = mapped_column(String(32))
    org_type: Mapped[str | None] = mapped_column(String(32))
    org_ldc: Mapped[bool | None]
    org_lldc: Mapped[bool | None]
    org_sids: Mapped[bool | None]
    org_first_time: Mapped[bool | None]  # the organisation's first submitted application
    # What the organisation funds itself or from other sources (calls asking for co-financing): the budget lines
    # add up to the requested amount plus this (cade/applications/budget_checks.py).
    cofinancing_minor: Mapped[int | None] = mapped_column(BigInteger)
    # A full proposal's concept note, in the first stage of a two-stage call (cade/stages).
    concept_application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), unique=True)

    call: Mapped[Call] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    budget_lines: Mapped[list["BudgetLine"]] = relationship(
        back_populates="application", order_by="BudgetLine.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="application", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    concept_application: Mapped["Application | None"] = relationship(remote_side=[id])
    # Entered by staff for an organisation that cannot apply online (cade/applications/assisted.py).
    assisted_entry: Mapped["AssistedEntry | None"] = relationship(
        back_populates="application", uselist=False, cascade="all, delete-orphan")

    __table_args__ = (
        # One live application per organisation per call, enforced by the database.
        Index(
            "uq_applications_live_per_call",
            "call_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("status != 'withdrawn'"),
            postgresql_where=text("status != 'withdrawn'"),
        ),
    )

    @property
    def currency(self) -> str:
        return self.call.currency

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT


# The one table of an application's moves (DESIGN §4): services move it with APPLICATION_MACHINE.move(...),
# and "which applications can still be withdrawn" is APPLICATION_MACHINE.sources(WITHDRAWN).
APPLICATION_MACHINE = StateMachine(
    noun="application",
    model=Application,
    statuses=ApplicationStatus,
    initial=ApplicationStatus.DRAFT,
    description=("An organisation's application to a call. It leaves the draft state when submitted; deciding it "
                 "or assigning a reviewer puts it under review, and releasing the call's decisions gives it its "
                 "outcome. A waitlisted application is awarded when funds free up. A clarification request pauses "
                 "review until the applicant answers; a concept note of a two-stage call is shortlisted rather "
                 "than awarded, and its organisation invited to the full-proposal stage."),
    transitions={
        ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
        ApplicationStatus.SUBMITTED: {ApplicationStatus.UNDER_REVIEW, ApplicationStatus.WITHDRAWN,
                                      ApplicationStatus.INFO_REQUESTED},
        ApplicationStatus.UNDER_REVIEW: {ApplicationStatus.AWARDED, ApplicationStatus.WAITLISTED,
                                         ApplicationStatus.REJECTED, ApplicationStatus.INFO_REQUESTED,
                                         ApplicationStatus.SHORTLISTED},
        # Answered (or the request withdrawn): back where review was, with the clarification on record.
        ApplicationStatus.INFO_REQUESTED: {ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW},
        ApplicationStatus.SHORTLISTED: set(),
        ApplicationStatus.WAITLISTED: {ApplicationStatus.AWARDED},
        ApplicationStatus.AWARDED: set(),
        ApplicationStatus.REJECTED: set(),
        ApplicationStatus.WITHDRAWN: set(),
    },
)


class Answer(AnswerColumns, db.Model):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))

    application: Mapped[Application] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("application_id", "question_id"),)


class ApplicationFocusArea(db.Model):
    """One focus area of the organisation at submission (an application counts under each in reports)."""

    __tablename__ = "application_focus_areas"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"),
                                                primary_key=True)
    focus_area: Mapped[str] = mapped_column(String(32), primary_key=True)


class BudgetLine(db.Model):
    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    application: Mapped[Application] = relationship(back_populates="budget_lines")


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="attachments")


class AssistedEntry(db.Model):
    """An application entered by staff on an organisation's behalf: who entered it, and the organisation's
    consent as recorded (how it was given, by whom, when). Every step of it is audited as well."""

    __tablename__ = "assisted_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_method: Mapped[str | None] = mapped_column(String(16))  # ConsentMethod; None until recorded
    consent_given_by: Mapped[str | None] = mapped_column(String(200))  # the person at the organisation
    consent_note: Mapped[str | None] = mapped_column(Text)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="assisted_entry")
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
