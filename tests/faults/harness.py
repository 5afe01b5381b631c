"""Real processes the fault tests start, break and mend: a Celery worker, a Redis broker of their own,
an SMTP server that can be stopped and started again on the same port, and a TCP proxy in front of
PostgreSQL whose connections can be cut.

Nothing shared is ever stopped: the broker a test stops is its own redis-server, and PostgreSQL
"restarts" behind the proxy. The tests run on the services pass only (PostgreSQL: SQLite holds one
writer at a time, which is not what production survives); in CI (CI=true) a missing redis-server
fails them instead of skipping.
"""

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.notifications.smtp_sink import SMTPSink
from tests.processes import ManagedProcess, free_port, temporary_log
from tests.processes import wait_until  # noqa: F401  (the fault tests take it from here, with the rest)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

services_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="fault tests run on the services pass (TEST_DATABASE_URL: PostgreSQL), with real worker processes",
)


def require(binary: str) -> str:
    """The path of `binary`; skipped on a developer's machine without it, a failure in CI."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is needed by the fault tests and is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def periodic(fn: Callable[[], object], seconds: float) -> Callable[[], None]:
    """`fn` as beat would call it: at once, then at most every `seconds` however often the result is polled."""
    last = [float("-inf")]

    def tick() -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            fn()

    return tick


class RedisServer(ManagedProcess):
    """A redis-server of the test's own, on a free port, without persistence: stopping it loses its queues."""

    def __init__(self):
        binary = require("redis-server")
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="cade-faults-redis-")
        super().__init__(
            "redis-server",
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            env=dict(os.environ), log_path=Path(self.folder) / "redis.log",
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            self.wait_ready(lambda: self._answers(client), "redis-server to answer", timeout=10, interval=0.05)
        finally:
            client.close()

    def stop(self, timeout: float = 0, *, group: bool = True) -> None:
        """Down at once, as a crashed broker is: kill -9, nothing flushed (however politely asked)."""
        self.kill9()

    def close(self, timeout: float = 0) -> None:
        super().close(timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False


class Worker(ManagedProcess):
    """`celery worker` (prefork pool, concurrency 2) running tests/faults/worker_app.py in a session of its own.

    Its own session (process group) lets `kill9` take the main process and its pool children at once,
    as a machine that loses power or an OOM kill of the whole service would.
    """

    def __init__(self, app, broker_url: str, queue: str, smtp_port: int, timings: dict[str, float] | None = None,
                 concurrency: int = 2):
        env = dict(
            os.environ,
            CADE_FAULTS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            CADE_FAULTS_BROKER_URL=broker_url,
            CADE_FAULTS_QUEUE=queue,
            CADE_FAULTS_SMTP_PORT=str(smtp_port),
            CADE_FAULTS_MAILBOX_PATH=app.config["MAILBOX_PATH"],
            CADE_FAULTS_STORAGE_PATH=app.config["STORAGE_PATH"],
            PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]),
            **{f"CADE_FAULTS_{name}": str(seconds) for name, seconds in (timings or {}).items()},
        )
        log_path = temporary_log("cade-faults-worker-")
        super().__init__("the worker", [], env=env, log_path=log_path)  # each start names its own command
        self.queue, self.concurrency = queue, concurrency
        self.starts = 0

    def start(self, wait: bool = True) -> float:
        """Start a worker; return the seconds it took to say it is ready (0 without waiting)."""
        self.starts += 1
        begun = time.monotonic()
        self.command = [sys.executable, "-m", "celery", "-A", "worker_app.celery_app", "worker", "--pool=prefork",
                        "-c", str(self.concurrency), "-Q", self.queue, "--loglevel=INFO", "--without-gossip",
                        "--without-mingle", "--without-heartbeat", "-n", f"{self.queue}-{self.starts}@%h"]
        super().start(header=f"\n--- start {self.starts} ---\n")
        if not wait:
            return 0.0
        marker = f"{self.queue}-{self.starts}@"
        self.wait_ready(lambda: self._ready(marker), "the worker to be ready", timeout=60, interval=0.1)
        return time.monotonic() - begun

    def _ready(self, marker: str) -> bool:
        text = self.text()
        start = text.rfind(f"--- start {self.starts} ---")
        return marker in text[start:] and " ready." in text[start:]


class FaultySMTPSink(SMTPSink):
    """The suite's aiosmtpd sink, restartable on the same port, refusing some recipients for good (550).

    `received` counts the messages each address got (duplicates show as counts above one); `refusals`
    counts how often each refused address was tried.
    """

    def __init__(self, refuse: set[str] | frozenset = frozenset()):
        super().__init__()
        self.refuse = set(refuse)
        self.refusals: Counter = Counter()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            with self._lock:
                self.refusals[address] += 1
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @property
    def received(self) -> Counter:
        with self._lock:
            return Counter(str(message["To"]) for message in list(self.messages))

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.received.values() if count > 1)


class TCPProxy:
    """A TCP proxy on a free port of 127.0.0.1 in front of `target_port`, for cutting a server off.

    `cut()` closes every connection through it and stops listening (new connections are refused), as a
    restarting PostgreSQL does; `restore()` listens again on the same port.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    restore = start

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)  # shutdown() first: close() alone leaves a thread blocked in accept() listening
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
            with self._lock:
                self._sockets.difference_update((source, sink))


class Blackhole:
    """A server that takes connections and never answers: a hung broker, or a machine behind a firewall
    that swallows packets. `close()` lets go of everyone still waiting on it."""

    def __init__(self):
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._held: list[socket.socket] = []
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            self._held.append(client)

    def close(self) -> None:
        _close(self._listener)
        for sock in self._held:
            _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Gunicorn(ManagedProcess):
    """The production web server as `make serve` runs it (gunicorn.conf.py, wsgi:app, CADE_ENV=production),
    on a free port, with the variables of `env`."""

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        environment = dict(os.environ, CADE_ENV="production", BIND=f"127.0.0.1:{self.port}",
                           WEB_CONCURRENCY=str(workers), PYTHONPATH=str(ROOT), **env)
        environment.pop("CADE_WEB_PROCESSES", None)
        super().__init__(
            "gunicorn",
            # No control socket: gunicorn's default path is one per machine, shared with any other test's.
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket",
             "wsgi:app"],
            env=environment, log_path=temporary_log("cade-faults-gunicorn-"),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import requests

        def answers() -> bool:
            try:
                return requests.get(f"{self.url}/healthz", timeout=10).status_code in (200, 503)
            except (requests.ConnectionError, requests.Timeout):  # still importing the app
                return False

        super().start()
        self.wait_ready(answers, "gunicorn to answer", timeout=60, interval=0.2)
