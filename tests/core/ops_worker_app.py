"""The app a real Celery worker runs in test_observability_services.py (`celery -A tests.core.ops_worker_app`).

Configured from the environment the test sets, as tests/tasks/worker_app.py
is, with observability on and one more task, `tests.ops.say`, that logs a line.
"""

import logging
import os

from cade import create_app
from cade.core import observability
from config import TestConfig

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["CADE_WORKER_DATABASE_URL"],
    MAIL_SERVER="127.0.0.1",
    MAIL_PORT=int(os.environ["CADE_WORKER_SMTP_PORT"]),
    MAILBOX_PATH=os.environ["CADE_WORKER_MAILBOX_PATH"],
    STORAGE_PATH=os.environ["CADE_WORKER_STORAGE_PATH"],
    CELERY=dict(TestConfig.CELERY, broker_url=os.environ["CADE_WORKER_BROKER_URL"],
                task_default_queue=os.environ["CADE_WORKER_QUEUE"]),
)
observability.init_app(app)  # a second call (once cade/wiring.py calls it) does nothing
celery_app = app.extensions["celery"]


@celery_app.task(name="tests.ops.say")
def say(word: str) -> None:
    logging.getLogger("tests.ops").info("said %s", word)


import tasks  # noqa: E402,F401  (registers every task with celery_app)
