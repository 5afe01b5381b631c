"""`make bench-burst`: the submission burst at the deadline, through real gunicorn on PostgreSQL, checked in the database.

The bar (issue 18): 200 applicants of 200 organisations press "Submit" on
their complete drafts at the same moment, minutes before the call closes:
no error, 200 distinct references without a gap, every application
submitted exactly once; p50 and p95 reported.

On a PostgreSQL database of its own (created here, dropped at the end unless --keep):

1. Schema by `db.create_all`; through the models, the programme and its call
   (open, closing in 30 minutes, three questions) and per applicant their
   organisation, their membership (owner) and their complete draft: the
   three answers, the amount requested and one budget line for all of it.
2. Each applicant signed in as the sign-in page would leave them, as
   bench/rush.py does it: their session cookie written with the app's own
   session interface for the address and browser they then use.
3. gunicorn as bench/rush.py starts it (docs/deploy.md, CADE_ENV=production,
   4 sync workers, rate limits and the broker on Redis: the rush's queue and
   address range, which its `forget_redis` empties before and after). Started
   before step 1, as the rush starts it; waited for and warmed with page
   views after step 2.
4. One thread an applicant, released together by a threading.Barrier to POST
   their draft's Submit form (the form of the application page, CSRF token
   and all).
5. Check: every answer the redirect to the application's page (no 5xx,
   nothing in gunicorn's log above 499); in the database every application
   submitted, with a submission time before the deadline; the references
   exactly PREFIX-0001 … PREFIX-N, each once, and the call's counter at N;
   each application's submission audited once and its receipt queued once.

  .venv/bin/python bench/burst.py            # 200 submissions (the bar)
  .venv/bin/python bench/burst.py --quick    # 20 submissions, 2 workers

Exit status 1 when a check fails.
"""

import argparse
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.harness import leave, post_together, print_checks, running, scratch, wait_ready  # noqa: E402
from bench.results import machine, write_section  # noqa: E402
from bench.rush import (READY_SECONDS, USER_AGENT, address_of, answering, forget_redis, gunicorn,  # noqa: E402
                        make_app, quantile, server_errors, warm_up)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_burst"
REDIS_URL = "redis://127.0.0.1:6379/10"
FULL = 200
QUICK = 20
WORKERS = 4
QUICK_WORKERS = 2  # as bench/rush.py's quick run
PREFIX = "BURST-2026"
REQUESTED_MINOR = 20_000_00
CLOSES_IN = timedelta(minutes=30)
REQUEST_TIMEOUT = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} submissions (default {FULL})")
    parser.add_argument("--applicants", type=int, help="submissions at once (overrides the scale)")
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
    applicants = args.applicants or (QUICK if args.quick else FULL)
    if applicants < 2:
        parser.error("at least two applicants")

    secret_key = secrets.token_urlsafe(48)
    started = time.perf_counter()
    with scratch(args.url, "cade-bench-burst-", keep=args.keep, forget=lambda: forget_redis(args.redis)) as folder:
        server, port = gunicorn(args, folder, secret_key)
        with running(server, keep=args.keep):  # its workers import the app while this process makes the data
            world = generate(args.url, args.redis, folder, secret_key, applicants)
            world["generated_in"] = time.perf_counter() - started
            wait_ready(server, lambda: answering(port), READY_SECONDS)
            warm_up(port, ["/", f"/calls/{world['call_id']}", "/healthz"], args.workers)
            world["served_in"] = time.perf_counter() - started - world["generated_in"]
            answers, wall = burst(port, world)
            errors = server_errors(server.text())
            checks, figures = verify(args.url, world, answers, errors)
    world["total"] = time.perf_counter() - started
    return report(args, world, wall, checks, figures)


# -- the data -----------------------------------------------------------------------------------------


def generate(url: str, redis_url: str, folder: Path, secret_key: str, applicants: int) -> dict:
    """The call, and per applicant an organisation, a membership and a complete draft; then each one's cookie."""
    from cade.accounts.models import User
    from cade.applications.models import Answer, Application, BudgetLine
    from cade.core.countries import get_country
    from cade.extensions import db
    from cade.organisations.models import Membership, Organisation
    from cade.programmes.constants import CallStatus
    from cade.programmes.models import Call, Programme, Question

    app = make_app(url, redis_url, folder, secret_key)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    kenya = get_country("KE")
    with app.app_context():
        db.create_all()
        programme = Programme(name="Community networks (bench)", kind="grants", funder_name="Bench funder",
                              currency="USD")
        call = Call(programme=programme, title="The call that closes today", reference_prefix=PREFIX,
                    description="The burst.", status=CallStatus.PUBLISHED, opens_at=now - timedelta(days=30),
                    closes_at=now + CLOSES_IN, timezone="Africa/Nairobi", budget_envelope_minor=10**12,
                    min_award_minor=5_000_00, max_award_minor=40_000_00)
        questions = [Question(kind="short_text", label="Project name", position=0),
                     Question(kind="long_text", label="What will the network change?", word_limit=300, position=1),
                     Question(kind="number", label="People reached", position=2)]
        call.questions.extend(questions)
        db.session.add(call)
        for number in range(1, applicants + 1):
            user = User(id=number, email=f"applicant{number}@org{number}.burst-bench.test", password_hash="!",
                        name=f"Applicant {number:04d}", locale="en", timezone="Africa/Nairobi", verified_at=now,
                        active=True, session_version=1)
            organisation = Organisation(name=f"Network {number}", country="KE", region_code=kenya.region_code,
                                        subregion_code=kenya.subregion_code, city="Nairobi",
                                        organisation_type="community_network", stakeholder_group="civil_society",
                                        focus_areas=["connectivity"], languages=["en", "sw"])
            application = Application(call=call, organisation=organisation, created_by=user,
                                      title=f"Mesh for village {number}",
                                      summary="Routers, solar panels and training for the volunteers who run them.",
                                      requested_amount_minor=REQUESTED_MINOR)
            application.answers = [Answer(question=questions[0], text=f"Village mesh {number}"),
                                   Answer(question=questions[1], text="Three villages online, run by their people."),
                                   Answer(question=questions[2], number=1200)]
            application.budget_lines = [BudgetLine(position=0, category="equipment",
                                                   description="Routers and solar panels",
                                                   amount_minor=REQUESTED_MINOR)]
            db.session.add_all([user, Membership(user=user, organisation=organisation, role="owner"), application])
        db.session.commit()
        db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"))
        db.session.commit()
        world = {"call_id": call.id, "closes_at": call.closes_at, "applicants": applicants,
                 "drafts": dict(db.session.execute(db.select(Application.created_by_id, Application.id)).all())}
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    world["people"] = signed_in(app, world["drafts"])
    return world


def signed_in(app, drafts: dict[int, int]) -> list[dict]:
    """Per applicant: the session cookie the sign-in page would have set, and the Submit form's CSRF token.

    Written as bench/rush.py writes its participants' (Flask-Login's `login_user`, Flask-WTF's
    `generate_csrf`, in a request from the applicant's own address and browser), so the server reads it as its own.
    """
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from cade.accounts.models import User

    serializer = app.session_interface.get_signing_serializer(app)
    people = []
    for user_id, application_id in sorted(drafts.items()):
        headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": address_of(user_id)}
        with app.test_request_context("/auth/login", method="POST", headers=headers):
            login_user(User(id=user_id, session_version=1, active=True))
            token = generate_csrf()
            cookie = serializer.dumps(dict(session))
        people.append({"user_id": user_id, "application_id": application_id, "headers": {
            **headers, "Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}",
            "Content-Type": "application/x-www-form-urlencoded"}, "body": urlencode({"csrf_token": token})})
    return people


# -- the burst ----------------------------------------------------------------------------------------


def burst(port: int, world: dict) -> tuple[list[dict], float]:
    """Everyone POSTs their draft's Submit form at once; returns each answer (status, where to, seconds) and the
    wall time from the release to the last answer."""
    return post_together(port, [(f"/applications/{person['application_id']}/submit", person["body"],
                                 person["headers"], {"application_id": person["application_id"]})
                                for person in world["people"]], REQUEST_TIMEOUT)


# -- the checks ---------------------------------------------------------------------------------------


def reference_problems(references: list[str | None], prefix: str, count: int) -> list[str]:
    """What is wrong with a call's references after `count` submissions: missing, repeated, out of the run
    PREFIX-0001 … PREFIX-count (a gap, or a number past the end). Empty when they are exactly that run."""
    problems = []
    missing = sum(1 for reference in references if not reference)
    if missing:
        problems.append(f"{missing} without a reference")
    given = [reference for reference in references if reference]
    repeated = sorted({reference for reference in given if given.count(reference) > 1})
    if repeated:
        problems.append(f"repeated: {', '.join(repeated[:5])}")
    expected = {f"{prefix}-{number:04d}" for number in range(1, count + 1)}
    gaps = sorted(expected - set(given))
    if gaps:
        problems.append(f"never given: {', '.join(gaps[:5])}" + ("…" if len(gaps) > 5 else ""))
    strays = sorted(set(given) - expected)
    if strays:
        problems.append(f"outside the run: {', '.join(strays[:5])}" + ("…" if len(strays) > 5 else ""))
    return problems


def verify(url: str, world: dict, answers: list[dict], errors: list[str]) -> tuple[list, dict]:
    applicants, call_id = world["applicants"], world["call_id"]
    checks = []

    def check(name, passed, detail):
        checks.append((name, bool(passed), detail))

    statuses: dict[str, int] = {}
    for answer in answers:
        key = str(answer["status"]) if answer["status"] else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    server_side = sum(1 for answer in answers if answer["status"] and answer["status"] >= 500)
    check("no error status", server_side == 0 and not errors and set(statuses) == {"302"},
          f"answers {dict(sorted(statuses.items()))}; {len(errors)} 5xx lines in gunicorn's log")
    sent_on = sum(1 for answer in answers if answer["status"] == 302
                  and answer["location"].endswith(f"/applications/{answer['application_id']}"))
    check("every applicant sent on to their application's page", sent_on == applicants,
          f"{sent_on} of {applicants}")

    with psycopg.connect(url) as conn:
        rows = conn.execute("""SELECT id, status, reference, submitted_at FROM applications
                               WHERE call_id = %s ORDER BY id""", (call_id,)).fetchall()
        counter = conn.execute("SELECT last_reference_number FROM calls WHERE id = %s", (call_id,)).fetchone()[0]
        audited = conn.execute("""SELECT count(*), count(DISTINCT e.object_id) FROM audit_events e
                                  JOIN applications a ON a.id = e.object_id AND e.object_type = 'Application'
                                  WHERE e.verb = 'application.submitted' AND a.call_id = %s""",
                               (call_id,)).fetchone()
        receipts = conn.execute("""SELECT count(*), count(DISTINCT n.idempotency_key) FROM notifications n
                                   JOIN applications a ON n.idempotency_key = 'submitted:' || a.id || ':'
                                        || a.created_by_id AND n.recipient_id = a.created_by_id
                                   WHERE n.kind = 'applications.submitted' AND a.call_id = %s""",
                                (call_id,)).fetchone()
        all_receipts = conn.execute("SELECT count(*) FROM notifications WHERE kind = 'applications.submitted'"
                                    ).fetchone()[0]
    submitted = [row for row in rows if row[1] == "submitted"]
    check("every application submitted, before the deadline",
          len(rows) == applicants and len(submitted) == applicants
          and all(row[3] is not None and row[3] < world["closes_at"] for row in submitted),
          f"{len(submitted)} of {len(rows)} submitted")
    problems = reference_problems([row[2] for row in rows], PREFIX, applicants)
    check(f"references {PREFIX}-0001 … {PREFIX}-{applicants:04d}, each once, the call's counter at {applicants}",
          not problems and counter == applicants, "; ".join(problems + [f"counter {counter}"]))
    check("each submission audited once", tuple(audited) == (applicants, applicants),
          f"{audited[0]} events for {audited[1]} applications")
    check("each receipt queued once", tuple(receipts) == (applicants, applicants) and all_receipts == applicants,
          f"{receipts[0]} receipts for {receipts[1]} applicants, {all_receipts} in all")

    seconds = sorted(answer["seconds"] for answer in answers)
    moments = sorted(row[3] for row in submitted)
    figures = {"p50": statistics.median(seconds), "p95": quantile(seconds, 0.95), "min": seconds[0],
               "max": seconds[-1], "span": (moments[-1] - moments[0]).total_seconds() if moments else 0.0}
    return checks, figures


# -- the figures --------------------------------------------------------------------------------------


def report(args, world: dict, wall: float, checks: list, figures: dict) -> int:
    held = all(passed for _, passed, _ in checks)
    applicants = world["applicants"]
    at_bar = applicants == FULL
    rows = [
        ("applicants released together", f"{applicants}", "each their own organisation's complete draft"),
        ("latency p50", f"{figures['p50'] * 1000:,.0f} ms", "from the barrier to the answer"),
        ("latency p95", f"{figures['p95'] * 1000:,.0f} ms", ""),
        ("latency min / max", f"{figures['min'] * 1000:,.0f} / {figures['max'] * 1000:,.0f} ms", ""),
        ("all answered in", f"{wall:.2f} s", f"{applicants / wall:,.0f} submissions a second"),
        ("first to last submission time", f"{figures['span']:.2f} s", "as recorded (submitted_at)"),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"CADE Grants: the submission burst through gunicorn ({args.workers} sync workers, production settings, "
          "PostgreSQL)")
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>16}  {note}")
    print_checks(checks)
    print(f"data and cookies {world['generated_in']:.1f} s, gunicorn then ready and warmed {world['served_in']:.1f} s, "
          f"total {world['total']:.1f} s")
    if not at_bar:
        print(f"(the bar is set at {FULL} submissions: run without --quick)")
    if args.results or (args.results is None and at_bar):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"`bench/burst.py{' --quick' if args.quick else ''}`, {when}, on {machine(args.url)}.",
            "",
            f"{applicants} signed-in applicants of {applicants} organisations, each from their own address, released "
            "together by a barrier to POST the Submit form of their complete draft (three answers, one budget "
            f"line) in a call closing {CLOSES_IN.seconds // 60} minutes later, through gunicorn ({args.workers} sync "
            "workers, CADE_ENV=production) on PostgreSQL, rate limits and broker on Redis. The client threads run "
            "on the same machine as the server.",
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
            lines += ["", f"Quick scale, for information: the bar is set at {FULL} submissions."]
        write_section("burst", "## Submission burst", "\n".join(lines))
        print("wrote the \"Submission burst\" section of bench/RESULTS.md")
    return 0 if held else 1


if __name__ == "__main__":
    leave(main())
