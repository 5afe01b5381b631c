"""Review and application scores against hand-computed examples.

The rubric of most tests: criterion A (weight 2, max 5) and criterion B (weight 1,
max 10), so a review scoring A=a, B=b is worth 100 × (2a + b) / 20:
A4 B6 → 70, A3 B2 → 40, A5 B8 → 90, A3 B6 → 60, A5 B10 → 100.
"""

import math

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.extensions import db as _db
from cade.reviews.constants import NORMALISATION_MIN_REVIEWS, Recommendation
from cade.reviews.models import Review, ReviewerCallScores
from cade.reviews.services import conflicts
from cade.reviews.services.aggregation import (
    application_scores,
    counted_reviews,
    score_summary,
)
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.querycount import count_statements

# The scores (A, B) that give each review score on the A(2×5) + B(1×10) rubric.
POINTS = {70: (4, 6), 40: (3, 2), 90: (5, 8), 60: (3, 6), 100: (5, 10), 50: (2, 6), 80: (4, 8)}


class Rubric:
    """A call with the A/B rubric, its applications and reviewers."""

    def __init__(self, call=None):
        self.call = call or CallFactory(closed=True)
        self.a = RubricCriterionFactory(call=self.call, weight=2, max_score=5, label="Relevance")
        self.b = RubricCriterionFactory(call=self.call, weight=1, max_score=10, label="Feasibility")

    def application(self, **kwargs):
        return ApplicationFactory(call=self.call, submitted=True, status=ApplicationStatus.UNDER_REVIEW, **kwargs)

    def review(self, application, reviewer=None, score=70, recommendation=Recommendation.FUND, submitted=True,
               **kwargs):
        reviewer = reviewer or ReviewerProfileFactory().user
        assignment = AssignmentFactory(application=application, reviewer=reviewer)
        a, b = POINTS[score]
        extra = {"recommendation": recommendation} if submitted else {}
        return ReviewFactory(assignment=assignment, submitted=submitted, scores={self.a: a, self.b: b},
                             **extra, **kwargs)


def reviewer():
    return ReviewerProfileFactory().user


def by_review(call_id):
    """The counted reviews of the call with their kept scores."""
    return {row.review_id: row for row in _db.session.execute(counted_reviews(Review.call_id == call_id))}


def by_application(call_id):
    scores = application_scores(call_id)
    return {row.application_id: row for row in _db.session.execute(select(scores))}


# Review scores ---------------------------------------------------------------


def test_review_score_is_the_weighted_share_of_the_maximum(db):
    rubric = Rubric()
    review = rubric.review(rubric.application(), score=70, recommendation=Recommendation.FUND_WITH_CHANGES)

    row = by_review(rubric.call.id)[review.id]

    assert row.score == pytest.approx(70.0)  # 100 × (2×4 + 1×6) / (2×5 + 1×10)
    assert row.application_id == review.application_id
    assert row.reviewer_id == review.reviewer_id
    assert row.recommendation == "fund_with_changes"


def test_full_and_empty_marks_are_100_and_0(db):
    rubric = Rubric()
    top = rubric.review(rubric.application(), score=100)
    bottom = ReviewFactory(assignment=AssignmentFactory(application=rubric.application()), submitted=True,
                           scores={rubric.a: 0, rubric.b: 0})

    rows = by_review(rubric.call.id)

    assert rows[top.id].score == pytest.approx(100.0)
    assert rows[bottom.id].score == pytest.approx(0.0)


def test_a_criterion_of_weight_zero_does_not_count(db):
    rubric = Rubric()
    unweighted = RubricCriterionFactory(call=rubric.call, weight=0, max_score=5)
    review = ReviewFactory(assignment=AssignmentFactory(application=rubric.application()), submitted=True,
                           scores={rubric.a: 4, rubric.b: 6, unweighted: 0})

    assert by_review(rubric.call.id)[review.id].score == pytest.approx(70.0)


def test_a_criterion_added_after_submission_changes_nothing(db):
    rubric = Rubric()
    review = rubric.review(rubric.application(), score=70)
    RubricCriterionFactory(call=rubric.call, weight=3, max_score=5, label="Added later")

    assert by_review(rubric.call.id)[review.id].score == pytest.approx(70.0)


def test_drafts_and_other_calls_never_count(db):
    rubric, other = Rubric(), Rubric()
    application = rubric.application()
    submitted = rubric.review(application, score=70)
    rubric.review(application, score=100, submitted=False)
    rubric.review(rubric.application(), score=90, submitted=False)
    other.review(other.application(), score=40)

    assert set(by_review(rubric.call.id)) == {submitted.id}
    scores = by_application(rubric.call.id)
    assert set(scores) == {application.id}
    assert scores[application.id].review_count == 1
    assert scores[application.id].mean_score == pytest.approx(70.0)


def test_a_review_whose_reviewer_declared_a_conflict_after_submitting_does_not_count(db):
    rubric = Rubric()
    application = rubric.application()
    kept = rubric.review(application, score=70)
    conflicted = rubric.review(application, score=100)
    elsewhere = rubric.review(rubric.application(), conflicted.assignment.reviewer, score=40)
    ConflictDeclarationFactory(assignment=conflicted.assignment)  # "no conflict" at first: it counts
    assert set(by_review(rubric.call.id)) == {kept.id, conflicted.id, elsewhere.id}

    conflicts.declare_conflict(conflicted.assignment.reviewer, conflicted.assignment_id, True, "I know them.")
    _db.session.commit()

    assert _db.session.get(Review, conflicted.id) is not None  # kept on record
    assert set(by_review(rubric.call.id)) == {kept.id, elsewhere.id}  # their other reviews still count
    summary = score_summary(application.id)
    assert summary.review_count == 1 and summary.mean_score == pytest.approx(70.0)
    assert [r.review_id for r in summary.reviews] == [kept.id] and summary.few_reviews


def test_a_score_of_another_calls_criterion_is_ignored(db):
    rubric, other = Rubric(), Rubric()
    review = ReviewFactory(assignment=AssignmentFactory(application=rubric.application()), submitted=True,
                           scores={rubric.a: 4, rubric.b: 6, other.a: 0})

    assert by_review(rubric.call.id)[review.id].score == pytest.approx(70.0)


# Application scores ----------------------------------------------------------


def test_three_reviews_mean_median_spread_and_disagreement(db):
    rubric = Rubric()
    application = rubric.application()
    for score in (70, 40, 90):
        rubric.review(application, score=score)

    row = by_application(rubric.call.id)[application.id]

    assert row.review_count == 3
    assert row.mean_score == pytest.approx(200 / 3)  # 66.67
    assert row.median_score == pytest.approx(70.0)
    assert (row.min_score, row.max_score) == (pytest.approx(40.0), pytest.approx(90.0))
    assert row.spread == pytest.approx(50.0)
    assert row.disagreement
    assert row.has_positive and not row.has_negative


@pytest.mark.parametrize(("scores", "median", "spread"), [
    ((70,), 70.0, 0.0),
    ((70, 60), 65.0, 10.0),  # two reviews: the mean of both
    ((90, 40, 70, 60), 65.0, 50.0),  # 40 60 | 70 90: the mean of the middle two
    ((80, 80, 80), 80.0, 0.0),
    ((90, 40, 70, 60, 100), 70.0, 60.0),
])
def test_median_and_spread(db, scores, median, spread):
    rubric = Rubric()
    application = rubric.application()
    for score in scores:
        rubric.review(application, score=score)

    row = by_application(rubric.call.id)[application.id]

    assert row.median_score == pytest.approx(median)
    assert row.mean_score == pytest.approx(sum(scores) / len(scores))
    assert row.spread == pytest.approx(spread)
    assert row.disagreement == (spread > 25)


def test_a_spread_of_exactly_25_is_not_disagreement_but_above_is(db):
    rubric = Rubric()
    # 2a + b = 15 → 75; 2a + b = 10 → 50 (spread 25); A5 B10 → 100 against 70 (spread 30).
    edge, above = rubric.application(), rubric.application()
    ReviewFactory(assignment=AssignmentFactory(application=edge), submitted=True, scores={rubric.a: 5, rubric.b: 5})
    ReviewFactory(assignment=AssignmentFactory(application=edge), submitted=True, scores={rubric.a: 2, rubric.b: 6})
    rubric.review(above, score=100)
    rubric.review(above, score=70)

    rows = by_application(rubric.call.id)

    assert rows[edge.id].spread == pytest.approx(25.0)
    assert not rows[edge.id].disagreement
    assert rows[above.id].disagreement


def test_opposite_recommendations_are_disagreement_even_with_a_small_spread(db):
    rubric = Rubric()
    opposite, agreeing = rubric.application(), rubric.application()
    rubric.review(opposite, score=70, recommendation=Recommendation.FUND)
    rubric.review(opposite, score=60, recommendation=Recommendation.DO_NOT_FUND)
    rubric.review(agreeing, score=70, recommendation=Recommendation.FUND)
    rubric.review(agreeing, score=60, recommendation=Recommendation.FUND_WITH_CHANGES)

    rows = by_application(rubric.call.id)

    assert rows[opposite.id].spread == pytest.approx(10.0)
    assert rows[opposite.id].has_positive and rows[opposite.id].has_negative
    assert rows[opposite.id].disagreement
    assert rows[agreeing.id].has_positive and not rows[agreeing.id].has_negative
    assert not rows[agreeing.id].disagreement


def test_an_application_without_submitted_reviews_has_no_row(db):
    rubric = Rubric()
    unreviewed, drafted = rubric.application(), rubric.application()
    rubric.review(drafted, submitted=False)

    rows = by_application(rubric.call.id)

    assert unreviewed.id not in rows and drafted.id not in rows


# Normalisation ---------------------------------------------------------------

# A reviewer who scored 70, 40 and 90: mean 200/3; deviations +10/3, −80/3, +70/3;
# population variance (100 + 6400 + 4900) / 9 / 3 = 11400/27; sd ≈ 20.548.
SD_70_40_90 = math.sqrt(11400 / 27)


def test_reviewer_stats_need_three_submitted_reviews_in_the_call(db):
    rubric, other = Rubric(), Rubric()
    steady, short, drafter, elsewhere = reviewer(), reviewer(), reviewer(), reviewer()
    for score in (70, 40, 90):
        rubric.review(rubric.application(), steady, score=score)
    for score in (70, 40):
        rubric.review(rubric.application(), short, score=score)
    for score, submitted in ((70, True), (40, True), (90, False)):
        rubric.review(rubric.application(), drafter, score=score, submitted=submitted)
    for score in (70, 40):
        rubric.review(rubric.application(), elsewhere, score=score)
    other.review(other.application(), elsewhere, score=90)

    stats = {row.reviewer_id: row for row in _db.session.scalars(
        select(ReviewerCallScores).where(ReviewerCallScores.call_id == rubric.call.id,
                                         ReviewerCallScores.review_count >= NORMALISATION_MIN_REVIEWS))}

    assert set(stats) == {steady.id}
    assert stats[steady.id].review_count == 3
    assert stats[steady.id].mean == pytest.approx(200 / 3)
    assert stats[steady.id].sd == pytest.approx(SD_70_40_90)


def test_normalised_score_is_the_mean_z_of_eligible_reviewers(db):
    rubric = Rubric()
    steady, flat, short = reviewer(), reviewer(), reviewer()
    x, y, z, w = (rubric.application() for _ in range(4))
    # steady: 70 on x, 40 on y, 90 on z (eligible, sd ≈ 20.548)
    rubric.review(x, steady, score=70)
    rubric.review(y, steady, score=40)
    rubric.review(z, steady, score=90)
    # flat: 80 three times (eligible, sd 0 → z 0)
    rubric.review(y, flat, score=80)
    rubric.review(z, flat, score=80)
    rubric.review(w, flat, score=80)
    # short: two reviews only (never counts in the normalised score)
    rubric.review(x, short, score=40)
    short_only = rubric.application()
    rubric.review(short_only, short, score=100)

    rows = by_application(rubric.call.id)

    z_x = (70 - 200 / 3) / SD_70_40_90  # +0.162
    z_y = (40 - 200 / 3) / SD_70_40_90  # −1.298
    z_z = (90 - 200 / 3) / SD_70_40_90  # +1.136
    assert rows[x.id].normalised_score == pytest.approx(z_x)  # short's 40 is left out
    assert rows[x.id].mean_score == pytest.approx(55.0)  # but it counts in the mean
    assert rows[y.id].normalised_score == pytest.approx((z_y + 0) / 2)
    assert rows[z.id].normalised_score == pytest.approx((z_z + 0) / 2)
    assert rows[w.id].normalised_score == pytest.approx(0.0)
    assert rows[short_only.id].normalised_score is None
    assert rows[short_only.id].mean_score == pytest.approx(100.0)


# The decision page's summary ------------------------------------------------


def test_score_summary_gives_figures_and_reviews_in_two_queries(db):
    rubric = Rubric()
    application = rubric.application()
    ada = UserFactory(name="Ada Reviewer")
    ReviewerProfileFactory(user=ada)
    rubric.review(application, ada, score=90, comment_to_applicant="Strong plan.", confidential_comment="Fund it.")
    rubric.review(application, score=40, recommendation=Recommendation.DO_NOT_FUND)
    rubric.review(application, score=70)
    rubric.review(application, score=100, submitted=False)
    application_id = application.id
    _db.session.expunge_all()

    summary, statements = count_statements(lambda: score_summary(application_id))

    assert statements <= 2
    assert summary.review_count == 3
    assert summary.mean_score == pytest.approx(200 / 3)
    assert summary.median_score == pytest.approx(70.0)
    assert summary.spread == pytest.approx(50.0)
    assert summary.disagreement and summary.has_positive and summary.has_negative
    assert summary.normalised_score is None  # no reviewer has three reviews in the call
    assert not summary.few_reviews  # 3 of 2 required
    assert [r.score for r in summary.reviews] == [pytest.approx(90.0), pytest.approx(70.0), pytest.approx(40.0)]
    first = summary.reviews[0]
    assert (first.reviewer_name, first.recommendation) == ("Ada Reviewer", "fund")
    assert (first.comment_to_applicant, first.confidential_comment) == ("Strong plan.", "Fund it.")
    assert first.z_score is None


def test_score_summary_includes_z_scores_of_eligible_reviewers(db):
    rubric = Rubric()
    steady = reviewer()
    x = rubric.application()
    rubric.review(x, steady, score=70)
    rubric.review(rubric.application(), steady, score=40)
    rubric.review(rubric.application(), steady, score=90)

    summary = score_summary(x.id)

    assert summary.reviews[0].z_score == pytest.approx((70 - 200 / 3) / SD_70_40_90)
    assert summary.normalised_score == pytest.approx((70 - 200 / 3) / SD_70_40_90)
    assert summary.few_reviews  # one review of two required


def test_score_summary_of_an_unreviewed_application_is_empty(db):
    rubric = Rubric()
    application = rubric.application()
    rubric.review(application, submitted=False)

    summary = score_summary(application.id)

    assert summary.review_count == 0
    assert summary.mean_score is None and summary.normalised_score is None
    assert summary.reviews == []
    assert not summary.disagreement
    assert summary.few_reviews


def test_score_summary_of_an_unknown_application_is_none(db):
    assert score_summary(999_999) is None
