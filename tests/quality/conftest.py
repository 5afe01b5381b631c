"""Fixtures for the product qualities: demo-sized data, query counting."""

import pytest
from sqlalchemy import event

from cade.extensions import db as _db
from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
    QuestionFactory,
    RubricCriterionFactory,
    UserFactory,
)


@pytest.fixture()
def count_queries(app):
    """Run a request and return (response, number of SQL statements it ran)."""

    def run(client, method: str, path: str, **kwargs):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            response = client.open(path, method=method, **kwargs)
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)
        return response, len(statements)

    return run


def make_world(size: int, applicant=None):
    """`size` calls with questions and a rubric, organisations, and applications in them.

    The applicant (if given) belongs to every organisation, so their dashboard
    grows with `size`.
    """
    programme = ProgrammeFactory()
    calls = []
    for _ in range(size):
        call = CallFactory(programme=programme)
        for kind in ("short_text", "long_text", "number", "choice", "date", "file"):
            QuestionFactory(call=call, kind=kind, choices=["Yes", "No"] if kind == "choice" else [])
        RubricCriterionFactory(call=call)
        calls.append(call)
    for index in range(size):
        organisation = OrganisationFactory()
        if applicant is not None:
            MembershipFactory(user=applicant, organisation=organisation)
        else:
            MembershipFactory(organisation=organisation, user=UserFactory())
        for call in calls[: max(1, size // 2)]:
            application = ApplicationFactory(call=call, organisation=organisation, submitted=index % 2 == 0)
            BudgetLineFactory(application=application)
    return calls


def make_review_world(size: int, reviewer=None, applicant=None, call=None):
    """A closed call in review: `size` applications, each with two submitted reviews, half of them
    decided and released. The reviewer (if given) reviews every application; the applicant (if given)
    belongs to every organisation. Pass `call` to grow a call made earlier."""
    from cade.applications.constants import ApplicationStatus
    from cade.core.db import utcnow
    from tests.factories import (
        AssignmentFactory,
        ConflictDeclarationFactory,
        DecisionFactory,
        ReviewerProfileFactory,
        ReviewFactory,
    )

    if call is None:
        call = CallFactory(closed=True, reviews_required=2)
        criteria = [RubricCriterionFactory(call=call, weight=w, max_score=5) for w in (3, 2, 1)]
    else:
        criteria = list(call.criteria)
    panel = [reviewer or ReviewerProfileFactory().user, ReviewerProfileFactory().user]
    applications = []
    for index in range(size):
        organisation = OrganisationFactory()
        MembershipFactory(organisation=organisation, user=applicant or UserFactory())
        decided = index % 2 == 0
        application = ApplicationFactory(call=call, organisation=organisation, submitted=True,
                                         status=ApplicationStatus.AWARDED if decided else ApplicationStatus.UNDER_REVIEW)
        BudgetLineFactory(application=application)
        for position, member in enumerate(panel):
            assignment = AssignmentFactory(application=application, reviewer=member)
            ConflictDeclarationFactory(assignment=assignment)
            ReviewFactory(assignment=assignment, submitted=True,
                          scores={c: (index + position + n) % 6 for n, c in enumerate(criteria)})
        if decided:
            DecisionFactory(application=application, amount_minor=5_000_00, released_at=utcnow())
        applications.append(application)
    return call, applications
