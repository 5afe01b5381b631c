"""Fixtures for the organisation tests: a session login that does not need the sign-in page."""

import pytest
from flask import g
from flask_login.utils import _create_identifier

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture()
def login(app, client):
    """Sign `user` in by writing the Flask-Login session keys (strong session protection included)."""

    def _login(user):
        with app.test_request_context(environ_base=client.environ_base):
            identifier = _create_identifier()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = identifier
        # The `db` fixture keeps one app context for the whole test, so requests share `g`,
        # where Flask-Login caches the signed-in user: forget it when switching users.
        g.pop("_login_user", None)
        return user

    return _login


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
