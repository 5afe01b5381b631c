"""Fixtures for the accounts tests: a rate-limited app."""

import pytest

from cade import create_app
from cade.extensions import db as _db
from cade.extensions import limiter
from config import TestConfig


@pytest.fixture()
def limited_app(app, db):
    """A second app on the same database with rate limiting on.

    Flask-Limiter keeps `enabled` on the one shared Limiter object and reads
    RATELIMIT_ENABLED only in init_app, so it cannot be switched per test on
    the session's app; the shared limiter is switched back off afterwards, and
    the session app's Celery is made the default again.
    """
    limited = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        STORAGE_PATH=app.config["STORAGE_PATH"],
        MAILBOX_PATH=app.config["MAILBOX_PATH"],
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
    )
    # create_app made the new app's Celery the default; tasks must keep using the session app's.
    app.extensions["celery"].set_default()
    try:
        yield limited
    finally:
        limiter.reset()
        limiter.enabled = False
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()
