"""Who may read a notification: its recipient, in the inbox, and nobody else."""

from flask_login import AnonymousUserMixin

from cade.notifications.permissions import can_read_notification
from cade.notifications.services import notify
from tests.factories import UserFactory


def test_only_the_recipient_reads_an_in_app_notification(db):
    owner, stranger, admin = UserFactory(), UserFactory(), UserFactory(roles=["admin"])
    row = notify("testing.hello", recipient=owner, key="k")
    mail_only = notify("testing.hello", recipient=owner, key="m", in_app=False)

    assert can_read_notification(owner, row)
    assert not can_read_notification(stranger, row)
    assert not can_read_notification(admin, row)
    assert not can_read_notification(AnonymousUserMixin(), row)
    assert not can_read_notification(None, row)
    assert not can_read_notification(owner, mail_only)
