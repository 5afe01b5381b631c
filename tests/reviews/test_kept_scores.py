"""The kept review figures (issue 18): always what a whole-call recomputation would give, whatever the path.

Reviews are saved, re-submitted with other scores and excluded by a conflict
through the real services, one step at a time; after each step the kept rows
must equal those `keep_scores` computes afresh for the whole call. The
formulas themselves are checked against hand-computed figures in
test_aggregation.py.
"""

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.extensions import db as _db
from cade.reviews.constants import Recommendation
from cade.reviews.models import ApplicationScore, Review, ReviewerCallScores
from cade.reviews.services import conflicts, scoring
from cade.reviews.services.aggregation import keep_scores
from tests.concurrency import run_side_by_side
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
)
from tests.querycount import count_statements


class Panel:
    """A call with a two-criterion rubric, four applications and three reviewers who each review every one.

    Kept as ids, so that a step can run in another thread's session.
    """

    def __init__(self):
        call = CallFactory(closed=True)
        criteria = [RubricCriterionFactory(call=call, weight=2, max_score=5),
                    RubricCriterionFactory(call=call, weight=1, max_score=10)]
        applications = [ApplicationFactory(call=call, submitted=True, status="under_review") for _ in range(4)]
        reviewers = [ReviewerProfileFactory().user for _ in range(3)]
        self.assignments = {}
        for application in applications:
            for reviewer in reviewers:
                self.add_assignment(application, reviewer)
        _db.session.commit()
        self.call_id = call.id
        self.criteria = [(criterion.id, criterion.max_score) for criterion in criteria]
        self.applications = [application.id for application in applications]
        self.reviewers = [reviewer.id for reviewer in reviewers]

    def add_assignment(self, application, reviewer):
        assignment = AssignmentFactory(application=application, reviewer=reviewer)
        ConflictDeclarationFactory(assignment=assignment)  # "no conflict", so the review may be written
        self.assignments[application.id, reviewer.id] = assignment.id

    def review(self, application_id, reviewer_id, a, b=None, recommendation=Recommendation.FUND, submit=True):
        """Save the reviewer's scores (A, then B if given) through the scoring service, and commit."""
        (a_id, a_max), (b_id, b_max) = self.criteria
        scores = {a_id: str(a)} if b is None else {a_id: str(a), b_id: str(b)}
        command = scoring.ReviewInput.from_input(
            {"scores": scores, "recommendation": str(recommendation), "submit": submit},
            scales={a_id: a_max, b_id: b_max})
        scoring.save_review(_db.session.get(User, reviewer_id), self.assignments[application_id, reviewer_id],
                            command)
        _db.session.commit()

    def declare_conflict(self, application_id, reviewer_id):
        conflicts.declare_conflict(_db.session.get(User, reviewer_id), self.assignments[application_id, reviewer_id],
                                   True, "My cousin runs it.")
        _db.session.commit()


def kept(call_id):
    """Every kept row of the call, as comparable tuples."""
    _db.session.expire_all()
    reviews = _db.session.execute(select(Review.id, Review.weighted_score).where(Review.call_id == call_id)
                                  .order_by(Review.id)).all()
    stats = _db.session.execute(
        select(ReviewerCallScores.reviewer_id, ReviewerCallScores.review_count, ReviewerCallScores.mean,
               ReviewerCallScores.sd).where(ReviewerCallScores.call_id == call_id)
        .order_by(ReviewerCallScores.reviewer_id)).all()
    applications = _db.session.execute(
        select(*ApplicationScore.__table__.c).where(ApplicationScore.call_id == call_id)
        .order_by(ApplicationScore.application_id)).all()
    return [tuple(row) for row in reviews], [tuple(row) for row in stats], [tuple(row) for row in applications]


def recomputed(call_id):
    """The rows a whole-call recomputation gives, rolled back afterwards so the kept ones stay as they were."""
    nested = _db.session.begin_nested()
    keep_scores(call_id)
    rows = kept(call_id)
    nested.rollback()
    return rows


def assert_kept_rows_are_fresh(call_id):
    incremental, fresh = kept(call_id), recomputed(call_id)
    for mine, theirs in zip(incremental, fresh, strict=True):
        assert len(mine) == len(theirs)
        for row, expected in zip(mine, theirs, strict=True):
            assert row == pytest.approx(expected)


def test_every_step_of_reviewing_keeps_the_figures_a_recomputation_gives(db):
    panel = Panel()
    first, second, third, fourth = panel.applications
    ada, ben, cho = panel.reviewers

    steps = [
        lambda: panel.review(first, ada, 4, 6),  # ada's first review: not yet eligible for z-scores
        lambda: panel.review(second, ada, 3, 2),
        lambda: panel.review(third, ada, 5, 8),  # ada eligible: z-scores appear on three applications
        lambda: panel.review(first, ben, 2, 6, Recommendation.DO_NOT_FUND),  # disagreement on the first
        lambda: panel.review(second, ben, 5, 10),
        lambda: panel.review(fourth, ben, 3, 6),  # ben eligible: moves the first, second and fourth
        lambda: panel.review(second, ada, 1, 1),  # re-submitted lower: all of ada's applications move
        lambda: panel.review(fourth, cho, 4, 8),
        lambda: panel.declare_conflict(second, ben),  # after submitting: ben's review there stops counting
    ]
    for step in steps:
        step()
        assert_kept_rows_are_fresh(panel.call_id)

    _reviews, stats, applications = kept(panel.call_id)
    assert {row[0]: row[1] for row in stats} == {ada: 3, ben: 2, cho: 1}
    by_application = {row[0]: row for row in applications}
    assert by_application[second][2] == 1  # only ada's re-submitted 15 counts on the second now
    assert by_application[second][3] == pytest.approx(15.0)
    assert by_application[first][11] is True  # fund against do-not-fund


def test_a_draft_saved_changes_no_figure(db):
    panel = Panel()
    first, second = panel.applications[:2]
    ada = panel.reviewers[0]
    panel.review(first, ada, 4, 6)
    before = kept(panel.call_id)

    panel.review(second, ada, 1, submit=False)

    assert kept(panel.call_id)[1:] == before[1:]


def test_keeping_a_reviewers_figures_costs_the_same_statements_whatever_the_call_holds(db):
    small, large = Panel(), Panel()
    for application_id in large.applications:
        for reviewer_id in large.reviewers:
            large.review(application_id, reviewer_id, 3, 5)
    reviewer = _db.session.get(User, large.reviewers[1])
    for _ in range(6):
        application = ApplicationFactory(call_id=large.call_id, submitted=True, status="under_review")
        large.add_assignment(application, reviewer)
        _db.session.commit()
        large.review(application.id, reviewer.id, 4, 4)

    _, few = count_statements(lambda: keep_scores(small.call_id, small.reviewers[0]))
    _, many = count_statements(lambda: keep_scores(large.call_id, large.reviewers[1]))

    assert few == many == 6


def test_two_reviewers_submitting_at_the_same_moment_both_reach_the_figures(app, db):
    """Without the call's lock around keeping, each would keep figures computed without the other's review."""
    panel = Panel()
    first = panel.applications[0]
    ada, ben = panel.reviewers[:2]
    for application_id, a in zip(panel.applications[1:], (2, 5, 3), strict=True):  # both eligible already
        panel.review(application_id, ada, a, 6)
        panel.review(application_id, ben, 6 - a, 4)

    outcomes = run_side_by_side(app, [lambda: panel.review(first, ada, 5, 9), lambda: panel.review(first, ben, 1, 2)],
                                pause_after="from review_scores")

    assert outcomes == ["done", "done"]
    assert_kept_rows_are_fresh(panel.call_id)
    assert _db.session.get(ApplicationScore, first).review_count == 2
