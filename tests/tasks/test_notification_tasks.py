"""The Celery tasks run in-process (Task.apply): deliver, sweep, call-closing reminders, beat."""

from datetime import timedelta


import tasks  # noqa: F401  (registers the tasks)
from cade.core.db import utcnow
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification
from cade.notifications.services import notify, notify_many
from tests.notifications.smtp_sink import free_port
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

KIND = "notifications.test_message"


def _task(app, name):
    # Looked up on this app's Celery: a shared_task proxy follows the newest
    # Celery app, which may belong to another app a test created.
    return app.extensions["celery"].tasks[name]


def _queued(db, **kwargs):
    user = kwargs.pop("recipient", None) or UserFactory()
    row = notify(KIND, recipient=user, key=f"task-{user.id}", **kwargs)
    db.session.commit()
    return row.id


def _reload(db, notification_id):
    return db.session.get(Notification, notification_id, populate_existing=True)


def test_deliver_sends_and_commits(app, db, smtp_sink):
    deliver = _task(app, "notifications.deliver")
    notification_id = _queued(db)

    result = deliver.apply(args=[notification_id])

    assert result.get() == "sent"
    assert _reload(db, notification_id).status == NotificationStatus.SENT
    assert [m["Subject"] for m in smtp_sink.messages] == ["Test message from CADE Grants"]


def test_deliver_run_twice_sends_once(app, db, smtp_sink):
    deliver = _task(app, "notifications.deliver")
    notification_id = _queued(db)
    assert deliver.apply(args=[notification_id]).get() == "sent"
    assert deliver.apply(args=[notification_id]).get() == "skipped"
    assert len(smtp_sink.messages) == 1


def test_deliver_with_smtp_down_keeps_the_failure_and_asks_for_a_retry(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    notification_id = _queued(db)

    result = _task(app, "notifications.deliver").apply(args=[notification_id])

    # apply() runs the retry at once, ignoring its countdown: the row is not
    # due yet, so that second run leaves it alone instead of hammering SMTP.
    assert result.get() == "skipped"
    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow()


def test_rows_notified_together_go_as_one_message_and_one_smtp_connection(app, db, broker, smtp_sink):
    users = [UserFactory() for _ in range(3)]
    db.session.commit()
    broker()
    ids = notify_many(KIND, [(user, "en", f"many-{user.id}", {}) for user in users])
    db.session.commit()
    assert broker() == [("notifications.deliver_many", [ids])]

    assert _task(app, "notifications.deliver_many").apply(args=[ids]).get() == 3

    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(user.email for user in users)
    assert smtp_sink.connections == 1
    assert {_reload(db, i).status for i in ids} == {NotificationStatus.SENT}
    assert broker() == []  # nothing fanned out, nothing to retry


def test_a_row_refused_for_a_while_in_a_batch_is_tried_again_alone(app, db, broker, smtp_sink):
    users = [UserFactory() for _ in range(3)]
    db.session.commit()
    smtp_sink.refuse[users[1].email] = "450 Mailbox busy, try later"
    ids = notify_many(KIND, [(user, "en", f"busy-{user.id}", {}) for user in users])
    db.session.commit()
    broker()

    assert _task(app, "notifications.deliver_many").apply(args=[ids]).get() == 2

    assert sorted(m["To"] for m in smtp_sink.messages) == sorted([users[0].email, users[2].email])
    refused = _reload(db, ids[1])
    assert refused.status == NotificationStatus.FAILED and refused.attempts == 1
    assert "450" in refused.last_error and refused.next_attempt_at > utcnow()
    assert broker() == [("notifications.deliver", [ids[1]])]  # its own task, after the back-off


def test_resend_pending_enqueues_what_is_due_after_its_commit(app, db, broker):
    notification_id = _queued(db)
    row = _reload(db, notification_id)
    row.created_at = utcnow() - timedelta(hours=1)  # missed by the outbox (broker was down)
    db.session.commit()
    broker()

    assert _task(app, "notifications.resend_pending").apply().get() == 1
    assert broker() == [("notifications.deliver", [notification_id])]


def test_call_closing_queues_each_reminder_once_and_enqueues_it(app, db, broker):
    call_closing = _task(app, "reminders.call_closing")
    membership = MembershipFactory()
    member = membership.user
    call = CallFactory(closes_at=utcnow() + timedelta(hours=30))
    ApplicationFactory(call=call, organisation=membership.organisation)
    broker()

    first = call_closing.apply().get()
    second = call_closing.apply().get()

    rows = db.session.query(Notification).filter_by(recipient_id=member.id).all()
    assert first == 1 and second == 0
    assert len(rows) == 1
    assert broker() == [("notifications.deliver", [rows[0].id])]


def test_every_beat_entry_names_a_registered_task(app):
    celery_app = app.extensions["celery"]
    for entry in celery_app.conf.beat_schedule.values():
        assert entry["task"] in celery_app.tasks
