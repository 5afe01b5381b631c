"""The app the fault tests' Celery workers run (tests/faults/harness.py: Worker).

Configured from the environment the test sets: the test's database, its own broker and queue, its SMTP
sink, and the shortened timings a fault test needs (seconds, in CADE_FAULTS_<KEY>), so that a lease or a
backoff of minutes in production passes in seconds here. Also carries the slow run kind of
test_report_worker_kill.py. Its PostgreSQL sessions commit without waiting for the disk
(synchronous_commit=off): what is committed is as visible to every other connection as before, only a
crash of PostgreSQL itself could lose it, and that is not a fault these tests cause; it halves the time
1,000 deliveries take on a busy test machine. Started as `celery -A worker_app.celery_app worker` with this folder on
PYTHONPATH.
"""

import os
from datetime import timedelta

from cade import create_app
from config import TestConfig

TIMINGS = ("NOTIFICATION_SENDING_LEASE", "NOTIFICATION_BACKOFF_BASE", "NOTIFICATION_BACKOFF_CAP",
           "NOTIFICATION_SWEEP_GRACE", "RUN_STALE_AFTER")

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["CADE_FAULTS_DATABASE_URL"],
    SQLALCHEMY_ENGINE_OPTIONS=dict(TestConfig.SQLALCHEMY_ENGINE_OPTIONS,
                                   connect_args={"options": "-c synchronous_commit=off"}),
    MAIL_SERVER="127.0.0.1",
    MAIL_PORT=int(os.environ["CADE_FAULTS_SMTP_PORT"]),
    MAILBOX_PATH=os.environ["CADE_FAULTS_MAILBOX_PATH"],
    STORAGE_PATH=os.environ["CADE_FAULTS_STORAGE_PATH"],
    CELERY=dict(TestConfig.CELERY, broker_url=os.environ["CADE_FAULTS_BROKER_URL"],
                task_default_queue=os.environ["CADE_FAULTS_QUEUE"]),
    **{key: timedelta(seconds=float(os.environ[f"CADE_FAULTS_{key}"]))
       for key in TIMINGS if os.environ.get(f"CADE_FAULTS_{key}")},
)
celery_app = app.extensions["celery"]

import slow_run  # noqa: E402  (the slow run kind and its task)
import tasks  # noqa: E402,F401  (registers every task with celery_app)

slow_run.declare()
