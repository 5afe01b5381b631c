"""An app that compresses its responses, for the tests of issue 16 part 6 (cade/core/compression.py).

Once create_app calls `compression.init_app` the suite's own app is used as
it is. Until then a second app is built on the same database and settings,
with compression registered where create_app is to register it (just before
caching), so the tests see the order production will run.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from cade import create_app
from cade.core import caching, compression
from config import TestConfig


@contextmanager
def compressing_app(app: Flask) -> Iterator[Flask]:
    if app.extensions.get("cade.compression"):
        yield app
        return
    wire_caching = caching.init_app

    def wire_both(built: Flask) -> None:
        compression.init_app(built)
        wire_caching(built)

    caching.init_app = wire_both
    try:
        built = create_app(TestConfig, **{key: app.config[key] for key in (
            "SQLALCHEMY_DATABASE_URI", "STORAGE_PATH", "MAILBOX_PATH")})
    finally:
        caching.init_app = wire_caching
    built.test_client_class = app.test_client_class
    try:
        yield built
    finally:
        with built.app_context():
            from cade.extensions import db

            db.engine.dispose()
        app.extensions["celery"].set_default()  # create_app made the second app's Celery the default
