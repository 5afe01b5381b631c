"""Operations with real services and processes: a Celery worker logging a request's id, gunicorn's workers
summing their metrics, and queue depth on Redis and RabbitMQ.

These run on the services pass only (TEST_DATABASE_URL set: PostgreSQL, with
Redis and RabbitMQ beside it); there, in CI (CI=true), a missing Redis or
RabbitMQ fails them instead of skipping. Each test starts what it needs and
stops it: a worker on a queue of its own, two gunicorn workers on a free port.
"""

import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from celery import Celery
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from tests.core.observed import AUTH, build_app, dispose
from tests.notifications.smtp_sink import SMTPSink
from tests.processes import ManagedProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
WAIT_SECONDS = 40

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="runs on the services pass (TEST_DATABASE_URL: PostgreSQL, with Redis and RabbitMQ)",
)


def require_broker(url: str) -> None:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{url.split('://')[0]} must run in CI for this test: {exc}")
        pytest.skip(f"{url.split('@')[-1]} is not answering: {exc}")


@pytest.fixture(scope="module")
def ops_app(app):
    made = build_app(app)
    yield made
    dispose(made)


def use_broker(ops_app, monkeypatch, url: str, queue: str) -> Celery:
    celery_app = Celery("ops-services", set_as_current=False)
    celery_app.config_from_object(dict(ops_app.config["CELERY"], broker_url=url, task_default_queue=queue))
    celery_app.task(name="tests.ops.say")(_say)
    monkeypatch.setitem(ops_app.extensions, "celery", celery_app)
    return celery_app


def _say(word: str) -> None:
    return None


def read_json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


# --- queue depth on the real brokers ----------------------------------------------------------------------


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_queue_depth_counts_what_waits_on_the_broker(ops_app, db, monkeypatch, broker):
    url = REDIS_URL if broker == "redis" else RABBITMQ_URL
    require_broker(url)
    queue = f"cade-ops-{uuid.uuid4().hex}"
    celery_app = use_broker(ops_app, monkeypatch, url, queue)
    try:
        for number in range(4):
            celery_app.send_task("tests.ops.say", args=[number])
        scraped = ops_app.test_client().get("/metrics", headers=AUTH)
        assert scraped.status_code == 200
        figures = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                   for family in text_string_to_metric_families(scraped.get_data(as_text=True))
                   for sample in family.samples}
        assert figures[("cade_queue_messages", (("queue", queue),))] == 4
        assert figures[("cade_metrics_source_up", (("source", "broker"),))] == 1
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        celery_app.close()


# --- a request's id in the log lines of the worker that runs its tasks -----------------------------------


@pytest.fixture()
def observed_worker(app, db, tmp_path):
    """A real `celery worker` process logging JSON to a file, on a queue of its own, delivering to an SMTP sink."""
    require_broker(REDIS_URL)
    queue = f"cade-ops-{uuid.uuid4().hex}"
    sink = SMTPSink()
    sink.start()
    log_path = tmp_path / "worker.log"
    env = dict(
        os.environ,
        LOG_FORMAT="json",
        CADE_WORKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CADE_WORKER_BROKER_URL=REDIS_URL,
        CADE_WORKER_QUEUE=queue,
        CADE_WORKER_SMTP_PORT=str(sink.port),
        CADE_WORKER_MAILBOX_PATH=app.config["MAILBOX_PATH"],
        CADE_WORKER_STORAGE_PATH=app.config["STORAGE_PATH"],
        PYTHONPATH=str(ROOT),
    )
    process = ManagedProcess(
        "the worker",
        [sys.executable, "-m", "celery", "-A", "tests.core.ops_worker_app.celery_app", "worker", "--pool=solo",
         "-Q", queue, "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{queue}@%h"],
        env=env, log_path=log_path,
    )
    process.start()
    try:
        yield queue, log_path, process
    finally:
        process.stop(timeout=20)
        sink.stop()
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(queue, *client.keys(f"*{queue}*"))
        client.close()


def test_a_worker_logs_the_id_of_the_request_that_enqueued_its_task(ops_app, db, monkeypatch, observed_worker):
    queue, log_path, worker = observed_worker
    use_broker(ops_app, monkeypatch, REDIS_URL, queue)
    client = ops_app.test_client()
    registered = client.post("/auth/register", headers={"X-Request-ID": "req-register-0001"}, data={
        "name": "Amina Diallo", "email": "amina@example.org", "password": "correct horse battery staple",
        "confirm": "correct horse battery staple", "locale": "fr", "timezone": "Africa/Dakar"})
    assert registered.status_code in (302, 303), registered.get_data(as_text=True)[:500]
    assert client.post("/_ops/enqueue", headers={"X-Request-ID": "req-enqueue-0002"}).status_code == 200

    def finished() -> list[dict]:
        lines = read_json_lines(log_path)
        messages = " ".join(str(line.get("message")) for line in lines)
        return lines if "sent to" in messages and messages.count("said by") == 2 else []

    lines = worker.wait_for(finished, "the worker to log the deliveries", timeout=WAIT_SECONDS, interval=0.25)

    delivered = [line for line in lines if "sent to" in str(line.get("message"))]
    assert len(delivered) == 1  # the verification e-mail the sign-up caused, sent through send_task by name
    assert delivered[0]["request_id"] == "req-register-0001"
    assert delivered[0]["task_name"] == "notifications.deliver" and delivered[0]["task_id"]
    said = {line["message"]: line for line in lines if str(line.get("message")).startswith("said by")}
    assert set(said) == {"said by name", "said by delay"}
    for line in said.values():
        assert line["request_id"] == "req-enqueue-0002" and line["task_name"] == "tests.ops.say"
        assert set(line) >= {"time", "level", "logger", "message", "request_id", "task_id", "task_name"}
    # Lines outside any task (the worker starting, connecting) carry no request's id.
    assert any(line["request_id"] is None for line in lines if "task_id" not in line)


# --- several gunicorn workers, one set of metrics -----------------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn_pair(app, tmp_path_factory):
    """Two gunicorn workers (gunicorn.conf.py) serving the observed test app, metrics in a shared folder."""
    folder = tmp_path_factory.mktemp("gunicorn")
    metrics_dir = folder / "metrics"
    port = free_port()
    env = dict(
        os.environ,
        WEB_CONCURRENCY="2",
        BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        LOG_FORMAT="json",
        CADE_OPS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CADE_OPS_STORAGE_PATH=app.config["STORAGE_PATH"],
        CADE_OPS_MAILBOX_PATH=app.config["MAILBOX_PATH"],
        PYTHONPATH=str(ROOT),
    )
    stdout, stderr = folder / "access.log", folder / "error.log"
    process = ManagedProcess("gunicorn", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                          "tests.core.ops_web_app:app"], env=env, log_path=stderr, stdout_path=stdout)
    process.start()

    def both_workers_ready() -> bool:  # each has loaded the app
        return len([line for line in read_json_lines(stderr) if line.get("message") == "ops web app ready"]) == 2

    process.wait_ready(both_workers_ready, "gunicorn to start", timeout=WAIT_SECONDS, interval=0.2)
    yield f"http://127.0.0.1:{port}", metrics_dir, stdout, stderr
    process.stop(timeout=20)


def test_a_scrape_adds_up_the_requests_of_every_gunicorn_worker(gunicorn_pair):
    base, metrics_dir, access_log, error_log = gunicorn_pair
    ids = [f"req-gunicorn-{number:04d}" for number in range(24)]

    def fetch(request_id: str) -> int:
        # A connection of its own each time, and several at once: both workers take some.
        return requests.get(f"{base}/_ops/log?sleep=0.1",
                            headers={"X-Request-ID": request_id, "Connection": "close"}, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(fetch, ids)) == [200] * len(ids)

    workers_seen = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("histogram_*.db")}
    assert len(workers_seen) == 2, workers_seen  # both processes wrote figures
    for _ in range(3):  # whichever worker answers the scrape, it counts every worker's requests
        scraped = requests.get(f"{base}/metrics", headers=AUTH, timeout=10)
        assert scraped.status_code == 200
        counts = [sample.value for family in text_string_to_metric_families(scraped.text)
                  for sample in family.samples
                  if sample.name == "cade_http_request_duration_seconds_count"
                  and sample.labels == {"route": "/_ops/log", "method": "GET", "status": "2xx"}]
        assert counts == [len(ids)]

    time.sleep(0.5)  # let the workers' log lines reach the files
    logged = [line for line in read_json_lines(error_log) if line.get("message") == "hello from a request"]
    assert sorted(line["request_id"] for line in logged) == ids  # each once: JSON, with its request's id
    access = access_log.read_text(errors="replace")
    assert all(f"{request_id} " in access for request_id in ids)  # gunicorn's access log names it too
