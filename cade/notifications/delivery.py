"""Sending outbox rows: SMTP when MAIL_SERVER is set, else a mailbox folder for development."""

import logging
import os
import secrets
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesHeaderParser, BytesParser
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.orm import selectinload

from cade.core.db import utcnow
from cade.extensions import db
from cade.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from cade.notifications.discretion import discreet_rows, discreet_sender
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

    def send(self, message: Message) -> None:
        """One message over a connection of its own."""
        with self.session() as session:
            session.send(message)

    @contextmanager
    def session(self) -> Iterator["SMTPSession"]:
        """One connection for many messages (a delivery batch), closed politely at the end."""
        session = SMTPSession(self)
        try:
            yield session
        finally:
            session.close()

    def connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class Unreachable(OSError):
    """A message not tried: an earlier connection of the same session to the mail server failed."""


class SMTPSession:
    """Messages over one SMTP connection, opened for the first and again whenever it was lost.

    A refusal of one message (its recipient, its sender, its data) leaves the
    connection usable: smtplib resets the transaction. Any other error closes
    it, and the next message opens a new one. A connection the server closed
    while idle between two messages (its timeout, a cap on messages per
    connection) is noticed at the next message's first command, before any of
    the message went: that message is sent again once, on a new connection.
    Once a connection cannot be opened, the session's later messages fail at
    once (Unreachable) rather than each waiting for the server in turn.
    """

    def __init__(self, backend: SMTPBackend):
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None
        self.sent = 0  # over the current connection
        self.unreachable: Exception | None = None

    def send(self, message: Message) -> None:
        reused = self.smtp is not None and self.sent > 0
        try:
            self._send(message)
        except smtplib.SMTPServerDisconnected:
            self._drop()
            if not reused:
                raise
            self._send(message)

    def _send(self, message: Message) -> None:
        if self.smtp is None:
            self._connect()
        try:
            self.smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # this message refused; the connection goes on
        except BaseException:
            self._drop()
            raise
        self.sent += 1

    def _connect(self) -> None:
        if self.unreachable is not None:
            raise Unreachable(f"not tried, the mail server could not be reached: {self.unreachable}")
        try:
            self.smtp, self.sent = self.backend.connect(), 0
        except Exception as exc:
            self.unreachable = exc
            raise

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def close(self) -> None:
        if self.smtp is None:
            return
        # The server has taken the messages. A server that then drops the line or
        # answers QUIT oddly must not make us report a failure and send them again.
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            logger.info("SMTP server %s:%s closed oddly after accepting messages", self.backend.host,
                        self.backend.port)
        finally:
            self._drop()


class MailboxBackend:
    """One .eml file per message, named so that names sort by time of sending."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def send(self, message: Message) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        # Written under a hidden name, then renamed: the mailbox never lists half a message.
        partial = self.path / f".{name}.part"
        partial.write_bytes(message.as_bytes(policy=_POLICY))
        os.replace(partial, self.path / name)
        return self.path / name

    @contextmanager
    def session(self) -> Iterator["MailboxBackend"]:
        """Messages of a batch, each written as it comes (a folder needs no connection)."""
        yield self


def get_backend(config=None) -> SMTPBackend | MailboxBackend:
    config = config or current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPBackend(
            config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
        )
    return MailboxBackend(config["MAILBOX_PATH"])


# Bodies in quoted-printable UTF-8: 8-bit safe on any server, and still readable in the raw message.
_BODY_CHARSET = Charset("utf-8")
_BODY_CHARSET.body_encoding = QP


class _Headers(Compat32):
    """The classic policy, writing a short ASCII header as it is rather than through email.header.Header.

    Header.encode would give the same line, at about 35 µs a header: half a
    millisecond a message (bench/delivery.py). Anything else is folded and
    encoded as the classic policy does.
    """

    def _fold(self, name, value, sanitize):
        if (isinstance(value, str) and value.isascii() and "\r" not in value and "\n" not in value
                and len(name) + 2 + len(value) <= (self.max_line_length or 78)):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_POLICY = _Headers(linesep="\r\n")  # as messages travel (and the mailbox folder keeps them): CRLF line ends


def build_message(row: Notification, subject: str, text: str, html: str | None, *,
                  discreet: bool = False) -> Message:
    """The e-mail of an outbox row: text, and HTML as its alternative when there is one.

    Built with the classic (compat32) API of the email package, whose
    headers are plain strings: the modern EmailMessage parses every header it
    is given, about 1 ms a message, the better part of a delivery's time
    (bench/delivery.py). Non-ASCII text in a header is written as RFC 2047
    encoded words.
    """
    sender = discreet_sender() if discreet else current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = parseaddr(sender)
    domain = address.rpartition("@")[2] or "localhost"
    body = MIMEText(text, "plain", _BODY_CHARSET, policy=_POLICY)
    if html:
        message = MIMEMultipart("alternative", policy=_POLICY)
        message.attach(body)
        message.attach(MIMEText(html, "html", _BODY_CHARSET, policy=_POLICY))
    else:
        message = body
    message["Subject"] = _header(subject)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = _header(row.recipient_email)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(idstring=f"n{row.id}", domain=domain)
    message["Content-Language"] = notification_locale(row)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot
    return message


def _header(value: str) -> str | Header:
    """A header's value as it may travel: as it is when ASCII, else as encoded words."""
    return value if value.isascii() else Header(value, "utf-8")


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
    with get_backend().session() as sender:
        outcome = deliver_batch([notification_id], sender, now)
    if outcome.failures:
        raise outcome.failures[0]
    return "sent" if outcome.sent else "skipped"


@dataclass
class BatchOutcome:
    """What became of a batch's rows: how many went, how many were not ours to send, and each failure."""

    sent: int = 0
    skipped: int = 0
    failures: list[DeliveryFailed] = field(default_factory=list)


def deliver_batch(notification_ids: list[int], sender, now: datetime | None = None) -> BatchOutcome:
    """Claim these outbox rows and send those claimed through `sender` (a backend's session); flushes, the caller
    commits. As `deliver_notification` for each row (`claim`, then `send_claimed`)."""
    now = now or utcnow()
    notification_ids = list(dict.fromkeys(notification_ids))
    claims = claim(notification_ids, now)
    if len(claims) < len(notification_ids):
        logger.info("notifications %s: already handled, claimed elsewhere or not due",
                    sorted(set(notification_ids) - set(claims)))
    outcome = send_claimed(list(claims), sender, now)
    outcome.skipped += len(notification_ids) - len(claims)
    return outcome


def claim(notification_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Claim those of these rows that are due, in one UPDATE committed at once: {id: attempts} of those claimed.

    The compare-and-set of `deliver_notification`: a row claimed is this
    worker's to send until its lease runs out (timings.sending_lease); its
    attempts, counted by the claim, tell this claim from a later one (`renew`).
    """
    now = now or utcnow()
    if not notification_ids:
        return {}
    table = Notification.__table__
    statement = (
        update(table)
        .where(
            table.c.id.in_(notification_ids),
            table.c.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
            table.c.attempts < MAX_ATTEMPTS,
            or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        )
        .values(status=NotificationStatus.SENDING, attempts=table.c.attempts + 1,
                next_attempt_at=now + sending_lease())
        .returning(table.c.id, table.c.attempts)
    )
    with db.engine.begin() as connection:
        return dict(connection.execute(statement).all())


def renew(claims: dict[int, int], now: datetime | None = None) -> dict[int, int]:
    """Extend the lease of rows claimed a while ago (`claim`) that are still this claim's; those are returned.

    A task that claimed many rows sends them a batch at a time; a row whose
    lease ran out meanwhile may have been handed out again by the sweep and
    claimed by another worker, which counted one more attempt: that row is no
    longer ours, and is left out. One UPDATE, committed at once.
    """
    now = now or utcnow()
    if not claims:
        return {}
    table = Notification.__table__
    statement = (
        update(table)
        .where(tuple_(table.c.id, table.c.attempts).in_(list(claims.items())),
               table.c.status == NotificationStatus.SENDING)
        .values(next_attempt_at=now + sending_lease())
        .returning(table.c.id, table.c.attempts)
    )
    with db.engine.begin() as connection:
        return dict(connection.execute(statement).all())


def send_claimed(notification_ids: list[int], sender, now: datetime | None = None) -> BatchOutcome:
    """Send rows this worker has claimed through `sender` (a backend's session); flushes, the caller commits.

    In a fixed number of statements for the lot: one read of the rows and
    their recipients, one discretion check, one update of the rows sent. A
    failure is recorded on its row and returned, and the others go on. The
    caller commits after each batch: its rows are marked sent only then, so
    a worker that dies mid-batch sends that batch's rows again once their
    claim expires. Keep batches small (DELIVERY_BATCH).
    """
    now = now or utcnow()
    outcome = BatchOutcome()
    if not notification_ids:
        return outcome
    rows = db.session.scalars(
        select(Notification).where(Notification.id.in_(notification_ids)).order_by(Notification.id)
        .options(selectinload(Notification.recipient)).execution_options(populate_existing=True)
    ).all()
    # Rows deleted since they were claimed (their recipient's account was erased) are skipped.
    outcome.skipped = len(notification_ids) - len(rows)
    discreet = discreet_rows(rows)
    for row in rows:
        try:
            subject, text, html = render_notification(row, discreet=row in discreet)
            sender.send(build_message(row, subject, text, html, discreet=row in discreet))
        except Exception as exc:  # SMTP, network or template trouble: record it, try again later
            outcome.failures.append(_mark_failed(row, exc, now))
            continue
        row.status = NotificationStatus.SENT
        row.sent_at = utcnow()
        row.subject = subject[:300]
        row.last_error = None
        row.next_attempt_at = None
        outcome.sent += 1
        # The user's id, never the address: logs are kept and shipped where personal data must not go.
        logger.info("notification %s (%s) sent to user %s", row.id, row.kind, row.recipient_id)
    db.session.flush()
    return outcome


def is_permanent_refusal(exc: Exception) -> bool:
    """A 5xx SMTP answer for the recipient or the message; 4xx and network errors are temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return exc.smtp_code >= 500
    return False


def _mark_failed(row: Notification, exc: Exception, now: datetime) -> DeliveryFailed:
    """Record a failed try on the row (flushed with the batch); the DeliveryFailed that says when to try again."""
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
