"""Fixtures of the fault tests: a broker of their own, the test app enqueueing on it, an SMTP sink that
can be stopped, and workers started from tests/faults/worker_app.py. Processes live for a module."""

import uuid

import pytest
from celery import Celery
from sqlalchemy import func, select

import tasks  # noqa: F401  (registers the periodic tasks the tests run as beat would)
from cade.notifications.models import Notification
from tests.faults.harness import FaultySMTPSink, RedisServer, Worker


@pytest.fixture(scope="module")
def own_redis():
    """A redis-server of this module's own: a test may stop it without touching anyone else's broker."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def queue_name():
    return f"cade-faults-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def fault_celery(app, own_redis, queue_name):
    """The test app (requests, the outbox, the sweeps run as beat would) enqueues on the module's broker."""
    celery_app = Celery("cade-faults", set_as_current=False)
    celery_app.config_from_object(dict(app.config["CELERY"], broker_url=own_redis.url,
                                       task_default_queue=queue_name))
    # The app's own tasks (FlaskTask: they run in the app's context), for `beat` below.
    celery_app.app_tasks = app.extensions["celery"].tasks
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.extensions, "celery", celery_app)
        yield celery_app
    celery_app.close()


@pytest.fixture(scope="module")
def beat(fault_celery):
    """Run a periodic task in this process, as a worker does when beat sends it: `beat("runs.sweep_stale")`.

    What it enqueues goes to the module's broker once it commits.
    """

    def run(name: str):
        return fault_celery.app_tasks[name].apply().get()

    return run


@pytest.fixture(scope="module")
def sink():
    server = FaultySMTPSink(refuse={"refused@example.org"})
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def fresh_sink(sink):
    """The module's sink, running, with nothing received yet."""
    if sink.controller is None:
        sink.start()
    sink.messages.clear()
    sink.refusals.clear()
    return sink


@pytest.fixture(scope="module")
def workers(app, own_redis, queue_name, sink, fault_celery):
    """Make workers on the module's broker and queue (`workers(timings)`); all are stopped at the end."""
    made = []

    def make(timings: dict[str, float] | None = None) -> Worker:
        worker = Worker(app, own_redis.url, queue_name, sink.port, timings)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


@pytest.fixture()
def count_notifications(db):
    """How many outbox rows are in `status` (or all), read on a connection of its own: what is committed now."""

    def count(status: str | None = None, **where) -> int:
        query = select(func.count()).select_from(Notification)
        if status is not None:
            query = query.where(Notification.status == status)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        with db.engine.connect() as connection:
            return connection.scalar(query)

    return count
