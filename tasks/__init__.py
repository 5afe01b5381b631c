"""Celery tasks by domain; importing this package registers them all."""

from tasks import awards, diligence, grants, notifications, reminders, reports, reviews, runs, training, travel  # noqa: F401
