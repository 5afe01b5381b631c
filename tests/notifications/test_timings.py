"""Delivery timings from the configuration, and the cap on the retry countdown a task asks the broker for."""

from datetime import timedelta

import pytest

import tasks  # noqa: F401  (registers the tasks)
from cade.core.db import utcnow
from cade.notifications import timings
from cade.notifications.constants import MAX_RETRY_COUNTDOWN, SENDING_LEASE, NotificationStatus
from cade.notifications.delivery import DeliveryFailed, deliver_notification
from cade.notifications.models import Notification
from cade.notifications.services import notify, sweep_outbox
from tests.notifications.smtp_sink import free_port

KIND = "notifications.test_message"


def _queued(db, key="timings"):
    row = notify(KIND, email=f"{key}@example.org", key=key, in_app=False)
    db.session.commit()
    return row.id


def _reload(db, notification_id):
    return db.session.get(Notification, notification_id, populate_existing=True)


@pytest.fixture()
def smtp_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there


def test_without_settings_the_production_defaults_hold(app, db):
    assert timings.sending_lease() == SENDING_LEASE == timedelta(minutes=10)
    assert [timings.backoff(n) for n in (1, 2, 20)] == [timedelta(minutes=1), timedelta(minutes=2),
                                                         timedelta(hours=6)]
    assert timings.max_retry_countdown() == MAX_RETRY_COUNTDOWN == timedelta(minutes=5)


def test_the_configuration_shortens_the_backoff_and_the_lease(app, db, smtp_down, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_BACKOFF_BASE", timedelta(seconds=2))
    monkeypatch.setitem(app.config, "NOTIFICATION_BACKOFF_CAP", timedelta(seconds=5))
    monkeypatch.setitem(app.config, "NOTIFICATION_SENDING_LEASE", timedelta(seconds=3))
    notification_id = _queued(db)
    row = _reload(db, notification_id)
    row.attempts = 3  # the fourth try: 2 s * 2**3 = 16 s, capped at 5 s
    db.session.commit()
    started = utcnow()

    with pytest.raises(DeliveryFailed):
        deliver_notification(notification_id, now=started)
    db.session.commit()

    assert _reload(db, notification_id).next_attempt_at == started + timedelta(seconds=5)
    # A worker that dies mid-send leaves its claim for 3 s, then the sweep hands the row out again.
    row = _reload(db, notification_id)
    row.status, row.next_attempt_at = NotificationStatus.SENDING, started + timings.sending_lease()
    db.session.commit()
    assert sweep_outbox(now=started + timedelta(seconds=2)) == 0
    assert sweep_outbox(now=started + timedelta(seconds=4)) == 1
    db.session.rollback()


def test_the_sweep_grace_comes_from_the_configuration(app, db, monkeypatch):
    notification_id = _queued(db)
    created = _reload(db, notification_id).created_at
    assert sweep_outbox(now=created + timedelta(seconds=10)) == 0  # the default grace is a minute
    monkeypatch.setitem(app.config, "NOTIFICATION_SWEEP_GRACE", timedelta(seconds=5))
    assert sweep_outbox(now=created + timedelta(seconds=10)) == 1
    db.session.rollback()


def test_the_countdown_cap_stays_under_half_the_visibility_timeout(app, monkeypatch):
    celery = dict(app.config["CELERY"], broker_transport_options={"visibility_timeout": 120})
    monkeypatch.setitem(app.config, "CELERY", celery)
    with app.app_context():
        assert timings.max_retry_countdown() == timedelta(seconds=60)


def test_a_retry_due_later_than_the_cap_is_left_to_the_sweep(app, db, smtp_down):
    notification_id = _queued(db)
    row = _reload(db, notification_id)
    row.attempts = 3  # the fourth failure waits 8 minutes: longer than the 5 minutes a task may wait
    db.session.commit()

    result = app.extensions["celery"].tasks["notifications.deliver"].apply(args=[notification_id])

    assert result.get() == "waiting"  # no retry asked of the broker
    row = _reload(db, notification_id)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 4)
    wait = row.next_attempt_at - utcnow()
    assert timedelta(minutes=7) < wait <= timedelta(minutes=8)
    assert sweep_outbox(now=row.next_attempt_at) == 1  # the sweep sends it when it is due
    db.session.rollback()


def test_a_retry_due_within_the_cap_waits_in_the_broker(app, db, smtp_down):
    notification_id = _queued(db)

    result = app.extensions["celery"].tasks["notifications.deliver"].apply(args=[notification_id])

    # apply() runs the retry at once rather than after its countdown; that run finds the row not yet
    # due and skips it, which shows a retry was asked for (a "waiting" task asks for none).
    assert result.get() == "skipped"
    assert _reload(db, notification_id).attempts == 1
