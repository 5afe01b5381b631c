"""Configuration classes, read from the environment variables of DESIGN §7.

Every setting has an embedded default that needs no server (SQLite, a
SQLAlchemy-backed Celery broker, a file mailbox), so `make run` works on a
fresh machine; production sets the variables instead.
"""

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CADE_INSTANCE_PATH", BASE_DIR / "instance"))

load_dotenv(BASE_DIR / ".env")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def database_url(url: str) -> str:
    """Name the psycopg 3 driver for plain PostgreSQL URLs (as hosting platforms give them)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _beat_schedule() -> dict:
    return {
        # Every minute: after a broker outage or a worker crash, e-mail resumes within a minute (plus the
        # lease for a crash); each sweep is one indexed UPDATE/SELECT (2–5 ms over 50,000 rows).
        "resend-pending-notifications": {
            "task": "notifications.resend_pending",
            "schedule": timedelta(minutes=1),
        },
        "call-closing-reminders": {
            "task": "reminders.call_closing",
            "schedule": crontab(minute=15),
        },
        "review-due-reminders": {
            "task": "reminders.reviews_due",
            "schedule": crontab(minute=45),
        },
        "training-session-reminders": {
            "task": "training.session_reminders",
            "schedule": crontab(minute=5),
        },
        "training-assessment-follow-ups": {
            "task": "training.assessment_follow_ups",
            "schedule": crontab(minute=20, hour=7),
        },
        "sweep-stale-runs": {
            "task": "runs.sweep_stale",
            "schedule": timedelta(minutes=5),
        },
        "delete-expired-report-files": {
            "task": "reports.delete_expired",
            "schedule": crontab(minute=30, hour=3),
        },
        "award-offer-deadlines": {
            "task": "awards.offer_deadlines",
            "schedule": crontab(minute=35),
        },
        "grant-report-reminders": {
            "task": "grants.report_reminders",
            "schedule": crontab(minute=10, hour=6),
        },
        "document-expiry-reminders": {
            "task": "diligence.document_reminders",
            "schedule": crontab(minute=40, hour=6),
        },
        "travel-post-trip-reminders": {
            "task": "travel.post_trip_reminders",
            "schedule": crontab(minute=50, hour=6),
        },
        "clarification-reminders": {
            "task": "conversations.clarification_reminders",
            "schedule": crontab(minute=55, hour=6),
        },
        "open-data-regeneration": {
            "task": "reports.regenerate_open_data",
            "schedule": crontab(minute=25),
        },
        "monthly-funding-summary": {
            "task": "reports.monthly_summary",
            "schedule": crontab(minute=0, hour=6, day_of_month=1),
        },
    }


DEV_SECRET_KEY = "dev-only-secret-change-me"


class Config:
    ENV_NAME = "base"
    SECRET_KEY = _env("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(_env("DATABASE_URL", _sqlite_url("cade.sqlite")))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")

    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "CADE Grants <grants@localhost>")
    # Without MAIL_SERVER, e-mail is written to this folder and shown at /dev/mailbox.
    MAILBOX_PATH = _env("MAILBOX_PATH", str(INSTANCE_DIR / "mailbox"))

    # Where files live: "local" (STORAGE_PATH, a folder every web host and worker must share) or "s3"
    # (an S3-compatible bucket: AWS, MinIO, Ceph, Garage...), read by cade/core/storage.py.
    STORAGE_BACKEND = _env("STORAGE_BACKEND", "local")
    STORAGE_PATH = _env("STORAGE_PATH", str(INSTANCE_DIR / "files"))
    S3_BUCKET = _env("S3_BUCKET")
    S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL")  # unset for AWS itself
    S3_REGION = _env("S3_REGION", "us-east-1")
    S3_PREFIX = _env("S3_PREFIX", "")  # a folder inside the bucket, when the bucket is shared
    # Credentials: S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, or boto3's own chain (AWS_* variables, instance roles).
    S3_ACCESS_KEY_ID = _env("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = _env("S3_SECRET_ACCESS_KEY")
    # How many machines serve the web app. With more than one, files must be in shared storage (s3).
    WEB_HOSTS = int(_env("WEB_HOSTS", "1"))
    # How many processes serve the web app on this machine; gunicorn.conf.py sets it from its workers.
    WEB_PROCESSES = int(_env("CADE_WEB_PROCESSES", "1"))
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024  # one upload of 10 MB plus the form around it
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    APPLICATION_ATTACHMENTS_MAX_BYTES = 25 * 1024 * 1024
    REPORT_ATTACHMENTS_MAX_BYTES = 25 * 1024 * 1024  # all files of one grantee report together
    DOCUMENT_MAX_BYTES = 10 * 1024 * 1024  # one due-diligence document
    RESOURCE_MAX_BYTES = int(_env("RESOURCE_MAX_BYTES", str(50 * 1024 * 1024)))  # a training paper or slides

    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    # The JSON API's limits (cade/api): per token, and per address for the public endpoints.
    API_RATE_LIMIT = _env("API_RATE_LIMIT", "120/minute")
    API_PUBLIC_RATE_LIMIT = _env("API_PUBLIC_RATE_LIMIT", "60/minute")
    # How many proxies (load balancer, nginx) stand before the app and set X-Forwarded-*:
    # without it, every visitor has the proxy's address and shares one sign-in limit.
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
    RATELIMIT_HEADERS_ENABLED = True

    # Automatic assignment of a call with at most this many applications runs in the request;
    # a larger call is handed to a worker and the admin watches its progress.
    REVIEW_ASSIGN_INLINE_LIMIT = int(_env("REVIEW_ASSIGN_INLINE_LIMIT", "60"))
    # A background run that shows no sign of life (queued, claimed or progress reported) for this long
    # has lost its worker: the sweep hands it out once more, or marks it failed.
    RUN_STALE_AFTER = timedelta(minutes=int(_env("RUN_STALE_AFTER_MINUTES", "15")))
    # A compiled report's files (CSV, XLSX, PDF) are kept this many days, then deleted by beat.
    REPORT_KEEP_DAYS = int(_env("REPORT_KEEP_DAYS", "30"))
    # The currency of the monthly funding summary and of `flask compile-report` without --currency.
    REPORT_CURRENCY = _env("REPORT_CURRENCY", "USD")
    # An award offer may be accepted for this many days after its release; then it lapses.
    OFFER_ACCEPTANCE_DAYS = int(_env("OFFER_ACCEPTANCE_DAYS", "30"))
    # A capacity follow-up is due this many days after the last session of a course an organisation's member completed.
    ASSESSMENT_FOLLOW_UP_DAYS = int(_env("ASSESSMENT_FOLLOW_UP_DAYS", "90"))

    # Operations (cade/core/observability.py): log lines as JSON or text, the token that
    # guards /metrics (no token: /metrics answers 404), and Sentry when a DSN is set.
    # Where to report a vulnerability, as /.well-known/security.txt gives it (a mailto: or https: URI);
    # without it, security@ the domain of MAIL_DEFAULT_SENDER.
    SECURITY_CONTACT = _env("SECURITY_CONTACT")
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    METRICS_TOKEN = _env("METRICS_TOKEN")
    SENTRY_DSN = _env("SENTRY_DSN")
    SENTRY_TRACES_SAMPLE_RATE = float(_env("SENTRY_TRACES_SAMPLE_RATE", "0"))

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en", "fr", "es", "pt"]

    WTF_CSRF_TIME_LIMIT = None  # a draft written slowly on a bad connection must still save
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # Reset, resend-verification and sign-up answers take at least this long either way.
    ACCOUNT_ANSWER_FLOOR_SECONDS = 0.4
    # The verification link signs the person in: short-lived, like a sign-in should be.
    EMAIL_TOKEN_MAX_AGE = 48 * 3600
    RESET_TOKEN_MAX_AGE = 2 * 3600
    INVITATION_MAX_AGE = 14 * 24 * 3600

    # The soft lock (cade/accounts/services/signing_in.py): after this many wrong passwords or codes in a row an
    # account is locked for a minute, then twice as long after each further failure, at most SIGN_IN_LOCK_MAX seconds.
    SIGN_IN_LOCK_AFTER = int(_env("SIGN_IN_LOCK_AFTER", "5"))
    SIGN_IN_LOCK_MAX = int(_env("SIGN_IN_LOCK_MAX_SECONDS", "900"))
    # Two-factor sign-in (cade/accounts/two_factor.py). Roles whose holders must use a second factor: none by
    # default, administrators and reviewers in production (TWO_FACTOR_REQUIRED_ROLES="" turns it off).
    TWO_FACTOR_REQUIRED_ROLES = [r for r in (_env("TWO_FACTOR_REQUIRED_ROLES") or "").split(",") if r.strip()]
    TWO_FACTOR_ISSUER = _env("TWO_FACTOR_ISSUER", "CADE Grants")  # the name the authenticator app shows
    REMEMBER_DEVICE_DAYS = int(_env("REMEMBER_DEVICE_DAYS", "30"))  # at most 30: the issue's limit
    # Between the password and the code on the second step of signing in.
    TWO_FACTOR_PENDING_SECONDS = 300
    # Re-authentication (cade/accounts/reauth.py): how long a sign-in or a confirmation of the password (and
    # code) counts as recent enough for changing the e-mail, password or second factor, creating an API token,
    # deciding and releasing.
    REAUTH_MAX_AGE = int(_env("REAUTH_MAX_AGE_SECONDS", "900"))

    # Delivery timings (cade/notifications/timings.py). A row claimed by a worker that died is handed out
    # again after the lease; failed tries wait base × 2^(n-1), at most the cap; the sweep leaves rows younger
    # than the grace to the outbox's own enqueue. A retry never asks the broker to hold it longer than
    # MAX_RETRY_COUNTDOWN (nor half the visibility timeout): longer waits are the sweep's.
    NOTIFICATION_SENDING_LEASE = timedelta(seconds=int(_env("NOTIFICATION_SENDING_LEASE_SECONDS", "600")))
    NOTIFICATION_BACKOFF_BASE = timedelta(seconds=int(_env("NOTIFICATION_BACKOFF_BASE_SECONDS", "60")))
    NOTIFICATION_BACKOFF_CAP = timedelta(seconds=int(_env("NOTIFICATION_BACKOFF_CAP_SECONDS", "21600")))
    NOTIFICATION_SWEEP_GRACE = timedelta(seconds=int(_env("NOTIFICATION_SWEEP_GRACE_SECONDS", "60")))
    NOTIFICATION_MAX_RETRY_COUNTDOWN = timedelta(minutes=5)

    DEV_MAILBOX = False
    CELERY = {
        "broker_url": _env("CELERY_BROKER_URL", "sqla+" + _sqlite_url("celery-broker.sqlite")),
        "result_backend": _env(
            "CELERY_RESULT_BACKEND", "db+" + _sqlite_url("celery-results.sqlite")
        ),
        "task_ignore_result": True,
        # One queue per deployment (or per test run sharing a broker): workers listen on it (`-Q`).
        "task_default_queue": _env("CELERY_QUEUE", "celery"),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Redis hands an unacknowledged message to another worker after this long: it must exceed every
        # countdown a task asks for (cade/notifications/constants.py: MAX_RETRY_COUNTDOWN), or a task
        # waiting for its retry would run twice. A worker killed mid-task is covered sooner by the sweeps
        # (notifications.resend_pending, runs.sweep_stale), which work from the database, not the broker.
        # A broker that accepts the connection but never answers must not hold a request (or /readyz) for
        # minutes: Redis socket timeouts of 3 s, after which the outbox leaves the rows to the sweep.
        "broker_transport_options": {"visibility_timeout": int(_env("CELERY_VISIBILITY_TIMEOUT", "3600")),
                                     "socket_timeout": 3, "socket_connect_timeout": 3},
        "broker_connection_retry_on_startup": True,
        "beat_schedule": _beat_schedule(),
        "timezone": "UTC",
    }


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    # The mailbox page shows everyone's e-mail, reset links included: never beside a real mail server.
    DEV_MAILBOX = Config.MAIL_SERVER is None


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = database_url(_env("TEST_DATABASE_URL", _sqlite_url("test.sqlite")))
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    MAIL_SERVER = None
    DEV_MAILBOX = True
    RATELIMIT_ENABLED = False
    ACCOUNT_ANSWER_FLOOR_SECONDS = 0  # the timing test sets its own floor
    SERVER_NAME = None
    CELERY = dict(Config.CELERY, task_always_eager=False, broker_url="memory://",
                  result_backend="cache+memory://")


class ProductionConfig(Config):
    ENV_NAME = "production"
    LOG_FORMAT = _env("LOG_FORMAT", "json")
    BASE_URL = _env("BASE_URL")  # no default: links in e-mails must name the public site
    # No default: counters kept in one process's memory are not shared by gunicorn's workers.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI")
    DEV_MAILBOX = False
    # Cookies only over HTTPS. The production-shaped test sets this false: it serves plain HTTP on loopback.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"
    TWO_FACTOR_REQUIRED_ROLES = [r.strip() for r in (_env("TWO_FACTOR_REQUIRED_ROLES", "admin,reviewer") or "").split(",")
                                 if r.strip()]


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[_env("CADE_ENV", "development")]
