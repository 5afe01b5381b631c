"""The outbox API: other domains call notify(); delivery reads the rows."""

from sqlalchemy import select

from cade.extensions import db
from cade.notifications.models import Notification


def notify(kind: str, *, recipient=None, email: str | None = None, locale: str | None = None,
           context: dict | None = None, key: str, in_app: bool = True) -> Notification:
    """Queue one notification in the current transaction; return the outbox row.

    `kind` names the templates (``"applications.submitted"`` renders
    ``templates/email/applications/submitted.txt`` and ``.html``); `context`
    holds JSON-serialisable values only (ids, strings, numbers); `key` is the
    idempotency key: a second call with the same key returns the existing row
    and sends nothing more. Pass a user as `recipient`, or an address as
    `email` for someone without an account. Flushes, never commits.
    """
    if recipient is None and not email:
        raise ValueError("a notification needs a recipient or an e-mail address")
    existing = db.session.scalar(select(Notification).where(Notification.idempotency_key == key))
    if existing is not None:
        return existing
    row = Notification(
        kind=kind,
        recipient_id=getattr(recipient, "id", None),
        recipient_email=email or recipient.email,
        locale=locale or getattr(recipient, "locale", None) or "en",
        context=dict(context or {}),
        idempotency_key=key,
        in_app=in_app and recipient is not None,
    )
    db.session.add(row)
    db.session.flush()
    return row
