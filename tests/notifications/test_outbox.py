"""The outbox enqueues delivery after commit, never before, never for what was rolled back.

The app's Celery broker in tests is kombu's in-memory transport; the `broker`
fixture reads what was really published to its "celery" queue.
"""

import pytest
from celery import Celery

from cade.extensions import db as _db
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification
from cade.notifications.services import notify
from tests.factories import UserFactory

DELIVER = "notifications.deliver"
DELIVER_MANY = "notifications.deliver_many"


def test_a_committed_notification_is_enqueued_after_the_commit_and_not_before(db, broker):
    user = UserFactory()
    row = notify("testing.hello", recipient=user, key="k1")

    assert broker() == []  # flushed, but the transaction may still roll back
    db.session.commit()

    assert broker() == [(DELIVER, [row.id])]


def test_a_rolled_back_notification_is_never_enqueued(db, broker):
    user = UserFactory()
    notify("testing.hello", recipient=user, key="k1")
    db.session.rollback()
    db.session.commit()  # a later, empty transaction must not pick it up either

    assert broker() == []
    assert db.session.query(Notification).count() == 0


def test_one_transaction_with_several_notifications_enqueues_each_once_in_one_message(db, broker):
    user = UserFactory()
    first = notify("testing.hello", recipient=user, key="k1")
    second = notify("testing.hello", recipient=user, key="k2")
    again = notify("testing.hello", recipient=user, key="k1")
    db.session.commit()

    assert again.id == first.id
    assert broker() == [(DELIVER_MANY, [[first.id, second.id]])]


def test_a_rolled_back_savepoint_drops_only_its_own_notifications(db, broker):
    user = UserFactory()
    kept = notify("testing.hello", recipient=user, key="kept")
    savepoint = db.session.begin_nested()
    notify("testing.hello", recipient=user, key="dropped")
    savepoint.rollback()
    released = db.session.begin_nested()
    also_kept = notify("testing.hello", recipient=user, key="also-kept")
    released.commit()

    assert broker() == []  # releasing a savepoint is not a commit
    db.session.commit()

    assert broker() == [(DELIVER_MANY, [[kept.id, also_kept.id]])]


def test_an_existing_notification_changed_in_a_transaction_is_not_enqueued_again(db, broker):
    user = UserFactory()
    row = notify("testing.hello", recipient=user, key="k1")
    db.session.commit()
    broker()

    row.read_at = None
    row.subject = "changed"
    db.session.commit()

    assert broker() == []


def test_with_the_broker_down_the_commit_stands_and_the_row_waits_for_the_sweep(app, db, broker, monkeypatch, caplog):
    unreachable = Celery("unreachable-broker", set_as_current=False)
    unreachable.config_from_object(dict(app.config["CELERY"], broker_url="redis://127.0.0.1:1/0",
                                        broker_connection_timeout=1))
    monkeypatch.setitem(app.extensions, "celery", unreachable)
    user = UserFactory()
    row = notify("testing.hello", recipient=user, key="k1")
    try:
        db.session.commit()
    finally:
        unreachable.close()

    _db.session.expire_all()
    stored = db.session.get(Notification, row.id)
    assert stored.status == NotificationStatus.PENDING
    assert stored.next_attempt_at is None
    assert "the sweep will send them" in caplog.text


@pytest.mark.parametrize("in_app", [True, False])
def test_notify_keeps_in_app_only_for_users_with_an_account(db, in_app):
    user = UserFactory()
    with_account = notify("testing.hello", recipient=user, key="a", in_app=in_app)
    guest = notify("testing.hello", email="guest@example.org", key="b", in_app=in_app)
    assert with_account.in_app is in_app
    assert guest.in_app is False
    assert guest.recipient_id is None


def test_notify_needs_someone_to_send_to(db):
    with pytest.raises(ValueError):
        notify("testing.hello", key="nobody")


def test_a_savepoint_rolled_back_before_the_first_kept_notification_drops_only_its_own(db, broker):
    user = UserFactory()
    savepoint = db.session.begin_nested()
    notify("testing.hello", recipient=user, key="dropped")
    savepoint.rollback()
    kept = notify("testing.hello", recipient=user, key="kept")
    db.session.commit()

    assert broker() == [(DELIVER, [kept.id])]


def test_each_commit_hands_over_its_own_rows(db, broker):
    user = UserFactory()
    first = notify("testing.hello", recipient=user, key="k1")
    db.session.commit()
    second = notify("testing.hello", recipient=user, key="k2")
    db.session.commit()

    assert broker() == [(DELIVER, [first.id]), (DELIVER, [second.id])]
