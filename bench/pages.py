"""`make bench-pages`: page latency at scale on PostgreSQL, under real gunicorn (issue 18, the pages row).

On a database of its own (dropped and created here; dropped at the end unless --keep):

1. The schema by the real migrations (what `flask --app wsgi db upgrade`
   runs, in this process), the signed-in people's own rows through the models,
   the bulk by COPY, then VACUUM ANALYZE (bench/seed_pages.py says what is made).
2. The small scale is served by gunicorn (2 sync workers, a free port, the
   development settings on this database; started as step 1 ends, so that it
   boots while the bulk is written); an applicant, a reviewer and an
   administrator sign in through /auth/login. Each page is asked for N times,
   each time right after /healthz (one trivial query), so that a change of load
   hits both; a page's figure is its median over the median of /healthz.
   The statements each page runs are counted in this process, on a Flask test
   client against the same database.
3. Rows are added up to the large scale (VACUUM ANALYZE again) while the
   same gunicorn keeps serving, as a site's data grows under it, and
   everything is measured again.
4. A table: statements small/large, ratio small/large, growth (large/small),
   and the targets (ratio <= 3x, growth <= 1.5x, statements unchanged); it is
   printed and written to bench/RESULTS.md ("Pages at scale").

Exit status 0 when targets are missed (this is a measurement); 1 when
something broke: a page answered other than 200, or its statements changed.

  .venv/bin/python bench/pages.py --quick                 # 200 -> 2,000 applications, 3 requests a page
  .venv/bin/python bench/pages.py                         # 1,000 -> 100,000 applications (a few minutes)
  .venv/bin/python bench/pages.py --explain ranking       # and the plans of the ranking's slowest statements
"""

import argparse
import contextlib
import io
import logging
import os
import platform
import re
import secrets
import statistics
import sys
import time
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.harness import leave, running, scratch, wait_ready  # noqa: E402
from bench.seed_pages import BULK_ID, REVIEWS_PER_APPLICATION, Sizes, World, add_rows, fixed_rows, utc_now  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_pages"
QUICK, FULL = (200, 2_000), (1_000, 100_000)
REPEATS_QUICK, REPEATS_FULL = 3, 30  # the quick run keeps the pages and their statement counts checked
RATIO_TARGET, GROWTH_TARGET = 3.0, 1.5
RESULTS = BENCH / "RESULTS.md"
HEADING = "## Pages at scale"
REQUEST_TIMEOUT = 120
READY_SECONDS = 60
BIN = Path(sys.executable).parent


def pages(world: World) -> dict[str, tuple[str | None, str]]:
    """Each page of the issue's table that exists today: (who asks, path)."""
    draft_review = BULK_ID + 120 * REVIEWS_PER_APPLICATION  # the signed-in reviewer's draft, large call, i = 120
    return {
        "open calls": (None, "/"),
        "call page": ("applicant", f"/calls/{world.large_call}"),
        "applicant dashboard": ("applicant", "/applications/"),
        "application view": ("applicant", f"/applications/{world.own_application}"),
        "reviewer dashboard": ("reviewer", "/review/"),
        "review form": ("reviewer", f"/review/assignments/{draft_review}"),
        "call review": ("admin", f"/admin/calls/{world.large_call}/review"),
        "ranking": ("admin", f"/admin/calls/{world.large_call}/ranking"),
        "decision": ("admin", f"/admin/applications/{world.own_application}/decision"),
        "admin home": ("admin", "/admin/"),
        "funding summary": ("admin", "/reports/"),
        "funding-summary dashboard": ("admin", f"/reports/{world.report_run}/"),
        "training catalogue": (None, "/training/"),
        "grants list": ("applicant", "/grants/"),
        "grants list (admin)": ("admin", "/admin/grants/"),
    }


class Broke(Exception):
    """Something that is not a slow page: a page that did not answer 200, a server that did not start."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 applications, 3 requests a page")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bench database, dropped and created ({DEFAULT_URL})")
    parser.add_argument("--repeats", type=int, help="requests a page (default 3 quick, 30 otherwise)")
    parser.add_argument("--explain", action="append", default=[], metavar="PAGE",
                        help="at the large scale, EXPLAIN ANALYZE the page's slowest statements (may be repeated)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()
    if not args.url.rsplit("/", 1)[-1].startswith("cade_bench_"):
        parser.error("--url: the database's name must start with cade_bench_ (it is dropped)")
    small, large = QUICK if args.quick else FULL
    repeats = args.repeats or (REPEATS_QUICK if args.quick else REPEATS_FULL)
    started = time.perf_counter()
    try:
        with scratch(args.url, "cade-bench-pages-", keep=args.keep) as folder:
            env = app_env(args.url, folder)
            app = make_app(env)
            migrate(app)
            world = fixed_rows(app)
            unknown = [name for name in args.explain if name not in pages(world)]
            if unknown:
                parser.error(f"--explain: no page {', '.join(unknown)}; pages: {', '.join(pages(world))}")
            now = utc_now()
            results, timings = {}, {}
            before = Sizes(0)
            server = Server(env, folder)
            # One server for both scales, as a site whose data grows under it; started now, so that its master
            # imports the app while this process makes the data.
            with running(server.process, keep=args.keep):
                for label, count in (("small", small), ("large", large)):
                    begun = time.perf_counter()
                    written = add_rows(args.url, world, before, Sizes(count), now)
                    timings[f"generate {label}"] = time.perf_counter() - begun
                    before = Sizes(count)
                    keep_award_figures_of(env, world)
                    world.report_run = compile_summary(env, world)
                    print(f"{label}: {count:,} bulk applications; added " +
                          ", ".join(f"{table} {rows:,}" for table, rows in written.items() if rows)
                          + f" in {timings[f'generate {label}']:.1f} s", flush=True)
                    begun = time.perf_counter()
                    statements = count_all(env, world, pages(world))
                    server.wait_ready()
                    results[label] = measure(server, world, statements, repeats)
                    timings[f"measure {label}"] = time.perf_counter() - begun
            explained = {name: explain(env, world, name) for name in args.explain}
            counts = row_counts(args.url)
    except Broke as error:
        print(f"BROKEN: {error}", file=sys.stderr)
        return 1
    table, broken = report(world, results, small, large, repeats)
    summary = (f"data (large): {counts['applications']:,} applications ({counts['large_call']:,} in the large "
               f"call), {counts['reviews']:,} reviews, {counts['organisations']:,} organisations, "
               f"{counts['users']:,} users, {counts['decisions']:,} decisions, {counts['grants']:,} grants; "
               + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items())
               + f"; total {time.perf_counter() - started:.0f} s")
    print(table)
    print(summary)
    for name, text in explained.items():
        print(f"\n--explain {name}\n{text}")
    if not args.no_results:
        write_results(table, summary, explained, args.quick)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    if broken:
        print("BROKEN: statements per page changed with the data on: " + ", ".join(broken), file=sys.stderr)
        return 1
    return 0


# -- the app, in this process and under gunicorn ------------------------------------------------------


def app_env(url: str, folder: Path) -> dict:
    """The development settings on the bench database; no broker to wait for, no file left in instance/."""
    env = {key: value for key, value in os.environ.items()
           if key in {"PATH", "HOME", "USER", "LANG", "TZ", "TMPDIR", "VIRTUAL_ENV"} or key.startswith("LC_")}
    env.update(CADE_ENV="development", DATABASE_URL=url, SECRET_KEY=secrets.token_urlsafe(48),
               CELERY_BROKER_URL="memory://", CELERY_RESULT_BACKEND="cache+memory://",
               RATELIMIT_STORAGE_URI="memory://", CADE_INSTANCE_PATH=str(folder / "instance"),
               STORAGE_PATH=str(folder / "files"), MAILBOX_PATH=str(folder / "mailbox"), LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    return env


def migrate(app) -> None:
    """The schema by the real migrations, as `flask db upgrade` builds it, but in this process: the command
    would import the app a second time (seconds of the quick run). Its output is shown only if it fails."""
    import flask_migrate

    from cade.extensions import db

    said = io.StringIO()
    with _logging_kept(), contextlib.redirect_stderr(said), app.app_context():
        try:
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        except (Exception, SystemExit) as error:  # Flask-Migrate logs Alembic's own errors and exits 1
            raise Broke(f"the migrations failed: {error!r}\n{said.getvalue()[-3000:]}") from error
        finally:
            db.session.remove()
            db.engine.dispose()


@contextlib.contextmanager
def _logging_kept():
    """Every logger as it was before the block: Alembic's env.py sets up logging for a command of its own
    (fileConfig), which in this process would silence the app's loggers and write to the captured stderr."""
    loggers = [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    saved = [(logger, logger.level, list(logger.handlers), logger.disabled, logger.propagate) for logger in loggers]
    try:
        yield
    finally:
        for logger, level, handlers, disabled, propagate in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.disabled, logger.propagate = disabled, propagate


def make_app(env: dict, **overrides):
    """The app as gunicorn's workers build it (config from the same variables), in this process."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        import importlib

        import config

        importlib.reload(config)  # its classes read the environment when imported
        from cade import create_app

        return create_app(config.config_from_env(), **overrides)
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Server:
    """gunicorn with two sync workers on a free port, as `make serve` starts it, but for --preload; not started
    here (bench/harness.py's `running` starts and stops it; `wait_ready` before the first request).

    --preload: the master imports the app once and forks its workers, rather
    than each worker importing it at once on a two-core machine (seconds of the
    quick run). create_app opens no connection, so the workers share none.
    """

    def __init__(self, env: dict, folder: Path):
        from tests.processes import ManagedProcess, free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess(
            "gunicorn", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket", "--preload",
                         "wsgi:app"],
            env={**env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": "/dev/null"},
            log_path=folder / f"gunicorn-{self.port}.log")

    def wait_ready(self) -> None:
        wait_ready(self.process, self.answering, READY_SECONDS, broken=Broke)

    def answering(self) -> bool:
        try:
            return requests.get(self.base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


def sign_in(base: str, email: str, password: str) -> requests.Session:
    """A session signed in through the login form, as a browser would (CSRF token and all)."""
    session = requests.Session()
    form = session.get(base + "/auth/login", timeout=REQUEST_TIMEOUT)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    if token is None:
        raise Broke("/auth/login shows no csrf_token")
    answer = session.post(base + "/auth/login", data={"email": email, "password": password,
                                                      "csrf_token": token.group(1)},
                          allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if answer.status_code != 302:
        raise Broke(f"signing in {email} answered {answer.status_code}, not a redirect")
    return session


# -- measuring ----------------------------------------------------------------------------------------


def measure(server: "Server", world: World, statements: dict[str, int], repeats: int) -> dict:
    """{page: (median ratio, p25 ratio, p75 ratio, statements)} and the median of /healthz in seconds."""
    listed = pages(world)
    sessions = {None: requests.Session()}
    for who in ("applicant", "reviewer", "admin"):
        sessions[who] = sign_in(server.base, getattr(world, who), world.password)

    def timed(who, path):
        begun = time.perf_counter()
        answer = sessions[who].get(server.base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
        took = time.perf_counter() - begun
        if answer.status_code != 200:
            raise Broke(f"{path} answered {answer.status_code} to {who or 'a visitor'}")
        return took

    for who, path in listed.values():  # warm-up: a worker's first request of a page compiles its SQL
        timed(who, path)
    health, times = [], {name: [] for name in listed}
    for _ in range(repeats):
        for name, (who, path) in listed.items():
            health.append(timed(None, "/healthz"))
            times[name].append(timed(who, path))
    base = statistics.median(health)
    figures = {}
    for name, taken in times.items():
        quartiles = statistics.quantiles(taken, n=4)
        figures[name] = (statistics.median(taken) / base, quartiles[0] / base, quartiles[2] / base, statements[name])
    return {"pages": figures, "healthz": base}


def keep_award_figures_of(env: dict, world: World) -> None:
    """The calls' kept award figures, as deciding and releasing would have kept them (COPY bypasses the app)."""
    from cade.awards.services.figures import keep_award_figures
    from cade.extensions import db

    app = make_app(env)
    with app.app_context():
        for call_id in (world.large_call, *world.other_calls):
            keep_award_figures(call_id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def compile_summary(env: dict, world: World) -> int:
    """A funding summary of everything, asked for by the admin and compiled here as a worker would; its run's id.

    One at each scale, so that the dashboard shows the breakdowns of the data as it then is.
    """
    from sqlalchemy import select

    from cade.accounts.models import User
    from cade.core.runs import RunStatus
    from cade.extensions import db
    from cade.reports.services.runs import compile_report, request_report
    from cade.reports.services.summary import FundingSummaryInput

    app = make_app(env)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == world.admin))
        run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
        db.session.commit()
        run = compile_report(run.id, commit_progress=db.session.commit)
        db.session.commit()
        if run.status != RunStatus.SUCCEEDED:
            raise Broke(f"the funding summary did not compile: {run.error or run.status}")
        run_id = run.id
        db.session.remove()
        db.engine.dispose()
    return run_id


def count_all(env: dict, world: World, listed: dict) -> dict[str, int]:
    """Statements each page runs (its second request: the first also loads what a worker keeps)."""
    from tests.conftest import IsolatedClient
    from tests.querycount import count_statements

    app = make_app(env, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    app.test_client_class = IsolatedClient
    counts = {}
    with app.app_context():
        clients = {None: app.test_client()}
        for who in ("applicant", "reviewer", "admin"):
            clients[who] = app.test_client()
            answer = clients[who].post("/auth/login", data={"email": getattr(world, who), "password": world.password})
            if answer.status_code != 302:
                raise Broke(f"signing in {who} in this process answered {answer.status_code}")
        for name, (who, path) in listed.items():
            clients[who].get(path)
            answer, counts[name] = count_statements(lambda: clients[who].get(path))
            if answer.status_code != 200:
                raise Broke(f"{path} answered {answer.status_code} in this process")
        from cade.extensions import db

        db.session.remove()
        db.engine.dispose()
    return counts


def explain(env: dict, world: World, name: str, slowest: int = 3) -> str:
    """The page's statements timed one by one in this process; EXPLAIN ANALYZE of the slowest."""
    from sqlalchemy import event

    from cade.extensions import db
    from tests.conftest import IsolatedClient

    who, path = pages(world)[name]
    app = make_app(env, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    app.test_client_class = IsolatedClient
    seen, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        seen.append((took, psycopg.ClientCursor(cursor.connection).mogrify(statement, parameters or None)))

    with app.app_context():
        client = app.test_client()
        if who:
            client.post("/auth/login", data={"email": getattr(world, who), "password": world.password})
        client.get(path)
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            begun = time.perf_counter()
            client.get(path)
            whole = time.perf_counter() - begun
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
        db.session.remove()
        db.engine.dispose()
    in_sql = sum(took for took, _ in seen)
    lines = [f"{path}: {whole * 1000:.1f} ms in this process, of which {in_sql * 1000:.1f} ms in "
             f"{len(seen)} statements (the rest: Python, templates). Each statement, in order:"]
    lines += [f"  {took * 1000:7.1f} ms  {' '.join(sql.split())[:110]}" for took, sql in seen]
    explainable = [(took, sql) for took, sql in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        for took, sql in sorted(explainable, key=lambda item: item[0], reverse=True)[:slowest]:
            plan = "\n".join(row[0] for row in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql))
            lines.append(f"\n{took * 1000:.1f} ms: {' '.join(sql.split())[:600]}\n{plan}")
    return "\n".join(lines) + "\n"


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        def count(sql):
            return conn.execute(sql).fetchone()[0]
        return {"applications": count("SELECT count(*) FROM applications"),
                "large_call": count("SELECT max(n) FROM (SELECT count(*) AS n FROM applications GROUP BY call_id) c"),
                "reviews": count("SELECT count(*) FROM reviews"),
                "organisations": count("SELECT count(*) FROM organisations"),
                "users": count("SELECT count(*) FROM users"), "decisions": count("SELECT count(*) FROM decisions"),
                "grants": count("SELECT count(*) FROM grants")}


# -- the figures --------------------------------------------------------------------------------------


def report(world, results, small: int, large: int, repeats: int) -> tuple[str, list[str]]:
    """The table (Markdown, which reads as well in a terminal) and the pages whose statements changed."""
    lines = [f"{repeats} requests a page under gunicorn (2 sync workers), each after one of /healthz; ratio = "
             f"median page time / median /healthz time (p25–p75 in brackets). /healthz median: small "
             f"{results['small']['healthz'] * 1000:.1f} ms, large {results['large']['healthz'] * 1000:.1f} ms. "
             f"Targets: ratio ≤ {RATIO_TARGET:g}×, growth ≤ {GROWTH_TARGET:g}×, statements unchanged.", "",
             f"| page | statements {small:,} / {large:,} | ratio at {small:,} | ratio at {large:,} | growth | "
             f"ratio ≤ {RATIO_TARGET:g}× | growth ≤ {GROWTH_TARGET:g}× | statements |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    broken = []
    for name in pages(world):
        r_small, lo_small, hi_small, q_small = results["small"]["pages"][name]
        r_large, lo_large, hi_large, q_large = results["large"]["pages"][name]
        growth = r_large / r_small
        same = q_small == q_large
        if not same:
            broken.append(name)
        lines.append(f"| {name} | {q_small} / {q_large} | {r_small:.1f}× ({lo_small:.1f}–{hi_small:.1f}) | "
                     f"{r_large:.1f}× ({lo_large:.1f}–{hi_large:.1f}) | {growth:.2f}× | "
                     f"{'yes' if r_large <= RATIO_TARGET else 'NO'} | {'yes' if growth <= GROWTH_TARGET else 'NO'} | "
                     f"{'same' if same else 'CHANGED'} |")
    return "\n".join(lines), broken


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE) \
        if Path("/proc/meminfo").exists() else None
    try:
        with psycopg.connect(DEFAULT_URL.rsplit("/", 1)[0] + "/postgres") as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        server = "unknown"
    return (f"{os.cpu_count()} CPUs ({models[0] if models else platform.processor() or 'unknown model'}), "
            f"{int(memory.group(1)) / 1024 / 1024:.1f} GB RAM, " if memory else f"{os.cpu_count()} CPUs, ") + \
        f"PostgreSQL {server}, Python {platform.python_version()}, {date.today().isoformat()}"


def write_results(table: str, summary: str, explained: dict, quick: bool) -> None:
    """Replace this benchmark's section of bench/RESULTS.md (the scale's own subsection), keep the rest."""
    scale = "quick (200 → 2,000 applications)" if quick else "default (1,000 → 100,000 applications)"
    body = [f"### {scale}", "", f"Machine: {machine()}.", "", table, "", summary + ".", ""]
    if explained:  # the plans themselves are printed, too long for this page; the findings are written by hand
        body += [f"Plans of the slowest statements of {', '.join(explained)}: `bench/pages.py --explain PAGE`.", ""]
    section = "\n".join(body)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\nWritten by `bench/pages.py`; the findings below the tables " \
                                   "are the reader's, kept between runs.\n\n"
    head, _, rest = text.partition(HEADING)
    # The section runs to the next "## " heading; within it, this scale's "### " subsection is replaced.
    after = re.search(r"^## ", rest, re.MULTILINE)
    ours, tail = (rest[:after.start()], rest[after.start():]) if after else (rest, "")
    pattern = re.compile(rf"^### {re.escape(scale)}\n.*?(?=^### |\Z)", re.MULTILINE | re.DOTALL)
    ours = pattern.sub(lambda _: section + "\n", ours) if pattern.search(ours) else ours.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(head + HEADING + ours.rstrip("\n") + "\n" + ("\n" + tail if tail else ""))


if __name__ == "__main__":
    leave(main())
