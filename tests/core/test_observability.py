"""Operations (cade/core/observability): request ids, log lines, /readyz, /metrics and Sentry, in one process.

The real processes (a Celery worker carrying a request's id, gunicorn's
workers summing their metrics) are in test_observability_services.py.
"""

import gzip
import io
import json
import logging
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from cade.core.observability import logs, probes
from cade.core.runs.models import Run, RunStatus
from cade.notifications.constants import NotificationStatus
from cade.notifications.models import Notification
from tests.core.observed import AUTH, EMAIL, TOKEN, UNREACHABLE_DATABASE, build_app, dispose


@pytest.fixture(scope="module")
def ops_app(app):
    made = build_app(app)
    yield made
    dispose(made)


@pytest.fixture()
def ops_client(ops_app, db):
    return ops_app.test_client()


# --- request ids ---------------------------------------------------------------------------------------


def test_a_sane_request_id_is_kept_and_echoed(ops_client):
    for given in ("abcd1234", "req-2026.05_x", "a" * 64, str(uuid.uuid4())):
        assert ops_client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(ops_client):
    seen = set()
    for given in (None, "", "short", "a" * 65, "has spaces in it", "<script>alert(1)</script>", "id;rm -rf /x",
                  "ünïcödé-id-123"):
        headers = {"X-Request-ID": given} if given is not None else {}
        echoed = ops_client.get("/no-such-page", headers=headers).headers["X-Request-ID"]
        assert echoed != given and re.fullmatch(r"[0-9a-f]{32}", echoed)  # a uuid4, in hex
        seen.add(echoed)
    assert len(seen) == 8  # a new one every time


@pytest.fixture()
def captured_logs():
    """What the root logger writes through a handler dressed as production's (filter and formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler, stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_json_log_line_of_a_request_carries_its_id(ops_client, captured_logs):
    handler, stream = captured_logs
    handler.setFormatter(logs.make_formatter("json"))
    ops_client.get("/_ops/log", headers={"X-Request-ID": "req-12345678"})
    logging.getLogger("tests.ops").warning("after the request")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    during = next(line for line in lines if line["message"] == "hello from a request")
    assert during["request_id"] == "req-12345678"
    assert during["level"] == "INFO" and during["logger"] == "tests.ops"
    assert during["time"].endswith("+00:00") and "T" in during["time"]
    assert "task_id" not in during  # only in a worker
    after = next(line for line in lines if line["message"] == "after the request")
    assert after["request_id"] is None  # the id ended with its request


def test_text_log_lines_carry_the_request_id_too(ops_client, captured_logs):
    handler, stream = captured_logs
    handler.setFormatter(logs.make_formatter("text"))
    ops_client.get("/_ops/log", headers={"X-Request-ID": "req-abcdefgh"})
    logging.getLogger("tests.ops").warning("outside")
    text = stream.getvalue()
    assert "[req-abcdefgh] tests.ops: hello from a request" in text
    assert "[-] tests.ops: outside" in text


def test_the_app_leaves_a_root_logger_someone_configured_alone(ops_app):
    # Here pytest has configured the root logger (its capture): a second handler would print every line twice.
    assert not any(isinstance(handler, logs._StderrHandler) for handler in logging.getLogger().handlers)


def test_tasks_a_request_enqueues_carry_its_id_by_name_and_by_delay(ops_app, db, monkeypatch):
    queue = f"cade-ops-{uuid.uuid4().hex}"
    celery_app = Celery("ops-headers", set_as_current=False)
    celery_app.config_from_object(dict(ops_app.config["CELERY"], broker_url="memory://",
                                       task_default_queue=queue))
    celery_app.task(name="tests.ops.say")(_say)
    monkeypatch.setitem(ops_app.extensions, "celery", celery_app)

    response = ops_app.test_client().post("/_ops/enqueue", headers={"X-Request-ID": "req-enqueue-1"})
    assert response.status_code == 200
    with celery_app.connection_for_read() as conn:
        waiting = conn.SimpleQueue(queue)
        messages = [waiting.get(timeout=1) for _ in range(2)]
        waiting.close()
    assert sorted(message.payload[0][0] for message in messages) == ["by delay", "by name"]  # (args, kwargs, embed)
    assert [message.headers["cade_request_id"] for message in messages] == ["req-enqueue-1"] * 2


def _say(word: str) -> str:
    return word


# --- /readyz ---------------------------------------------------------------------------------------------


def test_readyz_is_ready_when_database_broker_and_storage_answer(ops_client):
    response = ops_client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": True, "broker": True, "storage": True}


def test_readyz_is_not_ready_when_the_storage_cannot_be_written(ops_app, ops_client, monkeypatch, tmp_path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setitem(ops_app.config, "STORAGE_PATH", str(a_file / "files"))  # even root cannot make this
    response = ops_client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "database": True, "broker": True, "storage": False}


def test_readyz_is_not_ready_without_a_database(app):
    down = build_app(app, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    try:
        response = down.test_client().get("/readyz")
    finally:
        dispose(down)
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "database": False, "broker": True, "storage": True}


@pytest.fixture()
def silent_broker():
    """A port that takes connections and never says a word: a broker host that hangs rather than refuses."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


def broker_at(ops_app, monkeypatch, url: str, queue: str = "celery") -> Celery:
    celery_app = Celery("ops-broker", set_as_current=False)
    celery_app.config_from_object(dict(ops_app.config["CELERY"], broker_url=url, task_default_queue=queue))
    monkeypatch.setitem(ops_app.extensions, "celery", celery_app)
    return celery_app


@pytest.mark.parametrize("broker", ["refused", "silent"])
def test_readyz_and_metrics_answer_in_time_when_the_broker_does_not(ops_app, ops_client, monkeypatch,
                                                                    silent_broker, broker):
    monkeypatch.setattr(probes, "CHECK_SECONDS", 0.5)
    port = 1 if broker == "refused" else silent_broker
    broker_at(ops_app, monkeypatch, f"redis://127.0.0.1:{port}/0")

    started = time.monotonic()
    ready = ops_client.get("/readyz")
    scraped = ops_client.get("/metrics", headers=AUTH)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5, f"{elapsed:.1f}s"  # two deadlines of 0.5 s, and the rest of the work
    assert ready.status_code == 503
    assert ready.json == {"status": "not ready", "database": True, "broker": False, "storage": True}
    figures = scrape_figures(scraped)
    assert figures[("cade_metrics_source_up", (("source", "broker"),))] == 0
    assert figures[("cade_metrics_source_up", (("source", "database"),))] == 1
    assert not [key for key in figures if key[0] == "cade_queue_messages"]  # missing, not a made-up zero


# --- /metrics --------------------------------------------------------------------------------------------


def scrape_figures(response) -> dict:
    """{(sample name, sorted labels): value} of a scrape."""
    assert response.status_code == 200, response.get_data(as_text=True)
    figures = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def test_metrics_are_off_without_a_token_and_need_the_right_one(ops_app, ops_client, monkeypatch):
    assert ops_client.get("/metrics", headers=AUTH).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": TOKEN}):
        refused = ops_client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"cade_" not in refused.data
    monkeypatch.setitem(ops_app.config, "METRICS_TOKEN", None)
    assert ops_client.get("/metrics", headers=AUTH).status_code == 404


def _latency_count(figures, route: str, status: str) -> float:
    return figures.get(("cade_http_request_duration_seconds_count",
                        (("method", "GET"), ("route", route), ("status", status))), 0)


def test_request_latency_is_counted_by_route_never_by_raw_path(ops_client):
    before = scrape_figures(ops_client.get("/metrics", headers=AUTH))
    for call_id in (987654, 987655, 987656):
        assert ops_client.get(f"/calls/{call_id}").status_code == 404
    ops_client.get("/no/such/page/at/all")
    ops_client.get("/healthz")
    after = scrape_figures(ops_client.get("/metrics", headers=AUTH))

    route = "/calls/<int:call_id>"
    assert _latency_count(after, route, "4xx") - _latency_count(before, route, "4xx") == 3
    assert _latency_count(after, "unmatched", "4xx") - _latency_count(before, "unmatched", "4xx") == 1
    assert _latency_count(after, "/healthz", "2xx") - _latency_count(before, "/healthz", "2xx") == 1
    labels = {value for key in after for _name, value in key[1]}
    assert not any("987654" in value or "/no/such" in value for value in labels)


def test_outbox_and_run_gauges_count_what_the_tables_hold(ops_client, db):
    statuses = [NotificationStatus.PENDING] * 3 + [NotificationStatus.FAILED] * 2 + [NotificationStatus.SENT] * 4
    for number, status in enumerate(statuses):
        db.session.add(Notification(kind="tests.ops", recipient_email=f"p{number}@example.org",
                                    idempotency_key=f"ops-{number}", status=status))
    for status in [RunStatus.QUEUED, RunStatus.FAILED, RunStatus.FAILED, RunStatus.SUCCEEDED]:
        db.session.add(Run(kind="report", status=status))
    db.session.commit()

    figures = scrape_figures(ops_client.get("/metrics", headers=AUTH))
    outbox = {dict(labels)["status"]: value for (name, labels), value in figures.items()
              if name == "cade_outbox_notifications"}
    runs = {dict(labels)["status"]: value for (name, labels), value in figures.items() if name == "cade_runs"}
    assert outbox == {"pending": 3, "sending": 0, "failed": 2}
    assert runs == {"queued": 1, "running": 0, "succeeded": 1, "failed": 2}
    assert figures[("cade_metrics_source_up", (("source", "database"),))] == 1


def test_metrics_leave_out_the_database_figures_when_it_cannot_be_reached(app):
    down = build_app(app, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    try:
        figures = scrape_figures(down.test_client().get("/metrics", headers=AUTH))
    finally:
        dispose(down)
    assert figures[("cade_metrics_source_up", (("source", "database"),))] == 0
    assert not [key for key in figures if key[0] in ("cade_outbox_notifications", "cade_runs")]


def test_queue_depth_counts_the_messages_waiting_on_the_embedded_broker(ops_app, ops_client, monkeypatch):
    queue = f"cade-ops-{uuid.uuid4().hex}"
    celery_app = broker_at(ops_app, monkeypatch, "memory://", queue)
    for number in range(3):
        celery_app.send_task("tests.ops.nothing", args=[number])
    figures = scrape_figures(ops_client.get("/metrics", headers=AUTH))
    assert figures[("cade_queue_messages", (("queue", queue),))] == 3
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


# --- Sentry ----------------------------------------------------------------------------------------------


class _SentryStandIn(BaseHTTPRequestHandler):
    """Takes envelopes as Sentry does, and keeps them (decompressed) for the test to read."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.server.received.append((self.path, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture()
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SentryStandIn)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://public@127.0.0.1:{server.server_address[1]}/1"
    server.shutdown()
    server.server_close()
    # sentry_sdk is process-wide: leave no client behind for the rest of the suite.
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)


def _explode(made) -> int:
    client = made.test_client()
    client.set_cookie("session", "secret-cookie-value")
    response = client.post("/_ops/explode", data={"email": EMAIL, "name": "Amina Diallo"},
                           query_string={"email": EMAIL}, headers={"X-Request-ID": "req-sentry-0001"})
    sentry_sdk.flush(timeout=5)
    return response.status_code


def test_an_unhandled_error_reaches_sentry_without_personal_data(app, db, sentry_server):
    server, dsn = sentry_server
    made = build_app(app, SENTRY_DSN=dsn, PROPAGATE_TEST_ERRORS=False)
    try:
        assert made.extensions["cade.observability"]["sentry"] is True
        assert _explode(made) == 500
    finally:
        dispose(made)
    envelopes = [body for path, body in server.received if path == "/api/1/envelope/"]
    events = [body for body in envelopes if "RuntimeError" in body]
    assert events, server.received
    event = events[0]
    assert '"environment":"test"' in event.replace(" ", "")
    assert "/_ops/explode" in event
    assert "req-sentry-0001" in event  # the report names the id its log lines carry
    for secret in (EMAIL, EMAIL.replace("@", "%40"), "secret-cookie-value", "Amina Diallo"):
        assert secret not in event, secret
    assert "could not process [email]" in event  # the message is kept, the address is not


def test_without_a_dsn_sentry_is_not_started_even_if_the_environment_names_one(app, db, sentry_server,
                                                                            monkeypatch):
    server, dsn = sentry_server
    monkeypatch.setenv("SENTRY_DSN", dsn)  # what sentry_sdk.init() would fall back to if we called it
    made = build_app(app, SENTRY_DSN=None, PROPAGATE_TEST_ERRORS=False)
    try:
        assert made.extensions["cade.observability"]["sentry"] is False
        assert _explode(made) == 500
    finally:
        dispose(made)
    assert not sentry_sdk.get_client().is_active()
    assert server.received == []
