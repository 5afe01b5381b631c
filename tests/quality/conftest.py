"""Fixtures for the product qualities: demo-sized data, query counting, page weight."""

import re
from pathlib import Path

import pytest

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
from tests.querycount import count_statements

STATIC = Path(__file__).resolve().parents[2] / "cade" / "static"
BUDGET = 60 * 1024
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture()
def count_queries(app):
    """Run a request and return (response, number of SQL statements it ran)."""

    def run(client, method: str, path: str, **kwargs):
        return count_statements(lambda: client.open(path, method=method, **kwargs))

    return run


def assets_size(html: str) -> int:
    # Static URLs carry the file's version in the name (site.ab3cff844332.css): measure the file itself.
    names = {re.sub(r"\.[0-9a-f]{12}(?=\.\w+$)", "", name) for name in re.findall(r"/static/([\w.-]+)", html)}
    return sum((STATIC / name).stat().st_size for name in names)


def assert_pages_are_light(client, login, visits, language: str) -> None:
    """Open every page of `visits` ((user or None for a visitor, paths)) as that person, in `language`.

    Each must answer 200, load nothing from another site and, with its CSS and JS, weigh under BUDGET;
    one failure names every page over it.
    """
    weights = {}
    for who, paths in visits:
        if who is not None:
            login(who)
        for path in paths:
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert not EXTERNAL.search(html), f"{path} loads something from another site"
            weights[path] = len(response.data) + assets_size(html)
    heavy = {path: size for path, size in weights.items() if size >= BUDGET}
    assert not heavy, f"pages over {BUDGET} bytes with their CSS and JS: {heavy}"


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
