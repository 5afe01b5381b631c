"""(c) The broker down: a CSO still submits, quickly; the receipts wait in the outbox, and go out once the
broker is back and the sweep (run as beat would) enqueues them. The broker is this module's own
redis-server, killed and started again empty on the same port. Prints the figures (pytest -s).
"""

import threading
import time
from datetime import timedelta

import pytest
from celery import Celery
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, MembershipFactory, UserFactory
from tests.faults.harness import Blackhole, periodic, services_only, wait_until

pytestmark = services_only

# The outbox gives a broker that refuses under a second (two quick retries) before leaving the rows to the
# sweep; the rest of the limit is for a slow, shared test machine.
SUBMIT_LIMIT_SECONDS = 5


@pytest.fixture(scope="module")
def worker(workers):
    worker = workers()
    worker.start()
    return worker


def _draft(owner_email: str, member_email: str, prefix: str):
    """A complete draft of an organisation with two members, and its owner."""
    membership = MembershipFactory(user=UserFactory(email=owner_email))
    MembershipFactory(organisation=membership.organisation, role="member", user=UserFactory(email=member_email))
    draft = ApplicationFactory(call=CallFactory(reference_prefix=prefix), organisation=membership.organisation,
                               created_by=membership.user, requested_amount_minor=20_000_00)
    BudgetLineFactory(application=draft, amount_minor=20_000_00)
    return draft, membership.user


def _receipts(db):
    with db.engine.connect() as connection:
        return connection.execute(select(Notification.__table__).where(
            Notification.kind == "applications.submitted")).all()


def test_a_cso_submits_while_the_broker_is_down_and_the_receipts_follow_its_return(
        app, db, client, login, own_redis, worker, beat, fresh_sink, monkeypatch):
    draft, owner = _draft("owner@example.org", "member@example.org", "BRK-2026")
    login(owner)

    own_redis.stop()
    begun = time.monotonic()
    response = client.post(f"/applications/{draft.id}/submit")
    submit_seconds = time.monotonic() - begun

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/applications/{draft.id}")
    assert db.session.get(Application, draft.id).status == ApplicationStatus.SUBMITTED
    receipts = _receipts(db)
    assert sorted(row.recipient_email for row in receipts) == ["member@example.org", "owner@example.org"]
    assert all(row.status == NotificationStatus.PENDING and row.attempts == 0 for row in receipts)
    assert submit_seconds < SUBMIT_LIMIT_SECONDS

    time.sleep(1)  # the broker stays down a moment longer; nothing is lost meanwhile
    assert all(row.status == NotificationStatus.PENDING for row in _receipts(db))
    own_redis.start()  # the same port, empty: whatever it held is gone, the outbox still has the rows
    restored = time.monotonic()
    # In production the sweep leaves rows younger than a minute to the outbox; these are seconds old.
    monkeypatch.setitem(app.config, "NOTIFICATION_SWEEP_GRACE", timedelta(seconds=0))
    sweep = periodic(lambda: beat("notifications.resend_pending"), 1)

    def delivered() -> bool:
        sweep()
        return all(row.status == NotificationStatus.SENT for row in _receipts(db))

    wait_until(delivered, "the receipts delivered", timeout=60, interval=0.1, on_timeout=worker.log_tail)
    recovered = time.monotonic() - restored
    time.sleep(0.5)
    print(f"\n[faults c] submitted in {submit_seconds:.2f}s with the broker down; receipts delivered "
          f"{recovered:.1f}s after the broker came back (the worker reconnects, the sweep runs every second "
          f"here); duplicates: {fresh_sink.duplicates()}")
    assert fresh_sink.received == {"owner@example.org": 1, "member@example.org": 1}


# A broker that takes the connection and never answers (hung, or its machine gone behind a firewall that
# swallows packets) must not hold the request up either: only socket timeouts in the broker's transport
# options bound the wait, the outbox's retry policy does not.
HUNG_LIMIT_SECONDS = 15


def test_a_broker_that_does_not_answer_does_not_hold_up_a_submission(app, db, client, login, monkeypatch):
    hung = Blackhole()
    celery_app = Celery("cade-faults-hung", set_as_current=False)
    celery_app.config_from_object(dict(app.config["CELERY"], broker_url=f"redis://127.0.0.1:{hung.port}/0"))
    monkeypatch.setitem(app.extensions, "celery", celery_app)
    draft, owner = _draft("hung-owner@example.org", "hung-member@example.org", "HNG-2026")
    login(owner)
    url, answer = f"/applications/{draft.id}/submit", {}

    def submit():
        begun = time.monotonic()
        answer["response"] = client.post(url)
        answer["seconds"] = time.monotonic() - begun

    request = threading.Thread(target=submit, daemon=True)
    request.start()
    request.join(HUNG_LIMIT_SECONDS)
    hung.close()  # lets a request still waiting go (it sees the connection closed)
    request.join(10)
    celery_app.close()
    assert "seconds" in answer and answer["seconds"] < HUNG_LIMIT_SECONDS, (
        f"the submission waited more than {HUNG_LIMIT_SECONDS}s on a broker that does not answer: give the "
        "broker's transport socket timeouts (CELERY broker_transport_options socket_timeout, "
        "socket_connect_timeout)")
    print(f"\n[faults c] submitted in {answer['seconds']:.2f}s with a broker that does not answer")
    assert answer["response"].status_code == 302
    assert db.session.get(Application, draft.id, populate_existing=True).status == ApplicationStatus.SUBMITTED
    assert all(row.status == NotificationStatus.PENDING for row in _receipts(db))  # left to the sweep
