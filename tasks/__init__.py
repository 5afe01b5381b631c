"""Celery tasks by domain; importing this package registers them all."""

from tasks import (  # noqa: F401
    awards, conversations, diligence, grants, notifications, reminders, reports, reviews, runs, training, travel,
)
