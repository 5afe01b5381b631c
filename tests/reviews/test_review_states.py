"""A review's life on its machine: draft → submitted, once; saving a submitted review re-submits it."""

import pytest
from sqlalchemy import select, update

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition
from cade.extensions import db as _db
from cade.reviews.constants import ReviewStatus
from cade.reviews.models import REVIEW_MACHINE, Review
from cade.reviews.services import scoring
from tests.factories import AssignmentFactory, ConflictDeclarationFactory, RubricCriterionFactory


@pytest.fixture()
def assignment(db):
    assignment = AssignmentFactory()
    RubricCriterionFactory(call=assignment.call, max_score=5, weight=1)
    ConflictDeclarationFactory(assignment=assignment)
    return assignment


def save(assignment, score, *, submit):
    criterion = assignment.call.criteria[0]
    command = scoring.ReviewInput.from_input({"scores": {criterion.id: score}, "recommendation": "fund",
                                              "submit": submit}, scales={criterion.id: criterion.max_score})
    return scoring.save_review(assignment.reviewer, assignment.id, command)


def verbs(review):
    return list(_db.session.scalars(select(AuditEvent.verb).where(
        AuditEvent.object_type == "Review", AuditEvent.object_id == review.id).order_by(AuditEvent.id)))


def test_the_table_has_one_move_and_submitted_is_final(db):
    assert REVIEW_MACHINE.edges() == [("draft", "submitted")]
    assert REVIEW_MACHINE.is_final(ReviewStatus.SUBMITTED)


def test_a_review_is_submitted_once_then_re_submitted_by_each_save(assignment):
    review = save(assignment, "3", submit=False)
    save(assignment, "4", submit=True)
    save(assignment, "5", submit=False)  # "save" after submitting re-submits
    _db.session.commit()
    assert verbs(review) == ["review.saved", "review.submitted", "review.submitted"]
    assert _db.session.get(Review, review.id, populate_existing=True).status == ReviewStatus.SUBMITTED


def test_a_submission_that_loses_to_another_is_refused_not_doubled(assignment):
    review = save(assignment, "3", submit=False)
    _db.session.commit()
    _db.session.execute(update(Review.__table__).where(Review.__table__.c.id == review.id)
                        .values(status=ReviewStatus.SUBMITTED))
    with pytest.raises(InvalidTransition):
        REVIEW_MACHINE.move(assignment.reviewer, review, ReviewStatus.SUBMITTED)
    assert review.status == ReviewStatus.SUBMITTED
