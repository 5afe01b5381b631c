"""The funding summary's review figures against a small fixture computed by hand."""

from datetime import timedelta

from sqlalchemy import update

from cade.core.db import utcnow
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables
from cade.reviews.models import Assignment, Review
from tests.factories import (
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
    reviewed_application,
)


def test_reviews_completion_time_disagreement_and_conflicts(db):
    call = CallFactory(closed=True)
    RubricCriterionFactory(call=call, max_score=5, weight=1)
    reviewed_application(call, scores=[1, 5])  # 20 and 100 points apart: disagreement
    agreeing = reviewed_application(call, scores=[4, 4])
    unreviewed = reviewed_application(call, reviews=0)
    AssignmentFactory(application=unreviewed, reviewer=ReviewerProfileFactory(user__name="Zoe Late").user)
    ConflictDeclarationFactory(assignment=AssignmentFactory(application=agreeing), has_conflict=True,
                               reason="Former employer")
    # Every submitted review took two days from its assignment.
    now = utcnow()
    db.session.execute(update(Review).values(submitted_at=now))
    db.session.execute(update(Assignment).values(assigned_at=now - timedelta(days=2)))
    db.session.commit()

    summary = funding_summary(FundingSummaryInput.from_input({"currency": "USD"}))
    reviews = summary["reviews"]

    assert (reviews["assigned"], reviews["submitted"], reviews["completion"]) == (6, 4, "0.6667")
    assert reviews["mean_days"] == "2.0"
    assert (reviews["reviewed_applications"], reviews["disagreeing_applications"]) == (2, 1)
    assert reviews["disagreement_rate"] == "0.5000"
    assert reviews["conflicts"] == 1
    late = next(r for r in reviews["reviewers"] if r["name"] == "Zoe Late")
    assert (late["assigned"], late["submitted"], late["completion"], late["mean_days"]) == (1, 0, "0.0000", None)

    tables = {table.name: table for table in summary_tables(summary)}
    assert tables["reviews"].rows[0][:2] == [6, 4]
    assert len(tables["by-reviewer"].rows) == len(reviews["reviewers"])
