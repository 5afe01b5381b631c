"""The inbox services: a user's own in-app notifications, unread counts, marking read."""

from datetime import timedelta

import pytest

from cade.core.db import utcnow
from cade.core.errors import NotFound
from cade.notifications.models import Notification
from cade.notifications.services import inbox_page, mark_all_read, mark_read, notify, unread_count
from tests.factories import UserFactory


def _notes(user, count, prefix="n", **kwargs):
    return [notify("testing.hello", recipient=user, key=f"{prefix}-{user.id}-{i}", **kwargs) for i in range(count)]


def test_unread_count_counts_only_the_users_unread_in_app_notifications(db):
    alice, bob = UserFactory(), UserFactory()
    first, _second, _third = _notes(alice, 3)
    _notes(alice, 2, prefix="mail-only", in_app=False)
    _notes(bob, 4)
    first.read_at = utcnow()
    db.session.commit()

    assert unread_count(alice) == 2
    assert unread_count(bob) == 4
    assert unread_count(UserFactory()) == 0


def test_the_inbox_is_newest_first_in_pages_of_twenty(db):
    user = UserFactory()
    rows = _notes(user, 25)
    now = utcnow()
    for age, row in enumerate(reversed(rows)):
        row.created_at = now - timedelta(minutes=age)
    _notes(UserFactory(), 3, prefix="other")
    db.session.commit()

    first = inbox_page(user, page=1)
    second = inbox_page(user, page=2)

    assert first.total == 25
    assert [r.id for r in first.items] == [r.id for r in reversed(rows)][:20]
    assert [r.id for r in second.items] == [r.id for r in reversed(rows)][20:]
    assert inbox_page(user, page=3).items == []
    assert [r.id for r in inbox_page(user, page=0).items] == [r.id for r in first.items]


def test_mark_read_marks_the_users_own_notification_once(db):
    user = UserFactory()
    [row] = _notes(user, 1)
    db.session.commit()

    mark_read(user, row.id)
    db.session.commit()
    read_at = db.session.get(Notification, row.id).read_at
    mark_read(user, row.id)
    db.session.commit()

    assert read_at is not None
    assert db.session.get(Notification, row.id).read_at == read_at
    assert unread_count(user) == 0


def test_nobody_marks_someone_elses_notification(app, db):
    owner, stranger = UserFactory(), UserFactory()
    [row] = _notes(owner, 1)
    db.session.commit()

    # A request context because DomainError renders its lazy message on creation
    # (outside one, the site's locale selector reads the session).
    with app.test_request_context(), pytest.raises(NotFound):
        mark_read(stranger, row.id)
    with app.test_request_context(), pytest.raises(NotFound):
        mark_read(stranger, row.id)
    with pytest.raises(NotFound):
        mark_read(owner, 424242)
    assert unread_count(owner) == 1


def test_mark_all_read_touches_only_the_users_unread_rows(db):
    alice, bob = UserFactory(), UserFactory()
    _notes(alice, 3)
    _notes(bob, 2)
    db.session.commit()

    assert mark_all_read(alice) == 3
    db.session.commit()

    assert unread_count(alice) == 0
    assert unread_count(bob) == 2
    assert mark_all_read(alice) == 0
