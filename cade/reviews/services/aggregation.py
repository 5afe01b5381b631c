"""Review and application scores, computed in SQL where the reviews live (issue 3, item 5) and kept (issue 18).

The figures are kept, not recomputed per view: each review's score on the
review, each reviewer's mean and deviation per call (ReviewerCallScores) and
each application's figures (ApplicationScore) are brought up to date by
`keep_scores` in the transaction that saves a review or excludes it, so the
decision page reads three rows and the ranking sorts an index, whatever the
size of the call.

Scales and choices, so that a reader of the ranking knows what a figure means:

- A review's score is the weighted share of the maximum, 0–100:
  100 × Σ(score × weight) / Σ(max_score × weight). Criteria of weight 0 do not
  count. The share is taken over the criteria the review has scores for, so a
  criterion added to the rubric after a review was submitted neither lowers nor
  raises that review. A submitted review without any weighted score (a rubric
  of weight-0 criteria only) has no score and is not counted.
- Only submitted reviews count; drafts never do, nor does the review of a
  reviewer who declared a conflict with the application after submitting it
  (`counts_towards_scores`).
- The normalised score is the mean, over the application's reviews by eligible
  reviewers, of z = (score − reviewer's mean) / reviewer's standard deviation
  (population), where a reviewer is eligible once they have submitted at least
  NORMALISATION_MIN_REVIEWS reviews in the call. It reads in standard deviations
  around a reviewer's own habit: +0.85 means "scored 0.85 sd above what its
  reviewers usually give". A reviewer who gives every application the same
  score has sd 0 and contributes z = 0. It is NULL when no eligible reviewer
  reviewed the application.
- Disagreement: the spread (max − min) exceeds DISAGREEMENT_SPREAD points, or one
  reviewer recommends funding (with or without changes) while another does not.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, and_, case, cast, delete, exists, func, insert, literal, null, or_, select, update
from sqlalchemy.sql import ColumnElement, Select, Subquery

from cade.accounts.models import User
from cade.applications.models import Application
from cade.extensions import db
from cade.programmes.models import Call, RubricCriterion
from cade.reviews.constants import (
    DISAGREEMENT_SPREAD,
    NEGATIVE_RECOMMENDATIONS,
    NORMALISATION_MIN_REVIEWS,
    POSITIVE_RECOMMENDATIONS,
    ReviewStatus,
)
from cade.reviews.models import ApplicationScore, ConflictDeclaration, Review, ReviewerCallScores, ReviewScore

# Below this a reviewer's standard deviation is rounding noise: all their scores are equal.
SD_EPSILON = 1e-9


def counts_towards_scores() -> ColumnElement[bool]:
    """Whether a Review row counts: submitted, and its reviewer has declared no conflict with the application.

    A reviewer who finds a conflict after submitting keeps their review on record
    (cade.reviews.services.conflicts.declare_conflict); it no longer counts anywhere.
    """
    conflicted = exists().where(ConflictDeclaration.application_id == Review.application_id,
                                ConflictDeclaration.reviewer_id == Review.reviewer_id,
                                ConflictDeclaration.has_conflict.is_(True))
    return and_(Review.status == ReviewStatus.SUBMITTED, ~conflicted)


def weighted_score() -> ColumnElement[float]:
    """A review's score, 0–100: the module's formula as an aggregate over its ReviewScore rows joined to their criteria.

    100 × Σ(score × weight) / Σ(max_score × weight); NULL when no scored criterion carries weight. The one
    place the formula is written: the kept score (`keep_scores`) and the reviewer's own total
    (cade.reviews.services.scoring.review_total) both ask it, and the review page's script
    (cade/static/review-total.js) repeats the same arithmetic.
    """
    weight = RubricCriterion.weight
    return 100.0 * cast(func.sum(ReviewScore.score * weight), Float) / func.nullif(
        func.sum(RubricCriterion.max_score * weight), 0)


def of_calls(column, call_id) -> ColumnElement[bool]:
    """`column` is of the call `call_id`: an id, a scalar expression, or a SELECT of call ids (a report's calls)."""
    return column.in_(call_id) if isinstance(call_id, Select) else column == call_id


# ---------------------------------------------------------------- keeping the figures

def keep_scores(call_id: int | Select, reviewer_id: int | None = None) -> None:
    """Bring the kept figures up to date after `reviewer_id`'s reviews in the call changed (every reviewer's if None).

    A review saved or no longer counting moves its reviewer's mean and
    deviation, hence the z-score of each of their reviews in the call, hence
    the figures of every application they reviewed there: those are
    recomputed, from the kept review scores and reviewer figures, in six
    statements bounded by that reviewer's load, not by the call. The caller
    holds the call's row lock (saving a review and declaring a conflict take
    it), so two reviewers of one application never keep figures computed
    without each other's review. With `reviewer_id` None the whole call is
    recomputed: after data is loaded in bulk, or with a SELECT of call ids, for
    several calls at once.
    """
    statements = [*score_keeping_statements(call_id, reviewer_id), reference_keeping_statement(call_id, reviewer_id)]
    for statement in statements:
        db.session.execute(statement, execution_options={"synchronize_session": False})


def score_keeping_statements(call_id: int | Select, reviewer_id: int | None = None) -> list:
    """The statements of `keep_scores` that keep the figures, in order, for a caller that runs them on a connection
    of its own; the references follow (`reference_keeping_statement`).

    Kept apart because the migration that made these tables runs these very statements, before the reference
    column exists.
    """
    in_scope = [of_calls(Review.call_id, call_id)]
    if reviewer_id is not None:
        in_scope.append(Review.reviewer_id == reviewer_id)
    stats_scope = [of_calls(ReviewerCallScores.call_id, call_id)]
    if reviewer_id is not None:
        stats_scope.append(ReviewerCallScores.reviewer_id == reviewer_id)
    # Never correlated: inside the figures' query, which reads reviews too, it still means "applications in scope".
    touched = select(Review.application_id).where(*in_scope).correlate(None)
    stats = _reviewer_figures(counted_reviews(*in_scope))
    applications = _application_figures(z_scored_reviews(Review.application_id.in_(touched)))
    return [
        update(Review).where(*in_scope).values(weighted_score=_stored_score()),
        delete(ReviewerCallScores).where(*stats_scope),
        insert(ReviewerCallScores).from_select(
            ["call_id", "reviewer_id", "review_count", "mean", "sd"], stats),
        delete(ApplicationScore).where(ApplicationScore.application_id.in_(touched)),
        insert(ApplicationScore).from_select([column.name for column in applications.selected_columns],
                                             applications),
    ]


def reference_keeping_statement(call_id: int | Select, reviewer_id: int | None = None):
    """The last statement of `keep_scores`: the kept rows it wrote take their application's reference.

    The ranking's tie-break, copied beside the scores so that one index holds
    its whole order (cade/reviews/models.py). A reference is given once, at
    submission, before any review, so the copy never goes stale.
    """
    in_scope = [of_calls(Review.call_id, call_id)]
    if reviewer_id is not None:
        in_scope.append(Review.reviewer_id == reviewer_id)
    touched = select(Review.application_id).where(*in_scope).correlate(None)
    reference = select(Application.reference).where(Application.id == ApplicationScore.application_id)
    return update(ApplicationScore).where(ApplicationScore.application_id.in_(touched)).values(
        reference=reference.scalar_subquery())


def _stored_score() -> ColumnElement[float]:
    """The review's weighted score from its ReviewScore rows, correlated to the review being updated."""
    return (
        select(weighted_score())
        .select_from(ReviewScore)
        .join(RubricCriterion, and_(RubricCriterion.id == ReviewScore.criterion_id,
                                    RubricCriterion.call_id == Review.call_id))
        .where(ReviewScore.review_id == Review.id, RubricCriterion.weight > 0)
        .scalar_subquery()
    )


def counted_reviews(*conditions) -> Select:
    """Each counted review with a kept score: review_id, call_id, application_id, reviewer_id, recommendation, score."""
    return select(Review.id.label("review_id"), Review.call_id, Review.application_id, Review.reviewer_id,
                  Review.recommendation, Review.weighted_score.label("score")).where(
        counts_towards_scores(), Review.weighted_score.is_not(None), *conditions)


def _reviewer_figures(reviews: Select) -> Select:
    """Per reviewer and call of `reviews`: call_id, reviewer_id, review_count, mean, sd (population).

    The deviation is taken from the reviewer's mean in a second pass (a window
    average), not as avg(x²) − avg(x)², which loses the small differences on a
    0–100 scale.
    """
    scores = reviews.subquery("scores")
    centred = select(
        scores.c.call_id, scores.c.reviewer_id, scores.c.score,
        func.avg(scores.c.score).over(partition_by=(scores.c.call_id, scores.c.reviewer_id)).label("mean"),
    ).subquery("centred")
    deviation = centred.c.score - centred.c.mean
    return (
        select(centred.c.call_id, centred.c.reviewer_id, func.count(), func.avg(centred.c.score),
               func.sqrt(func.avg(deviation * deviation)))
        .group_by(centred.c.call_id, centred.c.reviewer_id)
    )


def z_scored_reviews(*conditions) -> Subquery:
    """Counted reviews (the `counted_reviews` columns) with z against their reviewer's kept figures (NULL if not eligible)."""
    reviews = counted_reviews(*conditions).subquery("counted")
    stats = ReviewerCallScores
    eligible = and_(stats.call_id == reviews.c.call_id, stats.reviewer_id == reviews.c.reviewer_id,
                    stats.review_count >= NORMALISATION_MIN_REVIEWS)
    z = case(
        (stats.reviewer_id.is_(None), null()),
        (stats.sd <= SD_EPSILON, literal(0.0)),
        else_=(reviews.c.score - stats.mean) / stats.sd,
    )
    return select(*reviews.c, z.label("z")).outerjoin(stats, eligible).subquery("z_scored_reviews")


def _flag(condition) -> ColumnElement[int]:
    return func.max(case((condition, 1), else_=0))


def _application_figures(reviews: Subquery) -> Select:
    """One row per application of `reviews`, with the ApplicationScore columns (see the module docstring)."""
    ranked = select(
        reviews,
        func.row_number().over(partition_by=reviews.c.application_id,
                               order_by=(reviews.c.score, reviews.c.review_id)).label("position"),
        func.count().over(partition_by=reviews.c.application_id).label("siblings"),
    ).subquery("ranked")
    # The middle one of an odd count, the two middle ones of an even count (integer division on both databases).
    middle = ranked.c.position.in_(((ranked.c.siblings + 1) // 2, (ranked.c.siblings + 2) // 2))
    has_positive = _flag(ranked.c.recommendation.in_([str(r) for r in POSITIVE_RECOMMENDATIONS]))
    has_negative = _flag(ranked.c.recommendation.in_([str(r) for r in NEGATIVE_RECOMMENDATIONS]))
    spread = func.max(ranked.c.score) - func.min(ranked.c.score)
    return (
        select(
            ranked.c.application_id,
            ranked.c.call_id,
            func.count().label("review_count"),
            func.avg(ranked.c.score).label("mean_score"),
            func.avg(case((middle, ranked.c.score))).label("median_score"),
            func.min(ranked.c.score).label("min_score"),
            func.max(ranked.c.score).label("max_score"),
            spread.label("spread"),
            func.avg(ranked.c.z).label("normalised_score"),
            (has_positive == 1).label("has_positive"),
            (has_negative == 1).label("has_negative"),
            or_(spread > DISAGREEMENT_SPREAD, and_(has_positive == 1, has_negative == 1)).label("disagreement"),
        )
        .group_by(ranked.c.application_id, ranked.c.call_id)
    )


def application_scores(call_id: int | ColumnElement[int] | Select | None = None):
    """The kept figures: one ApplicationScore row per application with a counted review (of the call(s), if given).

    Columns: application_id, call_id, review_count, mean_score, median_score,
    min_score, max_score, spread, normalised_score (mean z, see the module
    docstring), has_positive, has_negative, disagreement, and the application's
    reference (the ranking's tie-break).
    """
    table = ApplicationScore.__table__
    if call_id is None:
        return table
    return select(table).where(of_calls(table.c.call_id, call_id)).subquery("application_scores")


@dataclass
class ReviewSummary:
    review_id: int
    reviewer_id: int
    reviewer_name: str
    score: float
    z_score: float | None
    recommendation: str | None
    comment_to_applicant: str
    confidential_comment: str
    submitted_at: datetime | None


@dataclass
class ScoreSummary:
    application_id: int
    reviews_required: int
    review_count: int = 0
    mean_score: float | None = None
    median_score: float | None = None
    min_score: float | None = None
    max_score: float | None = None
    spread: float | None = None
    normalised_score: float | None = None
    has_positive: bool = False
    has_negative: bool = False
    disagreement: bool = False
    reviews: list[ReviewSummary] = field(default_factory=list)

    @property
    def few_reviews(self) -> bool:
        """Fewer submitted reviews than the call requires: deciding needs an override."""
        return self.review_count < self.reviews_required


def score_summary(application_id: int) -> ScoreSummary | None:
    """The application's figures and its counted reviews (best score first), in two queries; None if no such one.

    Both read kept rows by key (the application's figures, its reviews and
    their reviewers' figures): the cost does not grow with the call.
    """
    scores = ApplicationScore
    row = db.session.execute(
        select(Application.id, Call.reviews_required, scores.review_count, scores.mean_score, scores.median_score,
               scores.min_score, scores.max_score, scores.spread, scores.normalised_score, scores.has_positive,
               scores.has_negative, scores.disagreement)
        .join(Call, Call.id == Application.call_id)
        .outerjoin(scores, scores.application_id == Application.id)
        .where(Application.id == application_id)
    ).one_or_none()
    if row is None:
        return None
    if not row.review_count:
        return ScoreSummary(application_id, row.reviews_required)
    return ScoreSummary(
        application_id, row.reviews_required, row.review_count, row.mean_score, row.median_score, row.min_score,
        row.max_score, row.spread, row.normalised_score, bool(row.has_positive), bool(row.has_negative),
        bool(row.disagreement), _review_summaries(application_id),
    )


def _review_summaries(application_id: int) -> list[ReviewSummary]:
    reviews = z_scored_reviews(Review.application_id == application_id)
    rows = db.session.execute(
        select(reviews.c.review_id, reviews.c.reviewer_id, User.name, reviews.c.score, reviews.c.z,
               reviews.c.recommendation, Review.comment_to_applicant, Review.confidential_comment,
               Review.submitted_at)
        .join(Review, Review.id == reviews.c.review_id)
        .join(User, User.id == reviews.c.reviewer_id)
        .order_by(reviews.c.score.desc(), reviews.c.review_id)
    ).all()
    return [ReviewSummary(*row) for row in rows]
