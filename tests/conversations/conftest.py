"""Fixtures for clarification requests and threads: a call with one question, a complete submitted application
of an organisation with an owner and a member, an assigned reviewer who declared no conflict, and one who did not."""

from datetime import date, timedelta

import pytest

from cade.applications.models import Answer
from cade.conversations.clarifications import ClarificationInput, request_clarification
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    BudgetLineFactory,
    CallFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    OrganisationFactory,
    QuestionFactory,
    ReviewerProfileFactory,
)


@pytest.fixture()
def call(db):
    return CallFactory(reference_prefix="CQ-2026", min_award_minor=1_000_00, max_award_minor=40_000_00,
                       timezone="Africa/Nairobi")


@pytest.fixture()
def question(call):
    return QuestionFactory(call=call, label="How will the network be maintained?", word_limit=50)


@pytest.fixture()
def organisation(db):
    return OrganisationFactory(name="Mtaani Mesh")


@pytest.fixture()
def owner(organisation):
    return MembershipFactory(organisation=organisation, role="owner", user__name="Amina Owner").user


@pytest.fixture()
def colleague(organisation):
    return MembershipFactory(organisation=organisation, role="member", user__name="Kofi Member").user


@pytest.fixture()
def application(call, question, organisation, owner, colleague):
    """Submitted and complete: 20,000.00 requested, one matching budget line, the question answered."""
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner, submitted=True,
                                     requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    _db.session.add(Answer(application_id=application.id, question_id=question.id, text="Volunteers."))
    _db.session.commit()
    return application


@pytest.fixture()
def stranger(db):
    """A member of another organisation."""
    return MembershipFactory(user__name="Other Org").user


@pytest.fixture()
def reviewer(application):
    """Assigned to the application, no conflict declared (so they read it)."""
    user = ReviewerProfileFactory(user__name="Rita Reviewer").user
    assignment = AssignmentFactory(application=application, reviewer=user)
    ConflictDeclarationFactory(assignment=assignment)
    return user


@pytest.fixture()
def undeclared_reviewer(application):
    """Assigned, but has not answered the conflict question yet."""
    user = ReviewerProfileFactory(user__name="Uma Undeclared").user
    AssignmentFactory(application=application, reviewer=user)
    return user


@pytest.fixture()
def other_reviewer(db):
    """A reviewer assigned to another application."""
    user = ReviewerProfileFactory(user__name="Otto Other").user
    AssignmentFactory(reviewer=user)
    return user


def tomorrow() -> date:
    return (utcnow() + timedelta(days=2)).date()


def ask(actor, application, fields=("summary",), message="Please say who maintains the masts.", due_on=None,
        now=None):
    """Request a clarification through the service and commit."""
    command = ClarificationInput.from_input({"fields": list(fields), "message": message,
                                             "due_on": (due_on or tomorrow()).isoformat()})
    clarification = request_clarification(actor, application.id, command, now=now)
    _db.session.commit()
    return clarification

