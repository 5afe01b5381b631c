"""Notification states and the timings of delivery (defaults; cade/notifications/timings.py reads the configuration)."""

from datetime import timedelta
from enum import StrEnum


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


# Tries per notification; after the last one the row stays failed for good (and admins may send it again).
# With the back-off below the 16th try comes about 44 hours after the first: a mail server down for
# a weekend day heals by itself. (Eight tries, as before, gave up after two hours, never reaching the cap.)
MAX_ATTEMPTS = 16
# Wait after the n-th failed try: BACKOFF_BASE * 2**(n-1), at most BACKOFF_CAP.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# A claimed row whose worker has not finished within this time is presumed
# lost (the worker crashed mid-send) and is handed out again by the sweep.
SENDING_LEASE = timedelta(minutes=10)
# The sweep leaves fresh rows to the outbox's own after-commit enqueue.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500
# The longest countdown a delivery task asks the broker to wait before its retry. A message
# waiting longer than the broker allows is handed out twice (Redis's visibility_timeout) or
# closes the worker's channel (RabbitMQ's consumer_timeout, 30 minutes by default); longer
# waits are left to the sweep, which reads next_attempt_at from the row.
MAX_RETRY_COUNTDOWN = timedelta(minutes=5)

DELIVER_TASK = "notifications.deliver"
DELIVER_MANY_TASK = "notifications.deliver_many"  # one message for many rows; see outbox.py
# Rows a delivery task claims, sends over its one SMTP connection and marks sent together, one commit a
# batch: a worker that dies mid-batch sends at most this many again once their claim expires.
DELIVERY_BATCH = 25
INBOX_PAGE_SIZE = 20
FAILED_PAGE_SIZE = 50


def backoff(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """How long to wait after the `attempts`-th failed try (exponential, capped)."""
    return min(base * 2 ** max(attempts - 1, 0), cap)
