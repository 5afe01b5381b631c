"""Apps observed as production observes them, with a few test pages: shared by the observability tests.

`add_test_pages` is also what the gunicorn processes of
test_observability_services.py serve (ops_web_app.py).
"""

import logging
import time

from flask import Flask, current_app, request

from cade import create_app
from cade.core import observability
from cade.extensions import db as _db
from config import TestConfig
from tests.conftest import IsolatedClient

TOKEN = "metrics-token-" + "x" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
EMAIL = "amina.diallo@example.org"


def build_app(app: Flask, **overrides) -> Flask:
    """An app made like the suite's `app`, with observability on (as cade/wiring.py will do) and the test pages."""
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "STORAGE_PATH": app.config["STORAGE_PATH"], "MAILBOX_PATH": app.config["MAILBOX_PATH"],
                "METRICS_TOKEN": TOKEN}
    made = create_app(TestConfig, **{**settings, **overrides})
    observability.init_app(made)  # a second call (once wired) does nothing
    made.test_client_class = IsolatedClient
    app.extensions["celery"].set_default()  # the suite's own tasks keep the suite's broker
    add_test_pages(made)
    return made


def add_test_pages(made: Flask) -> None:
    @made.get("/_ops/log")
    def log_something():
        logging.getLogger("tests.ops").info("hello from a request")
        time.sleep(min(request.args.get("sleep", 0, type=float), 1))  # holds a sync worker, so the other takes some
        return "logged"

    @made.post("/_ops/explode")
    def explode():
        logging.getLogger("tests.ops").info("looking up %s", EMAIL)  # kept by Sentry as a breadcrumb
        raise RuntimeError(f"could not process {EMAIL}")

    @made.post("/_ops/enqueue")
    def enqueue():
        celery_app = current_app.extensions["celery"]
        celery_app.send_task("tests.ops.say", args=["by name"])  # as the outbox sends
        celery_app.tasks["tests.ops.say"].delay("by delay")
        return "queued"


def dispose(made: Flask) -> None:
    with made.app_context():
        _db.session.remove()
        _db.engine.dispose()
