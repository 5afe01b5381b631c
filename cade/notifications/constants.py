"""Notification states."""

from enum import StrEnum


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


MAX_ATTEMPTS = 8
