"""Fixtures for the organisation tests: an organisation and people in each role (admin: tests/conftest.py)."""

import pytest

from tests.factories import MembershipFactory, OrganisationFactory


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
