"""`make bench-rush`: the enrolment rush, through real gunicorn on PostgreSQL, checked in the database.

The bar (issue 18): 500 people press "Enrol" at the same moment for a
session of 50 seats: exactly 50 are confirmed and 450 waitlisted, in the
order the database recorded, with no server error; p50 and p95 reported.

On a PostgreSQL database of its own (created here, dropped at the end unless --keep):

1. Schema by `db.create_all`; the course and its session through the models;
   the participants (each a member of one organisation, two to an
   organisation) by COPY.
2. Each participant signed in as the sign-in page would leave them: their
   session cookie written with the app's own session interface (Flask-Login's
   `login_user`, Flask-WTF's CSRF token) for the address and browser they
   then use, so that the "strong" session protection accepts it.
3. gunicorn as docs/deploy.md runs it (`gunicorn -c gunicorn.conf.py wsgi:app`,
   CADE_ENV=production), WEB_CONCURRENCY sync workers, the rate limits and the
   broker on Redis (db 10, a queue of its own). Started before step 1, so that
   its workers import the app while this process makes the data; waited for
   and warmed with page views after step 2.
4. One thread a participant, each with its cookie, its own address
   (X-Forwarded-For, the app trusting one proxy) and the form's CSRF token,
   released together by a threading.Barrier to POST the session's Enrol form.
5. Check: every answer the redirect to "My training" (no 5xx, none refused,
   nothing in gunicorn's log above 499); in the database exactly `seats`
   confirmed and the rest waitlisted, the confirmed first and the waiting list
   numbered 1, 2, 3… without gap or repeat in the order the enrolments were
   written (their ids and their status times); each enrolment audited and its
   participant told once.

  .venv/bin/python bench/rush.py            # 500 participants, 50 seats (the bar)
  .venv/bin/python bench/rush.py --quick    # 50 participants, 5 seats, 2 workers

Exit status 1 when a check fails.
"""

import argparse
import http.client
import json
import re
import secrets
import statistics
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.harness import leave, post_together, print_checks, running, scratch, wait_ready  # noqa: E402
from bench.reports import _copy  # noqa: E402
from bench.results import machine, write_section  # noqa: E402
from tests.processes import ManagedProcess, free_port  # noqa: E402
from tests.production.harness import production_env  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_rush"
REDIS_URL = "redis://127.0.0.1:6379/10"
QUEUE = "cade-bench-rush"
FULL = (500, 50)
QUICK = (50, 5)
WORKERS = 4
QUICK_WORKERS = 2  # still two at once on the session's lock, and half the workers to start on a small machine
MEMBERS_PER_ORGANISATION = 2
USER_AGENT = "cade-bench-rush/1.0"
READY_SECONDS = 60
REQUEST_TIMEOUT = 300
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK[0]} participants for {QUICK[1]} seats (default {FULL[0]} for {FULL[1]})")
    parser.add_argument("--participants", type=int, help="people enrolling at once (overrides the scale)")
    parser.add_argument("--seats", type=int, help="seats in the session (overrides the scale)")
    parser.add_argument("--workers", type=int,
                        help=f"gunicorn sync workers (default {WORKERS}, {QUICK_WORKERS} with --quick)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bench database, created and dropped ({DEFAULT_URL})")
    parser.add_argument("--redis", default=REDIS_URL, help=f"rate limits and broker ({REDIS_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the database and gunicorn's log afterwards")
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=None,
                        help="write this benchmark's section of bench/RESULTS.md (default: only at the bar's scale, "
                             "so that `make bench-quick` leaves the figures of a full run alone)")
    args = parser.parse_args()
    args.workers = args.workers or (QUICK_WORKERS if args.quick else WORKERS)
    participants, seats = QUICK if args.quick else FULL
    participants, seats = args.participants or participants, args.seats or seats
    if seats < 1 or participants <= seats:
        parser.error("more participants than seats, and at least one seat")

    secret_key = secrets.token_urlsafe(48)
    with scratch(args.url, "cade-bench-rush-", keep=args.keep, forget=lambda: forget_redis(args.redis)) as folder:
        server, port = gunicorn(args, folder, secret_key)
        with running(server, keep=args.keep):  # its workers import the app while this process makes the data
            world = generate(args.url, args.redis, folder, secret_key, participants, seats)
            wait_ready(server, lambda: answering(port), READY_SECONDS)
            warm_up(port, [f"/training/courses/{world['course_id']}", "/training/", "/healthz"], args.workers)
            answers, wall = rush(port, world)
            errors = server_errors(server.text())
            checks, figures = verify(args.url, world, answers, errors)
    return report(args, world, answers, wall, checks, figures)


# -- the data -----------------------------------------------------------------------------------------


def make_app(url: str, redis_url: str, folder: Path, secret_key: str):
    from cade import create_app
    from config import Config, database_url

    celery = dict(Config.CELERY, broker_url=redis_url, task_default_queue=QUEUE)
    return create_app(Config, SQLALCHEMY_DATABASE_URI=database_url(url), STORAGE_PATH=str(folder / "files"),
                      MAILBOX_PATH=str(folder / "mailbox"), CELERY=celery, SECRET_KEY=secret_key)


def generate(url: str, redis_url: str, folder: Path, secret_key: str, participants: int, seats: int) -> dict:
    """The course and its session, the participants and their organisations, and each one's signed-in cookie."""
    from cade.extensions import db
    from cade.training.models import Course, Session

    app = make_app(url, redis_url, folder, secret_key)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        db.create_all()
        course = Course(title="Digital security basics (bench)", description="The rush.", format="workshop",
                        language="en", dimensions=["digital_security"], published=True)
        session = Session(course=course, starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=10, hours=2),
                          timezone="Africa/Nairobi", place="Nairobi Garage", seats=seats,
                          enrolment_opens_at=now - timedelta(days=1), enrolment_closes_at=now + timedelta(days=9))
        db.session.add(session)
        db.session.commit()
        world = {"course_id": course.id, "session_id": session.id, "seats": seats, "participants": participants}
        db.session.remove()
        db.engine.dispose()

    organisations = -(-participants // MEMBERS_PER_ORGANISATION)
    stamp = now.isoformat()
    with psycopg.connect(url) as conn:
        _copy(conn, "organisations", "id, name, country, region_code, subregion_code, organisation_type, "
              "stakeholder_group, focus_areas, languages, verified, publish_consent",
              (f"{number}\tNetwork {number}\tKE\t002\t202\tcommunity_network\tcivil_society\t[\"connectivity\"]\t"
               f"[\"en\", \"sw\"]\tt\tf\n" for number in range(1, organisations + 1)))
        _copy(conn, "users", "id, email, password_hash, name, locale, timezone, verified_at, active, session_version",
              (f"{user}\tparticipant{user}@net{organisation_of(user)}.rush-bench.test\t!\tParticipant {user:04d}\t"
               f"en\tAfrica/Nairobi\t{stamp}\tt\t1\n" for user in range(1, participants + 1)))
        _copy(conn, "memberships", "user_id, organisation_id, role",
              (f"{user}\t{organisation_of(user)}\t{'owner' if user % MEMBERS_PER_ORGANISATION == 1 else 'member'}\n"
               for user in range(1, participants + 1)))
        for table in ("organisations", "users", "memberships"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    world["people"] = signed_in(app, participants, world["session_id"])
    return world


def organisation_of(user: int) -> int:
    return (user - 1) // MEMBERS_PER_ORGANISATION + 1


def address_of(user: int) -> str:
    """Each participant's own address (as the proxy reports it): their rate limits and session are theirs alone."""
    return f"10.18.{user // 250}.{user % 250 + 1}"


def signed_in(app, participants: int, session_id: int) -> list[dict]:
    """Per participant: the session cookie the sign-in page would have set, and the Enrol form's CSRF token.

    Written in a request from the participant's address and browser, with the app's own session interface
    (Flask-Login's `login_user`, Flask-WTF's `generate_csrf`), so the server reads it as its own.
    """
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from cade.accounts.models import User

    serializer = app.session_interface.get_signing_serializer(app)
    people = []
    for user_id in range(1, participants + 1):
        headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": address_of(user_id)}
        with app.test_request_context("/auth/login", method="POST", headers=headers):
            login_user(User(id=user_id, session_version=1, active=True))
            token = generate_csrf()
            cookie = serializer.dumps(dict(session))
        people.append({"user_id": user_id, "headers": {
            **headers, "Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}", "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded"},
            "body": urlencode({f"s{session_id}-csrf_token": token})})
    return people


# -- the server ---------------------------------------------------------------------------------------


def gunicorn(args, folder: Path, secret_key: str) -> tuple[ManagedProcess, int]:
    """gunicorn as docs/deploy.md starts it, in production mode, on a free port (not started yet), and the port."""
    port = free_port()
    env = production_env(secret_key=secret_key, database_url=args.url, broker_url=args.redis,
                         base_url=f"http://127.0.0.1:{port}", smtp_port=25, instance=folder / "instance")
    metrics = folder / "metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    env.update(RATELIMIT_STORAGE_URI=args.redis, CELERY_QUEUE=QUEUE, WEB_HOSTS="1", STORAGE_BACKEND="local",
               STORAGE_PATH=str(folder / "files"), BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(args.workers),
               PROMETHEUS_MULTIPROC_DIR=str(metrics), GUNICORN_TIMEOUT=str(REQUEST_TIMEOUT))
    return ManagedProcess("gunicorn", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket",
                                       "wsgi:app"], env=env, log_path=folder / "gunicorn.log"), port


def answering(port: int) -> bool:
    """Whether gunicorn answers /healthz yet."""
    try:
        return get(port, "/healthz")[0] == 200
    except OSError:
        return False


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def warm_up(port: int, paths: list[str], workers: int) -> None:
    """Views of `paths` from all at once, several per worker, so that no worker meets the rush (or burst) cold."""
    failures = []

    def view(number):
        try:
            status, _ = get(port, paths[number % len(paths)], {"User-Agent": USER_AGENT})
            if status != 200:
                failures.append(status)
        except OSError as exc:
            failures.append(str(exc))

    threads = [threading.Thread(target=view, args=(number,)) for number in range(workers * 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"warm-up failed: {failures[:5]}")


def rush(port: int, world: dict) -> tuple[list[dict], float]:
    """Everyone POSTs the Enrol form at once; returns each answer (status, where to, seconds) and the wall time."""
    path = f"/training/sessions/{world['session_id']}/enrol"
    return post_together(port, [(path, person["body"], person["headers"], {"user_id": person["user_id"]})
                                for person in world["people"]], REQUEST_TIMEOUT)


def server_errors(log: str) -> list[str]:
    """gunicorn's access-log lines with a 5xx status (a JSON object a line in production)."""
    found = []
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                line = str(json.loads(line).get("message", ""))
            except ValueError:
                pass
        if re.search(r'HTTP/[\d.]+" 5\d\d ', line):
            found.append(line)
    return found


def forget_redis(redis_url: str) -> None:
    """Delete what this benchmark left in Redis: its queue, and the rate-limit counters of its addresses."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
        keys = list(client.scan_iter(match="LIMITS:*10.18.*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# -- the checks ---------------------------------------------------------------------------------------


def verify(url: str, world: dict, answers: list[dict], errors: list[str]) -> tuple[list, dict]:
    seats, participants, session_id = world["seats"], world["participants"], world["session_id"]
    waiting = participants - seats
    checks = []

    def check(name, passed, detail):
        checks.append((name, bool(passed), detail))

    statuses: dict[str, int] = {}
    for answer in answers:
        key = str(answer["status"]) if answer["status"] else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    server_side = sum(1 for answer in answers if answer["status"] and answer["status"] >= 500)
    check("no server error", server_side == 0 and not errors and "no answer" not in statuses,
          f"answers {dict(sorted(statuses.items()))}; {len(errors)} 5xx lines in gunicorn's log")
    enrolled = sum(1 for answer in answers if answer["status"] == 302 and answer["location"].endswith("/training/mine"))
    check("every participant sent on to \"My training\"", enrolled == participants, f"{enrolled} of {participants}")

    with psycopg.connect(url) as conn:
        rows = conn.execute("""SELECT id, user_id, status, waitlist_position, status_changed_at FROM enrolments
                               WHERE session_id = %s ORDER BY id""", (session_id,)).fetchall()
        audited = conn.execute("""SELECT count(*), count(DISTINCT e.object_id) FROM audit_events e
                                  JOIN enrolments n ON n.id = e.object_id AND e.object_type = 'Enrolment'
                                  WHERE e.verb = 'enrolment.created' AND n.session_id = %s""",
                               (session_id,)).fetchone()
        told = conn.execute("""SELECT n.kind, count(*) FROM notifications n JOIN enrolments e
                               ON n.idempotency_key IN ('training.confirmed:' || e.id, 'training.waitlisted:' || e.id)
                               AND n.recipient_id = e.user_id WHERE e.session_id = %s GROUP BY n.kind""",
                            (session_id,)).fetchall()
    confirmed = [row for row in rows if row[2] == "confirmed"]
    waitlisted = [row for row in rows if row[2] == "waitlisted"]
    check("one enrolment a participant", len(rows) == participants and len({row[1] for row in rows}) == participants,
          f"{len(rows)} enrolments of {len({row[1] for row in rows})} people")
    check(f"exactly {seats} confirmed, {waiting} waitlisted", len(confirmed) == seats and len(waitlisted) == waiting,
          f"{len(confirmed)} confirmed, {len(waitlisted)} waitlisted")
    check("the confirmed are the first written", rows[:seats] == confirmed,
          "the first %d enrolment ids are %s" % (seats, "all confirmed" if rows[:seats] == confirmed else "not"))
    positions = [row[3] for row in waitlisted]
    check("waiting list 1, 2, 3… in the order written, without gap or repeat",
          positions == list(range(1, waiting + 1)) and all(row[3] is None for row in confirmed),
          f"positions by id: {positions[:5]}…{positions[-3:]}" if positions else "none")
    moments = [row[4] for row in rows]
    check("status times follow the order written", moments == sorted(moments),
          "non-decreasing by id" if moments == sorted(moments) else "out of order")
    check("each enrolment audited once", tuple(audited) == (participants, participants),
          f"{audited[0]} events for {audited[1]} enrolments")
    told = dict(told)
    check("each participant told once", told == {"training.confirmed": seats, "training.waitlisted": waiting},
          ", ".join(f"{count} {kind}" for kind, count in sorted(told.items())) or "none")

    seconds = sorted(answer["seconds"] for answer in answers)
    gaps = [(after - before).total_seconds() for before, after in zip(moments, moments[1:])]
    figures = {"p50": statistics.median(seconds), "p95": quantile(seconds, 0.95), "max": seconds[-1],
               "min": seconds[0], "statuses": statuses, "gap": statistics.median(gaps) if gaps else 0.0,
               "span": (moments[-1] - moments[0]).total_seconds() if moments else 0.0}
    return checks, figures


def quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank)."""
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


# -- the figures --------------------------------------------------------------------------------------


def report(args, world: dict, answers: list, wall: float, checks: list, figures: dict) -> int:
    held = all(passed for _, passed, _ in checks)
    participants, seats = world["participants"], world["seats"]
    at_bar = (participants, seats) == FULL
    rows = [
        ("participants released together", f"{participants}", f"for {seats} seats"),
        ("latency p50", f"{figures['p50'] * 1000:,.0f} ms", "from the barrier to the answer"),
        ("latency p95", f"{figures['p95'] * 1000:,.0f} ms", ""),
        ("latency min / max", f"{figures['min'] * 1000:,.0f} / {figures['max'] * 1000:,.0f} ms", ""),
        ("all answered in", f"{wall:.2f} s", f"{participants / wall:,.0f} enrolments a second"),
        ("first to last enrolment written", f"{figures['span']:.2f} s",
         f"median {figures['gap'] * 1000:,.1f} ms between two, under the session's lock"),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"CADE Grants: the enrolment rush through gunicorn ({args.workers} sync workers, production settings, "
          f"PostgreSQL)")
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>16}  {note}")
    print_checks(checks)
    if not at_bar:
        print(f"(the bar is set at {FULL[0]} participants for {FULL[1]} seats: run without --quick)")
    if args.results or (args.results is None and at_bar):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"`bench/rush.py{' --quick' if args.quick else ''}`, {when}, on {machine(args.url)}.",
            "",
            f"{participants} signed-in participants (two to an organisation), each from their own address, "
            f"released together by a barrier to POST the Enrol form of a session with {seats} seats, through "
            f"gunicorn ({args.workers} sync workers, CADE_ENV=production) on PostgreSQL, rate limits and broker "
            "on Redis. The client threads run on the same machine as the server.",
            "",
            "| figure | value | note |",
            "| --- | --- | --- |",
            *(f"| {label} | {value} | {note} |" for label, value, note in rows),
            "",
            "Checks:",
            "",
            *(f"- {'ok' if passed else '**FAIL**'}: {name} ({detail})" for name, passed, detail in checks),
        ]
        if not at_bar:
            lines += ["", f"Quick scale, for information: the bar is set at {FULL[0]} participants for {FULL[1]} "
                          "seats."]
        write_section("rush", "## Enrolment rush", "\n".join(lines))
        print("wrote the \"Enrolment rush\" section of bench/RESULTS.md")
    return 0 if held else 1


if __name__ == "__main__":
    leave(main())
