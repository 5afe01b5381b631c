"""`make bench-memory`: the memory of gunicorn's workers under a long run of mixed page requests.

The bar (issue 18): after 10,000 requests across the main pages, each
worker's resident memory (RSS) is within 10 % of what it was after the
first 1,000: a worker that keeps growing leaks, and `max_requests` would
only hide it.

On a PostgreSQL database of its own (created here, dropped at the end unless --keep):

1. Schema by the real migrations; the data of the page benchmark at its small
   scale (bench/seed_pages.py: the signed-in people's own rows through the
   models, 1,000 applications with their reviews, decisions and grants by COPY,
   and a funding summary compiled for its dashboard).
2. gunicorn as bench/pages.py starts it (development settings, --preload),
   with --workers sync workers and `max_requests` off, so that every worker
   lives through the whole run (started before step 1, its master importing
   the app while the data is made); the applicant, the reviewer and the
   administrator sign in through /auth/login (bench/pages.py's `sign_in`).
3. The pages of bench/pages.py (`pages`), each as the person it belongs to,
   in a shuffled order (a fixed seed), asked by --clients threads at once.
   Each worker's RSS (and PSS, its fair share of what the workers share with
   the master) read from /proc when gunicorn is ready, after the first tenth
   of the requests (1,000 at the bar) and after the last.
4. A table per worker: the three readings, growth from the first tenth to
   the end, and the bar. Written to bench/RESULTS.md ("Memory under load").

  .venv/bin/python bench/memory.py            # 10,000 requests (the bar)
  .venv/bin/python bench/memory.py --quick    # 150 requests, the first reading after 15, 2 workers

Exit status 1 when something broke: a page answered other than 200, or a
worker was replaced during the run (its readings would compare two
processes). A worker over the bar is a measurement: 0.
"""

import argparse
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench import pages as page_bench  # noqa: E402
from bench.harness import leave, print_checks, running, scratch  # noqa: E402
from bench.results import machine, write_section  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_memory"
FULL = 10_000
QUICK = 150  # `make bench-quick` keeps it working: every page ten times; the setup takes the rest
FIRST_SHARE = 10  # the first reading after a tenth of the requests: 1,000 at the bar
APPLICATIONS = 1_000  # the page benchmark's small scale
QUICK_APPLICATIONS = 200
WORKERS = 4
QUICK_WORKERS = 2  # each worker compiles every page's templates on its first visit: half the work to keep it working
CLIENTS = 8  # two requests waiting a worker: none idles between two of a client's requests
GROWTH_BAR = 0.10
SEED = 18


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK:,} requests on {QUICK_APPLICATIONS} applications "
                             f"(default {FULL:,} on {APPLICATIONS:,})")
    parser.add_argument("--requests", type=int, help="requests in all (overrides the scale)")
    parser.add_argument("--workers", type=int,
                        help=f"gunicorn sync workers (default {WORKERS}, {QUICK_WORKERS} with --quick)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help=f"client threads at once (default {CLIENTS})")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bench database, created and dropped ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the database and gunicorn's log afterwards")
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=None,
                        help="write this benchmark's section of bench/RESULTS.md (default: only at the bar's scale, "
                             "so that `make bench-quick` leaves the figures of a full run alone)")
    args = parser.parse_args()
    args.workers = args.workers or (QUICK_WORKERS if args.quick else WORKERS)
    total = args.requests or (QUICK if args.quick else FULL)
    if total < FIRST_SHARE:
        parser.error(f"at least {FIRST_SHARE} requests")
    applications = QUICK_APPLICATIONS if args.quick else APPLICATIONS

    started = time.perf_counter()
    try:
        with scratch(args.url, "cade-bench-memory-", keep=args.keep) as folder:
            env = page_bench.app_env(args.url, folder)
            server = Server(env, folder, args.workers)
            with running(server.process, keep=args.keep):  # its master imports the app while the data is made
                world = generate(env, args.url, applications)
                server.wait_ready()
                readings, failures, seconds = run(server, world, total, args.clients)
    except page_bench.Broke as error:
        print(f"BROKEN: {error}", file=sys.stderr)
        return 1
    return report(args, world, total, applications, readings, failures, seconds, time.perf_counter() - started)


# -- the data and the server --------------------------------------------------------------------------


def generate(env: dict, url: str, applications: int):
    """The page benchmark's data at `applications` (bench/seed_pages.py), on the schema of the real migrations
    (its COPY leaves out columns whose default only the migrations give)."""
    app = page_bench.make_app(env)
    page_bench.migrate(app)
    world = page_bench.fixed_rows(app)
    page_bench.add_rows(url, world, page_bench.Sizes(0), page_bench.Sizes(applications), page_bench.utc_now())
    world.report_run = page_bench.compile_summary(env, world)  # the funding-summary dashboard's run
    return world


class Server(page_bench.Server):
    """bench/pages.py's gunicorn, with `workers` sync workers that are never replaced (max_requests off); started
    before the data is made, as bench/pages.py starts it."""

    def __init__(self, env: dict, folder: Path, workers: int):
        super().__init__(env, folder)
        self.process.env.update(WEB_CONCURRENCY=str(workers), GUNICORN_MAX_REQUESTS="0")
        self.workers = workers

    def worker_pids(self) -> list[int]:
        """The master's children: its workers, once all have started."""
        master = self.process.process.pid
        deadline = time.monotonic() + 60
        while True:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            if len(children) >= self.workers or time.monotonic() > deadline:
                return sorted(int(pid) for pid in children)
            time.sleep(0.2)


def memory_of(pid: int) -> dict[str, int]:
    """RSS and PSS of a process, in kB, from /proc (VmRSS in status, Pss in smaps_rollup)."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            figures["rss"] = int(line.split()[1])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                figures["pss"] = int(line.split()[1])
    except OSError:  # kernels before 4.14
        figures["pss"] = 0
    return figures


# -- the run ------------------------------------------------------------------------------------------


def plan(listed: dict[str, tuple[str | None, str]], total: int, seed: int = SEED) -> list[tuple[str | None, str]]:
    """`total` requests (who, path), the pages taken in turn as evenly as `total` allows, then shuffled."""
    visits = list(listed.values())
    order = [visits[number % len(visits)] for number in range(total)]
    random.Random(seed).shuffle(order)
    return order


def run(server: Server, world, total: int, clients: int) -> tuple[dict, list[str], float]:
    """The requests, in two parts with a reading of every worker's memory before, between and after."""
    signed = {None: requests.Session()}
    for who in ("applicant", "reviewer", "admin"):
        signed[who] = page_bench.sign_in(server.base, getattr(world, who), world.password)
    order = plan(page_bench.pages(world), total)
    first = total // FIRST_SHARE
    pids = server.worker_pids()
    readings = {"start": {pid: memory_of(pid) for pid in pids}}
    failures: list[str] = []
    local = threading.local()

    def visit(item):
        who, path = item
        if not hasattr(local, "sessions"):  # a requests.Session is not shared between threads
            local.sessions = {}
            for name, session in signed.items():
                own = requests.Session()
                own.cookies.update(session.cookies)
                local.sessions[name] = own
        answer = local.sessions[who].get(server.base + path, allow_redirects=False,
                                         timeout=page_bench.REQUEST_TIMEOUT)
        if answer.status_code != 200:
            failures.append(f"{path} answered {answer.status_code} to {who or 'a visitor'}")

    begun = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(visit, order[:first]))
    readings["first"] = {pid: memory_of(pid) for pid in server.worker_pids()}
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(visit, order[first:]))
    seconds = time.perf_counter() - begun
    readings["end"] = {pid: memory_of(pid) for pid in server.worker_pids()}
    return readings, failures, seconds


# -- the figures --------------------------------------------------------------------------------------


def growth(before: int, after: int) -> float:
    """Relative growth from `before` to `after` (0.05 = 5 % more)."""
    return (after - before) / before if before else float("inf")


def report(args, world, total: int, applications: int, readings: dict, failures: list[str], seconds: float,
           elapsed: float) -> int:
    at_bar = total == FULL
    first = total // FIRST_SHARE
    same = set(readings["start"]) == set(readings["first"]) == set(readings["end"])
    rows = []
    for pid in sorted(readings["end"]):
        start, middle, end = (readings[when].get(pid, {"rss": 0, "pss": 0}) for when in ("start", "first", "end"))
        change = growth(middle["rss"], end["rss"])
        rows.append((pid, start, middle, end, change,
                     "PASS" if change <= GROWTH_BAR else "MISS" if at_bar else "(info)"))
    lines = [f"| worker | RSS at start | RSS after {first:,} | RSS after {total:,} | growth | "
             f"≤ {GROWTH_BAR:.0%} | PSS after {first:,} → {total:,} |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for number, (pid, start, middle, end, change, verdict) in enumerate(rows, start=1):
        lines.append(f"| {number} (pid {pid}) | {start['rss'] / 1024:.1f} MB | {middle['rss'] / 1024:.1f} MB | "
                     f"{end['rss'] / 1024:.1f} MB | {change:+.1%} | {verdict} | "
                     f"{middle['pss'] / 1024:.1f} → {end['pss'] / 1024:.1f} MB |")
    table = "\n".join(lines)
    checks = [("every page answered 200", not failures,
               f"{len(failures)} did not" + (f", e.g. {failures[0]}" if failures else "")),
              ("the same workers from start to end (none replaced)", same,
               f"pids {sorted(readings['start'])} → {sorted(readings['end'])}")]
    summary = (f"{total:,} requests in {seconds:.0f} s ({total / seconds:,.0f} a second) by {args.clients} clients "
               f"across {len(page_bench.pages(world))} pages (bench/pages.py's), on {applications:,} applications; "
               f"total {elapsed:.0f} s")
    print(f"CADE Grants: memory of gunicorn's workers ({args.workers} sync workers, development settings, "
          "--preload, max_requests off, PostgreSQL)")
    print(table)
    print(summary)
    print_checks(checks)
    if not at_bar:
        print(f"(the bar is set at {FULL:,} requests: run without --quick)")
    if args.results or (args.results is None and at_bar):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        body = [
            f"`bench/memory.py{' --quick' if args.quick else ''}`, {when}, on {machine(args.url)}.",
            "",
            f"gunicorn with {args.workers} sync workers (bench/pages.py's: development settings, --preload) and "
            "max_requests off, so that each worker lives through the run. Resident memory (VmRSS) of each worker "
            "from /proc; PSS counts the pages shared with the master (--preload) a share each.",
            "",
            table,
            "",
            summary + ".",
            "",
            "Checks:",
            "",
            *(f"- {'ok' if passed else '**FAIL**'}: {name} ({detail})" for name, passed, detail in checks),
        ]
        if not at_bar:
            body += ["", f"Quick scale, for information: the bar is set at {FULL:,} requests."]
        write_section("memory", "## Memory under load", "\n".join(body))
        print("wrote the \"Memory under load\" section of bench/RESULTS.md")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    leave(main())
