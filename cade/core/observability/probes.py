"""Is the database, the broker, the storage there? Each question answered within a deadline.

/healthz, /readyz and /metrics ask these. A dependency that hangs (a host
that drops packets rather than refusing) must not hang the probe: the checks
run side by side, each in a thread of its own, and one still running at the
deadline counts as failed, while its own connect timeouts end its thread soon
after. A refused connection fails at once: no retry, no back-off.
"""

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from cade.core.storage import get_storage
from cade.extensions import db

logger = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
# What the broker connection of a probe may take: it must fail well inside CHECK_SECONDS.
BROKER_TIMEOUTS = {"connect_timeout": 2, "transport_options": {"socket_connect_timeout": 2, "socket_timeout": 2}}


class ProbeTimeout(TimeoutError):
    pass


class _Attempt(threading.Thread):
    def __init__(self, name: str, fn: Callable[[], object]):
        super().__init__(name=f"cade-probe-{name}", daemon=True)
        self.fn, self.value, self.error = fn, None, None

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as exc:  # handed to the caller
            self.error = exc


def within(seconds: float, calls: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run the calls side by side; each name maps to its result, or to the exception it raised or ProbeTimeout."""
    attempts = {name: _Attempt(name, fn) for name, fn in calls.items()}
    for attempt in attempts.values():
        attempt.start()
    deadline = time.monotonic() + seconds
    outcomes: dict[str, object] = {}
    for name, attempt in attempts.items():
        attempt.join(max(0.0, deadline - time.monotonic()))
        if attempt.is_alive():
            outcomes[name] = ProbeTimeout(f"no answer within {seconds:g}s")
        else:
            outcomes[name] = attempt.error if attempt.error is not None else attempt.value
    return outcomes


def check(app: Flask, names: list[str]) -> dict[str, bool]:
    """True for each of the named dependencies ("database", "broker", "storage") that answered in time."""
    outcomes = within(CHECK_SECONDS, {name: _CHECKS[name](app) for name in names})
    results = {}
    for name in names:
        failure = outcomes[name]
        results[name] = not isinstance(failure, BaseException)
        if not results[name]:  # one line, not a traceback: a probe repeats every few seconds during an outage
            logger.warning("probe: %s unavailable: %s", name, describe(failure))
    return results


def describe(error: BaseException) -> str:
    """An error in one line for the log ("OperationalError: connection refused"): outages repeat, tracebacks would flood."""
    cause = getattr(error, "orig", None) or error
    return f"{type(cause).__name__}: {next(iter(str(cause).strip().splitlines()), '')}"


def in_app(app: Flask, fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` to be run in a thread of its own, inside an app context (with a database session of its own)."""

    def run():
        with app.app_context():  # a session of its own, removed when the context ends
            return fn()

    return run


def _database(app: Flask):
    return in_app(app, lambda: db.session.execute(text("SELECT 1")).scalar())


def _broker(app: Flask):
    celery_app = app.extensions["celery"]

    def connect() -> None:
        with celery_app.connection_for_write(**BROKER_TIMEOUTS) as conn:
            conn.ensure_connection(max_retries=0)

    return connect


def _storage(app: Flask):
    return in_app(app, lambda: get_storage().ping())


_CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def queue_names(celery_app) -> list[str]:
    """The queues workers read: those configured, or Celery's default one."""
    names = [queue.name for queue in celery_app.conf.task_queues or []]
    return names or [celery_app.conf.task_default_queue]


def queue_depths(app: Flask) -> dict[str, int]:
    """Messages waiting in each queue, asked of the broker itself. Raises if it does not answer in time.

    A passive queue_declare answers with the count on every transport Celery
    uses (AMQP's own count; kombu's Redis transport adds up the lists of the
    queue's priorities; the SQLAlchemy and memory transports count their rows
    or items); a queue that does not exist yet holds nothing.
    """
    celery_app = app.extensions["celery"]

    def ask() -> dict[str, int]:
        depths = {}
        with celery_app.connection_for_read(**BROKER_TIMEOUTS) as conn:
            conn.ensure_connection(max_retries=0)
            for name in queue_names(celery_app):
                channel = conn.channel()
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except conn.channel_errors:  # NOT_FOUND: no worker has declared it, no one has sent to it
                    depths[name] = 0
                finally:
                    _close_quietly(channel)
        return depths

    outcome = within(CHECK_SECONDS, {"queues": ask})["queues"]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _close_quietly(channel) -> None:
    try:
        channel.close()
    except Exception:  # a channel the broker already closed (after NOT_FOUND) has nothing left to close
        pass
