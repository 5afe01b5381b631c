"""Sending outbox rows: SMTP when MAIL_SERVER is set, else a mailbox folder for development."""

import logging
import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, update

from cade.core.db import utcnow
from cade.extensions import db
from cade.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from cade.notifications.discretion import discreet_sender, is_discreet
from cade.notifications.models import Notification
from cade.notifications.rendering import notification_locale, render_notification
from cade.notifications.timings import backoff, sending_lease

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 30


class DeliveryFailed(Exception):
    """A try failed and was recorded on the row; `retry_at` is None once it is given up."""

    def __init__(self, notification_id: int, error: str, retry_at: datetime | None):
        super().__init__(f"notification {notification_id}: {error}")
        self.notification_id = notification_id
        self.error = error
        self.retry_at = retry_at

    def retry_in(self, now: datetime | None = None) -> int:
        """Seconds until the row may be claimed again (a second's margin for clock drift)."""
        if self.retry_at is None:
            return 0
        return max(1, int((self.retry_at - (now or utcnow())).total_seconds()) + 1)


class SMTPBackend:
    def __init__(self, host: str, port: int, use_tls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: int = SMTP_TIMEOUT):
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message: EmailMessage) -> None:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
        except BaseException:
            smtp.close()
            raise
        # The server has taken the message. A server that then drops the line or
        # answers QUIT oddly must not make us report a failure and send it again.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            logger.info("SMTP server %s:%s closed oddly after accepting a message", self.host, self.port)
        finally:
            smtp.close()


class MailboxBackend:
    """One .eml file per message, named so that names sort by time of sending."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def send(self, message: EmailMessage) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        # Written under a hidden name, then renamed: the mailbox never lists half a message.
        partial = self.path / f".{name}.part"
        partial.write_bytes(message.as_bytes(policy=policy.SMTP))
        os.replace(partial, self.path / name)
        return self.path / name


def get_backend(config=None) -> SMTPBackend | MailboxBackend:
    config = config or current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPBackend(
            config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
        )
    return MailboxBackend(config["MAILBOX_PATH"])


def build_message(row: Notification, subject: str, text: str, html: str | None, *,
                  discreet: bool = False) -> EmailMessage:
    sender = discreet_sender() if discreet else current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = row.recipient_email
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(idstring=f"n{row.id}", domain=domain)
    message["Content-Language"] = notification_locale(row)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def deliver_notification(notification_id: int, now: datetime | None = None) -> str:
    """Send one outbox row by e-mail; return "sent", or "skipped" if it is not ours to send.

    The row is claimed with a compare-and-set UPDATE committed on its own
    connection, before the slow SMTP conversation: a second worker handed the
    same id finds it claimed and skips it, and a worker that dies mid-send
    leaves a claim that expires (timings.sending_lease) for the sweep to hand out
    again — at least once, never lost. Marks the row sent (flushes, the caller
    commits). On any failure marks it failed with the error and the time of
    the next try and raises DeliveryFailed; after MAX_ATTEMPTS it stays failed.
    Call it before the session has written anything (as the task does): on
    SQLite the claim would otherwise wait for the session's own write lock.
    """
    now = now or utcnow()
    if not _claim(notification_id, now):
        logger.info("notification %s: already handled, claimed elsewhere or not due", notification_id)
        return "skipped"
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None:  # deleted since it was claimed (its recipient's account was erased)
        logger.info("notification %s: gone before it could be sent", notification_id)
        return "skipped"
    try:
        discreet = is_discreet(row)  # asked once: the subject and the sender agree
        subject, text, html = render_notification(row, discreet=discreet)
        get_backend().send(build_message(row, subject, text, html, discreet=discreet))
    except Exception as exc:  # SMTP, network or template trouble: record it, try again later
        raise _mark_failed(row, exc, now) from exc
    row.status = NotificationStatus.SENT
    row.sent_at = utcnow()
    row.subject = subject[:300]
    row.last_error = None
    row.next_attempt_at = None
    db.session.flush()
    # The user's id, never the address: logs are kept and shipped where personal data must not go.
    logger.info("notification %s (%s) sent to user %s", row.id, row.kind, row.recipient_id)
    return "sent"


def _claim(notification_id: int, now: datetime) -> bool:
    table = Notification.__table__
    claim = (
        update(table)
        .where(
            table.c.id == notification_id,
            table.c.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
            table.c.attempts < MAX_ATTEMPTS,
            or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        )
        .values(status=NotificationStatus.SENDING, attempts=table.c.attempts + 1,
                next_attempt_at=now + sending_lease())
    )
    with db.engine.begin() as connection:
        return connection.execute(claim).rowcount == 1


def is_permanent_refusal(exc: Exception) -> bool:
    """A 5xx SMTP answer for the recipient or the message; 4xx and network errors are temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return exc.smtp_code >= 500
    return False


def _mark_failed(row: Notification, exc: Exception, now: datetime) -> DeliveryFailed:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    row.status = NotificationStatus.FAILED
    row.last_error = error
    if is_permanent_refusal(exc):
        # The server said no for good (unknown mailbox, policy): trying again cannot help.
        row.attempts = MAX_ATTEMPTS
    if row.attempts >= MAX_ATTEMPTS:
        row.next_attempt_at = None
        logger.error("notification %s (%s) to user %s failed for good after %d attempts: %s",
                     row.id, row.kind, row.recipient_id, row.attempts, error)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        logger.warning("notification %s (%s) attempt %d failed, next try at %s: %s",
                       row.id, row.kind, row.attempts, row.next_attempt_at.isoformat(), error)
    db.session.flush()
    return DeliveryFailed(row.id, error, row.next_attempt_at)


# The development mailbox: reading back what MailboxBackend wrote.

@dataclass(frozen=True)
class MailboxEntry:
    name: str
    to: str
    subject: str
    date: str


@dataclass(frozen=True)
class MailboxMessage:
    name: str
    headers: dict[str, str]
    text: str
    html: str | None


def _is_mailbox_name(name: str) -> bool:
    return (name.endswith(".eml") and not name.startswith(".") and "/" not in name
            and "\\" not in name and len(name) < 200)


def list_mailbox(path: str | os.PathLike, limit: int = 200) -> list[MailboxEntry]:
    """The newest messages first (file names sort by time)."""
    folder = Path(path)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if _is_mailbox_name(p.name)), reverse=True)[:limit]
    entries = []
    for name in names:
        with (folder / name).open("rb") as f:
            headers = BytesHeaderParser(policy=policy.default).parse(f)
        entries.append(MailboxEntry(name, str(headers["To"] or ""), str(headers["Subject"] or ""),
                                    str(headers["Date"] or "")))
    return entries


def read_mailbox_message(path: str | os.PathLike, name: str) -> MailboxMessage | None:
    """One message by its file name, or None (also for names that try to leave the folder)."""
    if not _is_mailbox_name(name):
        return None
    file = Path(path) / name
    if not file.is_file():
        return None
    with file.open("rb") as f:
        message = BytesParser(policy=policy.default).parse(f)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return MailboxMessage(
        name=name,
        headers={key: str(message[key]) for key in ("From", "To", "Date", "Subject") if message[key]},
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else None,
    )
