"""(b) The SMTP server down for a while, then back on the same port; and a server that refuses for good.

While it is down every attempt fails, the row keeps the error and waits (backoff, capped) for the next;
when it returns all go out, none twice. A 5xx refusal is final after one attempt and shows on the
administrators' page. Backoff here is 1 s doubling to a cap of 2 s (production: a minute, six hours).
Prints the time to recover (pytest -s).
"""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from cade.notifications.models import Notification
from cade.notifications.services import notify
from tests.factories import UserFactory
from tests.faults.harness import services_only, wait_until

pytestmark = services_only

KIND = "notifications.test_message"
CAP_SECONDS = 2
COUNT = 20


@pytest.fixture(scope="module")
def worker(workers):
    worker = workers({"NOTIFICATION_BACKOFF_BASE": 1, "NOTIFICATION_BACKOFF_CAP": CAP_SECONDS,
                      "NOTIFICATION_SENDING_LEASE": 30})
    worker.start()
    return worker


def _rows(db):
    with db.engine.connect() as connection:
        return connection.execute(select(Notification.__table__).order_by(Notification.id)).all()


def test_while_smtp_is_down_rows_back_off_and_all_go_out_once_when_it_returns(db, fresh_sink, worker):
    sink = fresh_sink
    sink.stop()
    addresses = [f"down{n:02d}@example.org" for n in range(COUNT)]
    for n, address in enumerate(addresses):
        notify(KIND, email=address, key=f"down:{n}", in_app=False)
    db.session.commit()
    down_since = time.monotonic()

    def backing_off() -> bool:
        rows, now = _rows(db), utcnow()
        for row in rows:  # never waiting longer than the cap, whatever the attempt
            if row.next_attempt_at is not None and row.status == NotificationStatus.FAILED:
                assert row.next_attempt_at - now <= timedelta(seconds=CAP_SECONDS + 0.5)
        return all(row.status == NotificationStatus.FAILED and row.attempts >= 3 for row in rows)

    wait_until(backing_off, "three failed attempts each", timeout=60, interval=0.2, on_timeout=worker.log_tail)
    rows = _rows(db)
    assert all("ConnectionRefusedError" in row.last_error for row in rows)
    assert all(row.attempts < MAX_ATTEMPTS for row in rows)  # still trying: not given up
    outage = time.monotonic() - down_since

    sink.start()  # the same port
    restored = time.monotonic()
    wait_until(lambda: all(row.status == NotificationStatus.SENT for row in _rows(db)), "all delivered",
               timeout=60, interval=0.1, on_timeout=worker.log_tail)
    recovered = time.monotonic() - restored
    time.sleep(1)  # anything sent twice would arrive now

    attempts = sorted(row.attempts for row in _rows(db))
    print(f"\n[faults b] SMTP down {outage:.1f}s ({COUNT} e-mails, {attempts[0]}-{attempts[-1]} attempts each, "
          f"waits capped at {CAP_SECONDS}s); all delivered {recovered:.1f}s after it came back; "
          f"duplicates: {sink.duplicates()}")
    assert sink.received == {address: 1 for address in addresses}
    assert all(row.last_error is None and row.next_attempt_at is None for row in _rows(db))


def test_a_permanent_refusal_is_final_after_one_attempt_and_shown_to_admins(db, fresh_sink, worker, client, login):
    row = notify(KIND, email="refused@example.org", key="refused", in_app=False)
    accepted = notify(KIND, email="welcome@example.org", key="accepted", in_app=False)
    db.session.commit()

    def settled():
        rows = {r.id: r for r in _rows(db)}
        return rows[row.id].attempts >= MAX_ATTEMPTS and rows[accepted.id].status == NotificationStatus.SENT

    wait_until(settled, "the refusal recorded", timeout=30, interval=0.1, on_timeout=worker.log_tail)
    time.sleep(CAP_SECONDS + 1)  # a retry, were there one, would come now
    refused = next(r for r in _rows(db) if r.id == row.id)
    assert (refused.status, refused.attempts, refused.next_attempt_at) == (NotificationStatus.FAILED,
                                                                          MAX_ATTEMPTS, None)
    assert "550" in refused.last_error and "No such mailbox" in refused.last_error
    assert fresh_sink.refusals["refused@example.org"] == 1  # one attempt, final
    assert fresh_sink.received == {"welcome@example.org": 1}

    login(UserFactory(roles=["admin"]))
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "refused@example.org" in page and "No such mailbox" in page and "welcome@example.org" not in page
