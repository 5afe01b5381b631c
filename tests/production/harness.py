"""A production-shaped deployment on this machine, started for one test module and stopped after it.

Two gunicorn masters stand for two web hosts (two sync processes each), two
Celery workers and one beat run beside them, all as separate processes started
the way docs/deploy.md starts them (`gunicorn -c gunicorn.conf.py wsgi:app`,
`celery -A wsgi.celery_app worker|beat`) with CADE_ENV=production and the
production variables, so that the app's own refusal of unsafe settings
(cade/core/production.py) guards the test as it guards a deployment. The
database is a copy of one the real migrations built (`flask --app wsgi db
upgrade`); files go to a bucket on an S3 protocol server (or one shared folder,
STORAGE_MODE); e-mail goes to an aiosmtpd sink in the test process; the broker
is Redis or a RabbitMQ vhost of the run's own.

Every process writes its own log file; `Deployment.logs()` shows their ends,
which is what a failing test prints. Nothing here is mocked: what fails here
would fail for an organisation running the same commands.
"""

import os
import json
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
import requests
from sqlalchemy.engine import make_url

from tests.processes import ManagedProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Where the two web hosts keep files: the single switch. "s3": a bucket on an S3 protocol server (moto, through
# tests/s3server.py), WEB_HOSTS=2, as two machines would. "local": one folder both hosts share, WEB_HOSTS=1
# (the app refuses local files on two declared hosts).
STORAGE_MODE = "s3"

# What the processes take from the test's own environment: the system's, nothing of the app's or the suite's.
SYSTEM_VARIABLES = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV"}
READY_SECONDS = 45
STOP_SECONDS = 15
LOG_TAIL = 4000


class DeploymentFailed(AssertionError):
    """A process did not start, or died: the message carries every process's log."""


@dataclass
class Broker:
    """The broker of one run: its URL, and the queue the web processes publish to and the workers consume."""

    kind: str
    url: str
    queue: str | None  # None: the default queue, in a RabbitMQ vhost of the run's own


def pg_admin_url() -> str:
    """The `postgres` database on the server TEST_DATABASE_URL names (where databases are created)."""
    return make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql", database="postgres") \
        .render_as_string(hide_password=False)


def _database_url(name: str) -> str:
    return make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql", database=name) \
        .render_as_string(hide_password=False)


def _admin_execute(statement: str) -> None:
    with psycopg.connect(pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


@contextmanager
def migrated_template(tag: str, workdir: Path):
    """A database built by the real migrations (`flask --app wsgi db upgrade`, production settings), dropped after.

    The deployments of one test module are copies of it (`fresh_database(template=...)`): PostgreSQL copies
    a database in a fraction of the seconds the migrations take, and every copy is what they built.
    """
    name = f"{make_url(os.environ['TEST_DATABASE_URL']).database}_prod_{tag}_template"
    _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        env = production_env(secret_key=secrets.token_urlsafe(48), database_url=_database_url(name),
                             broker_url=redis_url(), base_url="http://127.0.0.1", smtp_port=25,
                             instance=workdir / "migrations-instance")
        log = workdir / "migrations.log"
        with log.open("wb") as out:
            code = subprocess.call([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, timeout=300)
        if code != 0:
            raise DeploymentFailed(f"`flask db upgrade` exited with {code}:\n{log.read_text()[-LOG_TAIL:]}")
        yield name
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(tag: str, template: str):
    """A new database, a copy of `template`, named after the suite's own (cade_test_prod_<tag>); dropped after."""
    name = f"{make_url(os.environ['TEST_DATABASE_URL']).database}_prod_{tag}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _database_url(name)
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_url() -> str:
    """The Redis db the services pass uses (TEST_BROKER_URL): the rate limits, and the Redis broker run."""
    return os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@contextmanager
def redis_broker(tag: str):
    """A queue of the run's own (CELERY_QUEUE) on the services pass's Redis db, deleted afterwards."""
    queue = f"cade-prod-{tag}"
    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=3)
    client.ping()
    try:
        yield Broker("redis", redis_url(), queue)
    finally:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


def address_prefix(tag: str) -> str:
    """The first three bytes of the run's people's IP addresses (10.x.y.): their sign-in limits are theirs alone."""
    return f"10.{int(tag[:2], 16)}.{int(tag[2:4], 16)}."


def forget_rate_limits(tag: str) -> None:
    """Delete the sign-in counters this run left in Redis (keyed by its addresses, or by e-mails naming the tag)."""
    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=3)
    try:
        for pattern in (f"LIMITS:*{tag}*", f"LIMITS:*/{address_prefix(tag)}*"):
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def amqp_url() -> str:
    """The local RabbitMQ, without a vhost (TEST_AMQP_URL, else the guest account on 127.0.0.1:5672)."""
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672").rstrip("/")


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def rabbitmq_broker(tag: str):
    """A vhost of the run's own on the local RabbitMQ (deleted after): queues, exchanges and all go with it."""
    vhost = f"cade_prod_{tag}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield Broker("rabbitmq", f"{amqp_url()}/{vhost}", None)  # the vhost is the run's own: its default queue too
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def rabbitmq_answers() -> str | None:
    """None when RabbitMQ accepts the guest login on 127.0.0.1:5672; else why not."""
    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl is not installed"
    from kombu import Connection

    url = amqp_url() + "/"
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001  (any reason is a reason to report)
        return f"RabbitMQ does not answer at {Connection(url).as_uri()}: {exc}"
    return None


def production_env(*, secret_key: str, database_url: str, broker_url: str, base_url: str, smtp_port: int,
                   instance: Path) -> dict:
    """The variables of docs/deploy.md as a production process gets them; the test's own settings left out."""
    env = {key: value for key, value in os.environ.items() if key in SYSTEM_VARIABLES or key.startswith("LC_")}
    env.update(
        CADE_ENV="production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        RATELIMIT_STORAGE_URI=redis_url(),
        BASE_URL=base_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_USE_TLS="false",
        MAIL_USERNAME="",
        MAIL_DEFAULT_SENDER="CADE Grants <grants@cade.example>",
        SESSION_COOKIE_SECURE="false",  # plain HTTP on loopback; everything else as in production
        PROXY_COUNT="1",  # the test plays the reverse proxy: it sets X-Forwarded-For per person
        LOG_LEVEL="INFO",
        SENTRY_DSN="",
        METRICS_TOKEN="",
        CADE_INSTANCE_PATH=str(instance),
        PYTHONUNBUFFERED="1",
    )
    return env


class Deployment:
    """Two web hosts, two workers and beat on one database, one broker and one SMTP sink."""

    def __init__(self, workdir: Path, *, database_url: str, broker: Broker, smtp_port: int, tag: str):
        self.workdir, self.database_url, self.broker, self.smtp_port, self.tag = (
            workdir, database_url, broker, smtp_port, tag)
        self.ports = [free_port(), free_port()]
        self.hosts = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.services: list[ManagedProcess] = []
        self.s3: dict | None = None
        self._stop_s3 = None
        self.timings: dict[str, float] = {}
        self.secret_key = f"production-test-{tag}-" + secrets.token_urlsafe(40)  # one for every process

    # ------------------------------------------------------------------ the environment

    def env(self, **extra: str) -> dict:
        """The production variables every process gets (docs/deploy.md), plus `extra`."""
        env = production_env(secret_key=self.secret_key, database_url=self.database_url, broker_url=self.broker.url,
                             base_url=self.hosts[0], smtp_port=self.smtp_port, instance=self.workdir / "instance")
        if self.broker.queue:
            env["CELERY_QUEUE"] = self.broker.queue
        if STORAGE_MODE == "s3":
            env.update(WEB_HOSTS="2", **self.s3)
        else:
            env.update(WEB_HOSTS="1", STORAGE_BACKEND="local", STORAGE_PATH=str(self.workdir / "shared-files"))
        env.update(extra)
        return env

    # ------------------------------------------------------------------ starting and stopping

    def start(self) -> None:
        started = time.monotonic()
        if STORAGE_MODE == "s3":
            self._start_s3()
        for index, port in enumerate(self.ports):
            name = "host-" + "AB"[index]
            home = self.workdir / name
            home.mkdir(parents=True, exist_ok=True)
            # No control socket: by default every master on a machine opens the same one (~/.gunicorn), and
            # stopping it costs each master seconds.
            self._spawn(name, [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"],
                        BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2",
                        CADE_INSTANCE_PATH=str(home / "instance"), PROMETHEUS_MULTIPROC_DIR=str(home / "metrics"))
        queue = ["-Q", self.broker.queue] if self.broker.queue else []
        for number in (1, 2):
            self._spawn(f"worker-{number}", [str(BIN / "celery"), "-A", "wsgi.celery_app", "worker", "--concurrency",
                                             "2", "-n", f"w{number}-{self.tag}@%h", "--loglevel", "INFO", *queue])
        self._spawn("beat", [str(BIN / "celery"), "-A", "wsgi.celery_app", "beat", "-s",
                             str(self.workdir / "beat-schedule"), "--loglevel", "INFO"])
        self._wait_ready()
        self.timings["start"] = time.monotonic() - started

    def _spawn(self, name: str, command: list[str], **extra: str) -> ManagedProcess:
        service = ManagedProcess(name, command, env=self.env(**extra), log_path=self.workdir / f"{name}.log")
        service.start()
        self.services.append(service)
        return service

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        waiting = {service.name for service in self.services}
        while waiting and time.monotonic() < deadline:
            for service in self.services:
                if service.name not in waiting:
                    continue
                if not service.alive:
                    raise DeploymentFailed(f"{service.name} exited with {service.returncode} while "
                                           f"starting.\n{self.logs()}")
                if self._ready(service):
                    waiting.discard(service.name)
            time.sleep(0.1)
        if waiting:
            raise DeploymentFailed(f"not ready within {READY_SECONDS}s: {', '.join(sorted(waiting))}.\n{self.logs()}")

    def _ready(self, service: ManagedProcess) -> bool:
        if service.name.startswith("host-"):
            url = self.hosts["AB".index(service.name[-1])] + "/healthz"
            try:
                return requests.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                return False
        if service.name.startswith("worker-"):
            return re.search(rf"w{service.name[-1]}-{self.tag}@\S+ ready\.", service.text()) is not None
        return "beat: Starting..." in service.text()

    def stop(self) -> None:
        """SIGTERM to every main process (each stops its own children), then SIGKILL to what is left of its group."""
        started = time.monotonic()
        for service in self.services:  # all asked at once: the deployment stops in its slowest's time, not the sum
            if service.alive:
                service.signal(signal.SIGTERM, group=False)
        deadline = time.monotonic() + STOP_SECONDS
        for service in self.services:
            service.finish(timeout=max(0.1, deadline - time.monotonic()))
        if self._stop_s3 is not None:
            self._stop_s3()
        self.timings["stop"] = time.monotonic() - started

    def dead(self) -> list[str]:
        """The processes that have exited although nothing stopped them."""
        return [f"{service.name} (exit {service.returncode})" for service in self.services if not service.alive]

    def logs(self) -> str:
        return "\n".join(f"===== {service.name} ({service.log_path}) =====\n{service.log_tail(LOG_TAIL)}"
                         for service in self.services)

    # ------------------------------------------------------------------ what the processes wrote

    def access_log(self) -> list[str]:
        """The gunicorn access-log lines of both hosts (the request line in quotes, then status and bytes).

        In production gunicorn writes each line as a JSON object (gunicorn.conf.py); the access line is its message.
        """
        lines = []
        for service in self.services:
            if service.name.startswith("host-"):
                for line in service.text().splitlines():
                    if line.startswith("{"):
                        line = str(json.loads(line).get("message", ""))
                    if re.search(r'"[A-Z]+ \S+ HTTP/[\d.]+" \d{3} ', line):
                        lines.append(line)
        return lines

    def server_errors(self) -> list[str]:
        return [line for line in self.access_log() if re.search(r'HTTP/[\d.]+" 5\d\d ', line)]

    def stored_files(self) -> int:
        """How many files the deployment's storage holds: objects in the bucket, or files in the shared folder."""
        if STORAGE_MODE == "s3":
            from tests.s3server import client_for

            listing = client_for(self.s3["S3_ENDPOINT_URL"]).list_objects_v2(Bucket=self.s3["S3_BUCKET"])
            return listing.get("KeyCount", 0)
        return sum(1 for path in (self.workdir / "shared-files").rglob("*") if path.is_file())

    # ------------------------------------------------------------------ S3

    def _start_s3(self) -> None:
        """An S3 protocol server (moto, tests/s3server.py) with a bucket of the run's own, for both hosts."""
        from tests.s3server import s3_config, start_s3_server

        bucket = f"cade-prod-{self.tag}"
        endpoint_url, self._stop_s3 = start_s3_server(bucket=bucket)
        self.s3 = s3_config(endpoint_url, bucket=bucket)


def run_tag() -> str:
    return uuid.uuid4().hex[:8]
