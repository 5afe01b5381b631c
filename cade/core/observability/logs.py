"""Log lines as JSON (production) or text, each carrying the request id, and the task in a worker.

`configure_logging` sets up the root logger of a web process once; in a
Celery worker, Celery sets up its own handlers (it takes over the root logger)
and the `after_setup_logger`/`after_setup_task_logger` signals give those
handlers our formatter, so a worker's lines read like the web's. The fields
come from `ContextFilter`, put on each handler rather than on loggers: a
filter on a logger does not see the lines of its children.
"""

import logging
import sys
from datetime import datetime, timezone

from celery import signals
from celery._state import get_current_task
from flask import Flask
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from cade.core.observability.context import current_request_id

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

# Libraries that say too much at INFO: WeasyPrint logs each step of every PDF it renders.
QUIET_LOGGERS = {"weasyprint.progress": logging.WARNING}

# What the last app made in this process asked for; the worker's logging signals read it.
_settings = {"format": "text", "level": "INFO"}


class ContextFilter(logging.Filter):
    """Put the request id on every record, and the task's id and name while a Celery task runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        if request_id:
            record.request_id = request_id
        task = get_current_task()
        if task is not None and task.request.id:
            record.task_id = task.request.id
            record.task_name = task.name
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, request_id, then task_id/task_name."""

    def __init__(self):
        super().__init__(JSON_FIELDS, rename_fields=JSON_NAMES)

    def formatTime(self, record, datefmt=None) -> str:
        return datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")


def make_formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonLogFormatter()
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner swaps it), as logging's last resort does."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(app: Flask) -> None:
    """Set up the root logger of this process, once; leave it alone if someone else already has.

    A root logger with handlers that are not ours was configured on purpose
    (an operator's logging config, a test runner's capture): adding ours would
    print every line twice.
    """
    _settings.update(format=str(app.config.get("LOG_FORMAT") or "text").lower(),
                     level=str(app.config.get("LOG_LEVEL") or "INFO").upper())
    _connect_worker_signals()
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    # Flask's own handler on the app's logger ("cade") would print cade.* lines a second time, as text.
    app.logger.removeHandler(default_handler)
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if isinstance(handler, _StderrHandler)]
    if root.handlers and not ours:
        return
    handler = ours[0] if ours else _StderrHandler()
    _dress(handler)
    if not ours:
        root.addHandler(handler)
    root.setLevel(_settings["level"])


def _dress(handler: logging.Handler) -> None:
    handler.setFormatter(make_formatter(_settings["format"]))
    if not any(isinstance(existing, ContextFilter) for existing in handler.filters):
        handler.addFilter(ContextFilter())


def _connect_worker_signals() -> None:
    signals.after_setup_logger.connect(_dress_worker_logger, weak=False, dispatch_uid="cade.logs.worker")
    signals.after_setup_task_logger.connect(_dress_worker_logger, weak=False, dispatch_uid="cade.logs.task")


def _dress_worker_logger(sender=None, logger=None, **kwargs) -> None:
    for handler in getattr(logger, "handlers", []):
        _dress(handler)
