"""Delivering many outbox rows at once (`deliver_batch`): one SMTP connection, a fixed number of statements."""

import smtplib
from email.message import EmailMessage

import pytest
from sqlalchemy import event

from cade.extensions import db as _db
from cade.notifications import discretion
from cade.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from cade.notifications.delivery import SMTPBackend, Unreachable, claim, deliver_batch, get_backend, renew
from cade.notifications.models import Notification
from cade.notifications.services import notify_many
from cade.organisations import discretion as organisation_discretion
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

KIND = "applications.submitted"
CONTEXT = {"application_id": 7, "reference": "CADE-2026-0042", "title": "Solar mesh", "organisation_name": "Kijiji",
           "call_title": "Community networks 2026", "submitted_at": "2026-12-01T10:00:00+00:00"}


def _queue(db, users, key="batch"):
    ids = notify_many(KIND, [(user, user.locale, f"{key}-{user.id}", CONTEXT) for user in users])
    db.session.commit()
    return ids


def _deliver(ids):
    with get_backend().session() as sender:
        outcome = deliver_batch(ids, sender)
    _db.session.commit()
    return outcome


def _statuses(db, ids):
    return [db.session.get(Notification, i, populate_existing=True).status for i in ids]


def test_a_batch_goes_over_one_connection_in_each_recipients_language(db, smtp_sink):
    users = [UserFactory(locale=locale) for locale in ("en", "fr", "es", "pt")]
    ids = _queue(db, users)

    outcome = _deliver(ids)

    assert (outcome.sent, outcome.skipped, outcome.failures) == (4, 0, [])
    assert smtp_sink.connections == 1
    by_address = {m["To"]: m for m in smtp_sink.messages}
    assert set(by_address) == {user.email for user in users}
    assert [by_address[user.email]["Content-Language"] for user in users] == ["en", "fr", "es", "pt"]
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == 4
    assert _statuses(db, ids) == [NotificationStatus.SENT] * 4


def test_a_batch_runs_the_same_statements_for_two_rows_as_for_twelve(app, db, smtp_sink):
    def statements_for(count, key):
        ids = _queue(db, [UserFactory() for _ in range(count)], key)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert _deliver(ids).sent == count
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_for(2, "two") == statements_for(12, "twelve")


def test_rows_sent_or_claimed_elsewhere_are_skipped_and_not_sent_again(db, smtp_sink):
    users = [UserFactory() for _ in range(3)]
    ids = _queue(db, users)
    assert _deliver(ids[:1]).sent == 1

    outcome = _deliver(ids + [ids[0], 10**9])

    assert (outcome.sent, outcome.skipped) == (2, 2)  # the first was sent already (asked twice, counted once); the last does not exist
    assert len(smtp_sink.messages) == 3


def test_a_refused_recipient_fails_alone_and_the_rest_go_over_the_same_connection(db, smtp_sink):
    users = [UserFactory() for _ in range(3)]
    smtp_sink.refuse[users[1].email] = "550 No such user here"
    ids = _queue(db, users)

    outcome = _deliver(ids)

    assert outcome.sent == 2 and [f.notification_id for f in outcome.failures] == [ids[1]]
    assert outcome.failures[0].retry_at is None  # 5xx: refused for good, not tried again
    assert smtp_sink.connections == 1
    refused = db.session.get(Notification, ids[1], populate_existing=True)
    assert (refused.status, refused.attempts) == (NotificationStatus.FAILED, MAX_ATTEMPTS)
    assert "550" in refused.last_error
    assert _statuses(db, [ids[0], ids[2]]) == [NotificationStatus.SENT] * 2


def test_with_the_server_down_every_row_is_kept_for_a_later_try(app, db, monkeypatch):
    from tests.notifications.smtp_sink import free_port

    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    ids = _queue(db, [UserFactory() for _ in range(2)])

    outcome = _deliver(ids)

    assert outcome.sent == 0 and len(outcome.failures) == 2
    assert all(f.retry_at is not None for f in outcome.failures)
    assert _statuses(db, ids) == [NotificationStatus.FAILED] * 2


def test_a_connection_the_server_closed_between_messages_is_opened_again(app, smtp_sink):
    def message(number):
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "a@cade.test", f"p{number}@cade.test", f"number {number}"
        m.set_content("hello")
        return m

    backend = SMTPBackend("127.0.0.1", smtp_sink.port)
    with backend.session() as session:
        session.send(message(1))
        session.smtp.close()  # as a server's idle timeout leaves it: the next command finds no line
        session.send(message(2))
    assert [m["Subject"] for m in smtp_sink.wait_for(2)] == ["number 1", "number 2"]
    assert smtp_sink.connections == 2


def test_a_new_connection_that_fails_is_not_tried_twice(app):
    from tests.notifications.smtp_sink import free_port

    backend = SMTPBackend("127.0.0.1", free_port(), timeout=2)
    with backend.session() as session, pytest.raises(OSError):
        session.send(EmailMessage())
    assert session.smtp is None


@pytest.fixture()
def discreet_checks(monkeypatch):
    checks = []
    organisation_discretion.register(checks)
    monkeypatch.setattr(discretion, "discretion_checks", checks)


def test_in_a_batch_only_the_members_of_organisations_at_risk_get_the_neutral_subject(db, smtp_sink,
                                                                                      discreet_checks):
    at_risk = OrganisationFactory(at_risk=True)
    safe = OrganisationFactory(at_risk=False)
    hidden = [MembershipFactory(organisation=at_risk).user for _ in range(2)]
    seen = [MembershipFactory(organisation=safe).user for _ in range(2)]
    _deliver(_queue(db, [hidden[0], seen[0], hidden[1], seen[1]]))

    subjects = {m["To"]: m["Subject"] for m in smtp_sink.messages}
    assert {subjects[user.email] for user in hidden} == {"You have a new update"}
    assert all("CADE-2026-0042" in subjects[user.email] for user in seen)
    senders = {m["To"]: m["From"] for m in smtp_sink.messages}
    assert all("<" not in senders[user.email] for user in hidden)


def test_smtp_refusals_keep_the_connection_but_other_errors_drop_it(app, smtp_sink):
    backend = SMTPBackend("127.0.0.1", smtp_sink.port)
    smtp_sink.refuse["gone@cade.test"] = "550 No such user"
    refused = EmailMessage()
    refused["From"], refused["To"], refused["Subject"] = "a@cade.test", "gone@cade.test", "x"
    refused.set_content("x")
    with backend.session() as session:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            session.send(refused)
        assert session.smtp is not None


def test_accented_subjects_senders_and_bodies_arrive_as_written(app, db, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Subventions Café <subventions@cade.test>")
    user = UserFactory(locale="fr", name="Adélaïde Ñúñez")
    _deliver(_queue(db, [user]))

    [message] = smtp_sink.messages
    assert message["Subject"] == "Candidature reçue : CADE-2026-0042"
    assert message["From"].addresses[0].display_name == "Subventions Café"
    assert message["From"].addresses[0].addr_spec == "subventions@cade.test"
    assert message["Content-Language"] == "fr"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Adélaïde Ñúñez" in text and "Adélaïde Ñúñez" in html


def test_a_claim_renewed_keeps_the_rows_still_ours_and_leaves_one_handed_out_again(db):
    ids = _queue(db, [UserFactory() for _ in range(3)])
    claims = claim(ids)
    assert claims == dict.fromkeys(ids, 1)
    # Its lease ran out: the sweep handed the second row out again and another worker claimed it (attempt 2).
    taken = db.session.get(Notification, ids[1])
    taken.status, taken.next_attempt_at = NotificationStatus.PENDING, None
    db.session.commit()
    assert claim([ids[1]]) == {ids[1]: 2}

    assert renew(claims) == {ids[0]: 1, ids[2]: 1}
    assert claim(ids) == {}  # all three are claimed by someone


def test_after_a_failed_connection_the_rest_of_the_session_is_not_tried(app):
    from tests.notifications.smtp_sink import free_port

    class Counting(SMTPBackend):
        tries = 0

        def connect(self):
            Counting.tries += 1
            return super().connect()

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@cade.test", "b@cade.test", "x"
    message.set_content("x")
    with Counting("127.0.0.1", free_port(), timeout=2).session() as session:
        with pytest.raises(OSError):
            session.send(message)
        with pytest.raises(Unreachable, match="could not be reached"):
            session.send(message)
    assert Counting.tries == 1
