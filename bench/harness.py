"""What every benchmark that runs the app in processes of its own sets up and takes down, in one place.

A run has a database of its own (created, and dropped at the end), a temporary folder (the instance
folder, stored files, the processes' logs) and, for some, what it leaves in Redis (a queue, rate-limit
counters); then a process or two (gunicorn, a Celery worker), started, waited for and stopped whatever
happens. `scratch` is the first, `running` and `wait_ready` the second:

    with scratch(args.url, "cade-bench-rush-", keep=args.keep, forget=lambda: forget_redis(args.redis)) as folder:
        server, port = gunicorn(args, folder, secret_key)
        with running(server, keep=args.keep):
            world = generate(...)
            wait_ready(server, lambda: answering(port), READY_SECONDS)
            ...

A process is started before it is waited for, so that a benchmark may start it first and make its data
meanwhile: on two cores, gunicorn's workers importing the app and this process writing rows take turns
rather than one waiting for the other.
"""

import gc
import http.client
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from bench.reports import drop_database, recreate_database
from tests.processes import ManagedProcess

POLL_SECONDS = 0.1


@contextmanager
def scratch(url: str, prefix: str, *, keep: bool = False,
            forget: Callable[[], None] | None = None) -> Iterator[Path]:
    """A new database at `url` and a new temporary folder for one run; both gone afterwards unless `keep`.

    `forget` empties what the run leaves elsewhere (its broker queue, its rate-limit counters in Redis): it is
    called before the run, in case an earlier one was cut short, and after it, whatever happens.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    recreate_database(url)
    if forget is not None:
        forget()
    try:
        yield folder
    finally:
        if forget is not None:
            forget()
        if not keep:
            drop_database(url)
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running(process: ManagedProcess, *, keep: bool = False) -> Iterator[ManagedProcess]:
    """`process` started, and ended on the way out; its log removed too unless `keep`.

    Ended by SIGKILL to it and its children, not asked to stop: the run is over and its log read, and a
    polite stop costs seconds for nothing. Each of gunicorn's workers spends one to three seconds of CPU
    on the way out in the interpreter's last garbage collection (see `leave`), and the master waits for
    them all: 5 s for two workers, 13 s for four, measured on two busy cores.
    """
    process.start()
    try:
        yield process
    finally:
        process.kill9()
        if not keep:
            process.close()


def wait_ready(process: ManagedProcess, ready: Callable[[], object], seconds: float,
               broken: type[Exception] = SystemExit) -> None:
    """Poll `ready()` until it is true. Raises `broken`, with the end of the process's log, when the process
    exits first or is not ready within `seconds`."""
    deadline = time.monotonic() + seconds
    while not ready():
        if not process.alive:
            raise broken(f"{process.name} exited with {process.returncode}:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise broken(f"{process.name} not ready within {seconds:.0f} s:\n{process.log_tail()}")
        time.sleep(POLL_SECONDS)


def leave(status: int) -> NoReturn:
    """Exit with `status`, sparing the interpreter its last garbage collection over everything the app
    imported: one to two seconds of CPU a process on this machine, spent only to end it. Frozen objects
    are left to the end of the process, as the objects of a process killed would be."""
    gc.freeze()
    sys.exit(status)


def post_together(port: int, requests: list[tuple[str, str, dict, dict]], timeout: float) -> tuple[list[dict], float]:
    """POST each (path, body, headers, who) to 127.0.0.1:`port` from a thread of its own, all released at once by a
    barrier once every connection is made; return each answer (`who`'s keys, status, Location, seconds from the
    release) in order, and the wall time from the release to the last answer. A request that fails has status
    None and its error."""
    barrier = threading.Barrier(len(requests) + 1)
    answers: list[dict | None] = [None] * len(requests)

    def post(index: int, path: str, body: str, headers: dict, who: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            answers[index] = {**who, "status": response.status, "location": response.getheader("Location", ""),
                              "seconds": time.perf_counter() - started}
        except OSError as exc:
            answers[index] = {**who, "status": None, "location": "", "error": str(exc),
                              "seconds": time.perf_counter() - started}
        finally:
            conn.close()

    threading.stack_size(256 * 1024)
    threads = [threading.Thread(target=post, args=(index, *request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    barrier.wait()  # the last to arrive: everyone goes
    released = time.perf_counter()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - released


def print_checks(checks: list[tuple[str, bool, str]]) -> None:
    """Each check (name, passed, detail) on a line of its own, under "checks:"."""
    print("checks:")
    for name, passed, detail in checks:
        print(f"  {'ok  ' if passed else 'FAIL'} {name}: {detail}")

