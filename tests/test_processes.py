"""tests/processes.py, on throwaway Python processes: what every harness relies on when it stops what it started."""

import os
import signal
import sys
import time

import pytest

from tests.processes import ManagedProcess, free_port, wait_until

# A parent that starts a child in its own group, says so, and sleeps; with IGNORE_TERM it ignores SIGTERM.
FAMILY = """
import os, signal, subprocess, sys, time
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(f"child {child.pid} ready", flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Orphans are reaped by init: a zombie still answers signal 0 for a moment.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1].startswith("Z")


def _family(tmp_path, **env) -> tuple[ManagedProcess, int]:
    process = ManagedProcess("family", [sys.executable, "-c", FAMILY], env=dict(os.environ, **env),
                             log_path=tmp_path / "family.log")
    process.start(header="--- start 1 ---\n")
    line = process.wait_ready(lambda: "ready" in process.text() and process.text(), "the family to be ready",
                              timeout=10, interval=0.02)
    return process, int(line.split("child ", 1)[1].split()[0])


def test_stop_ends_the_process_and_its_children_and_close_removes_the_log(tmp_path, monkeypatch):
    monkeypatch.delenv("CADE_TEST_KEEP_LOGS", raising=False)
    process, child = _family(tmp_path)
    assert process.alive and process.text().startswith("--- start 1 ---\nchild ")
    process.stop(timeout=5)
    assert not process.alive and process.returncode == -signal.SIGTERM
    wait_until(lambda: _gone(child), "the child to be gone", timeout=5, interval=0.02)
    process.close()
    process.close()  # twice is harmless
    assert not (tmp_path / "family.log").exists()


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    process, child = _family(tmp_path, IGNORE_TERM="1")
    started = time.monotonic()
    process.stop(timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert process.returncode == -signal.SIGKILL
    wait_until(lambda: _gone(child), "the child to be gone", timeout=5, interval=0.02)


def test_kill9_takes_the_group_at_once_and_a_restart_writes_on_into_the_log(tmp_path, monkeypatch):
    monkeypatch.setenv("CADE_TEST_KEEP_LOGS", "1")
    process, child = _family(tmp_path)
    process.kill9()
    assert process.returncode == -signal.SIGKILL
    wait_until(lambda: _gone(child), "the child to be gone", timeout=5, interval=0.02)
    process.start(header="--- start 2 ---\n")
    process.wait_for(lambda: process.text().count("ready") == 2, "the second start", timeout=10, interval=0.02)
    assert process.text().index("--- start 1 ---") < process.text().index("--- start 2 ---")
    assert process.log_tail(20).endswith("ready\n")
    process.close()
    assert (tmp_path / "family.log").exists()  # kept, as asked


def test_waiting_on_a_process_that_exits_fails_at_once_with_its_log(tmp_path):
    process = ManagedProcess("quitter", [sys.executable, "-c", "print('no database here'); raise SystemExit(3)"],
                             env=dict(os.environ), log_path=tmp_path / "quitter.log")
    process.start()
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"(?s)quitter exited with 3:.*no database here"):
        process.wait_ready(lambda: False, "never", timeout=30)
    assert time.monotonic() - started < 5 and process.process is None


def test_wait_until_returns_what_it_waited_for_or_fails_saying_what():
    answers = iter([0, "", "here"])
    assert wait_until(lambda: next(answers), "an answer", timeout=5, interval=0.01) == "here"
    with pytest.raises(pytest.fail.Exception, match="the moon: not within 0s\nlast log lines"):
        wait_until(lambda: False, "the moon", timeout=0.05, interval=0.01, on_timeout=lambda: "last log lines")


def test_stdout_may_go_to_a_file_of_its_own(tmp_path):
    script = "import sys; print('GET / 200'); print('app ready', file=sys.stderr)"
    process = ManagedProcess("web", [sys.executable, "-c", script], env=dict(os.environ),
                             log_path=tmp_path / "error.log", stdout_path=tmp_path / "access.log")
    process.start()
    process.finish(timeout=10)
    assert (tmp_path / "access.log").read_text() == "GET / 200\n"
    assert process.text() == "app ready\n"


def test_free_port_is_one_nothing_listens_on():
    import socket

    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
