"""The production-shaped deployment, started once per broker for the tests of this folder.

Runs only in the services pass (TEST_DATABASE_URL set: PostgreSQL, Redis and,
for the RabbitMQ run, RabbitMQ); on the SQLite pass it is skipped with the
reason. With CI=true a service that does not answer fails the test rather than
skipping it.
"""

import os
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest
import redis
from celery import current_app as current_celery_app

from tests.notifications.smtp_sink import SMTPSink
from tests.production import harness

BROKERS = ["redis", "rabbitmq"]
STAFF_PASSWORD = "correct horse battery staple"  # tests/factories.py's PASSWORD


@dataclass
class Stack:
    """A running deployment, the SMTP sink it sends to, and the staff accounts and call set up for the journey."""

    broker: str
    tag: str
    deployment: harness.Deployment
    sink: SMTPSink
    staff_app: object
    call_id: int = 0
    call_prefix: str = ""
    question_field: str = ""
    admin_email: str = ""
    reviewer_email: str = ""
    timings: dict = field(default_factory=dict)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the production-shaped test must run)")
    pytest.skip(reason)


def _check_services(broker: str) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the production-shaped test needs PostgreSQL, Redis and RabbitMQ: it runs in the services "
                    "pass (TEST_DATABASE_URL set), not on SQLite")
    try:
        psycopg.connect(harness.pg_admin_url(), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL does not answer: {exc}")
    try:
        redis.Redis.from_url(harness.redis_url(), socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as exc:
        _unavailable(f"Redis does not answer at {harness.redis_url()}: {exc}")
    if broker == "rabbitmq" and (reason := harness.rabbitmq_answers()):
        _unavailable(reason)


@contextmanager
def staff_app(database_url: str):
    """An app on the deployment's database in this process, for the staff setup and for reading the outcome.

    Made with the test configuration (no broker of its own is used: it sends nothing); the Celery app that
    was the process's default stays the default, so the rest of the suite is unaffected.
    """
    from cade import create_app
    from cade.extensions import db
    from config import TestConfig, database_url as driver_url

    previous = current_celery_app._get_current_object()
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=driver_url(database_url))
    previous.set_default()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _set_up_call(stack: Stack) -> None:
    """What staff prepare before applicants arrive: a call open for applications, an administrator, a reviewer."""
    from cade.extensions import db
    from tests.factories import (
        CallFactory,
        QuestionFactory,
        ReviewerProfileFactory,
        RubricCriterionFactory,
        UserFactory,
    )

    with stack.staff_app.app_context():
        call = CallFactory(title="Connecting rural communities 2026", reference_prefix="PRD-2026",
                           reviews_required=1, budget_envelope_minor=100_000_00)
        for label in ("Relevance", "Feasibility"):
            RubricCriterionFactory(call=call, label=label)
        question = QuestionFactory(call=call, label="Who will the network serve?", word_limit=200)
        admin = UserFactory(roles=["admin"], name="Ada Admin", email=f"admin-{stack.tag}@cade.example")
        reviewer = ReviewerProfileFactory(user__name="Rui Reviewer", user__email=f"reviewer-{stack.tag}@panel.example",
                                          max_load=50).user
        stack.call_id, stack.call_prefix, stack.question_field = call.id, call.reference_prefix, f"q_{question.id}"
        stack.admin_email, stack.reviewer_email = admin.email, reviewer.email
        db.session.remove()


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    """The database the real migrations built, once per module: each broker's run starts on a copy of it."""
    _check_services("redis")
    started = time.monotonic()
    with harness.migrated_template(harness.run_tag(), tmp_path_factory.mktemp("production-migrations")) as name:
        yield name, time.monotonic() - started


@pytest.fixture(scope="module", params=BROKERS)
def stack(request, tmp_path_factory):
    """Two web hosts, two workers and beat on a fresh migrated database, on Redis or on RabbitMQ."""
    broker = request.param
    started = time.monotonic()
    _check_services(broker)  # before the migrations: a broker that is not there is said at once
    waited = time.monotonic()
    template, migrations_seconds = request.getfixturevalue("migrated_template")  # built by the first broker's run
    started += time.monotonic() - waited
    tag = harness.run_tag()
    workdir = tmp_path_factory.mktemp(f"production-{broker}")
    timings = {"migrations (once per module)": migrations_seconds}
    with ExitStack() as cleanup:
        sink = SMTPSink()
        sink.start()
        cleanup.callback(sink.stop)
        database_url = cleanup.enter_context(harness.fresh_database(tag, template))
        cleanup.callback(harness.forget_rate_limits, tag)
        if broker == "redis":
            chosen = cleanup.enter_context(harness.redis_broker(tag))
        else:
            chosen = cleanup.enter_context(harness.rabbitmq_broker(tag))
        timings["services checked, database copied, broker ready"] = time.monotonic() - started
        deployment = harness.Deployment(workdir, database_url=database_url, broker=chosen, smtp_port=sink.port,
                                        tag=tag)
        cleanup.callback(deployment.stop)
        deployment.start()
        timings["2 gunicorn + 2 workers + beat ready"] = deployment.timings["start"]
        ready = time.monotonic()
        app = cleanup.enter_context(staff_app(database_url))
        result = Stack(broker, tag, deployment, sink, app, timings=timings)
        _set_up_call(result)
        timings["staff setup (call, admin, reviewer)"] = time.monotonic() - ready
        yield result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test of this folder shows the end of every process's log."""
    report = yield
    running = getattr(item, "funcargs", {}).get("stack")
    if report.when == "call" and report.failed and isinstance(running, Stack):
        report.sections.append(("production deployment logs", running.deployment.logs()))
    return report
