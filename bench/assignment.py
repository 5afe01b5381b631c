"""`make bench-assign`: automatic reviewer assignment of one large call, timed, and every rule checked in SQL.

The bar (issue 18): 10,000 submitted applications, three reviews each, 300
reviewers with declared and automatic conflicts and load caps, assigned in
under 10 seconds, with every constraint verified on the result.

On a PostgreSQL database of its own (created here, dropped at the end unless --keep):

1. Schema by `db.create_all`; the admin, programme, call (closed, three reviews
   required, a review deadline) through the models; the rest by COPY:
   - one organisation per application (a call takes one live application per
     organisation, so 10,000 applications in one call need 10,000 organisations),
     each with one or two members, most at the organisation's own e-mail
     domain, some at public mail providers;
   - the submitted applications, plus drafts and withdrawn ones that must get nobody;
   - 300 reviewers (role and profile: expertise, languages, regions, a load
     cap; the caps add up to 5 % over the reviews needed), of whom some are
     members of applying organisations, some share an applying organisation's
     e-mail domain, some use the same public provider as applicants (not a
     conflict); beside them, deactivated reviewers and profiles without the
     reviewer role, who must get nothing;
   - declared conflicts (and "no conflict" answers, which must not block);
   - a few applications already holding one reviewer, assigned by hand.
   Then VACUUM ANALYZE.
2. Run the automatic assignment as a large call's admin page has it run: the
   run is started (`start_auto_assignment`) and carried out as the
   `reviews.auto_assign` worker does (`run_auto_assignment` with a commit after
   each batch), notifications enqueued on Redis (db 10, a queue of its own).
   Timed from the start to the last commit; the planning step timed apart.
3. Check in SQL: each application exactly three distinct reviewers; no
   reviewer over their cap; no assignment where the reviewer is a member of the
   organisation, shares its (non-public) e-mail domain, or declared a conflict;
   only active reviewers with a profile; nothing for drafts or withdrawn
   applications; the hand-made assignments kept; every application under
   review; each new assignment automatic, due at the review deadline, audited
   and notified once (and enqueued once on the broker); the run finished with
   nothing uncovered.

  .venv/bin/python bench/assignment.py            # 10,000 x 3, 300 reviewers (the bar)
  .venv/bin/python bench/assignment.py --quick    # 1,000 x 3, 40 reviewers, seconds
  .venv/bin/python bench/assignment.py --profile  # also where the time goes (cProfile)

Exit status 1 when a constraint fails (always) or, with --strict, when the time misses the bar.
"""

import argparse
import cProfile
import io
import json
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.harness import leave, print_checks  # noqa: E402
from bench.reports import NULL, _copy, countries, drop_database, recreate_database  # noqa: E402
from bench.results import machine, write_section  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench_assign"
REDIS_URL = "redis://127.0.0.1:6379/10"
QUEUE = "cade-bench-assign"
FULL = (10_000, 300)
QUICK = (1_000, 40)
REVIEWS = 3
TIME_BAR = 10.0
CAPACITY_SLACK = 1.05  # the caps add up to this much over the reviews needed
SEED = 18

LANGUAGES = ("en", "fr", "es", "pt", "ar", "sw")
REGIONS = ("002", "009", "019", "142", "150")
PUBLIC = ("gmail.com", "yahoo.fr", "outlook.com")  # in PUBLIC_EMAIL_DOMAINS: sharing one is no conflict
SECOND_MEMBER_SHARE = 0.5
PUBLIC_MEMBER_SHARE = 0.3
MEMBER_REVIEWER_SHARE = 0.10  # reviewers who are members of one to three applying organisations
DOMAIN_REVIEWER_SHARE = 0.05  # reviewers at an applying organisation's own e-mail domain
PUBLIC_REVIEWER_SHARE = 0.10  # reviewers at a public provider applicants use too
DECLARED_SHARE = 0.25  # applications with a declared conflict
NO_CONFLICT_SHARE = 0.05  # applications with a "no conflict" answer on record
PREASSIGNED_SHARE = 0.02  # applications already holding one reviewer, assigned by hand
OTHER_STATUS_SHARE = 0.01  # drafts, and as many withdrawn, in the same call
DISTRACTORS = 3  # deactivated reviewers, and profiles without the reviewer role, each


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK[0]:,} applications and {QUICK[1]} reviewers (default {FULL[0]:,} and {FULL[1]})")
    parser.add_argument("--applications", type=int, help="applications in the call (overrides the scale)")
    parser.add_argument("--reviewers", type=int, help="reviewers in the pool (overrides the scale)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the bench database, created and dropped ({DEFAULT_URL})")
    parser.add_argument("--redis", default=REDIS_URL, help=f"the broker for the notifications ({REDIS_URL})")
    parser.add_argument("--queue", default=QUEUE, help=f"the broker queue the notifications go to, emptied before "
                        f"and counted after ({QUEUE}); another name lets two runs share a broker")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--profile", action="store_true", help="run under cProfile and show where the time goes")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the time misses the bar")
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=None,
                        help="write this benchmark's section of bench/RESULTS.md (default: only at the bar's scale, "
                             "so that `make bench-quick` leaves the figures of a full run alone)")
    args = parser.parse_args()
    applications, reviewers = QUICK if args.quick else FULL
    scale = Scale(args.applications or applications, args.reviewers or reviewers)

    recreate_database(args.url)
    folder = tempfile.mkdtemp(prefix="cade-bench-assign-")
    try:
        app = make_app(args.url, args.redis, args.queue, folder)
        started = time.perf_counter()
        world = generate(app, args.url, scale)
        generated_in = time.perf_counter() - started
        forget_queue(args.redis, args.queue)
        timing = assign(app, world, args.profile)
        checks, figures = verify(args.url, world)
        messages, enqueued = forget_queue(args.redis, args.queue)
        figures["enqueued"] = len(enqueued)
        checks.append(("every notification enqueued once on the broker",
                       len(enqueued) == len(set(enqueued)) == figures["new"],
                       f"{len(set(enqueued)):,} notifications in {messages:,} messages"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if not args.keep:
            drop_database(args.url)
    return report(scale, world, generated_in, timing, checks, figures, args)


# -- the data -----------------------------------------------------------------------------------------


class Scale:
    def __init__(self, applications: int, reviewers: int):
        if applications < 50 or reviewers < REVIEWS + 2:
            raise SystemExit(f"at least 50 applications and {REVIEWS + 2} reviewers")
        self.applications, self.reviewers = applications, reviewers
        self.drafts = self.withdrawn = max(5, round(applications * OTHER_STATUS_SHARE))
        self.organisations = applications + self.drafts  # a withdrawn application's organisation applied again
        self.capacity = round(applications * REVIEWS * CAPACITY_SLACK)


def make_app(url: str, redis_url: str, queue: str, folder: str):
    from cade import create_app
    from config import Config, database_url

    celery = dict(Config.CELERY, broker_url=redis_url, task_default_queue=queue)
    return create_app(Config, SQLALCHEMY_DATABASE_URI=database_url(url), STORAGE_PATH=f"{folder}/files",
                      MAILBOX_PATH=f"{folder}/mailbox", CELERY=celery)


def generate(app, url: str, scale: Scale) -> dict:
    """Schema and the few rows through the models, the many by COPY, then VACUUM ANALYZE. Returns the world."""
    rng = random.Random(SEED)
    world = small_rows(app)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        world.update(copy_rows(conn, scale, rng, world))
        for table in ("users", "user_roles", "organisations", "memberships", "applications", "reviewer_profiles",
                      "conflict_declarations", "assignments"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    world["copy_seconds"] = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return world


def small_rows(app) -> dict:
    """The admin, the programme and the call (closed, REVIEWS reviews required) with its review deadline."""
    from cade.accounts.models import User, UserRole
    from cade.extensions import db
    from cade.programmes.constants import CallStatus
    from cade.programmes.models import Call, Programme
    from cade.reviews.models import CallReviewSettings

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        db.create_all()
        admin = User(email="admin@cade-bench.test", password_hash="!", name="Bench Admin", locale="en",
                     timezone="UTC", active=True, session_version=1, verified_at=now)
        admin.roles.append(UserRole(role="admin"))
        programme = Programme(name="Community networks (bench)", kind="grants", funder_name="Bench funder",
                              currency="USD")
        call = Call(programme=programme, title="A very large call", reference_prefix="BA",
                    status=CallStatus.PUBLISHED, opens_at=now - timedelta(days=60),
                    closes_at=now - timedelta(days=5), budget_envelope_minor=10**12, min_award_minor=500_000,
                    max_award_minor=5_000_000, reviews_required=REVIEWS)
        deadline = now + timedelta(days=21)
        db.session.add_all([admin, call, CallReviewSettings(call=call, review_deadline_at=deadline,
                                                            region_targets={}, stakeholder_targets={})])
        db.session.commit()
        world = {"admin_id": admin.id, "call_id": call.id, "deadline": deadline, "now": now}
        db.session.remove()
        db.engine.dispose()
    return world


def copy_rows(conn, scale: Scale, rng: random.Random, world: dict) -> dict:
    """Organisations, members, applications, reviewers and their profiles, conflicts, hand-made assignments."""
    from cade.organisations.constants import FocusArea, OrganisationType, StakeholderGroup

    places = countries()
    areas, types, groups = list(FocusArea), list(OrganisationType), list(StakeholderGroup)
    call_id, now = world["call_id"], world["now"]
    stamp = now.isoformat()

    # Organisations: one per application, and one per draft.
    organisations = []  # (country row, focus areas, languages)
    for _ in range(scale.organisations):
        organisations.append((rng.choice(places), rng.sample(areas, rng.randint(1, 3)),
                              rng.sample(LANGUAGES, rng.randint(1, 2))))
    flag = {"1": "t", "0": "f"}
    _copy(conn, "organisations", "id, name, country, region_code, subregion_code, organisation_type, "
          "stakeholder_group, focus_areas, languages, verified, publish_consent",
          (f"{number}\tOrganisation {number}\t{place['iso_alpha2']}\t{place['region_code']}\t"
           f"{place['subregion_code']}\t{rng.choice(types)}\t{rng.choice(groups)}\t{json.dumps(chosen)}\t"
           f"{json.dumps(languages)}\tt\tf\n"
           for number, (place, chosen, languages) in enumerate(organisations, start=1)))

    # Users: members of the organisations (ids from 2; the admin is 1), then the reviewers.
    users, memberships = [], []  # (id, email, name, active); (user id, organisation id, role)
    own_domain = {}  # organisation id -> its own domain, when a member uses it
    next_id = 2
    for organisation in range(1, scale.organisations + 1):
        for position in range(2 if rng.random() < SECOND_MEMBER_SHARE else 1):
            if rng.random() < PUBLIC_MEMBER_SHARE:
                email = f"member{next_id}@{rng.choice(PUBLIC)}"
            else:
                own_domain[organisation] = domain = f"org{organisation}.cade-bench.test"
                email = f"member{next_id}@{domain}"
            users.append((next_id, email, f"Member {next_id}", True))
            memberships.append((next_id, organisation, "owner" if position == 0 else "member"))
            next_id += 1

    applied = list(range(1, scale.applications + 1))  # organisation i submitted application i
    reviewer_ids = list(range(next_id, next_id + scale.reviewers))
    kinds = {}  # reviewer id -> "member" | "domain" | "public" | "plain"
    shuffled = reviewer_ids[:]
    rng.shuffle(shuffled)
    n_member = max(1, round(scale.reviewers * MEMBER_REVIEWER_SHARE))
    n_domain = max(1, round(scale.reviewers * DOMAIN_REVIEWER_SHARE))
    n_public = max(1, round(scale.reviewers * PUBLIC_REVIEWER_SHARE))
    for position, reviewer in enumerate(shuffled):
        kinds[reviewer] = ("member" if position < n_member else "domain" if position < n_member + n_domain
                           else "public" if position < n_member + n_domain + n_public else "plain")
    with_domain = [organisation for organisation in applied if organisation in own_domain]
    for reviewer in reviewer_ids:
        if kinds[reviewer] == "domain":
            email = f"reviewer{reviewer}@{own_domain[rng.choice(with_domain)]}"
        elif kinds[reviewer] == "public":
            email = f"reviewer{reviewer}@{rng.choice(PUBLIC)}"
        else:
            email = f"reviewer{reviewer}@panel{reviewer % 17}.reviewers-bench.test"
        users.append((reviewer, email, f"Reviewer {reviewer:05d}", True))
        if kinds[reviewer] == "member":
            for organisation in rng.sample(applied, rng.randint(1, 3)):
                memberships.append((reviewer, organisation, "member"))
    # Beside the pool: deactivated reviewers, and profiles whose user lacks the reviewer role.
    inactive = list(range(reviewer_ids[-1] + 1, reviewer_ids[-1] + 1 + DISTRACTORS))
    roleless = list(range(inactive[-1] + 1, inactive[-1] + 1 + DISTRACTORS))
    for user in inactive + roleless:
        users.append((user, f"outsider{user}@panel.reviewers-bench.test", f"Outsider {user}", user not in inactive))

    _copy(conn, "users", "id, email, password_hash, name, locale, timezone, verified_at, active, session_version",
          (f"{user}\t{email}\t!\t{name}\ten\tUTC\t{stamp}\t{'t' if active else 'f'}\t1\n"
           for user, email, name, active in users))
    _copy(conn, "user_roles", "user_id, role",
          (f"{user}\treviewer\n" for user in reviewer_ids + inactive))
    _copy(conn, "memberships", "user_id, organisation_id, role",
          (f"{user}\t{organisation}\t{role}\n" for user, organisation, role in memberships))

    # Load caps: uneven, adding up to `capacity`, at least one each.
    weights = [rng.uniform(0.5, 1.5) for _ in reviewer_ids]
    caps = [max(1, int(scale.capacity * weight / sum(weights))) for weight in weights]
    for index in rng.sample(range(len(caps)), scale.capacity - sum(caps)):  # the rounding's remainder
        caps[index] += 1
    profiles = [(reviewer, rng.sample(areas, rng.randint(2, 4)), rng.sample(LANGUAGES, rng.randint(1, 3)),
                 rng.sample(REGIONS, rng.randint(1, 2)), cap) for reviewer, cap in zip(reviewer_ids, caps)]
    profiles += [(user, list(areas), list(LANGUAGES), list(REGIONS), scale.applications)
                 for user in inactive + roleless]
    _copy(conn, "reviewer_profiles", "user_id, expertise, languages, regions, max_load",
          (f"{user}\t{json.dumps(expertise)}\t{json.dumps(languages)}\t{json.dumps(regions)}\t{cap}\n"
           for user, expertise, languages, regions, cap in profiles))

    # Applications: submitted (application i from organisation i), drafts, withdrawn.
    submitted_at = (now - timedelta(days=6)).isoformat()
    preassigned = set(rng.sample(applied, round(scale.applications * PREASSIGNED_SHARE)))
    drafts = range(scale.applications + 1, scale.applications + scale.drafts + 1)
    withdrawn_from = rng.sample(applied, scale.withdrawn)

    def snapshot(organisation):
        place = organisations[organisation - 1][0]
        return (f"{place['iso_alpha2']}\t{place['region_code']}\t{place['subregion_code']}\tcivil_society\tngo\t"
                f"{flag[place['ldc']]}\t{flag[place['lldc']]}\t{flag[place['sids']]}\tt")

    def applications():
        for number in applied:
            status = "under_review" if number in preassigned else "submitted"
            yield (f"{number}\t{call_id}\t{number}\t{status}\tBA-{number:06d}\tProject {number}\t\t2000000\t"
                   f"{submitted_at}\t{snapshot(number)}\n")
        for offset, organisation in enumerate(drafts):
            yield (f"{scale.applications + offset + 1}\t{call_id}\t{organisation}\tdraft\t{NULL}\tDraft {offset}\t\t"
                   f"{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\n")
        for offset, organisation in enumerate(withdrawn_from):
            number = scale.applications + scale.drafts + offset + 1
            yield (f"{number}\t{call_id}\t{organisation}\twithdrawn\tBA-W{offset:05d}\tWithdrawn {offset}\t\t"
                   f"2000000\t{submitted_at}\t{snapshot(organisation)}\n")

    _copy(conn, "applications", "id, call_id, organisation_id, status, reference, title, summary, "
          "requested_amount_minor, submitted_at, org_country, org_region_code, org_subregion_code, "
          "org_stakeholder_group, org_type, org_ldc, org_lldc, org_sids, org_first_time", applications())

    # Hand-made assignments, each to a reviewer free of conflicts with it; then the declarations.
    plain = [reviewer for reviewer in reviewer_ids if kinds[reviewer] in ("plain", "public")]
    held = {}
    for application in sorted(preassigned):
        held[application] = rng.choice(plain)
    _copy(conn, "assignments", "id, call_id, application_id, reviewer_id, assigned_by_id, method, assigned_at, "
          "due_at", (f"{number}\t{call_id}\t{application}\t{reviewer}\t{world['admin_id']}\tmanual\t{stamp}\t"
                     f"{world['deadline'].isoformat()}\n"
                     for number, (application, reviewer) in enumerate(sorted(held.items()), start=1)))
    declarations = {}
    for application in applied:
        for has_conflict, share in ((True, DECLARED_SHARE), (False, NO_CONFLICT_SHARE)):
            if rng.random() < share:
                reviewer = rng.choice(reviewer_ids)
                if held.get(application) != reviewer:
                    declarations[(application, reviewer)] = has_conflict
    _copy(conn, "conflict_declarations", "application_id, reviewer_id, has_conflict, reason, declared_at",
          (f"{application}\t{reviewer}\t{'t' if conflict else 'f'}\t"
           f"{'Worked with them last year' if conflict else NULL}\t{stamp}\n"
           for (application, reviewer), conflict in declarations.items()))
    return {"organisations": scale.organisations, "members": len(users) - len(reviewer_ids) - 2 * DISTRACTORS,
            "applications": scale.applications, "drafts": scale.drafts, "withdrawn": scale.withdrawn,
            "reviewers": scale.reviewers, "capacity": sum(caps), "preassigned": len(held),
            "declared": sum(declarations.values()), "no_conflict": len(declarations) - sum(declarations.values()),
            "kinds": {kind: sum(1 for k in kinds.values() if k == kind) for kind in ("member", "domain", "public")}}


# -- the run ------------------------------------------------------------------------------------------


def assign(app, world: dict, profile: bool) -> dict:
    """Start the call's automatic assignment and carry it out as the worker does; timed, statements counted.

    `_plan` (loading the call, the conflicts and the planner) and the outbox's hand-over of the
    notifications to the broker (at each commit) are timed apart by wrapping them: the run itself is
    the service's own code, unchanged.
    """
    from sqlalchemy import event

    from cade.accounts.models import User
    from cade.extensions import db
    from cade.notifications import outbox
    from cade.reviews.services import runs

    phases = {"plan": 0.0, "planner": 0.0, "broker": 0.0}
    plan, planner, enqueue = runs._plan, runs.plan_assignments, outbox._enqueue

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - started
        return wrapper

    shapes: dict[str, int] = {}

    def count(conn, cursor, statement, *_):
        shape = " ".join(statement.split()[:4])[:60]
        shapes[shape] = shapes.get(shape, 0) + 1

    def savepoint(conn, name, *_):  # SAVEPOINT and RELEASE do not pass before_cursor_execute
        shapes["SAVEPOINT / RELEASE"] = shapes.get("SAVEPOINT / RELEASE", 0) + 1

    profiler = cProfile.Profile() if profile else None
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # the first connection is not the run's
        admin = db.session.get(User, world["admin_id"])
        runs._plan, runs.plan_assignments = timed("plan", plan), timed("planner", planner)
        outbox._enqueue = timed("broker", enqueue)
        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "savepoint", savepoint)
        event.listen(db.engine, "release_savepoint", savepoint)
        try:
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            run = runs.start_auto_assignment(admin, world["call_id"], enqueue=False)
            db.session.commit()
            run = runs.run_auto_assignment(run.id, commit_progress=db.session.commit)
            db.session.commit()
            seconds = time.perf_counter() - started
            if profiler:
                profiler.disable()
        finally:
            runs._plan, runs.plan_assignments, outbox._enqueue = plan, planner, enqueue
            event.remove(db.engine, "before_cursor_execute", count)
            event.remove(db.engine, "savepoint", savepoint)
            event.remove(db.engine, "release_savepoint", savepoint)
        world["run_id"] = run.id
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, "plan": phases["plan"], "planner": phases["planner"], "broker": phases["broker"],
            "statements": sum(shapes.values()), "shapes": sorted(shapes.items(), key=lambda item: -item[1])[:12],
            "profile": summarise(profiler) if profiler else None}


def summarise(profiler: cProfile.Profile, top: int = 18) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    stream.write("\n")
    stats.sort_stats("cumulative").print_stats(top + 12)
    lines = [line for line in stream.getvalue().splitlines()
             if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))]
    return "\n".join(line.replace(str(ROOT) + "/", "") for line in lines)


def forget_queue(redis_url: str, queue: str) -> tuple[int, list[int]]:
    """Empty this benchmark's queue on the broker; return how many messages it held and the notification ids
    they carried (a delivery task takes one id, or a list of them if the outbox hands them over in batches)."""
    import base64

    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        raw = client.lrange(queue, 0, -1)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()
    ids = []
    for message in raw:
        envelope = json.loads(message)
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        first = json.loads(body)[0][0]  # Celery's message: [args, kwargs, embed]
        ids.extend(first if isinstance(first, list) else [first])
    return len(raw), ids


# -- the checks ---------------------------------------------------------------------------------------


def verify(url: str, world: dict) -> tuple[list, dict]:
    """Every rule the service promises, checked on the database: (name, passed, detail) each, and figures."""
    from cade.reviews.constants import PUBLIC_EMAIL_DOMAINS

    call_id, run_id, admin_id = world["call_id"], world["run_id"], world["admin_id"]
    public = sorted(PUBLIC_EMAIL_DOMAINS)
    checks = []
    with psycopg.connect(url) as conn:
        def one(sql, *params):
            return conn.execute(sql, params).fetchone()[0]

        def check(name, sql, expected, *params, detail=None):
            found = one(sql, *params)
            checks.append((name, found == expected, detail(found) if detail else f"{found:,} (expected {expected:,})"))
            return found

        review = "('submitted', 'under_review', 'info_requested')"
        in_review = one(f"SELECT count(*) FROM applications WHERE call_id = %s AND status IN {review}", call_id)
        new = one("SELECT count(*) FROM assignments WHERE call_id = %s AND method = 'auto'", call_id)
        check("each application exactly 3 reviewers",
              f"""SELECT count(*) FROM applications a WHERE a.call_id = %s AND a.status IN {review}
                  AND (SELECT count(*) FROM assignments s WHERE s.application_id = a.id) <> {REVIEWS}""", 0, call_id,
              detail=lambda n: f"{in_review - n:,} of {in_review:,} have {REVIEWS}")
        check("reviewers of an application distinct",
              """SELECT count(*) FROM (SELECT application_id FROM assignments WHERE call_id = %s
                 GROUP BY application_id HAVING count(DISTINCT reviewer_id) <> count(*)) t""", 0, call_id)
        check("no reviewer over their cap",
              """SELECT count(*) FROM (SELECT s.reviewer_id FROM assignments s
                 JOIN reviewer_profiles p ON p.user_id = s.reviewer_id WHERE s.call_id = %s
                 GROUP BY s.reviewer_id, p.max_load HAVING count(*) > p.max_load) t""", 0, call_id)
        check("no reviewer a member of the applicant organisation",
              """SELECT count(*) FROM assignments s JOIN applications a ON a.id = s.application_id
                 JOIN memberships m ON m.organisation_id = a.organisation_id AND m.user_id = s.reviewer_id
                 WHERE s.call_id = %s""", 0, call_id)
        check("no reviewer sharing a member's own e-mail domain",
              """SELECT count(*) FROM assignments s JOIN users r ON r.id = s.reviewer_id
                 JOIN applications a ON a.id = s.application_id
                 JOIN memberships m ON m.organisation_id = a.organisation_id JOIN users u ON u.id = m.user_id
                 WHERE s.call_id = %s AND lower(split_part(r.email, '@', 2)) = lower(split_part(u.email, '@', 2))
                 AND lower(split_part(u.email, '@', 2)) <> ALL(%s)""", 0, call_id, public)
        check("no reviewer who declared a conflict",
              """SELECT count(*) FROM assignments s JOIN conflict_declarations d
                 ON d.application_id = s.application_id AND d.reviewer_id = s.reviewer_id AND d.has_conflict
                 WHERE s.call_id = %s""", 0, call_id)
        check("only active reviewers with the role and a profile",
              """SELECT count(*) FROM assignments s JOIN users r ON r.id = s.reviewer_id
                 LEFT JOIN reviewer_profiles p ON p.user_id = r.id
                 LEFT JOIN user_roles ur ON ur.user_id = r.id AND ur.role = 'reviewer'
                 WHERE s.call_id = %s AND (NOT r.active OR p.id IS NULL OR ur.id IS NULL)""", 0, call_id)
        check("nothing for drafts or withdrawn applications",
              f"""SELECT count(*) FROM assignments s JOIN applications a ON a.id = s.application_id
                  WHERE s.call_id = %s AND a.status NOT IN {review}""", 0, call_id)
        check("hand-made assignments kept",
              "SELECT count(*) FROM assignments WHERE call_id = %s AND method = 'manual'", world["preassigned"],
              call_id)
        check("every application under review",
              f"SELECT count(*) FROM applications WHERE call_id = %s AND status IN {review} "
              "AND status <> 'under_review'", 0, call_id)
        check("new assignments by the admin, due at the review deadline",
              """SELECT count(*) FROM assignments WHERE call_id = %s AND method = 'auto'
                 AND (assigned_by_id IS DISTINCT FROM %s OR due_at IS DISTINCT FROM %s)""", 0,
              call_id, admin_id, world["deadline"])
        check("each new assignment audited once",
              """SELECT count(*) FROM assignments s WHERE s.call_id = %s AND s.method = 'auto' AND
                 (SELECT count(*) FROM audit_events e WHERE e.verb = 'assignment.created'
                  AND e.object_type = 'Assignment' AND e.object_id = s.id) <> 1""", 0, call_id)
        check("each new assignment's reviewer notified once",
              """SELECT count(*) FROM assignments s WHERE s.call_id = %s AND s.method = 'auto' AND
                 (SELECT count(*) FROM notifications n WHERE n.kind = 'reviews.assigned'
                  AND n.idempotency_key = 'assigned:' || s.id AND n.recipient_id = s.reviewer_id) <> 1""", 0,
              call_id)
        status, result = conn.execute("SELECT status, result FROM runs WHERE id = %s", (run_id,)).fetchone()
        expected = in_review * REVIEWS - world["preassigned"]
        checks.append(("run succeeded, every slot covered",
                       status == "succeeded" and result.get("assigned_count") == expected == new
                       and not result.get("uncovered"),
                       f"{status}, {result.get('assigned_count'):,} assigned of {expected:,}, "
                       f"{len(result.get('uncovered') or []):,} uncovered"))

        # What the data held, so that the checks above could have failed.
        pool = """SELECT r.id, lower(split_part(r.email, '@', 2)) AS domain FROM users r
                  JOIN user_roles ur ON ur.user_id = r.id AND ur.role = 'reviewer' WHERE r.active"""
        figures = {
            "new": new, "in_review": in_review,
            "member_pairs": one(f"""SELECT count(*) FROM ({pool}) r JOIN memberships m ON m.user_id = r.id
                                    JOIN applications a ON a.organisation_id = m.organisation_id
                                    WHERE a.call_id = %s AND a.status IN {review}""", call_id),
            "domain_pairs": one(f"""SELECT count(DISTINCT (a.id, r.id)) FROM ({pool}) r
                                    JOIN users u ON lower(split_part(u.email, '@', 2)) = r.domain
                                    JOIN memberships m ON m.user_id = u.id AND u.id <> r.id
                                    JOIN applications a ON a.organisation_id = m.organisation_id
                                    WHERE a.call_id = %s AND a.status IN {review} AND r.domain <> ALL(%s)""",
                                call_id, public),
            "declared_pairs": one("""SELECT count(*) FROM conflict_declarations d
                                     JOIN applications a ON a.id = d.application_id
                                     WHERE a.call_id = %s AND d.has_conflict""", call_id),
            "public_assigned": one("""SELECT count(DISTINCT s.id) FROM assignments s
                                      JOIN users r ON r.id = s.reviewer_id
                                      JOIN applications a ON a.id = s.application_id
                                      JOIN memberships m ON m.organisation_id = a.organisation_id
                                      JOIN users u ON u.id = m.user_id
                                      WHERE s.call_id = %s AND lower(split_part(r.email, '@', 2))
                                            = lower(split_part(u.email, '@', 2))""", call_id),
            "no_conflict_assigned": one("""SELECT count(*) FROM assignments s JOIN conflict_declarations d
                                           ON d.application_id = s.application_id AND d.reviewer_id = s.reviewer_id
                                           AND NOT d.has_conflict WHERE s.call_id = %s""", call_id),
        }
        loads = [row[0] for row in conn.execute(
            """SELECT count(s.id) FROM reviewer_profiles p JOIN user_roles ur ON ur.user_id = p.user_id
               AND ur.role = 'reviewer' JOIN users r ON r.id = p.user_id AND r.active
               LEFT JOIN assignments s ON s.reviewer_id = p.user_id AND s.call_id = %s GROUP BY p.user_id""",
            (call_id,))]
        figures["loads"] = (min(loads), statistics.median(loads), max(loads))
        figures["at_cap"] = one("""SELECT count(*) FROM (SELECT p.user_id FROM reviewer_profiles p
                                   JOIN assignments s ON s.reviewer_id = p.user_id AND s.call_id = %s
                                   GROUP BY p.user_id, p.max_load HAVING count(*) = p.max_load) t""", call_id)
        figures["language_match"] = one(
            """SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM json_array_elements_text(o.languages) l
                                            JOIN json_array_elements_text(p.languages) k ON k = l)
                          THEN 1.0 ELSE 0 END)
               FROM assignments s JOIN applications a ON a.id = s.application_id
               JOIN organisations o ON o.id = a.organisation_id JOIN reviewer_profiles p ON p.user_id = s.reviewer_id
               WHERE s.call_id = %s AND s.method = 'auto'""", call_id)
    return checks, figures


# -- the figures --------------------------------------------------------------------------------------

# Why the run misses the bar, from this benchmark's phase timings and profiles (2026-12-05, a 2-core machine shared
# with other work, load average 4 to 7): kept with the figures until the causes below are fixed.
WHERE_THE_TIME_GOES = """\
### Where the time goes

Measured on the same machine, the whole run at the bar's scale (10,000 x 3, 300 reviewers):

| code | whole run | planner | creating, broker apart | handing notifications to the broker | statements |
| --- | --- | --- | --- | --- | --- |
| row by row, pure-Python flow (before) | 1,005 s | 422 s | 578 s in all | (in creating) | 291,714 |
| OR-Tools flow, batches written set-wise | 25-66 s | 1.1-3.2 s | 7.6-16 s | 15-43 s | 983 |

1. **The broker** (cade/notifications/outbox.py): each notification is one `send_task` at 0.6-0.75 ms, 29,800
   of them in the run's commits. Handing a commit's ids over in a few messages (a `notifications.deliver_many`
   task that fans them out from the worker) takes 0.13-0.3 s.
2. **Audit rows** (cade/core/audit.py `record_events`): 40,000 rows through the ORM's executemany, 2-2.6 s;
   as one `json_to_recordset` INSERT, as cade/reviews/services/bulk.py writes assignments and notifications,
   about 0.5 s.
3. **Automatic conflicts** (cade/reviews/services/conflicts.py): a loop over every application x reviewer pair,
   3 million at the bar, 1.5-3 s; by e-mail domain and membership instead, a few thousand.

With all three (tried on a copy of the code), the whole run took 7.7-8.3 s at the bar.
"""


def report(scale: Scale, world: dict, generated_in: float, timing: dict, checks: list, figures: dict, args) -> int:
    held = all(passed for _, passed, _ in checks)
    fast = timing["seconds"] < TIME_BAR
    at_bar = (scale.applications, scale.reviewers) == FULL
    kinds = world["kinds"]
    data = (f"{scale.applications:,} submitted applications in one call ({scale.organisations:,} organisations, "
            f"{world['members']:,} members; {scale.drafts} drafts and {scale.withdrawn} withdrawn beside them), "
            f"{scale.reviewers} reviewers with caps adding up to {world['capacity']:,} for "
            f"{scale.applications * REVIEWS:,} reviews ({kinds['member']} members of applying organisations, "
            f"{kinds['domain']} at an applicant's own e-mail domain, {kinds['public']} at a public provider "
            f"applicants use too) and {2 * DISTRACTORS} outside the pool; {world['declared']:,} declared conflicts, "
            f"{world['no_conflict']:,} \"no conflict\" answers, {world['preassigned']:,} applications already "
            f"holding one reviewer")
    create = timing["seconds"] - timing["plan"]
    rows = [
        ("automatic assignment, start to last commit", f"{timing['seconds']:.2f} s",
         f"< {TIME_BAR:.0f} s", "PASS" if fast else "MISS" if at_bar else "(info)"),
        ("  planning: load call, pool, conflicts; plan", f"{timing['plan']:.2f} s", "", ""),
        ("    of which the planner (min-cost flow)", f"{timing['planner']:.2f} s", "", ""),
        ("  creating the assignments (checks, audit, notify)", f"{create:.2f} s",
         f"{figures['new'] / create:,.0f} a second" if create > 0 else "", ""),
        ("    of which the outbox handing notifications to the broker", f"{timing['broker']:.2f} s",
         f"{figures['new'] / timing['broker']:,.0f} a second" if timing["broker"] > 0 else "", ""),
        ("statements sent to PostgreSQL", f"{timing['statements']:,}",
         f"{timing['statements'] / max(figures['new'], 1):.1f} an assignment", ""),
        ("assignments made", f"{figures['new']:,}", "", ""),
        ("reviewer loads (min / median / max)", "{} / {:g} / {}".format(*figures["loads"]),
         f"{figures['at_cap']} at their cap", ""),
        ("new assignments sharing a language", f"{float(figures['language_match'] or 0):.0%}", "", ""),
    ]
    conflicts = (f"conflict pairs in the data: {figures['member_pairs']:,} by membership, "
                 f"{figures['domain_pairs']:,} by e-mail domain, {figures['declared_pairs']:,} declared; "
                 f"{figures['public_assigned']:,} assignments where reviewer and a member share a public provider "
                 f"(not a conflict), {figures['no_conflict_assigned']:,} to reviewers who answered \"no conflict\"")

    width = max(len(row[0]) for row in rows)
    print("CADE Grants: automatic reviewer assignment of one call, as the worker carries it out")
    print(f"data: {data}")
    print(f"generated in {generated_in:.1f} s (COPY {world['copy_seconds']:.1f} s)")
    for label, value, note, verdict in rows:
        print(f"  {label:<{width}}  {value:>12}  {note:<24} {verdict}")
    print(conflicts)
    print("statements by shape: " + "; ".join(f"{count:,} x {shape}" for shape, count in timing["shapes"]))
    print_checks(checks)
    if timing["profile"]:
        print("\nwhere the time goes (cProfile, the whole run):\n" + timing["profile"])
    if not at_bar:
        print(f"(the bar is set at {FULL[0]:,} applications and {FULL[1]} reviewers: run without --quick)")

    if args.results or (args.results is None and at_bar):
        write_section("assignment", "## Automatic assignment",
                      section(scale, data, rows, conflicts, checks, timing, fast, at_bar, args))
        print("wrote the \"Automatic assignment\" section of bench/RESULTS.md")
    return 1 if not held or (args.strict and at_bar and not fast) else 0


def section(scale, data, rows, conflicts, checks, timing, fast, at_bar, args) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"`bench/assignment.py{' --quick' if args.quick else ''}`, {when}, on {machine(args.url)}.",
        "",
        f"Data: {data}.",
        "",
        "| figure | value | note | verdict |",
        "| --- | --- | --- | --- |",
        *(f"| {label.strip()} | {value} | {note} | {verdict} |" for label, value, note, verdict in rows),
        "",
        conflicts[0].upper() + conflicts[1:] + ".",
        "",
        "Statements the run sent, by shape: " + "; ".join(f"{count:,} × `{shape}`" for shape, count in timing["shapes"])
        + ".",
        "",
        "Checks on the result (SQL):",
        "",
        *(f"- {'ok' if passed else '**FAIL**'}: {name} ({detail})" for name, passed, detail in checks),
    ]
    if timing["seconds"] >= TIME_BAR:
        lines += ["", (f"The run misses the {TIME_BAR:.0f} s bar" if at_bar else
                       f"At this scale the run already takes {timing['seconds']:.0f} s, more than the bar allows "
                       f"the full call ({TIME_BAR:.0f} s)") + ": see \"Where the time goes\" below.", "",
                  WHERE_THE_TIME_GOES]
    if not at_bar:
        lines += ["", f"Quick scale, for information: the bar is set at {FULL[0]:,} applications and "
                      f"{FULL[1]} reviewers."]
    if timing["profile"]:
        lines += ["", "Profile of the run (cProfile; the profiler's own overhead inflates the times):", "", "```",
                  timing["profile"], "```"]
    return "\n".join(lines)


if __name__ == "__main__":
    leave(main())
