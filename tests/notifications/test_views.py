"""The inbox page and the development mailbox."""

import re
import shutil

from cade.notifications.delivery import deliver_notification
from cade.notifications.models import Notification
from cade.notifications.services import notify
from tests.factories import UserFactory

CONTEXT = {"amount": 5000, "currency": "USD", "country": "KE"}


def _note(db, user, key, **kwargs):
    row = notify("testing.hello", recipient=user, context=CONTEXT, key=key, **kwargs)
    db.session.commit()
    return row


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/inbox")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.post("/inbox/read-all").status_code == 302


def test_the_inbox_shows_the_users_own_notifications_with_unread_ones_marked(db, client, login, email_templates):
    user, stranger = UserFactory(name="Amara"), UserFactory(name="Someone Else")
    _note(db, user, "mine-1")
    read = _note(db, user, "mine-2")
    read.read_at = read.created_at
    _note(db, user, "mail-only", in_app=False)
    _note(db, stranger, "theirs")
    db.session.commit()
    login(user)

    page = client.get("/inbox").get_data(as_text=True)

    assert page.count('<li class="card') == 2
    assert page.count("<strong>Greetings from Kenya</strong>") == 1
    assert "Hello Amara," in page
    assert "Someone Else" not in page
    assert page.count('class="card unread"') == 1
    assert unread_announced(page) == 1  # the count beside "Inbox" in the header
    assert "Mark all as read" in page


def test_the_inbox_says_so_when_empty(db, client, login):
    login(UserFactory())
    page = client.get("/inbox").get_data(as_text=True)
    assert "You have no notifications yet." in page
    assert "Mark all as read" not in page


def test_marking_one_read_and_all_read(db, client, login, email_templates):
    user = UserFactory()
    first, second, third = (_note(db, user, f"k{i}") for i in range(3))
    login(user)

    response = client.post(f"/inbox/{first.id}/read", data={"page": "1"})
    assert response.status_code == 302
    assert db.session.get(Notification, first.id, populate_existing=True).read_at is not None
    assert unread_announced(client.get("/inbox").get_data(as_text=True)) == 2

    client.post("/inbox/read-all")
    page = client.get("/inbox").get_data(as_text=True)
    assert "unread" not in page
    for row in (second, third):
        assert db.session.get(Notification, row.id, populate_existing=True).read_at is not None


def test_nobody_can_mark_someone_elses_notification(db, client, login):
    owner, stranger = UserFactory(), UserFactory()
    row = _note(db, owner, "k")
    login(stranger)

    assert client.post(f"/inbox/{row.id}/read").status_code == 404
    client.post("/inbox/read-all")
    assert db.session.get(Notification, row.id, populate_existing=True).read_at is None


def test_marking_read_needs_the_csrf_token(csrf_app, db, client, login):
    user = UserFactory()
    row = _note(db, user, "k")
    login(user)

    assert client.post(f"/inbox/{row.id}/read").status_code == 400
    assert db.session.get(Notification, row.id, populate_existing=True).read_at is None


def test_a_notification_whose_templates_are_missing_still_shows_in_the_inbox(db, client, login):
    user = UserFactory()
    notify("testing.not_written_yet", recipient=user, key="k")
    db.session.commit()
    login(user)

    response = client.get("/inbox")
    assert response.status_code == 200
    assert "testing.not_written_yet" in response.get_data(as_text=True)


def test_the_dev_mailbox_lists_and_shows_sent_mail_without_signing_in(app, db, client, email_templates,
                                                                      mailbox_path):
    # The folder is the test session's: mail delivered by earlier tests would come first in the listing.
    shutil.rmtree(mailbox_path, ignore_errors=True)
    user = UserFactory(locale="fr", email="reader@example.org")
    notification_id = notify("testing.hello", recipient=user, context=dict(CONTEXT, country="<b>KE</b>"),
                             key="mailbox").id
    db.session.commit()
    deliver_notification(notification_id)
    db.session.commit()

    listing = client.get("/dev/mailbox")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    assert "reader@example.org" in body
    [href] = re.findall(r'href="(/dev/mailbox/[^"]+)"', body)[:1]

    shown = client.get(href)
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "Greetings from" in page
    assert "Bonjour" in page  # the reader asked for French
    # The HTML part sits escaped inside a sandboxed frame, never in the page itself.
    assert re.search(r"<iframe sandbox srcdoc=\"&lt;!doctype html&gt;", page)
    assert "<html lang=\"fr\">" not in page
    assert "<b>KE</b>" not in page
    policy = shown.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self' 'unsafe-inline'" in policy
    # The link in the text part can be followed from the page.
    assert 'href="http://127.0.0.1:5000/inbox"' in page


def test_the_dev_mailbox_refuses_names_outside_its_folder(client):
    assert client.get("/dev/mailbox/..%2Fconfig.py").status_code == 404
    assert client.get("/dev/mailbox/.hidden.eml").status_code == 404
    assert client.get("/dev/mailbox/nothing.eml").status_code == 404


def test_the_dev_mailbox_does_not_exist_unless_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DEV_MAILBOX", False)
    assert client.get("/dev/mailbox").status_code == 404
    assert client.get("/dev/mailbox/anything.eml").status_code == 404


def unread_announced(page: str) -> int | None:
    """The unread count a screen reader announces beside "Inbox" (as a label or as hidden text)."""
    found = re.search(r'(?:aria-label="|class="visually-hidden">\()(\d+) unread', page)
    return int(found.group(1)) if found else None


def test_the_inbox_writes_an_amount_in_the_language_the_reader_switched_to(db, client, login):
    user = UserFactory(locale="en")
    context = {"application_id": 1, "reference": "CADE-2026-0001", "title": "Mesh", "call_title": "Networks",
               "outcome": "award", "feedback": "", "comments": []}
    notify("awards.decision_released", recipient=user, key="raw", context=dict(
        context, amount={"minor": 2_000_000, "currency": "USD"}))
    # Queued before contexts held raw values: the text stays as it was written.
    notify("awards.decision_released", recipient=user, key="old", context=dict(context, amount_text="$1.00"))
    db.session.commit()
    login(user)
    assert "$20,000.00" in client.get("/inbox").get_data(as_text=True)

    user.locale = "fr"  # the reader switches language in their profile
    db.session.commit()
    page = client.get("/inbox").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")

    assert "20 000,00 $US" in page and "$20,000.00" not in page
    assert "$1.00" in page
