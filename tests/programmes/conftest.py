"""Fixtures for the programmes tests: people in each role."""

import pytest

from tests.factories import MembershipFactory, UserFactory


@pytest.fixture()
def admin(db):
    return UserFactory(roles=["admin"], name="Ada Admin")


@pytest.fixture()
def reviewer(db):
    return UserFactory(roles=["reviewer"], name="Rita Reviewer")


@pytest.fixture()
def applicant(db):
    return MembershipFactory().user


@pytest.fixture()
def in_request(app, db):
    """A request context around service calls.

    Domain errors render their lazy message when raised, and the app's locale
    selector reads the session, which needs a request (see the report to the
    lead: `select_locale` should fall back to the default outside requests).
    """
    with app.test_request_context():
        yield
