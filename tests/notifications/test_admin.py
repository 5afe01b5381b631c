"""The administrators' outbox page: what was given up on, the counts, and "try again"; one test per role."""

import re

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from cade.notifications.models import Notification
from cade.notifications.services import notify
from tests.factories import MembershipFactory, ReviewerProfileFactory, UserFactory

KIND = "notifications.test_message"


def _row(db, email, *, status=NotificationStatus.PENDING, attempts=0, error=None):
    row = notify(KIND, email=email, key=f"admin-page:{email}", in_app=False)
    row.status, row.attempts, row.last_error = status, attempts, error
    db.session.commit()
    return row


@pytest.fixture()
def given_up(db):
    return _row(db, "nobody@example.org", status=NotificationStatus.FAILED, attempts=MAX_ATTEMPTS,
                error="SMTPRecipientsRefused: {'nobody@example.org': (550, b'No such mailbox')}")


def test_admins_see_what_was_given_up_on_and_how_many_wait(db, client, login, admin, given_up):
    _row(db, "waiting@example.org")
    _row(db, "sending@example.org", status=NotificationStatus.SENDING, attempts=1)
    _row(db, "retrying@example.org", status=NotificationStatus.FAILED, attempts=2, error="ConnectionRefusedError")
    _row(db, "sent@example.org", status=NotificationStatus.SENT, attempts=1)
    login(admin)

    page = client.get("/admin/notifications").get_data(as_text=True)

    counts = re.search(r'<dl class="counts" id="outbox-counts">(.*?)</dl>', page, re.S).group(1)
    assert re.findall(r"<dd>(\d+)</dd>", counts) == ["1", "1", "1", "1"]
    assert page.count("<tr id=\"notification-") == 1  # only the one given up on is listed
    assert "nobody@example.org" in page and "No such mailbox" in page and KIND in page
    assert f"<td>{MAX_ATTEMPTS}</td>" in page
    assert "Try again" in page and "retrying@example.org" not in page


def test_the_list_is_paginated(db, client, login, admin):
    for n in range(52):
        _row(db, f"gone{n:02d}@example.org", status=NotificationStatus.FAILED, attempts=MAX_ATTEMPTS, error="x")
    login(admin)
    first = client.get("/admin/notifications").get_data(as_text=True)
    second = client.get("/admin/notifications?page=2").get_data(as_text=True)
    assert first.count("<tr id=\"notification-") == 50 and second.count("<tr id=\"notification-") == 2
    assert "Page 1 of 2" in first and "gone51@example.org" in first and "gone00@example.org" in second


def test_try_again_returns_the_row_to_pending_audited_and_enqueued(db, client, login, admin, given_up, broker):
    login(admin)
    broker()

    response = client.post(f"/admin/notifications/{given_up.id}/retry", follow_redirects=True)

    assert "will be sent again in a moment" in response.get_data(as_text=True)
    row = db.session.get(Notification, given_up.id, populate_existing=True)
    assert (row.status, row.attempts, row.next_attempt_at) == (NotificationStatus.PENDING, 0, None)
    assert "No such mailbox" in row.last_error  # kept until the next try says otherwise
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "notification.retried"))
    assert (event.actor_id, event.object_id) == (admin.id, row.id)
    assert event.before == {"status": "failed", "attempts": MAX_ATTEMPTS}
    assert broker() == [("notifications.deliver", [row.id])]


def test_try_again_twice_is_refused_clearly(db, client, login, admin, given_up):
    login(admin)
    client.post(f"/admin/notifications/{given_up.id}/retry")
    page = client.post(f"/admin/notifications/{given_up.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "no longer failed" in page
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb == "notification.retried").offset(1)) is None


def test_a_row_still_retrying_by_itself_cannot_be_forced(db, client, login, admin):
    row = _row(db, "later@example.org", status=NotificationStatus.FAILED, attempts=2, error="timeout")
    row.next_attempt_at = utcnow()
    db.session.commit()
    login(admin)
    assert "no longer failed" in client.post(f"/admin/notifications/{row.id}/retry",
                                             follow_redirects=True).get_data(as_text=True)
    assert client.post("/admin/notifications/999999/retry").status_code == 404


def test_try_again_needs_the_csrf_token(csrf_app, db, client, login, admin, given_up):
    login(admin)
    assert client.post(f"/admin/notifications/{given_up.id}/retry").status_code == 400
    page = client.get("/admin/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/notifications/{given_up.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Notification, given_up.id, populate_existing=True).status == NotificationStatus.PENDING


@pytest.mark.parametrize("who", ["cso", "reviewer"])
def test_others_do_not_find_the_page(db, client, login, given_up, who):
    user = MembershipFactory().user if who == "cso" else ReviewerProfileFactory().user
    login(user)
    assert client.get("/admin/notifications").status_code == 404
    assert client.post(f"/admin/notifications/{given_up.id}/retry").status_code == 404
    assert db.session.get(Notification, given_up.id, populate_existing=True).status == NotificationStatus.FAILED


def test_anonymous_visitors_are_sent_to_sign_in(db, client, given_up):
    for response in (client.get("/admin/notifications"), client.post(f"/admin/notifications/{given_up.id}/retry")):
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_service_refuses_a_non_admin(db, given_up):
    from cade.core.errors import PermissionDenied
    from cade.notifications.services import retry_notification

    with pytest.raises(PermissionDenied):
        retry_notification(UserFactory(), given_up.id)
