"""Fixtures for the notifications tests: a real SMTP sink, the test e-mail templates,
the in-memory broker's queue, the outbox listeners and a quick login."""

from pathlib import Path

import pytest
from flask_login.utils import _create_identifier
from jinja2 import ChoiceLoader, FileSystemLoader
from kombu import Connection

from cade.notifications import outbox as outbox_module

from .smtp_sink import SMTPSink

TEMPLATES = Path(__file__).parent / "templates"
TEST_KIND = "testing.hello"


@pytest.fixture(autouse=True)
def _outbox_listening(app):
    outbox_module.init_app(app)  # until wiring does it; listening twice is prevented


@pytest.fixture()
def login(app, client):
    """Sign a user in without the sign-in page (with the id strong session protection checks)."""

    def sign_in(user):
        with app.test_request_context(environ_base=client.environ_base):
            identifier = _create_identifier()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = identifier
        return client

    return sign_in


@pytest.fixture()
def email_templates(app, monkeypatch):
    """Adds tests/notifications/templates (kind "testing.hello") to the app's loader."""
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([FileSystemLoader(str(TEMPLATES)), app.jinja_loader]))
    return TEST_KIND


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
