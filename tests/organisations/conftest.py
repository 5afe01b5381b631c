"""Fixtures for the organisation tests: an organisation and people in each role."""

import pytest

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture()
def org(db):
    return OrganisationFactory(name="Kijiji Net", country="KE")


@pytest.fixture()
def owner(org):
    return MembershipFactory(organisation=org, role="owner").user


@pytest.fixture()
def member(org):
    return MembershipFactory(organisation=org, role="member").user


@pytest.fixture()
def outsider(db):
    """A member of another organisation."""
    return MembershipFactory(organisation=OrganisationFactory(name="Elsewhere"), role="owner").user


@pytest.fixture()
def admin(db):
    return UserFactory(roles=["admin"])


@pytest.fixture()
def request_ctx(app, db):
    """A request context for service calls: the shared locale selector reads the session.

    (Outside a request `cade.wiring.select_locale` raises; reported to the lead.)
    """
    with app.test_request_context():
        yield
