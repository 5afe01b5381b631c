"""End to end with a real Celery worker process: a submission commits → outbox →
Redis → worker → SMTP, and every member of the organisation gets the receipt.

Runs against the suite's database (the SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), which the worker reaches as well. Skipped only when
Redis is not running on a developer's machine; in CI (CI=true) that fails.

Every run uses a queue of its own on Redis (db 15, or TEST_BROKER_URL) rather than flushing the db:
two test runs at once (two developers' checkouts, or CI jobs) would otherwise
flush or consume each other's messages.
"""

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery

from sqlalchemy import func, select

from cade.applications.services import submit_application
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification
from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.processes import ManagedProcess, temporary_log

ROOT = Path(__file__).resolve().parents[2]
# TEST_BROKER_URL lets parallel checkouts each use a Redis db of their own.
REDIS_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
WAIT_SECONDS = 60


@pytest.fixture()
def queue_name():
    """A fresh queue on the test Redis db, deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis must run in CI for the worker test: {exc}")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"cade-test-{uuid.uuid4().hex}"
    yield name
    client.delete(name, *client.keys(f"*{name}*"))
    client.close()


@pytest.fixture()
def redis_celery(app, queue_name, monkeypatch):
    """The test app enqueues on Redis (its own Celery app, not the session's memory broker)."""
    celery_app = Celery("cade-worker-test", set_as_current=False)
    celery_app.config_from_object(dict(app.config["CELERY"], broker_url=REDIS_URL, task_default_queue=queue_name))
    monkeypatch.setitem(app.extensions, "celery", celery_app)
    yield celery_app
    celery_app.close()


@pytest.fixture()
def worker(app, db, redis_celery, queue_name, smtp_sink):
    """A real `celery worker` process on the test's own queue, delivering to the suite's SMTP sink."""
    sink = smtp_sink
    env = dict(
        os.environ,
        CADE_WORKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CADE_WORKER_BROKER_URL=REDIS_URL,
        CADE_WORKER_QUEUE=queue_name,
        CADE_WORKER_SMTP_PORT=str(sink.port),
        CADE_WORKER_MAILBOX_PATH=app.config["MAILBOX_PATH"],
        CADE_WORKER_STORAGE_PATH=app.config["STORAGE_PATH"],
        PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), str(ROOT)]),
    )
    process = ManagedProcess(
        "the worker",
        [sys.executable, "-m", "celery", "-A", "worker_app.celery_app", "worker", "--pool=solo",
         "-c", "1", "-Q", queue_name, "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{queue_name}@%h"],
        env=env, log_path=temporary_log("cade-worker-"),
    )
    process.start()

    def wait_for(done, what: str):
        """Poll the database until `done()` is true, failing with the worker's log after WAIT_SECONDS."""

        def polled():
            result = done()
            db.session.rollback()  # end the read so the next poll sees the worker's commits
            return result

        process.wait_for(polled, what, timeout=WAIT_SECONDS, interval=0.25)

    try:
        yield sink, wait_for
    finally:
        process.close()


def _delivered(db, sink, kind: str, count: int):
    statuses = select(Notification.status).where(Notification.kind == kind)

    def done():
        return len(sink.messages) >= count and db.session.scalars(statuses).all() == [NotificationStatus.SENT] * count

    return done


def test_a_submission_receipt_reaches_every_member_through_a_real_worker(db, worker):
    sink, wait_for = worker
    organisation = OrganisationFactory(name="Ubuntu Mesh Collective")
    owner = MembershipFactory(organisation=organisation, user=UserFactory(
        name="Thandiwe Nkosi", locale="pt", email="thandiwe@example.org")).user
    MembershipFactory(organisation=organisation, role="member",
                      user=UserFactory(name="Sipho Dlamini", locale="en", email="sipho@example.org"))
    call = CallFactory(reference_prefix="WRK-2026")
    application = ApplicationFactory(call=call, organisation=organisation, requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)

    submit_application(owner, application.id)
    db.session.commit()  # the outbox enqueues the receipts on Redis now, and only now
    wait_for(_delivered(db, sink, "applications.submitted", 2), "the receipts")

    by_recipient = {message["To"]: message for message in sink.messages}
    assert sorted(by_recipient) == ["sipho@example.org", "thandiwe@example.org"]
    for message in by_recipient.values():
        assert "WRK-2026-0001" in message["Subject"]
        assert "WRK-2026-0001" in message.get_body(preferencelist=("plain",)).get_content()
        assert message.get_body(preferencelist=("html",)) is not None
    # Each in the recipient's own language: the Portuguese receipt is not the English one.
    assert by_recipient["thandiwe@example.org"]["Subject"] != by_recipient["sipho@example.org"]["Subject"]


def test_released_decisions_reach_each_applicant_once_through_a_real_worker(db, worker):
    from cade.applications.constants import ApplicationStatus
    from cade.awards.services.release import release_decisions
    from tests.factories import DecisionFactory

    sink, wait_for = worker
    admin = UserFactory(roles=["admin"])
    call = CallFactory(closed=True, reference_prefix="REL-2026")
    outcomes = {"applicant0@example.org": "award", "applicant1@example.org": "waitlist",
                "applicant2@example.org": "reject", "applicant3@example.org": "award"}
    for email, outcome in outcomes.items():
        membership = MembershipFactory(user=UserFactory(email=email))
        application = ApplicationFactory(call=call, organisation=membership.organisation, submitted=True,
                                         status=ApplicationStatus.UNDER_REVIEW)
        DecisionFactory(application=application, outcome=outcome,
                        amount_minor=10_000_00 if outcome == "award" else None)

    assert release_decisions(admin, call.id) == len(outcomes)
    db.session.commit()
    assert release_decisions(admin, call.id) == 0  # a second click releases (and sends) nothing more
    db.session.commit()
    wait_for(_delivered(db, sink, "awards.decision_released", len(outcomes)), "the decision e-mails")

    time.sleep(1)  # anything sent twice would arrive now
    assert sorted(message["To"] for message in sink.messages) == sorted(outcomes)
    for message in sink.messages:
        assert "REL-2026-" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_large_call_is_assigned_by_a_real_worker_and_each_reviewer_told(app, db, client, login, worker,
                                                                          monkeypatch):
    from cade.core.runs import Run, RunStatus
    from cade.reviews.models import Assignment
    from tests.factories import ReviewerProfileFactory

    sink, wait_for = worker
    monkeypatch.setitem(app.config, "REVIEW_ASSIGN_INLINE_LIMIT", 0)  # every call counts as large here
    call = CallFactory(closed=True, reference_prefix="ASG-2026", reviews_required=2)
    for _ in range(6):
        ApplicationFactory(call=call, submitted=True)
    reviewers = [ReviewerProfileFactory(max_load=4).user for _ in range(3)]
    login(UserFactory(roles=["admin"]))

    response = client.post(f"/admin/calls/{call.id}/auto-assign")
    assert response.status_code == 302 and "/runs/" in response.headers["Location"]
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    wait_for(lambda: db.session.get(Run, run_id).status == RunStatus.SUCCEEDED, "the assignment run")
    wait_for(_delivered(db, sink, "reviews.assigned", 12), "the assignment e-mails")

    loads = [db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.reviewer_id == r.id))
             for r in reviewers]
    assert sorted(loads) == [4, 4, 4]
    assert db.session.get(Run, run_id).progress == 100
    assert sorted({message["To"] for message in sink.messages}) == sorted(r.email for r in reviewers)


def test_a_funding_summary_is_compiled_by_a_real_worker_and_its_requester_told(db, client, login, worker):
    from cade.core.runs import Run, RunStatus
    from tests.reports.test_summary import fixture as make_fixture

    sink, wait_for = worker
    data = make_fixture.__wrapped__(db)
    admin = UserFactory(roles=["admin"], email="ada@example.org")
    login(admin)

    response = client.post("/reports/", data={"currency": "USD"})
    assert response.status_code == 303
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    wait_for(lambda: db.session.get(Run, run_id).status in (RunStatus.SUCCEEDED, RunStatus.FAILED), "the report")
    run = db.session.get(Run, run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.result["total"]["converted"]["awarded"] == 23_200_00 and data["usd"].id
    wait_for(_delivered(db, sink, "reports.ready", 1), "the report e-mail")
    assert [message["To"] for message in sink.messages] == ["ada@example.org"]
    assert f"/reports/{run_id}/" in sink.messages[0].get_body(preferencelist=("plain",)).get_content()
    download = client.get(f"/reports/{run_id}/xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_a_report_whose_worker_died_is_handed_to_another_and_finishes(db, worker):
    from datetime import timedelta

    from cade.core.db import utcnow
    from cade.core.runs import RunStatus, claim_run, start_run, sweep_stale_runs
    from cade.reports.constants import REPORT_RUN_KIND

    _sink, wait_for = worker
    admin = UserFactory(roles=["admin"])
    # A worker took the run, then died: it is "running", and silent since long ago.
    run = start_run(admin, REPORT_RUN_KIND, {"currency": "USD", "locale": "en"}, enqueue=False)
    db.session.commit()
    assert claim_run(run)
    run.heartbeat_at, run.attempts = utcnow() - timedelta(hours=2), 1  # as a run handed out once stands
    db.session.commit()

    assert sweep_stale_runs() == 1
    db.session.commit()  # the sweep hands it to the real worker now
    wait_for(lambda: db.session.get(type(run), run.id).status == RunStatus.SUCCEEDED, "the retried report")
    finished = db.session.get(type(run), run.id)
    assert finished.attempts == 2 and finished.progress == 100
