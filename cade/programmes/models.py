"""Programmes, their calls, and each call's questionnaire and rubric."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.core.questionnaires.models import Question, Questionnaire, QuestionnairePurpose
from cade.core.translations import Translatable
from cade.extensions import db
from cade.programmes.constants import CallPhase, CallStatus


class Programme(TimestampMixin, db.Model):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    funder_name: Mapped[str] = mapped_column(String(200))
    funder_identifier: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    # Due diligence (cade/diligence): the sanctions lists its screenings check, how long one stays valid for
    # paying, and the share of a budget line a grantee may move on notice alone (cade/grants amendments).
    screening_lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    screening_valid_days: Mapped[int] = mapped_column(default=180)
    reallocation_notice_percent: Mapped[int] = mapped_column(default=10)

    calls: Mapped[list["Call"]] = relationship(back_populates="programme", order_by="Call.opens_at")


class Call(Translatable, TimestampMixin, db.Model):
    __tablename__ = "calls"
    translatable_fields = ("title", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    reference_prefix: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.DRAFT)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    budget_envelope_minor: Mapped[int] = mapped_column(BigInteger)
    min_award_minor: Mapped[int] = mapped_column(BigInteger)
    max_award_minor: Mapped[int] = mapped_column(BigInteger)
    reviews_required: Mapped[int] = mapped_column(default=2)
    blind_review: Mapped[bool] = mapped_column(default=False)

    # Settings of the eligibility rules (cade/programmes/eligibility.py); an empty list means "no restriction".
    eligible_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_country_lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_organisation_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_stakeholder_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_annual_budget_minor: Mapped[int | None] = mapped_column(BigInteger)
    # "A member of the applying organisation holds a certificate of this course" (cade/training/eligibility.py);
    # None: no such rule. A plain foreign key: programmes knows nothing of training.
    required_course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"),
                                                           index=True)

    # Due-diligence documents the call asks for (DocumentKind values) and when: 'submission', 'award' or None.
    required_documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    documents_required_at: Mapped[str | None] = mapped_column(String(16))

    # The language the call's own text is written in; other languages are in `translations` (and in each
    # question's, criterion's and budget heading's): cade/core/translations.py.
    language: Mapped[str] = mapped_column(String(8), default="en")

    # Questions and answers (cade/enquiries): signed-in people ask until this moment; None: until the deadline.
    questions_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Clarification requests (cade/conversations): whether the call's reviewers may ask them, not only admins.
    reviewers_may_clarify: Mapped[bool] = mapped_column(default=False)

    # Two-stage calls (cade/stages): set on the full-proposal call, naming its concept-note call; only
    # organisations shortlisted there may apply, and the amount they request may differ from the concept
    # note's by at most `concept_margin_percent` either way (None: any amount within the call's bounds).
    concept_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), unique=True)
    concept_margin_percent: Mapped[int | None]

    # Budget template (cade/programmes/budgets.py, checked by cade/applications/budget_checks.py): the share of
    # the whole budget the applicant must fund from other sources, in percent (None: no co-financing asked).
    cofinancing_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2, asdecimal=True))

    # The last reference number given at submission; bumped under a row lock.
    last_reference_number: Mapped[int] = mapped_column(default=0)

    # The application form. Loaded with the call (one join, not one more query per page); a call is
    # born with its own questionnaire and takes it along when deleted.
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), unique=True)

    programme: Mapped[Programme] = relationship(back_populates="calls")
    questionnaire: Mapped[Questionnaire] = relationship(
        lazy="joined", innerjoin=True, cascade="all, delete-orphan", single_parent=True
    )
    criteria: Mapped[list["RubricCriterion"]] = relationship(
        back_populates="call", order_by="RubricCriterion.position", cascade="all, delete-orphan"
    )
    budget_headings: Mapped[list["BudgetHeading"]] = relationship(
        back_populates="call", order_by="BudgetHeading.position", cascade="all, delete-orphan"
    )
    # The concept-note stage of a full-proposal call, and the other way round.
    concept_call: Mapped["Call | None"] = relationship(remote_side=[id], back_populates="full_call",
                                                       foreign_keys=[concept_call_id])
    full_call: Mapped["Call | None"] = relationship(back_populates="concept_call", uselist=False,
                                                    foreign_keys=[concept_call_id])

    def __init__(self, **kwargs):
        kwargs.setdefault("questionnaire", Questionnaire(purpose=QuestionnairePurpose.CALL_APPLICATION))
        super().__init__(**kwargs)

    @property
    def questions(self) -> list[Question]:
        """The application form's questions in order (appending to this list adds to the questionnaire)."""
        return self.questionnaire.questions

    @property
    def currency(self) -> str:
        return self.programme.currency

    @property
    def text_language(self) -> str:
        return self.language

    @property
    def is_concept_stage(self) -> bool:
        """The first stage of a two-stage call: its applications are concept notes, shortlisted rather than awarded."""
        return self.full_call is not None

    def phase(self, now: datetime | None = None) -> CallPhase:
        now = now or utcnow()
        if self.status != CallStatus.PUBLISHED:
            return CallPhase.DRAFT
        if now < self.opens_at:
            return CallPhase.UPCOMING
        if now > self.closes_at:
            return CallPhase.CLOSED
        return CallPhase.OPEN

    def is_open(self, now: datetime | None = None) -> bool:
        return self.phase(now) == CallPhase.OPEN

    def is_in_review(self, now: datetime | None = None) -> bool:
        """Published and past its deadline: its applications are being reviewed and decided (or have been),
        so every change to it is explained (`update_call`)."""
        return self.phase(now) == CallPhase.CLOSED



# Whether a call is public; its phase (upcoming, open, closed) follows from its dates, not from a move.
CALL_MACHINE = StateMachine(
    noun="call",
    model=Call,
    statuses=CallStatus,
    initial=CallStatus.DRAFT,
    description=("A call for applications. Publishing makes it public; it goes back to draft only while no "
                 "application pins it (a rule of `unpublish_call`, beside the table)."),
    transitions={CallStatus.DRAFT: {CallStatus.PUBLISHED}, CallStatus.PUBLISHED: {CallStatus.DRAFT}},
    verbs={CallStatus.DRAFT: "unpublished"},
)


class RubricCriterion(Translatable, db.Model):
    __tablename__ = "rubric_criteria"
    translatable_fields = ("label", "guidance")

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[int] = mapped_column(default=1)
    max_score: Mapped[int] = mapped_column(default=5)

    call: Mapped[Call] = relationship(back_populates="criteria")

    __table_args__ = (UniqueConstraint("call_id", "label"),)

    @property
    def text_language(self) -> str:
        return self.call.language


class BudgetHeading(Translatable, db.Model):
    """A heading of a call's budget template ("Direct costs", "Indirect costs", "Contingency") and its cap.

    A cap is an amount (`cap_minor`, in the call's currency) or a share of the direct costs in percent
    (`cap_percent`: indirect costs at most 7 %, contingency at most 5 %), or both. The checks are
    cade/applications/budget_checks.py; a call without headings uses the global categories.
    """

    __tablename__ = "budget_headings"
    translatable_fields = ("label",)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="direct")  # BudgetHeadingKind
    cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    cap_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2, asdecimal=True))

    call: Mapped[Call] = relationship(back_populates="budget_headings")
    categories: Mapped[list["BudgetCategory"]] = relationship(
        back_populates="heading", order_by="BudgetCategory.position", cascade="all, delete-orphan"
    )

    @property
    def text_language(self) -> str:
        return self.call.language


class BudgetCategory(Translatable, db.Model):
    """A category of costs under a heading; `code` is what a budget line stores. An ineligible category is
    listed so the call can say what it does not fund, and a line using it is refused with its name."""

    __tablename__ = "budget_categories"
    translatable_fields = ("label",)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    ineligible: Mapped[bool] = mapped_column(default=False)

    heading: Mapped[BudgetHeading] = relationship(back_populates="categories")

    __table_args__ = (UniqueConstraint("call_id", "code"),)

    @property
    def text_language(self) -> str:
        return self.heading.call.language
