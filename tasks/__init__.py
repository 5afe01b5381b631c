"""Celery tasks by domain; importing this package registers them all."""

from tasks import awards, grants, notifications, reminders, reports, reviews, runs, training  # noqa: F401
