"""The one way a test runs a process of its own (a worker, gunicorn, redis-server, an S3 server) and ends it.

Every harness needs the same few things: a free port, a poll with a deadline
that says what it waited for, and a process that writes to a log file, runs in
a session of its own (so that its children, gunicorn's workers or Celery's
pool, go when it goes), and is stopped politely, then for good. What a process
is, how it is told to be ready and what it is given stays in the harness that
starts it.

Logs are removed by `close()`; set CADE_TEST_KEEP_LOGS=1 to keep them and read
what the processes said.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEEP_LOGS = "CADE_TEST_KEEP_LOGS"
LOG_TAIL = 6000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def temporary_log(prefix: str) -> Path:
    """A new empty file in the temporary folder for a process's log (`close()` removes it)."""
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(handle)
    return Path(path)


def wait_until(done: Callable[[], object], what: str, timeout: float = 30, interval: float = 0.1,
               on_timeout: Callable[[], str] | None = None):
    """Poll `done()` until it returns something true (returned), failing after `timeout` seconds.

    `on_timeout()` adds to the failure what a reader needs to see why (a log's tail).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = done()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s" + (f"\n{on_timeout()}" if on_timeout else ""))
        time.sleep(interval)


class ManagedProcess:
    """`command` run in a session of its own, its output appended to `log_path` (stdout to `stdout_path` if given).

    It may be started again after a stop (a restarted worker), writing on into the same log.
    """

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_path: Path,
                 cwd: Path = ROOT, stdout_path: Path | None = None):
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.log_path, self.stdout_path = Path(log_path), stdout_path
        self.process: subprocess.Popen | None = None
        self.exit_code: int | None = None  # of the last run, once it has been stopped

    def start(self, header: str = "") -> None:
        """Spawn the command; `header` is written to the log first (to tell one run's lines from the last's)."""
        with self.log_path.open("ab") as log, \
                (self.stdout_path.open("ab") if self.stdout_path else nullcontext(log)) as out:
            if header:
                log.write(header.encode())
                log.flush()  # before the process writes behind it
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT if out is log else log,
                                            start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else self.exit_code

    def wait_for(self, done: Callable[[], object], what: str, timeout: float = 30, interval: float = 0.1):
        """`wait_until(done)`, failing at once with the log's tail if the process exits meanwhile."""

        def check():
            if not self.alive:
                pytest.fail(f"{self.name} exited with {self.returncode}:\n{self.log_tail()}")
            return done()

        return wait_until(check, what, timeout, interval, on_timeout=self.log_tail)

    def wait_ready(self, ready: Callable[[], object], what: str, timeout: float = 30, interval: float = 0.1):
        """`wait_for(ready)`, stopping the process if it never gets there: a fixture that fails never tears down."""
        try:
            return self.wait_for(ready, what, timeout, interval)
        except BaseException:
            self.stop()
            raise

    def signal(self, signum: int, *, group: bool = True) -> None:
        """Send `signum` to the whole process group, or to the main process alone (which then stops its own)."""
        if self.process is None:
            return
        try:
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except (ProcessLookupError, PermissionError):  # gone already
            pass

    def stop(self, timeout: float = 20, *, group: bool = True) -> None:
        """SIGTERM, up to `timeout` seconds to exit, then SIGKILL; see `finish`."""
        if self.alive:
            self.signal(signal.SIGTERM, group=group)
        self.finish(timeout)

    def finish(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the exit asked for, then SIGKILL the group, and what it left behind."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait()
        self.signal(signal.SIGKILL)  # children the main process left behind, if any
        self._forget()

    def kill9(self) -> None:
        """SIGKILL to the main process and every child at once: nothing acknowledged, nothing cleaned up."""
        if self.process is None:
            return
        self.signal(signal.SIGKILL)
        self.process.wait()
        self._forget()

    def _forget(self) -> None:
        self.exit_code, self.process = self.process.returncode, None

    def text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, chars: int = LOG_TAIL) -> str:
        return self.text()[-chars:]

    def close(self, timeout: float = 20) -> None:
        """Stop, and remove the log files (kept with CADE_TEST_KEEP_LOGS set). Safe to call twice."""
        self.stop(timeout)
        if not os.environ.get(KEEP_LOGS):
            for path in (self.log_path, self.stdout_path):
                if path is not None:
                    path.unlink(missing_ok=True)
