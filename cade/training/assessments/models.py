"""Capacity assessments: an organisation's baseline and follow-ups, each scoring every capacity dimension 1–5.

Why plain columns and not `cade.core.questionnaires`: a questionnaire is a
list of questions someone writes per owner (a call's form), answered in free
kinds (text, number, choice...) and read back one answer at a time. An
assessment is the same fixed form for every organisation, seven dimensions
(DESIGN §3) × (score, justification), and its whole point is comparing
scores per dimension across assessments and organisations in SQL. With
questions, the dimension would have to be recovered from a question row and
the score from a text or Numeric answer; here `dimension` and `score` are
columns, checked by the database (1–5, one row per dimension) and grouped by
`gains.py` directly.
"""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.db import TimestampMixin, UTCDateTime
from cade.core.states import StateMachine
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.training.models import Course

SCORE_MIN, SCORE_MAX = 1, 5
JUSTIFICATION_MAX_CHARS = 500


class AssessmentKind(StrEnum):
    BASELINE = "baseline"
    FOLLOW_UP = "follow_up"


ASSESSMENT_KIND_LABELS = {
    AssessmentKind.BASELINE: _l("Baseline"),
    AssessmentKind.FOLLOW_UP: _l("Follow-up"),
}


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


ASSESSMENT_STATUS_LABELS = {
    AssessmentStatus.DRAFT: _l("Draft"),
    AssessmentStatus.SUBMITTED: _l("Submitted"),
}

# The short anchors of the scale, shown as "1 — not in place" … "5 — strong and sustained".
SCORE_ANCHORS = {
    1: _l("not in place"),
    2: _l("early, informal"),
    3: _l("in place, not yet consistent"),
    4: _l("established and used"),
    5: _l("strong and sustained"),
}


class CapacityAssessment(TimestampMixin, db.Model):
    """One self-assessment of an organisation: its baseline (at most one), or a follow-up after a course."""

    __tablename__ = "capacity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.DRAFT)
    # The course a follow-up follows up (None: started by the organisation itself), and when it is due.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    course: Mapped[Course | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    scores: Mapped[list["AssessmentScore"]] = relationship(back_populates="assessment", cascade="all, delete-orphan",
                                                           order_by="AssessmentScore.id")

    __table_args__ = (
        CheckConstraint("kind IN ('baseline', 'follow_up')", name="kind_known"),
        # One baseline per organisation, whatever two tabs or two members send at once.
        Index("uq_capacity_assessments_baseline", "organisation_id", unique=True,
              sqlite_where=text("kind = 'baseline'"), postgresql_where=text("kind = 'baseline'")),
        # One follow-up per organisation and course: a second member completing the course finds it.
        Index("uq_capacity_assessments_course_follow_up", "organisation_id", "course_id", unique=True,
              sqlite_where=text("kind = 'follow_up' AND course_id IS NOT NULL"),
              postgresql_where=text("kind = 'follow_up' AND course_id IS NOT NULL")),
    )

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT

    def score_for(self, dimension: str) -> "AssessmentScore | None":
        return next((row for row in self.scores if row.dimension == dimension), None)


class AssessmentScore(db.Model):
    """One dimension of an assessment: its score (None in a draft not yet scored) and why."""

    __tablename__ = "capacity_assessment_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("capacity_assessments.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None]
    justification: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[CapacityAssessment] = relationship(back_populates="scores")

    __table_args__ = (
        UniqueConstraint("assessment_id", "dimension", name="uq_capacity_assessment_scores_dimension"),
        CheckConstraint(f"score IS NULL OR score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score_in_scale"),
        Index("ix_capacity_assessment_scores_dimension", "dimension"),
    )


ASSESSMENT_MACHINE = StateMachine(
    noun="capacity_assessment",
    model=CapacityAssessment,
    statuses=AssessmentStatus,
    initial=AssessmentStatus.DRAFT,
    description=("An organisation's capacity self-assessment (baseline or follow-up). A member saves the draft "
                 "as often as needed and submits it once every dimension has a score and a justification "
                 "(`submit_assessment`); submitted is final."),
    transitions={AssessmentStatus.DRAFT: {AssessmentStatus.SUBMITTED}, AssessmentStatus.SUBMITTED: set()},
)
