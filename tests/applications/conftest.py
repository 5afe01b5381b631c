"""Fixtures for the applications tests: sign-in, a ready call, and sample files."""

import pytest
from flask import g

from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
)

# Pages of other domains that may not exist yet while they are being written.
_PLACEHOLDER_URLS = {
    "programmes.call": lambda values: f"/calls/{values.get('call_id')}",
    "organisations.create": lambda values: "/organisations/new",
}


@pytest.fixture(autouse=True)
def _other_domains_urls(app):
    def handler(error, endpoint, values):
        if endpoint in _PLACEHOLDER_URLS:
            return _PLACEHOLDER_URLS[endpoint](values)
        raise error

    app.url_build_error_handlers.append(handler)
    yield
    app.url_build_error_handlers.remove(handler)


@pytest.fixture()
def login(app, client):
    """Sign `user` in by writing Flask-Login's session keys (until the accounts pages land)."""
    from flask_login.utils import _create_identifier

    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # "strong" session protection checks it

    def _login(user):
        # Requests in tests share the test's app context, so Flask-Login's cached user in
        # `g` would outlive a change of user.
        g.pop("_login_user", None)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = identifier
        return user

    return _login


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


@pytest.fixture()
def request_ctx(app, db):
    """Services translate their messages; Flask-Babel's locale selector (cade.wiring) reads
    the session, which needs a request. Until the selector falls back outside requests,
    service tests run inside a bare request context."""
    with app.test_request_context():
        yield
