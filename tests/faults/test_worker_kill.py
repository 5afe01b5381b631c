"""(a) kill -9 of a whole worker (main process and pool children) while 1,000 e-mails go out.

Nothing is lost: a new worker takes what is still queued, and the sweep (run as beat runs it) hands
out again the rows the dead worker had claimed, once their lease expires. An e-mail can arrive twice
only if the worker died after the SMTP server took it and before the row was marked sent, so the
duplicates are at most the rows in flight ('sending') at the kill. Prints the figures (pytest -s).
"""

import time
from datetime import timedelta

from cade.notifications.constants import NotificationStatus
from cade.notifications.services import notify
from tests.faults.harness import periodic, services_only, wait_until

pytestmark = services_only

COUNT = 1000
KIND = "notifications.test_message"
LEASE_SECONDS = 2


def test_every_notification_is_delivered_after_a_worker_is_killed_mid_delivery(app, db, fresh_sink, workers, beat,
                                                                               count_notifications, monkeypatch):
    sink = fresh_sink
    # The rows not yet tried are still in the broker: the sweep must not enqueue them a second time while
    # this slow machine works through the queue (in production the grace is a minute and the sweep runs
    # every few minutes; here the sweep runs every second). It only frees the dead worker's claims.
    monkeypatch.setitem(app.config, "NOTIFICATION_SWEEP_GRACE", timedelta(minutes=10))
    worker = workers({"NOTIFICATION_SENDING_LEASE": LEASE_SECONDS})
    worker.start()
    addresses = [f"kill{n:04d}@example.org" for n in range(COUNT)]
    for n, address in enumerate(addresses):
        notify(KIND, email=address, key=f"kill:{n}", in_app=False, known_new=True)
    db.session.commit()  # the outbox enqueues all 1,000 now
    started = time.monotonic()

    wait_until(lambda: count_notifications(NotificationStatus.SENT) >= COUNT // 4, "a quarter delivered",
               timeout=60, on_timeout=worker.log_tail)
    worker.kill9()
    killed = time.monotonic()
    in_flight = count_notifications(NotificationStatus.SENDING)  # nothing moves them now: their worker is dead
    sent_at_kill = count_notifications(NotificationStatus.SENT)
    received_at_kill = len(sink.messages)

    restart_seconds = worker.start()

    # As beat would, every few seconds here (a lease of 2 s): frees the expired claims and enqueues them.
    sweep = periodic(lambda: beat("notifications.resend_pending"), LEASE_SECONDS * 2)

    def all_sent() -> bool:
        sweep()
        return count_notifications(NotificationStatus.SENT) == COUNT

    wait_until(all_sent, "every notification delivered after the kill", timeout=120, interval=0.2,
               on_timeout=worker.log_tail)
    recovered = time.monotonic()
    time.sleep(1)  # a duplicate still on its way would arrive now

    received = sink.received
    duplicates = sink.duplicates()
    print(f"\n[faults a] kill -9 at {sent_at_kill} of {COUNT} marked sent ({received_at_kill} received by SMTP), "
          f"{in_flight} in flight ('sending'); duplicates at the sink: {duplicates}; "
          f"new worker ready in {restart_seconds:.1f}s; all {COUNT} delivered {recovered - killed:.1f}s after the "
          f"kill ({recovered - started:.1f}s in all)")
    assert set(received) == set(addresses)  # every one delivered
    assert sum(received.values()) == COUNT + duplicates
    assert duplicates <= in_flight
    assert count_notifications(attempts=1) + count_notifications(attempts=2) == COUNT  # none tried a third time
