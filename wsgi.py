"""Entry point for gunicorn, `flask --app wsgi` and `celery -A wsgi.celery_app`."""

from cade import create_app

app = create_app()
celery_app = app.extensions["celery"]

import tasks  # noqa: E402,F401  (registers every Celery task with celery_app)
