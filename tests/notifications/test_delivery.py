"""Delivering outbox rows through a real SMTP server, and the mailbox folder."""

import logging
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import event

from cade.core.db import utcnow
from cade.notifications.constants import MAX_ATTEMPTS, SENDING_LEASE, NotificationStatus, backoff
from cade.notifications.delivery import DeliveryFailed, deliver_notification
from cade.notifications.models import Notification
from cade.notifications.services import notify, sweep_outbox
from tests.factories import UserFactory

from .smtp_sink import FlakySMTPServer, SMTPSink, free_port

CONTEXT = {"amount": 5000, "currency": "USD", "country": "KE"}


def _queued(db, kind, **kwargs):
    kwargs.setdefault("recipient", UserFactory(name="Wanjiru Kamau", locale="es"))
    row = notify(kind, context=CONTEXT, key=kwargs.pop("key", "k1"), **kwargs)
    db.session.commit()
    return row.id


def _reload(db, notification_id) -> Notification:
    return db.session.get(Notification, notification_id, populate_existing=True)


def test_a_notification_arrives_by_smtp_with_text_and_html_in_the_recipients_language(
    app, db, email_templates, smtp_sink
):
    notification_id = _queued(db, email_templates)

    assert deliver_notification(notification_id) == "sent"
    db.session.commit()

    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == "Greetings from Kenia"
    assert message["To"] == _reload(db, notification_id).recipient_email
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hola, Wanjiru Kamau:" in text and "Kenia" in text
    assert '<html lang="es">' in html and "Kenia" in html

    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.SENT
    assert row.sent_at is not None
    assert row.subject == "Greetings from Kenia"
    assert row.attempts == 1


def test_delivering_the_same_notification_twice_sends_one_message(db, email_templates, smtp_sink):
    notification_id = _queued(db, email_templates)

    assert deliver_notification(notification_id) == "sent"
    db.session.commit()
    assert deliver_notification(notification_id) == "skipped"
    db.session.commit()

    assert len(smtp_sink.wait_for(2, timeout=1)) == 1
    assert _reload(db, notification_id).attempts == 1


def test_notify_with_a_key_already_used_creates_no_second_row(db, email_templates, smtp_sink):
    user = UserFactory()
    first = notify(email_templates, recipient=user, context=CONTEXT, key="once")
    second = notify(email_templates, recipient=user, context={"other": 1}, key="once")
    db.session.commit()

    assert second.id == first.id
    assert db.session.query(Notification).count() == 1


def test_smtp_down_marks_the_row_failed_and_a_later_sweep_sends_it(app, db, email_templates, monkeypatch, broker):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    notification_id = _queued(db, email_templates)
    broker()
    started = utcnow()

    with pytest.raises(DeliveryFailed) as failure:
        deliver_notification(notification_id, now=started)
    db.session.commit()

    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.FAILED
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == started + backoff(1)
    assert failure.value.retry_at == row.next_attempt_at
    # Not due yet: neither a sweep nor a duplicate task sends it early.
    assert sweep_outbox(now=started + timedelta(seconds=5)) == 0
    db.session.commit()
    assert deliver_notification(notification_id, now=started + timedelta(seconds=5)) == "skipped"

    sink = SMTPSink()
    sink.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        later = started + backoff(1) + timedelta(seconds=1)
        assert sweep_outbox(now=later) == 1
        db.session.commit()
        enqueued = broker()
        assert enqueued == [("notifications.deliver", [notification_id])]
        assert deliver_notification(enqueued[0][1][0], now=later) == "sent"
        db.session.commit()
        [message] = sink.wait_for(1)
    finally:
        sink.stop()
    assert message["Subject"] == "Greetings from Kenia"
    row = _reload(db, notification_id)
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (NotificationStatus.SENT, 2, None, None)


def test_after_the_last_attempt_the_row_stays_failed_for_good(app, db, email_templates, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    notification_id = _queued(db, email_templates)
    db.session.get(Notification, notification_id).attempts = MAX_ATTEMPTS - 1
    db.session.commit()

    with caplog.at_level(logging.ERROR), pytest.raises(DeliveryFailed) as failure:
        deliver_notification(notification_id)
    db.session.commit()

    assert failure.value.retry_at is None
    row = _reload(db, notification_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (NotificationStatus.FAILED, MAX_ATTEMPTS, None)
    assert "failed for good" in caplog.text
    far_future = utcnow() + timedelta(days=30)
    assert sweep_outbox(now=far_future) == 0
    db.session.commit()
    assert deliver_notification(notification_id, now=far_future) == "skipped"


def test_backoff_grows_exponentially_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert backoff(30) == timedelta(hours=6)


def test_a_row_stuck_in_sending_is_handed_out_again_once_its_claim_expires(db, email_templates, smtp_sink, broker):
    notification_id = _queued(db, email_templates)
    claimed_at = utcnow()
    row = _reload(db, notification_id)
    # What a worker that crashed mid-send leaves behind.
    row.status, row.attempts, row.next_attempt_at = NotificationStatus.SENDING, 1, claimed_at + SENDING_LEASE
    db.session.commit()
    broker()

    assert sweep_outbox(now=claimed_at + timedelta(minutes=5)) == 0
    db.session.commit()
    assert _reload(db, notification_id).status == NotificationStatus.SENDING

    later = claimed_at + SENDING_LEASE + timedelta(seconds=1)
    assert sweep_outbox(now=later) == 1
    db.session.commit()
    assert _reload(db, notification_id).status == NotificationStatus.PENDING
    assert broker() == [("notifications.deliver", [notification_id])]
    assert deliver_notification(notification_id, now=later) == "sent"
    db.session.commit()
    assert len(smtp_sink.wait_for(1)) == 1


def test_the_sweep_leaves_fresh_rows_to_the_outbox_and_picks_up_forgotten_ones(db, email_templates, broker):
    notification_id = _queued(db, email_templates)
    broker()

    assert sweep_outbox() == 0  # just committed: the outbox has enqueued it already
    assert sweep_outbox(now=utcnow() + timedelta(minutes=2)) == 1
    db.session.commit()
    assert broker() == [("notifications.deliver", [notification_id])]


def test_a_sweep_that_is_rolled_back_enqueues_nothing(db, email_templates, broker):
    _queued(db, email_templates)
    broker()
    assert sweep_outbox(now=utcnow() + timedelta(minutes=2)) == 1
    db.session.rollback()
    assert broker() == []


def test_without_a_mail_server_messages_go_to_the_mailbox_folder(app, db, email_templates, mailbox_path):
    assert not app.config["MAIL_SERVER"]
    before = set(mailbox_path.glob("*.eml")) if mailbox_path.exists() else set()
    notification_id = _queued(db, email_templates)

    assert deliver_notification(notification_id) == "sent"
    db.session.commit()

    [written] = set(mailbox_path.glob("*.eml")) - before
    message = message_from_bytes(Path(written).read_bytes(), policy=policy.default)
    assert message["Subject"] == "Greetings from Kenia"
    assert "Kenia" in message.get_body(preferencelist=("plain",)).get_content()
    assert "Kenia" in message.get_body(preferencelist=("html",)).get_content()
    assert not list(mailbox_path.glob(".*"))  # no half-written files left


def test_a_kind_without_templates_fails_and_is_kept_for_later(db, broker):
    notification_id = _queued(db, "testing.not_written_yet")
    with pytest.raises(DeliveryFailed):
        deliver_notification(notification_id)
    db.session.commit()
    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.FAILED
    assert "TemplateNotFound" in row.last_error


def test_an_unknown_id_is_skipped(db):
    assert deliver_notification(987654) == "skipped"


# --- an unreliable SMTP server, a vanished recipient, two sweeps at once -----------------

@pytest.fixture()
def flaky_smtp(app, monkeypatch):
    servers = []

    def start(**behaviour):
        server = FlakySMTPServer(**behaviour)
        server.start()
        servers.append(server)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_server_that_takes_the_message_then_refuses_to_say_goodbye_gets_it_once(db, email_templates,
                                                                                  flaky_smtp):
    server = flaky_smtp(on_quit="refuse")
    notification_id = _queued(db, email_templates)

    assert deliver_notification(notification_id) == "sent"
    db.session.commit()
    assert server.accepted == 1
    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.SENT and row.last_error is None
    assert deliver_notification(notification_id) == "skipped"
    assert server.accepted == 1


def test_a_server_that_hangs_up_before_confirming_is_tried_again_later(db, email_templates, flaky_smtp):
    flaky_smtp(after_data="drop")
    notification_id = _queued(db, email_templates)
    started = utcnow()

    with pytest.raises(DeliveryFailed):
        deliver_notification(notification_id, now=started)
    db.session.commit()
    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.FAILED and "SMTPServerDisconnected" in row.last_error
    assert row.next_attempt_at == started + backoff(1)

    server = flaky_smtp()  # the server is well again; at least once means sending again
    assert deliver_notification(notification_id, now=row.next_attempt_at) == "sent"
    db.session.commit()
    assert server.accepted == 1


def test_a_notification_to_a_deleted_account_is_skipped_not_crashed(db, email_templates, smtp_sink):
    user = UserFactory(name="Gone Soon")
    notification_id = _queued(db, email_templates, recipient=user)
    db.session.delete(user)
    db.session.commit()

    assert deliver_notification(notification_id) == "skipped"
    db.session.commit()
    assert smtp_sink.messages == []


def test_two_sweeps_at_once_enqueue_twice_but_each_message_goes_out_once(app, db, email_templates, smtp_sink,
                                                                        broker):
    ids = [_queued(db, email_templates, key=f"k{n}", recipient=UserFactory()) for n in range(3)]
    broker()
    later = utcnow() + timedelta(minutes=2)
    barrier = threading.Barrier(2)

    def beat():  # what a second `celery beat`, started by mistake, would do
        with app.app_context():
            barrier.wait(timeout=10)
            sweep_outbox(now=later)
            db.session.commit()
            db.session.remove()

    _run_together(beat, beat)
    # Each sweep hands its rows over as one message (notifications.deliver_many, fanned out by the worker).
    enqueued = [notification_id for _name, args in broker()
                for notification_id in (args[0] if isinstance(args[0], list) else [args[0]])]
    assert sorted(enqueued) == sorted(ids * 2)

    outcomes = []
    half = len(enqueued) // 2

    def worker(batch):
        with app.app_context():
            for notification_id in batch:
                outcomes.append(deliver_notification(notification_id, now=later))
                db.session.commit()
            db.session.remove()

    _run_together(lambda: worker(enqueued[:half]), lambda: worker(enqueued[half:]))
    assert sorted(outcomes) == ["sent"] * 3 + ["skipped"] * 3
    messages = smtp_sink.wait_for(3)
    time.sleep(0.2)
    assert len(messages) == 3
    assert all(_reload(db, n).status == NotificationStatus.SENT for n in ids)


def _run_together(*targets):
    errors = []

    def run(target):
        try:
            target()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


def test_a_row_deleted_between_its_claim_and_its_sending_is_skipped(db, email_templates, smtp_sink):
    user = UserFactory()
    notification_id = _queued(db, email_templates, recipient=user)

    erased = []

    def erase_the_account_meanwhile(conn, cursor, statement, parameters, context, executemany):
        if not erased and statement.lstrip().upper().startswith("SELECT") and "FROM NOTIFICATIONS" in statement.upper():
            erased.append(True)
            with db.engine.begin() as other:
                other.execute(sa_delete(Notification.__table__).where(Notification.__table__.c.id == notification_id))

    event.listen(db.engine, "before_cursor_execute", erase_the_account_meanwhile)
    try:
        assert deliver_notification(notification_id) == "skipped"
    finally:
        event.remove(db.engine, "before_cursor_execute", erase_the_account_meanwhile)
    assert erased
    db.session.commit()
    assert smtp_sink.messages == []


class _RefusingHandler:
    """An SMTP server that refuses the recipient with the given code."""

    def __init__(self, code: int):
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"{self.code} {'No such mailbox' if self.code >= 500 else 'Try again later'}"


@pytest.mark.parametrize("code, final", [(550, True), (450, False)])
def test_a_mailbox_that_does_not_exist_is_not_tried_again_but_a_busy_one_is(app, db, email_templates,
                                                                               monkeypatch, code, final):
    from aiosmtpd.controller import Controller

    controller = Controller(_RefusingHandler(code), hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    try:
        notification_id = _queued(db, email_templates)
        with pytest.raises(DeliveryFailed) as failure:
            deliver_notification(notification_id)
        db.session.commit()
    finally:
        controller.stop()

    row = _reload(db, notification_id)
    assert row.status == NotificationStatus.FAILED
    assert str(code) in row.last_error
    if final:
        assert failure.value.retry_at is None and row.next_attempt_at is None
        assert row.attempts == MAX_ATTEMPTS  # the sweep will not hand it out again
    else:
        assert failure.value.retry_at is not None and row.attempts == 1
