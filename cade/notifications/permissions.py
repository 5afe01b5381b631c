"""Who may see which notification."""


def can_read_notification(user, notification) -> bool:
    """Only the recipient, and only in-app notifications: an inbox is private."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and notification is not None
        and notification.in_app
        and notification.recipient_id == user.id
    )
