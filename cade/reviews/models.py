"""Reviewer profiles, invitations, conflicts, assignments, reviews and their scores."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db
from cade.programmes.models import Call, RubricCriterion
from cade.reviews.constants import DEFAULT_MAX_LOAD, AssignmentMethod, ReviewStatus


class ReviewerProfile(TimestampMixin, db.Model):
    __tablename__ = "reviewer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # UN M49 region codes
    max_load: Mapped[int] = mapped_column(default=DEFAULT_MAX_LOAD)  # applications per call

    user: Mapped[User] = relationship()


class ReviewerInvitation(TimestampMixin, db.Model):
    __tablename__ = "reviewer_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # Only a hash of the token is kept, as for organisation invitations.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallReviewSettings(TimestampMixin, db.Model):
    """What the admin sets for reviewing and deciding one call: the deadline and the selection targets."""

    __tablename__ = "call_review_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    review_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Target share of the selection (awarded amount), in whole percent: {"002": 40, "019": 25}.
    region_targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    stakeholder_targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    call: Mapped[Call] = relationship()


class ConflictDeclaration(db.Model):
    """A reviewer's answer before opening an application: no conflict, or conflict and why."""

    __tablename__ = "conflict_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    has_conflict: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()
    application: Mapped[Application] = relationship()

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        # The few declared conflicts among many "no conflict" answers (the admins' list of a call's conflicts).
        Index("ix_conflict_declarations_conflicts", "application_id", postgresql_where=text("has_conflict"),
              sqlite_where=text("has_conflict")),
    )


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(8), default=AssignmentMethod.MANUAL)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    review: Mapped["Review | None"] = relationship(back_populates="assignment", cascade="all, delete-orphan",
                                                  uselist=False)

    # Two admins assigning at once never double-assign: the database refuses the second row.
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        Index("ix_assignments_call_reviewer", "call_id", "reviewer_id"),  # each reviewer's load in a call
    )


class Review(TimestampMixin, db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    # Copied from the assignment so that aggregation is one join away from the scores.
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.DRAFT)
    recommendation: Mapped[str | None] = mapped_column(String(24))
    comment_to_applicant: Mapped[str] = mapped_column(Text, default="")
    confidential_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The review's score, 0–100, kept by cade.reviews.services.aggregation whenever the review is saved, so that
    # pages read it instead of summing the scores (None while no weighted criterion is scored). Written in SQL only.
    weighted_score: Mapped[float | None]

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list["ReviewScore"]] = relationship(back_populates="review", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        Index("ix_reviews_call_status", "call_id", "status"),
        Index("ix_reviews_call_reviewer", "call_id", "reviewer_id"),  # a reviewer's reviews in a call, kept scores
    )


# A submitted review stays submitted: saving it again re-submits it, complete (cade/reviews/services/scoring.py).
REVIEW_MACHINE = StateMachine(
    noun="review",
    model=Review,
    statuses=ReviewStatus,
    initial=ReviewStatus.DRAFT,
    description=("A reviewer's scores of one application. A draft may be partial; submitting needs every "
                 "criterion scored and a recommendation, and only submitted reviews count towards the scores."),
    transitions={ReviewStatus.DRAFT: {ReviewStatus.SUBMITTED}, ReviewStatus.SUBMITTED: set()},
)


class ReviewScore(db.Model):
    __tablename__ = "review_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"))
    score: Mapped[int]

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()

    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)


class ReviewerCallScores(db.Model):
    """One reviewer's habit in one call: what their reviews' z-scores are measured against.

    Kept by cade.reviews.services.aggregation whenever one of the reviewer's
    reviews in the call is saved or stops counting, for every reviewer with a
    counted review, eligible or not (`review_count` tells).
    """

    __tablename__ = "reviewer_call_scores"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    review_count: Mapped[int]
    mean: Mapped[float]
    sd: Mapped[float]  # population standard deviation


class ApplicationScore(db.Model):
    """An application's figures from its counted reviews, kept up to date as reviews are saved (see aggregation).

    One row per application with at least one counted review; the ranking reads
    and sorts these rows by index instead of scoring the whole call per view.
    """

    __tablename__ = "application_scores"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    review_count: Mapped[int]
    mean_score: Mapped[float]
    median_score: Mapped[float]
    min_score: Mapped[float]
    max_score: Mapped[float]
    spread: Mapped[float]
    normalised_score: Mapped[float | None]
    has_positive: Mapped[bool]
    has_negative: Mapped[bool]
    disagreement: Mapped[bool]
    # The application's reference, the ranking's tie-break, copied here so that one index holds the whole order.
    # It is given once, at submission, before any review: the copy never goes stale.
    reference: Mapped[str | None] = mapped_column(String(60))


def _ranking_index(name: str, column) -> Index:
    """The ranking's order on `column` within a call, best first, ties by reference (cade.awards.services.ranking).

    The first page walks it and stops after the page's rows instead of sorting
    the whole call. Plain DESC, which both databases accept in an index:
    PostgreSQL puts NULLs first in it, so the nullable normalised score's order
    (NULLs last) is sorted, not walked.
    """
    return Index(name, ApplicationScore.call_id, column.desc(), ApplicationScore.reference,
                 ApplicationScore.application_id)


_ranking_index("ix_application_scores_call_mean", ApplicationScore.mean_score)
_ranking_index("ix_application_scores_call_median", ApplicationScore.median_score)
_ranking_index("ix_application_scores_call_normalised", ApplicationScore.normalised_score)
_ranking_index("ix_application_scores_call_reviews", ApplicationScore.review_count)
