"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL
points at one (as `make test` does in its second pass). Tests commit for real,
as the application does, and every table is emptied after each test: what a
test sees is what a user would see, including what other connections and the
Celery worker see.

`make test` runs the suite on several processes (pytest-xdist); each has a
database of its own (PostgreSQL: the URL's database name with the worker's
id appended, `cade_test_gw0`; SQLite: a file in the worker's own temporary
folder). Tables are emptied with DELETE, not TRUNCATE: on PostgreSQL,
TRUNCATE of the 24 mostly empty tables took 131 ms a test against 5.6 ms for
DELETE (measured on this machine), and the suite empties them 1,100 times.
"""

import contextvars
import os
from pathlib import Path

import time

import pytest
from kombu import Connection
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from flask import has_app_context
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier

from cade import create_app
from cade.extensions import db as _db
from cade.notifications.models import Notification
from config import TestConfig
from tests.notifications.smtp_sink import SMTPSink


def per_worker(url: str) -> str:
    """`url` with the xdist worker's id appended to a PostgreSQL database name (unchanged without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    parsed = make_url(url)
    if not worker or not parsed.drivername.startswith("postgresql"):
        return url
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _empty_database() -> None:
    """Drop every table, also those an older schema left behind (drop_all knows only today's models)."""
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        _db.drop_all()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Without this, requests reuse the test's app context and share its `g`
    (Flask-Login's cached user) and its database session (stale objects).
    Afterwards the test's own session forgets what it loaded, so it reads
    what the request wrote.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def _test_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cade")
    return {"storage": root / "files", "mailbox": root / "mailbox", "db": root / "test.sqlite"}


@pytest.fixture(scope="session")
def app(_test_dirs):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_test_dirs['db']}"
    from config import database_url

    url = per_worker(database_url(url))
    _ensure_postgres_database(url)
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=url,
        STORAGE_PATH=str(_test_dirs["storage"]),
        MAILBOX_PATH=str(_test_dirs["mailbox"]),
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_database()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture()
def db(app):
    """The database inside an app context; every table is emptied afterwards."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield _db
    finally:
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
        ctx.pop()


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def csrf_app(app):
    """Turn CSRF protection on for the tests that check it."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


class AuthActions:
    """Sign in and out through the real pages, as the Flask tutorial's helper does."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password="correct horse battery staple"):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture()
def login(app, client):
    """Sign a user in by writing the session Flask-Login reads, without the sign-in page.

    `_id` is the identifier that Flask-Login's "strong" session protection checks.
    """

    def _login(user):
        with app.test_request_context(environ_base=client.environ_base):
            identifier = _create_identifier()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = identifier
            session["auth_at"] = int(time.time())  # as a real sign-in does: recent enough to re-authenticate
        return user

    return _login


@pytest.fixture()
def admin(db):
    """An administrator (many pages and services need one acting)."""
    from tests.factories import UserFactory

    return UserFactory(roles=["admin"], name="Ada Admin")


@pytest.fixture()
def auth(client):
    return AuthActions(client)


@pytest.fixture()
def outbox(db):
    """The outbox rows of one kind (or all), oldest first; `email=` keeps those to one address."""

    def read(kind: str | None = None, *, email: str | None = None) -> list[Notification]:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        if email:
            query = query.where(Notification.recipient_email == email)
        return list(db.session.scalars(query))

    return read


@pytest.fixture()
def storage_path(app) -> Path:
    return Path(app.config["STORAGE_PATH"])


@pytest.fixture()
def mailbox_path(app) -> Path:
    return Path(app.config["MAILBOX_PATH"])


@pytest.fixture()
def smtp_sink(app, monkeypatch):
    """The app sends through a running SMTP sink (stopped again after the test)."""
    sink = SMTPSink()
    sink.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    yield sink
    sink.stop()


@pytest.fixture()
def broker(app):
    """What has been enqueued on the app's in-memory broker: [(task name, args)], drained on read."""
    assert app.config["CELERY"]["broker_url"] == "memory://"

    def drain() -> list[tuple[str, list]]:
        found = []
        with Connection("memory://") as conn:
            queue = conn.SimpleQueue("celery")
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                args, _kwargs, _embed = message.decode()
                found.append((message.headers["task"], list(args)))
                message.ack()
            queue.close()
        return found

    drain()  # forget what earlier tests left behind
    return drain
