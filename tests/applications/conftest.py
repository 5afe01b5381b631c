"""Fixtures for the applications tests: a ready call, its people and sample files."""

import pytest

from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
)


@pytest.fixture()
def call(db):
    return CallFactory(reference_prefix="CN-2026", min_award_minor=1_000_00, max_award_minor=40_000_00)


@pytest.fixture()
def member(db):
    membership = MembershipFactory()
    return membership.user


@pytest.fixture()
def organisation(member):
    return member_org(member)


def member_org(user):
    from cade.extensions import db
    from cade.organisations.models import Membership

    return db.session.query(Membership).filter_by(user_id=user.id).one().organisation


@pytest.fixture()
def draft(call, organisation, member):
    """A complete draft: title, summary, 20,000.00 requested, one budget line that matches."""
    application = ApplicationFactory(call=call, organisation=organisation, created_by=member,
                                     requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    return application
