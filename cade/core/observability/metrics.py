"""Prometheus metrics: request latency by route, and the state of the queues, the outbox and the runs.

Latency is observed in this process; under gunicorn every worker writes its
figures to PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py empties it at start and
marks dead workers) and a scrape adds them up, whichever worker answers.
Routes are labelled by their URL rule ("/calls/<int:call_id>"), never the
raw path, so the number of series stays bounded; a path no rule matched is
"unmatched".

The gauges (messages waiting in the Celery queues, outbox rows pending or
failed, background runs by status) are read at scrape time by
`StateCollector`: one GROUP BY each, and one broker round trip with a short
deadline. No thread runs between scrapes. A source that does not answer is
reported by `cade_metrics_source_up{source=...} 0`, and its figures are left
out rather than shown as zeros.
"""

import hmac
import logging
import os
import time

from flask import Flask, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from cade.core.observability import probes
from cade.core.runs.models import Run, RunStatus
from cade.extensions import db
# Notifications sits beside core at the ground of the stack: the outbox's table is read here, as a report
# reads it, and nothing else in core depends on it.
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification

logger = logging.getLogger(__name__)

# The exposition format `generate_latest` writes, named the way prometheus_client names it.
CONTENT_TYPE = CONTENT_TYPE_LATEST
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OUTBOX_WAITING = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)
# Seconds; a page takes tens of milliseconds, a PDF or a large ranking several seconds, a slow upload minutes.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

# Not in prometheus_client's global registry: each scrape builds its own (see `scrape`).
REQUEST_SECONDS = Histogram(
    "cade_http_request_duration_seconds", "Time taken to answer a request, by route, method and status class.",
    ["route", "method", "status"], buckets=BUCKETS, registry=None,
)


def init_app(app: Flask) -> None:
    # Second of the hooks (the request id is first): the time counts everything the other hooks do.
    app.before_request_funcs.setdefault(None, []).insert(1, _start_timer)
    app.after_request(_observe)


def _start_timer() -> None:
    g._request_started = time.perf_counter()


def _observe(response):
    started = g.get("_request_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in METHODS else "OTHER"
        REQUEST_SECONDS.labels(route, method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
    return response


def token_allows(authorization: str | None, token: str) -> bool:
    """True if the header is `Bearer <token>`; compared in constant time, so a guess learns nothing from timing."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def scrape(app: Flask) -> bytes:
    """The text exposition of every metric, summed over this host's worker processes when there are several."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(StateCollector(app))
    return generate_latest(registry)


class StateCollector:
    """The gauges read at scrape time from the database and the broker."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        up = GaugeMetricFamily("cade_metrics_source_up",
                               "1 if the source answered this scrape; 0 if not, and its figures are missing.",
                               labels=["source"])
        database = self._database_figures()
        up.add_metric(["database"], 0 if database is None else 1)
        if database is not None:
            yield from database
        queues = self._queue_figures()
        up.add_metric(["broker"], 0 if queues is None else 1)
        if queues is not None:
            yield queues
        yield up

    def _database_figures(self) -> list[GaugeMetricFamily] | None:
        outcome = probes.within(probes.CHECK_SECONDS, {"counts": probes.in_app(self.app, _count_rows)})["counts"]
        if isinstance(outcome, BaseException):
            logger.warning("metrics: database unavailable, outbox and run figures left out: %s",
                           probes.describe(outcome))
            return None
        outbox, runs = outcome
        notifications = GaugeMetricFamily(
            "cade_outbox_notifications",
            "Outbox notifications not yet sent: pending (waiting for a worker), sending (claimed), "
            "failed (waiting for their next try, or given up after the last one).",
            labels=["status"])
        for status in OUTBOX_WAITING:
            notifications.add_metric([str(status)], outbox.get(status, 0))
        run_gauge = GaugeMetricFamily("cade_runs", "Background runs (reports, assignments) by status.",
                                      labels=["status"])
        for status in RunStatus:
            run_gauge.add_metric([str(status)], runs.get(status, 0))
        return [notifications, run_gauge]

    def _queue_figures(self) -> GaugeMetricFamily | None:
        try:
            depths = probes.queue_depths(self.app)
        except Exception as exc:
            logger.warning("metrics: broker unavailable, queue depth left out: %s", probes.describe(exc))
            return None
        gauge = GaugeMetricFamily("cade_queue_messages", "Messages waiting in a Celery queue for a worker.",
                                  labels=["queue"])
        for name, depth in sorted(depths.items()):
            gauge.add_metric([name], depth)
        return gauge


def _count_rows() -> tuple[dict, dict]:
    """Outbox rows not yet sent, and runs, each counted by status in one GROUP BY."""
    outbox = db.session.execute(select(Notification.status, func.count())
                                .where(Notification.status.in_(OUTBOX_WAITING)).group_by(Notification.status))
    runs = db.session.execute(select(Run.status, func.count()).group_by(Run.status))
    return dict(outbox.all()), dict(runs.all())


def metrics_token() -> str | None:
    return current_app.config.get("METRICS_TOKEN") or None
