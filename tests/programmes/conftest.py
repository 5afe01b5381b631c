"""Fixtures for the programmes tests: people in roles other than admin (the suite's `admin` fixture serves)."""

import pytest

from tests.factories import MembershipFactory, UserFactory


@pytest.fixture()
def reviewer(db):
    return UserFactory(roles=["reviewer"], name="Rita Reviewer")


@pytest.fixture()
def applicant(db):
    return MembershipFactory().user
