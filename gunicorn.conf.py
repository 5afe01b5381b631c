"""gunicorn settings for production (`make serve`, docs/deploy.md).

Every value can be changed by an environment variable, so that one file serves
a small VM and a large one. gunicorn reads this file in its master process,
before it forks the workers that import `wsgi:app`.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")

# Sync workers: each request holds one process, so a slow upload on a bad connection holds one,
# not the site. Twice the cores plus one is gunicorn's own advice for mostly-waiting work.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# A request that takes longer than this is killed and logged: a PDF or a ranking page can take seconds,
# a stuck one must not hold its process for ever. Uploads of 10 MB at 256 kbit/s take about 5 minutes,
# so the timeout is long; nginx's client_body_buffering keeps slow uploads off the workers (deploy.md).
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (with jitter, so they do not all restart together):
# a slow leak in a library cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# The app reads X-Forwarded-* itself, from exactly PROXY_COUNT proxies (werkzeug's ProxyFix in
# cade/__init__.py), so gunicorn must not trust them from anyone: a client could otherwise claim any
# address and escape the sign-in limits.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

# Access log to stdout (journald or the container runtime keeps it): the request id, the client as the
# app sees it, the request, status, bytes sent and the time taken in microseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT",
    '%({x-request-id}o)s %({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"',
)

# gunicorn's control socket (for `gunicornc`) is off unless a path is given: by default every master
# on a machine would share ~/.gunicorn/gunicorn.ctl, and systemd's ProtectHome forbids it anyway.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# In production (LOG_FORMAT=json, its default there) gunicorn's own lines are JSON objects too, like the
# app's: one log format for the log collector to parse. The access line keeps its fields in `message`.
if os.environ.get("LOG_FORMAT", "json" if os.environ.get("CADE_ENV") == "production" else "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "cade.core.observability.logs.JsonLogFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
                     "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        # The root logger is left to the app, which adds its own handler (with the request id) in each worker.
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
                    "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False}},
    }

# The app refuses SQLite and in-process rate-limit counters under several processes
# (cade/core/production.py); it learns how many there are from this variable.
os.environ["CADE_WEB_PROCESSES"] = str(workers)

# Prometheus counters of all workers are summed from files in this folder (cade/core/observability/metrics.py).
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _metrics_dir:
        os.makedirs(_metrics_dir, exist_ok=True)
        for name in os.listdir(_metrics_dir):  # counters of a previous run must not be added to this one's
            if name.endswith(".db"):
                os.unlink(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
