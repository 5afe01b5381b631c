"""Fixtures for the notifications tests: a real SMTP sink, the test e-mail templates
and the in-memory broker's queue."""

from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from kombu import Connection


from .smtp_sink import SMTPSink

TEMPLATES = Path(__file__).parent / "templates"
TEST_KIND = "testing.hello"


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
