"""`make bench-delivery`: e-mail through the outbox and a real Celery worker, against a plain smtplib loop.

The bar (issue 18): 10,000 notifications delivered through the app's own
path (notify() → outbox → Redis → `celery worker` → SMTP) at no less than
half the rate of a plain smtplib loop sending the same messages to the same
server; none lost, none sent twice.

On a PostgreSQL database of its own (created here, dropped at the end unless --keep):

1. Schema by `db.create_all`; the recipients (each a member of an
   organisation, two to an organisation) by COPY.
2. An SMTP server (aiosmtpd, as tests/notifications/smtp_sink.py starts it)
   in this process, keeping each message's envelope, Message-ID, bytes and the
   moment it arrived.
3. A worker as docs/deploy.md starts it (`celery -A wsgi.celery_app worker`,
   its prefork pool of one process a core unless --concurrency says),
   CADE_ENV=production, sending to that server; the broker on Redis (db 10, a
   queue of its own). Warmed with a few deliveries first.
4. The outbox, timed: in this process the app's own `notify()` queues a
   submission receipt (`applications.submitted`, text and HTML, in the
   recipient's language) for each recipient, all in one transaction (as a
   task notifying a whole call does); its commit hands the rows to the
   broker, 200 to a message, and the worker sends them DELIVERY_BATCH to a
   claim over one SMTP connection. Timed from the commit to the last
   message's arrival; notify() itself is timed apart (end to end).
5. smtplib, timed: the bytes the server received in step 4, sent again to it
   by a plain loop, over one connection (the bar); then the first 1,000 of
   them one connection a message, as the app's SMTPBackend opens them (for
   comparison).
6. Check: each recipient received exactly one message in step 4 (by envelope
   recipient and by Message-ID), every outbox row sent at its first attempt,
   nothing left on the queue; each smtplib loop delivered the Message-IDs it
   was given, once each.

  .venv/bin/python bench/delivery.py            # 10,000 e-mails (the bar)
  .venv/bin/python bench/delivery.py --quick    # 300

Exit status 1 when a message is lost or duplicated (a missed rate is a measurement: 0).
"""

import argparse
import re
import secrets
import smtplib
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402

from bench.harness import leave, print_checks, running, scratch, wait_ready  # noqa: E402
from bench.reports import _copy  # noqa: E402
from bench.results import machine, write_section  # noqa: E402
from tests.processes import ManagedProcess, free_port  # noqa: E402
from tests.production.harness import production_env  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_delivery"
REDIS_URL = "redis://127.0.0.1:6379/10"
QUEUE = "cade-bench-delivery"
FULL = 10_000
QUICK = 300
RATE_BAR = 0.5  # the outbox's rate over smtplib's, at least
BATCH = 100  # notifications a transaction in the warm-up
WARM = 8  # deliveries before the timed run, so that every pool process has rendered once
MEMBERS_PER_ORGANISATION = 2
READY_SECONDS = 90
COMPARED = 1_000  # messages sent one connection a message: the rate settles long before 10,000 (33 s saved)
SETTLE_SECONDS = 2.0  # after the last expected message: a duplicate would arrive in this time
STALL_SECONDS = 120  # no message for this long: the rest is lost
KIND = "applications.submitted"
BIN = Path(sys.executable).parent
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} e-mails (default {FULL:,})")
    parser.add_argument("--emails", type=int, help="e-mails to deliver (overrides the scale)")
    parser.add_argument("--concurrency", type=int, help="the worker's pool processes (default: Celery's, one a core)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bench database, created and dropped ({DEFAULT_URL})")
    parser.add_argument("--redis", default=REDIS_URL, help=f"the broker ({REDIS_URL}, queue {QUEUE})")
    parser.add_argument("--keep", action="store_true", help="keep the database and the worker's log afterwards")
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=None,
                        help="write this benchmark's section of bench/RESULTS.md (default: only at the bar's scale, "
                             "so that `make bench-quick` leaves the figures of a full run alone)")
    args = parser.parse_args()
    emails = args.emails or (QUICK if args.quick else FULL)
    if emails < 1:
        parser.error("at least one e-mail")

    started = time.perf_counter()
    sink = Sink()
    with scratch(args.url, "cade-bench-delivery-", keep=args.keep, forget=lambda: forget_queue(args.redis)) as folder:
        sink.start()
        try:
            app = make_app(args.url, args.redis, folder)
            worker, node = worker_process(args, folder, sink.port)
            with running(worker, keep=args.keep):  # it imports the app while this process writes the recipients
                generate(app, args.url, emails + WARM)
                wait_ready(worker, lambda: re.search(rf"{node}@\S+ ready\.", worker.text()), READY_SECONDS)
                warm_up(app, sink, worker)
                outbox = run_outbox(app, sink, worker, emails)
                left_on_queue = queue_length(args.redis)
            one_connection = run_smtplib(sink, outbox["messages"], reuse=True)
            per_message = run_smtplib(sink, outbox["messages"][:COMPARED], reuse=False)
            rows = outbox_rows(args.url)
        finally:
            sink.stop()
    checks = verify(emails, outbox, one_connection, per_message, rows, left_on_queue)
    return report(args, emails, outbox, one_connection, per_message, checks, time.perf_counter() - started)


# -- the SMTP server ----------------------------------------------------------------------------------


class Sink:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps, per message, when it came, its envelope and its bytes."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[float, str, tuple[str, ...], bytes]] = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.received.append((time.perf_counter(), envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def start(self) -> None:
        import logging

        from aiosmtpd.controller import Controller

        # aiosmtpd logs every SMTP command at INFO: in this process, beside the producer, that is work timed too.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def take(self) -> list[tuple[float, str, tuple[str, ...], bytes]]:
        """What arrived so far, and start afresh."""
        taken, self.received = self.received, []
        return taken


def message_id(content: bytes) -> str | None:
    found = MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
    return found.group(1).decode() if found else None


# -- the data and the worker --------------------------------------------------------------------------


def make_app(url: str, redis_url: str, folder: Path):
    from cade import create_app
    from config import Config, database_url

    celery = dict(Config.CELERY, broker_url=redis_url, task_default_queue=QUEUE)
    return create_app(Config, SQLALCHEMY_DATABASE_URI=database_url(url), STORAGE_PATH=str(folder / "files"),
                      MAILBOX_PATH=str(folder / "mailbox"), CELERY=celery)


def generate(app, url: str, recipients: int) -> None:
    """The schema, then the recipients and their organisations by COPY."""
    from cade.extensions import db

    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    organisations = -(-recipients // MEMBERS_PER_ORGANISATION)
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    with psycopg.connect(url) as conn:
        _copy(conn, "organisations", "id, name, country, region_code, subregion_code, organisation_type, "
              "stakeholder_group, focus_areas, languages, verified, publish_consent",
              (f"{number}\tNetwork {number}\tKE\t002\t202\tcommunity_network\tcivil_society\t[\"connectivity\"]\t"
               f"[\"en\", \"sw\"]\tt\tf\n" for number in range(1, organisations + 1)))
        _copy(conn, "users", "id, email, password_hash, name, locale, timezone, verified_at, active, session_version",
              (f"{user}\tmember{user}@net{organisation_of(user)}.delivery-bench.test\t!\tMember {user:05d}\t"
               f"{('en', 'fr', 'es', 'pt')[user % 4]}\tAfrica/Nairobi\t{stamp}\tt\t1\n"
               for user in range(1, recipients + 1)))
        _copy(conn, "memberships", "user_id, organisation_id, role",
              (f"{user}\t{organisation_of(user)}\t{'owner' if user % MEMBERS_PER_ORGANISATION == 1 else 'member'}\n"
               for user in range(1, recipients + 1)))
        for table in ("organisations", "users", "memberships"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def organisation_of(user: int) -> int:
    return (user - 1) // MEMBERS_PER_ORGANISATION + 1


def worker_process(args, folder: Path, smtp_port: int) -> tuple[ManagedProcess, str]:
    """`celery -A wsgi.celery_app worker` in production mode on the bench's queue, sending to the sink (not
    started yet), and its node name (its log says "<node>@<host> ready." once it consumes)."""
    env = production_env(secret_key=secrets.token_urlsafe(48), database_url=args.url, broker_url=args.redis,
                         base_url="http://127.0.0.1", smtp_port=smtp_port, instance=folder / "instance")
    env.update(CELERY_QUEUE=QUEUE, RATELIMIT_STORAGE_URI=args.redis, WEB_HOSTS="1", STORAGE_BACKEND="local",
               STORAGE_PATH=str(folder / "files"))
    node = f"bench-delivery-{secrets.token_hex(3)}"
    pool = ["--concurrency", str(args.concurrency)] if args.concurrency else []
    # One worker alone: nobody to mingle or gossip with, which only delays its start.
    return ManagedProcess("celery worker", [str(BIN / "celery"), "-A", "wsgi.celery_app", "worker", "-Q", QUEUE,
                                            "-n", f"{node}@%h", "--loglevel", "INFO", "--without-mingle",
                                            "--without-gossip", *pool],
                          env=env, log_path=folder / "worker.log"), node


def queue_receipts(app, first: int, last: int, batch: int = BATCH, before_commit=None) -> None:
    """The receipt of an application for recipients first … last, through notify(), `batch` to a transaction;
    `before_commit()` is called just before each commit."""
    from sqlalchemy import select

    from cade.accounts.models import User
    from cade.extensions import db
    from cade.notifications.services import notify

    submitted = {"at": datetime.now(timezone.utc).isoformat(), "zone": "Africa/Nairobi"}
    with app.app_context():
        for start in range(first, last + 1, batch):
            users = db.session.scalars(select(User).where(User.id.between(start, min(last, start + batch - 1)))
                                       .order_by(User.id)).all()
            for user in users:
                notify(KIND, recipient=user, locale=user.locale, key=f"bench-delivery:{user.id}", context={
                    "application_id": user.id, "reference": f"DLV-2026-{user.id:05d}",
                    "title": f"Mesh for village {user.id}", "call_title": "Community networks 2026",
                    "organisation_name": f"Network {organisation_of(user.id)}", "submitted_at": submitted["at"],
                    "submitted": submitted, "assisted": False})
            if before_commit is not None:
                before_commit()
            db.session.commit()  # the outbox hands this batch to the broker now
        db.session.remove()


def wait_for(sink: Sink, count: int, worker: ManagedProcess) -> None:
    """Until `count` messages have arrived; SystemExit with the worker's log once none arrives for a while."""
    seen, since = len(sink.received), time.monotonic()
    while len(sink.received) < count:
        if not worker.alive:
            raise SystemExit(f"the worker exited with {worker.returncode}:\n{worker.log_tail()}")
        if len(sink.received) != seen:
            seen, since = len(sink.received), time.monotonic()
        elif time.monotonic() - since > STALL_SECONDS:
            return  # lost: verify() says how many
        time.sleep(0.05)


def warm_up(app, sink: Sink, worker: ManagedProcess) -> None:
    """A few deliveries, so that the timed run meets warm pool processes (templates compiled, connections open)."""
    queue_receipts(app, 1, WARM)
    wait_for(sink, WARM, worker)
    if len(sink.take()) != WARM:
        raise SystemExit(f"warm-up: not all {WARM} messages arrived:\n{worker.log_tail()}")


# -- the two ways of sending --------------------------------------------------------------------------


def run_outbox(app, sink: Sink, worker: ManagedProcess, emails: int) -> dict:
    """notify() for `emails` recipients in one transaction, delivered by the worker once it commits; timed from
    the commit to the last arrival (the delivery), and from the first notify() (end to end); then left to settle.

    One transaction, as a task notifying everyone of a call does: the rate measured is the outbox's and the
    worker's from the moment the rows exist, not that of the code that wrote them (timed apart, `queued`).
    """
    begun = time.perf_counter()
    committing = []
    queue_receipts(app, WARM + 1, WARM + emails, batch=emails,
                   before_commit=lambda: committing.append(time.perf_counter()))
    committed = committing[0]
    queued = time.perf_counter() - begun
    wait_for(sink, emails, worker)
    time.sleep(SETTLE_SECONDS)
    received = sink.take()
    last = received[min(emails, len(received)) - 1][0] if received else begun
    return {"seconds": last - committed, "end_to_end": last - begun, "queued": queued, "messages": received,
            "expected": {f"member{user}@net{organisation_of(user)}.delivery-bench.test"
                         for user in range(WARM + 1, WARM + emails + 1)}}


def run_smtplib(sink: Sink, messages: list, *, reuse: bool) -> dict:
    """The same bytes to the same server by a plain loop: over one connection, or one connection a message."""
    begun = time.perf_counter()
    if reuse:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as smtp:
            for _, sender, recipients, content in messages:
                smtp.sendmail(sender, list(recipients), content)
    else:
        for _, sender, recipients, content in messages:
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as smtp:
                smtp.sendmail(sender, list(recipients), content)
    seconds = time.perf_counter() - begun
    return {"seconds": seconds, "messages": sink.take()}


# -- the checks ---------------------------------------------------------------------------------------


def outbox_rows(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("""SELECT status || CASE WHEN attempts = 1 THEN '' ELSE ' (attempts ' || attempts
                                          || ')' END, count(*) FROM notifications WHERE kind = %s GROUP BY 1""",
                                 (KIND,)).fetchall())


def queue_length(redis_url: str) -> int:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        return client.llen(QUEUE)
    finally:
        client.close()


def forget_queue(redis_url: str) -> None:
    """Delete what this benchmark left in Redis: its queue and its bindings."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
    finally:
        client.close()


def delivery_problems(expected: set[str], messages: list) -> list[str]:
    """What went wrong between the recipients expected (one message each) and the messages received: recipients
    who got none, recipients who got more than one, strangers, Message-IDs missing or repeated. Empty when none."""
    problems = []
    recipients = Counter(recipient for _, _, tos, _ in messages for recipient in tos)
    lost = expected - set(recipients)
    if lost:
        problems.append(f"{len(lost)} recipients got nothing (e.g. {sorted(lost)[0]})")
    twice = {recipient for recipient, count in recipients.items() if count > 1}
    if twice:
        problems.append(f"{len(twice)} recipients got more than one (e.g. {sorted(twice)[0]})")
    strangers = set(recipients) - expected
    if strangers:
        problems.append(f"{len(strangers)} messages to no one expected (e.g. {sorted(strangers)[0]})")
    ids = Counter(message_id(content) for _, _, _, content in messages)
    if None in ids:
        problems.append(f"{ids.pop(None)} messages without a Message-ID")
    repeated = sum(1 for count in ids.values() if count > 1)
    if repeated:
        problems.append(f"{repeated} Message-IDs received more than once")
    return problems


def verify(emails: int, outbox: dict, one_connection: dict, per_message: dict, rows: dict,
           left_on_queue: int) -> list:
    checks = []
    problems = delivery_problems(outbox["expected"], outbox["messages"])
    checks.append(("outbox: every recipient one message, none lost, none twice, Message-IDs distinct",
                   not problems and len(outbox["messages"]) == emails,
                   "; ".join(problems) or f"{len(outbox['messages']):,} messages to {emails:,} recipients"))
    states = ", ".join(f"{count:,} {state}" for state, count in sorted(rows.items())) or "no rows"
    checks.append(("every outbox row sent at its first attempt, nothing left on the queue",
                   rows == {"sent": emails + WARM} and left_on_queue == 0,
                   f"{states} (with {WARM} of the warm-up); {left_on_queue} left on the queue"))
    for name, run, sent in (("smtplib, one connection", one_connection, outbox["messages"]),
                            ("smtplib, a connection a message", per_message, outbox["messages"][:COMPARED])):
        ids = Counter(message_id(content) for _, _, _, content in run["messages"])
        checks.append((f"{name}: the same messages, each once",
                       ids == Counter(message_id(content) for _, _, _, content in sent),
                       f"{sum(ids.values()):,} received, {len(ids):,} distinct Message-IDs"))
    return checks


# -- the figures --------------------------------------------------------------------------------------


def report(args, emails: int, outbox: dict, one_connection: dict, per_message: dict, checks: list,
           total: float) -> int:
    held = all(passed for _, passed, _ in checks)
    at_bar = emails == FULL
    rate = emails / outbox["seconds"] if outbox["seconds"] > 0 else 0.0
    plain = emails / one_connection["seconds"]
    compared = min(emails, COMPARED)
    apart = compared / per_message["seconds"]
    ratio = rate / plain
    pool = f"{args.concurrency} pool processes" if args.concurrency else "its default pool, one process a core"
    rows = [
        ("outbox → Celery worker → SMTP", f"{rate:,.0f} e-mails/s", f"{outbox['seconds']:.1f} s for {emails:,}, "
         "from the commit to the last arrival", ""),
        ("end to end, notify() included", f"{emails / outbox['end_to_end']:,.0f} e-mails/s",
         f"{outbox['end_to_end']:.1f} s; notify() and the commit took {outbox['queued']:.1f} s of it", ""),
        ("smtplib, one connection", f"{plain:,.0f} e-mails/s", f"{one_connection['seconds']:.1f} s", ""),
        ("smtplib, a connection a message", f"{apart:,.0f} e-mails/s", f"{per_message['seconds']:.1f} s for the "
         f"first {compared:,}, as the app's SMTPBackend connects", ""),
        ("outbox / smtplib (one connection)", f"{ratio:.2f}", f"bar ≥ {RATE_BAR:g}",
         "PASS" if ratio >= RATE_BAR else "MISS" if at_bar else "(info)"),
        ("outbox / smtplib (a connection a message)", f"{rate / apart:.2f}", "for comparison", ""),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"CADE Grants: notification delivery, {emails:,} e-mails (worker with {pool}; production settings, "
          "PostgreSQL, Redis)")
    for label, value, note, verdict in rows:
        print(f"  {label:<{width}}  {value:>14}  {note} {verdict}")
    print_checks(checks)
    print(f"total {total:.0f} s")
    if not at_bar:
        print(f"(the bar is set at {FULL:,} e-mails: run without --quick)")
    if args.results or (args.results is None and at_bar):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"`bench/delivery.py{' --quick' if args.quick else ''}`, {when}, on {machine(args.url)}.",
            "",
            f"{emails:,} submission receipts (`{KIND}`, text and HTML, in four languages) queued by the app's "
            "`notify()` in one transaction, handed to Redis by the outbox when it commits and delivered by one "
            f"`celery -A wsgi.celery_app worker` ({pool}; CADE_ENV=production) to an aiosmtpd server in the "
            "bench's process; timed from the commit to the last arrival (and, for information, from the first "
            "notify()). Then the same bytes sent to the same server by a plain smtplib loop. Everything on one "
            "machine.",
            "",
            "| figure | value | note | verdict |",
            "| --- | --- | --- | --- |",
            *(f"| {label} | {value} | {note} | {verdict} |" for label, value, note, verdict in rows),
            "",
            "Checks:",
            "",
            *(f"- {'ok' if passed else '**FAIL**'}: {name} ({detail})" for name, passed, detail in checks),
        ]
        if not at_bar:
            lines += ["", f"Quick scale, for information: the bar is set at {FULL:,} e-mails."]
        write_section("delivery", "## Notification delivery", "\n".join(lines))
        print("wrote the \"Notification delivery\" section of bench/RESULTS.md")
    return 0 if held else 1


if __name__ == "__main__":
    leave(main())
