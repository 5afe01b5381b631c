"""The timings of delivery as this deployment sets them: the configuration, else the defaults of constants.py.

Each is read when it is needed (not at import), so that an operator can
change one without a code change and a fault test can shorten them for its
own worker. The keys hold timedeltas, like RUN_STALE_AFTER.
"""

from datetime import timedelta

from flask import current_app

from cade.notifications.constants import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_RETRY_COUNTDOWN,
    SENDING_LEASE,
    SWEEP_GRACE,
)
from cade.notifications.constants import backoff as _backoff


def _setting(key: str, default: timedelta) -> timedelta:
    value = current_app.config.get(key)
    return default if value is None else value


def sending_lease() -> timedelta:
    """How long a worker's claim on a row lasts before the sweep presumes the worker dead."""
    return _setting("NOTIFICATION_SENDING_LEASE", SENDING_LEASE)


def sweep_grace() -> timedelta:
    """How old a never-tried row must be before the sweep, not the outbox's own enqueue, sends it."""
    return _setting("NOTIFICATION_SWEEP_GRACE", SWEEP_GRACE)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: NOTIFICATION_BACKOFF_BASE doubled each time, at most ..._CAP."""
    return _backoff(attempts, _setting("NOTIFICATION_BACKOFF_BASE", BACKOFF_BASE),
                    _setting("NOTIFICATION_BACKOFF_CAP", BACKOFF_CAP))


def max_retry_countdown() -> timedelta:
    """The longest retry countdown a delivery task may ask for.

    MAX_RETRY_COUNTDOWN, and never more than half the broker's visibility
    timeout: an operator who shortens that one must not bring back the
    double delivery the cap exists to prevent.
    """
    cap = _setting("NOTIFICATION_MAX_RETRY_COUNTDOWN", MAX_RETRY_COUNTDOWN)
    options = current_app.config.get("CELERY", {}).get("broker_transport_options") or {}
    visibility = options.get("visibility_timeout")
    if visibility:
        cap = min(cap, timedelta(seconds=visibility) / 2)
    return cap
