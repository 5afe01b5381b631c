"""Operations: structured logs with a request id carried into Celery, probes, Prometheus metrics, Sentry.

`init_app(app)` is the one entry point (cade/wiring.py calls it). The pages
that show the results, /healthz, /readyz and /metrics, are in
cade/core/views.py; the friendly 503 for a database that cannot be reached
is there too, and asks `outages.is_database_unavailable`.
"""

from flask import Flask

from cade.core.observability import context, logs, metrics, sentry
from cade.core.observability.context import HEADER as REQUEST_ID_HEADER, current_request_id
from cade.core.observability.outages import is_database_unavailable

__all__ = ["REQUEST_ID_HEADER", "current_request_id", "init_app", "is_database_unavailable"]

_KEY = "cade.observability"


def init_app(app: Flask) -> None:
    """Logging, request ids, request metrics and Sentry for `app`; a second call for the same app does nothing."""
    if app.extensions.get(_KEY):
        return
    logs.configure_logging(app)
    context.init_app(app)
    metrics.init_app(app)
    app.extensions[_KEY] = {"sentry": sentry.init_sentry(app)}
