"""The app a real Celery worker runs in tests/tasks/test_worker.py.

Configured from the environment the test sets: the test's own database (the
SQLite file or the PostgreSQL database), the test's Redis broker and the test's
SMTP sink, the test's storage folder, and the test's own queue. Started as `celery -A worker_app.celery_app worker` with this folder
on PYTHONPATH.
"""

import os

from cade import create_app
from config import TestConfig

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["CADE_WORKER_DATABASE_URL"],
    MAIL_SERVER="127.0.0.1",
    MAIL_PORT=int(os.environ["CADE_WORKER_SMTP_PORT"]),
    MAILBOX_PATH=os.environ.get("CADE_WORKER_MAILBOX_PATH", TestConfig.MAILBOX_PATH),
    STORAGE_PATH=os.environ.get("CADE_WORKER_STORAGE_PATH", TestConfig.STORAGE_PATH),
    CELERY=dict(TestConfig.CELERY, broker_url=os.environ["CADE_WORKER_BROKER_URL"],
                task_default_queue=os.environ["CADE_WORKER_QUEUE"]),
)
celery_app = app.extensions["celery"]

import tasks  # noqa: E402,F401  (registers every task with celery_app)
