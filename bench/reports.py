"""`make bench`, part two: the funding summary compiled to XLSX, against the same aggregates run in `psql`.

The bar (issue 9, "Speed and memory"): on PostgreSQL with 1,000,000
submitted applications, 150,000 released awards and 40,000 organisations,
compiling the full funding summary to XLSX takes at most 2x the time of the
same aggregates run as plain SQL through `psql`, and the worker's peak memory
stays under 300 MB. Figures are ratios against that baseline, measured in the
same run on the same data, so they compare across machines.

On a database of its own (created here, dropped at the end unless --keep):

1. Generate the data with COPY: two programmes (EUR and USD) of six calls a
   year over three years, organisations spread over every country of
   cade/core/data/m49.csv with every stakeholder group and organisation type
   and one to three focus areas, submitted applications with their
   submission snapshots and focus-area rows, released awards and rejects
   (and a few decided but unreleased awards, which must not count), two
   scored reviews of each decided application with the reviewers'
   declarations (the summary's review figures), EUR/USD rates, and the
   demo's representation targets on one programme; then VACUUM ANALYZE, as a
   database that has lived a while would be.
2. Capture the statements `funding_summary` runs, each rendered with its
   values exactly as psycopg sends them (`ClientCursor.mogrify`), into a
   .sql file.
3. Baseline: `psql -X -q -f that.sql -o /dev/null`, timed around the process.
4. Compile: a fresh Python process (so its peak RSS is its own, as a
   worker's is) creates the app and runs funding_summary, summary_tables and
   the XLSX writer to a temporary file, as `compile_report` does; it times those
   steps and reports its peak resident memory (see `peak_kb`).
   Steps 3 and 4 alternate --repeats times after one warm-up of each; the
   medians are compared.

  .venv/bin/python bench/reports.py                          # 20,000 applications, well under a minute
  .venv/bin/python bench/reports.py --applications 1000000   # the bar's scale, a few minutes

Organisations and awards scale with the applications (40,000 and 150,000 a
million). The bar is set at a million applications: at the small scale the
compile's fixed costs (compiling the statements, the first connection, a
workbook of fifteen sheets) weigh more against a baseline of a tenth of a
second or two, so its ratio says less: below a million it is shown and judged
for information, and --strict (exit status 1 on a missed bar) holds it to the
bar only at a million or more. The memory bar holds at every scale.
"""

import argparse
import atexit
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cade_bench"
SMALL, FULL = 20_000, 1_000_000
# Per application, as the bar's 40,000 organisations and 150,000 awards are per million applications.
ORGANISATIONS_PER_APPLICATION = 40_000 / FULL
AWARDS_PER_APPLICATION = 150_000 / FULL
REJECTS_PER_APPLICATION = 100_000 / FULL
UNRELEASED_PER_APPLICATION = 5_000 / FULL  # decided awards not yet released: the summary must leave them out
APPLICATIONS_PER_REVIEWER = 500
REVIEWERS_PER_APPLICATION = 2  # each decided application, with a declaration of no conflict each
CONFLICTED_SHARE = 0.02  # decided applications with a third reviewer who declared a conflict
DRAFT_REVIEW_SHARE = 0.05  # reviews still in draft: they do not count
CRITERIA_PER_CALL = 3
YEARS = (2023, 2024, 2025)
# An organisation has one live application per call (a unique index), and the bar's 25 applications an
# organisation need at least 25 calls: two programmes of six calls a year over three years make 36.
CALLS_PER_YEAR = 6
PROGRAMMES = (("Capacity development (bench)", "EUR"), ("Community networks (bench)", "USD"))
REPORTING_CURRENCY = "USD"
RATES = (("EUR", "USD", date(2023, 1, 1), "1.0666"), ("EUR", "USD", date(2024, 1, 1), "1.1050"),
         ("EUR", "USD", date(2025, 1, 1), "1.0389"), ("USD", "EUR", date(2023, 1, 1), "0.9376"))
TIME_BAR = 2.0
MEMORY_BAR_MB = 300
SEED = 9
CHUNK = 50_000  # rows a COPY write
NULL = r"\N"  # in COPY's text format


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=SMALL,
                        help=f"submitted applications to generate (default {SMALL:,}; the bar's scale is {FULL:,})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side, after one warm-up (default 3)")
    parser.add_argument("--url", default=DEFAULT_URL,
                        help=f"the bench database, created and dropped (default {DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database a --keep run left, if it holds the same number of applications")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    parser.add_argument("--save-sql", type=Path, help="also write the baseline's statements to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the compile side, in its own process
    args = parser.parse_args()
    if args.worker:
        return compile_in_this_process(args.url, json.loads(args.worker))
    if args.applications < 100:
        parser.error("--applications: at least 100")
    if args.repeats < 1:
        parser.error("--repeats: at least 1")
    repeats = args.repeats

    scale = Scale(args.applications)
    reused = args.reuse and holds(args.url, scale)
    started = time.perf_counter()
    if not reused:
        recreate_database(args.url)
    try:
        counts = counts_of(args.url) if reused else generate(args.url, scale)
        generated_in = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="cade-bench-reports-") as folder:
            sql_file = Path(folder) / "funding-summary.sql"
            statements = capture_statements(args.url, scale.command(), sql_file)
            if args.save_sql:
                args.save_sql.write_text(sql_file.read_text())
            run_psql(args.url, sql_file)  # warm-up: both sides then read from the same warm cache
            compile_once(args.url, scale.command())
            baseline, compiled = [], []
            for repeat in range(repeats):  # in turn, each side first every other time
                if repeat % 2:
                    compiled.append(compile_once(args.url, scale.command()))
                baseline.append(run_psql(args.url, sql_file))
                if not repeat % 2:
                    compiled.append(compile_once(args.url, scale.command()))
    finally:
        if not args.keep:
            drop_database(args.url)
    return report(scale, counts, generated_in, reused, statements, baseline, compiled, args)


# -- the data -----------------------------------------------------------------------------------------


class Scale:
    """How many of each row, from the number of applications."""

    def __init__(self, applications: int):
        self.applications = applications
        self.organisations = max(4, round(applications * ORGANISATIONS_PER_APPLICATION))
        self.awards = round(applications * AWARDS_PER_APPLICATION)
        self.rejects = round(applications * REJECTS_PER_APPLICATION)
        self.unreleased = round(applications * UNRELEASED_PER_APPLICATION)
        self.reviewers = max(REVIEWERS_PER_APPLICATION + 1, applications // APPLICATIONS_PER_REVIEWER)
        self.calls = len(PROGRAMMES) * len(YEARS) * CALLS_PER_YEAR
        if self.applications > self.calls * self.organisations:
            raise SystemExit("more applications than (call, organisation) pairs: raise CALLS_PER_YEAR")

    def command(self) -> dict:
        """The full summary over the three years, as an administrator would ask for it."""
        return {"currency": REPORTING_CURRENCY, "date_from": f"{YEARS[0]}-01-01", "date_to": f"{YEARS[-1]}-12-31"}


def admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's `postgres` database, the bench database's name)."""
    base, name = url.rsplit("/", 1)
    return base + "/postgres", name


def recreate_database(url: str) -> None:
    server, name = admin_url(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    server, name = admin_url(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def holds(url: str, scale: Scale) -> bool:
    """Whether `url` is a bench database of this scale (left by --keep)."""
    try:
        return counts_of(url)["applications"] == scale.applications
    except psycopg.Error:
        return False


def counts_of(url: str) -> dict:
    with psycopg.connect(url) as conn:
        def count(sql):
            return conn.execute(sql).fetchone()[0]
        return {"programmes": count("SELECT count(*) FROM programmes"), "calls": count("SELECT count(*) FROM calls"),
                "organisations": count("SELECT count(*) FROM organisations"),
                "applications": count("SELECT count(*) FROM applications"),
                "focus_areas": count("SELECT count(*) FROM application_focus_areas"),
                "awards": count("SELECT count(*) FROM decisions WHERE outcome = 'award' AND status = 'released'"),
                "rejects": count("SELECT count(*) FROM decisions WHERE outcome = 'reject'"),
                "unreleased": count("SELECT count(*) FROM decisions WHERE status = 'decided'"),
                "reviewers": count("SELECT count(*) FROM users"),
                "reviews": count("SELECT count(*) FROM reviews"),
                "scores": count("SELECT count(*) FROM review_scores"),
                "declarations": count("SELECT count(*) FROM conflict_declarations"),
                "copy_seconds": None, "analyze_seconds": None}


def make_app(url: str):
    from cade import create_app
    from config import Config, database_url

    folder = tempfile.mkdtemp(prefix="cade-bench-app-")  # files and mail, of which the summary writes none
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return create_app(Config, SQLALCHEMY_DATABASE_URI=database_url(url), STORAGE_PATH=f"{folder}/files",
                      MAILBOX_PATH=f"{folder}/mailbox")


def keep_review_scores(url: str) -> None:
    """Compute the kept review figures of every call, as saving each review would have (COPY bypasses the app)."""
    from sqlalchemy import create_engine, select

    from cade.programmes.models import Call
    from cade.reviews.services.aggregation import reference_keeping_statement, score_keeping_statements
    from config import database_url

    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        for statement in [*score_keeping_statements(select(Call.id)), reference_keeping_statement(select(Call.id))]:
            conn.execute(statement)
    engine.dispose()


def countries() -> list[dict]:
    with (ROOT / "cade" / "core" / "data" / "m49.csv").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["region_code"]]


def generate(url: str, scale: Scale) -> dict:
    """Schema, the few rows through the models, the many by COPY; then VACUUM ANALYZE. Returns the counts."""
    rng = random.Random(SEED)
    app = make_app(url)
    calls = small_rows(app)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        organisations = copy_organisations(conn, scale, rng)
        applications, statuses = copy_applications(conn, scale, rng, calls, organisations)
        focus_areas = copy_focus_areas(conn, organisations, applications)
        copy_decisions(conn, rng, calls, applications, statuses)
        reviews = copy_reviews(conn, scale, rng, calls, applications, statuses)
        for table in ("organisations", "applications", "decisions", "users", "assignments", "reviews",
                      "review_scores", "conflict_declarations"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    keep_review_scores(url)
    copied = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return {"programmes": len(PROGRAMMES), "calls": len(calls), "organisations": scale.organisations,
            "applications": scale.applications, "focus_areas": focus_areas, "awards": scale.awards,
            "rejects": scale.rejects, "unreleased": scale.unreleased, **reviews,
            "copy_seconds": copied, "analyze_seconds": time.perf_counter() - started}


def small_rows(app) -> list[tuple]:
    """Programmes, calls (each with its questionnaire), rates and targets, through the models.

    Returns (id, opens_at, closes_at, currency, min award, max award, rubric criteria ids) per call.
    """
    from cade.core.rates import ExchangeRate
    from cade.demo.history import BASELINE_SOURCE, CADE_TARGETS
    from cade.extensions import db
    from cade.programmes.constants import CallStatus
    from cade.programmes.models import Call, Programme, RubricCriterion
    from cade.reports.models import RepresentationTarget

    with app.app_context():
        db.create_all()
        calls = []
        for number, (name, currency) in enumerate(PROGRAMMES, start=1):
            programme = Programme(name=name, kind="grants", funder_name="Bench funder", currency=currency)
            db.session.add(programme)
            for year in YEARS:
                for round_ in range(CALLS_PER_YEAR):
                    opens = datetime(year, 1 + 2 * round_, 1, tzinfo=timezone.utc)
                    calls.append(Call(programme=programme, title=f"{name} {year} round {round_ + 1}",
                                      reference_prefix=f"B{number}-{year}-{round_ + 1}", status=CallStatus.PUBLISHED,
                                      opens_at=opens, closes_at=opens + timedelta(days=45),
                                      budget_envelope_minor=10**12, min_award_minor=500_000,
                                      max_award_minor=5_000_000,
                                      criteria=[RubricCriterion(position=position, label=f"Criterion {position}",
                                                                weight=position, max_score=5)
                                                for position in range(1, CRITERIA_PER_CALL + 1)]))
        db.session.add_all(calls)
        for from_currency, to_currency, day, rate in RATES:
            db.session.add(ExchangeRate(from_currency=from_currency, to_currency=to_currency, rate=Decimal(rate),
                                        rate_date=day, source="Bench rate"))
        targets = [*CADE_TARGETS, ("country_list", "LDC", Decimal("0.15"), None)]
        for dimension, value, target, baseline in targets:
            db.session.add(RepresentationTarget(programme=calls[0].programme, dimension=dimension, value=value,
                                                target_share=target, baseline_share=baseline,
                                                baseline_source=BASELINE_SOURCE if baseline else None))
        db.session.commit()
        found = [(call.id, call.opens_at, call.closes_at, call.programme.currency, call.min_award_minor,
                  call.max_award_minor, [criterion.id for criterion in call.criteria]) for call in calls]
        db.session.remove()
        db.engine.dispose()
    return found


def _copy(conn, table: str, columns: str, lines) -> int:
    """COPY `lines` (text format, one row a line) into `table`; returns how many."""
    written = 0
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == CHUNK:
                copy.write("".join(chunk))
                written += len(chunk)
                chunk = []
        if chunk:
            copy.write("".join(chunk))
            written += len(chunk)
    return written


def copy_organisations(conn, scale: Scale, rng: random.Random) -> list[tuple]:
    """Returns per organisation (index = id - 1): (snapshot columns as COPY text, focus areas)."""
    from cade.organisations.constants import FocusArea, OrganisationType, StakeholderGroup

    places = countries()
    types, groups, areas = list(OrganisationType), list(StakeholderGroup), list(FocusArea)
    organisations, lines = [], []
    flag = {"1": "t", "0": "f"}
    for number in range(1, scale.organisations + 1):
        country = rng.choice(places)
        kind, group = rng.choice(types), rng.choice(groups)
        chosen = rng.sample(areas, rng.randint(1, 3))
        snapshot = "\t".join((country["iso_alpha2"], country["region_code"], country["subregion_code"], group, kind,
                              flag[country["ldc"]], flag[country["lldc"]], flag[country["sids"]]))
        organisations.append((snapshot, chosen))
        lines.append(f"{number}\tOrganisation {number}\t{country['iso_alpha2']}\t{country['region_code']}\t"
                     f"{country['subregion_code']}\t{kind}\t{group}\t{json.dumps(chosen)}\t[]\tf\tf\n")
    _copy(conn, "organisations", "id, name, country, region_code, subregion_code, organisation_type, "
          "stakeholder_group, focus_areas, languages, verified, publish_consent", lines)
    return organisations


def copy_applications(conn, scale: Scale, rng: random.Random, calls, organisations) -> tuple[list, dict]:
    """Each (call, organisation) pair at most once, its status following its decision (if any).

    Returns (call index, organisation index, requested, submitted) per application (index = id - 1), and
    the decided ones' statuses by index.
    """
    pairs = rng.sample(range(len(calls) * scale.organisations), scale.applications)
    chosen = []
    first: dict[int, tuple[float, int]] = {}  # organisation → (earliest submission, its application)
    for index, pair in enumerate(pairs):
        call, organisation = divmod(pair, scale.organisations)
        _, opens, closes, _, low, high, _ = calls[call]
        submitted = opens.timestamp() + rng.random() * (closes - opens).total_seconds()
        chosen.append((call, organisation, rng.randrange(low, high + 1, 10_000), submitted))
        if organisation not in first or submitted < first[organisation][0]:
            first[organisation] = (submitted, index)
    first_ones = {index for _, index in first.values()}
    statuses = _statuses(scale, rng)

    def lines():
        references = [0] * len(calls)
        for index, (call, organisation, requested, submitted) in enumerate(chosen):
            references[call] += 1
            at = datetime.fromtimestamp(submitted, timezone.utc).isoformat()
            yield (f"{index + 1}\t{calls[call][0]}\t{organisation + 1}\t{statuses.get(index, 'under_review')}\t"
                   f"B{calls[call][0]}-{references[call]:06d}\tProject {index + 1}\t\t{requested}\t{at}\t"
                   f"{organisations[organisation][0]}\t{'t' if index in first_ones else 'f'}\n")

    _copy(conn, "applications", "id, call_id, organisation_id, status, reference, title, summary, "
          "requested_amount_minor, submitted_at, org_country, org_region_code, org_subregion_code, "
          "org_stakeholder_group, org_type, org_ldc, org_lldc, org_sids, org_first_time", lines())
    return chosen, statuses


def _statuses(scale: Scale, rng: random.Random) -> dict[int, str]:
    """The decided applications' statuses by index: awarded and rejected once released, else under review."""
    picked = rng.sample(range(scale.applications), scale.awards + scale.rejects + scale.unreleased)
    statuses = {}
    for position, index in enumerate(picked):
        if position < scale.awards:
            statuses[index] = "awarded"
        elif position < scale.awards + scale.rejects:
            statuses[index] = "rejected"
        else:
            statuses[index] = "under_review"  # its award is decided, not yet released
    return statuses


def copy_focus_areas(conn, organisations, applications) -> int:
    def lines():
        for index, (_, organisation, _, _) in enumerate(applications):
            for area in organisations[organisation][1]:
                yield f"{index + 1}\t{area}\n"

    return _copy(conn, "application_focus_areas", "application_id, focus_area", lines())


def copy_decisions(conn, rng: random.Random, calls, applications, statuses) -> int:
    def lines():
        for number, (index, status) in enumerate(sorted(statuses.items()), start=1):
            call, _, requested, _ = applications[index]
            call_id, _, closes, currency, low, _, _ = calls[call]
            decided_at = (closes + timedelta(days=20)).isoformat()
            if status == "rejected":
                yield (f"{number}\t{index + 1}\t{call_id}\treject\t{NULL}\t{currency}\t\t\t{decided_at}\treleased\t"
                       f"{(closes + timedelta(days=30)).isoformat()}\n")
                continue
            amount = min(requested, rng.randrange(low, requested + 1, 10_000))
            released = status == "awarded"
            yield (f"{number}\t{index + 1}\t{call_id}\taward\t{amount}\t{currency}\t\t\t{decided_at}\t"
                   f"{'released' if released else 'decided'}\t"
                   f"{(closes + timedelta(days=30)).isoformat() if released else NULL}\n")

    return _copy(conn, "decisions", "id, application_id, call_id, outcome, amount_minor, currency, feedback, "
                 "rationale, decided_at, status, released_at", lines())


def copy_reviews(conn, scale: Scale, rng: random.Random, calls, applications, statuses) -> dict:
    """Reviewers, and two reviews of each decided application (scored, most submitted), with declarations.

    Recommendations lean with the outcome, so that some applications' reviewers disagree.
    """
    _copy(conn, "users", "id, email, password_hash, name, locale, timezone, active, session_version",
          (f"{number}\treviewer{number}@bench.example.org\t!\tReviewer {number:05d}\ten\tUTC\tt\t1\n"
           for number in range(1, scale.reviewers + 1)))
    leaning = {"awarded": ("fund", "fund", "fund_with_changes", "do_not_fund"),
               "rejected": ("do_not_fund", "do_not_fund", "fund_with_changes", "fund"),
               "under_review": ("fund", "fund_with_changes", "do_not_fund")}
    reviews, conflicted = [], []  # (application index, reviewer, draft, days taken, recommendation, scores)
    for index, status in sorted(statuses.items()):
        people = rng.sample(range(1, scale.reviewers + 1), REVIEWERS_PER_APPLICATION + 1)
        for reviewer in people[:REVIEWERS_PER_APPLICATION]:
            draft = rng.random() < DRAFT_REVIEW_SHARE
            reviews.append((index, reviewer, draft, rng.randint(1, 28), rng.choice(leaning[status]),
                            [rng.randint(1, 5) for _ in range(CRITERIA_PER_CALL)]))
        if rng.random() < CONFLICTED_SHARE:
            conflicted.append((index, people[-1]))

    def assigned_at(index):
        return calls[applications[index][0]][2] + timedelta(days=2)

    _copy(conn, "assignments", "id, call_id, application_id, reviewer_id, method, assigned_at, due_at",
          (f"{number}\t{calls[applications[index][0]][0]}\t{index + 1}\t{reviewer}\tauto\t"
           f"{assigned_at(index).isoformat()}\t{(assigned_at(index) + timedelta(days=30)).isoformat()}\n"
           for number, (index, reviewer, *_) in enumerate(reviews, start=1)))
    _copy(conn, "reviews", "id, assignment_id, call_id, application_id, reviewer_id, status, recommendation, "
          "comment_to_applicant, confidential_comment, submitted_at",
          (f"{number}\t{number}\t{calls[applications[index][0]][0]}\t{index + 1}\t{reviewer}\t"
           + (f"draft\t{NULL}\t\t\t{NULL}\n" if draft else
              f"submitted\t{recommendation}\t\t\t{(assigned_at(index) + timedelta(days=days)).isoformat()}\n")
           for number, (index, reviewer, draft, days, recommendation, _) in enumerate(reviews, start=1)))

    def scores():
        number = 0
        for review, (index, _, draft, _, _, marks) in enumerate(reviews, start=1):
            if draft:
                continue
            for criterion, mark in zip(calls[applications[index][0]][6], marks):
                number += 1
                yield f"{number}\t{review}\t{criterion}\t{mark}\n"

    scored = _copy(conn, "review_scores", "id, review_id, criterion_id, score", scores())

    def declarations():
        for index, reviewer, *_ in reviews:
            yield f"{index + 1}\t{reviewer}\tf\t{NULL}\t{assigned_at(index).isoformat()}\n"
        for index, reviewer in conflicted:
            yield f"{index + 1}\t{reviewer}\tt\tA former colleague\t{assigned_at(index).isoformat()}\n"

    declared = _copy(conn, "conflict_declarations", "application_id, reviewer_id, has_conflict, reason, declared_at",
                     declarations())
    return {"reviewers": scale.reviewers, "reviews": len(reviews), "scores": scored, "declarations": declared}


# -- the two sides ------------------------------------------------------------------------------------


def capture_statements(url: str, params: dict, sql_file: Path) -> int:
    """Write every statement `funding_summary` runs, with its values inlined as psycopg sends them."""
    from flask_babel import force_locale
    from sqlalchemy import event, text

    from cade.extensions import db
    from cade.reports.services.summary import FundingSummaryInput, funding_summary

    app = make_app(url)
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, parameters or None))

    with app.app_context(), force_locale("en"):
        db.session.execute(text("SELECT 1"))  # the dialect's first-connection queries are not the summary's
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            funding_summary(FundingSummaryInput.from_input(params))
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
        db.engine.dispose()
    sql_file.write_text("".join(f"{statement.rstrip().rstrip(';')};\n" for statement in captured))
    return len(captured)


def run_psql(url: str, sql_file: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(sql_file), "-o", os.devnull],
                   check=True)
    return time.perf_counter() - started


def compile_once(url: str, params: dict) -> dict:
    found = subprocess.run([sys.executable, __file__, "--url", url, "--worker", json.dumps(params)],
                           check=True, capture_output=True, text=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


def compile_in_this_process(url: str, params: dict) -> int:
    """The worker's side: the app as a worker has it, then the summary, its tables and the XLSX, timed.

    What a running worker has done already, whatever its tasks (create the app,
    import every writer `compile_report` uses, WeasyPrint's included, configure
    the ORM's mappers), is done before the clock starts; the first connection
    to the database is not, as psql's is not either, nor is compiling the
    summary's statements (a worker's first report).
    """
    from flask_babel import force_locale
    from sqlalchemy.orm import configure_mappers

    import cade.reports.outputs.csv  # noqa: F401  (what `writers` imports, loaded by a worker's first report)
    import cade.reports.outputs.pdf  # noqa: F401
    import cade.reports.outputs.xlsx  # noqa: F401
    import cade.reports.services.charts  # noqa: F401
    from cade.reports.services.runs import writers
    from cade.reports.services.summary import FundingSummaryInput, funding_summary
    from cade.reports.services.tables import summary_tables

    app = make_app(url)
    configure_mappers()
    with app.app_context(), force_locale("en"):
        before_kb = peak_kb()
        started = time.perf_counter()
        summary = funding_summary(FundingSummaryInput.from_input(params))
        summarised = time.perf_counter()
        tables = summary_tables(summary)
        tabled = time.perf_counter()
        with tempfile.TemporaryFile() as stream:
            writers(summary, tables)["xlsx"](stream)
            size = stream.tell()
        written = time.perf_counter()
    print(json.dumps({
        "seconds": written - started, "summary": summarised - started, "tables": tabled - summarised,
        "xlsx": written - tabled, "xlsx_bytes": size, "rows": sum(len(table.rows) for table in tables),
        "sheets": len(tables), "before_kb": before_kb,
        "peak_kb": peak_kb(),
    }))
    return 0


def peak_kb() -> int:
    """This process's peak resident memory in KB: VmHWM on Linux, else ru_maxrss.

    Not ru_maxrss on Linux: exec records the high-water mark of the memory it
    replaces, and subprocess starts its child with vfork, whose memory is the
    parent's, so a worker started by this (large, data-generating) process
    would report the parent's peak as its own. VmHWM is the peak of this
    program's own memory since exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS


# -- the figures --------------------------------------------------------------------------------------


def report(scale, counts, generated_in, reused, statements, baseline, compiled, args) -> int:
    base = statistics.median(baseline)
    compile_ = statistics.median(run["seconds"] for run in compiled)
    middle = sorted(compiled, key=lambda run: run["seconds"])[len(compiled) // 2]
    ratio = compile_ / base
    peak_mb = max(run["peak_kb"] for run in compiled) / 1024
    before_mb = max(run["before_kb"] for run in compiled) / 1024
    time_ok, memory_ok = ratio <= TIME_BAR, peak_mb < MEMORY_BAR_MB
    at_bar_scale = scale.applications >= FULL

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    print(f"CADE Grants report benchmark: the funding summary to XLSX against the same SQL in psql "
          f"(median of {len(baseline)}, after a warm-up of each)")
    print(f"data: {counts['applications']:,} submitted applications, {counts['organisations']:,} organisations, "
          f"{counts['focus_areas']:,} focus-area rows, {counts['awards']:,} released awards, "
          f"{counts['rejects']:,} rejects, {counts['unreleased']:,} unreleased awards, "
          f"{counts['calls']} calls in {counts['programmes']} programmes; {counts['reviews']:,} reviews by "
          f"{counts['reviewers']:,} reviewers, {counts['scores']:,} scores, {counts['declarations']:,} declarations")
    if reused:
        print("generated: no, the database a --keep run left was reused")
    else:
        print(f"generated in {generated_in:.1f} s (COPY {counts['copy_seconds']:.1f} s, "
              f"VACUUM ANALYZE {counts['analyze_seconds']:.1f} s)")
    print(f"baseline: {statements} statements of funding_summary through psql   {base:8.3f} s")
    print(f"compile:  summary, tables and XLSX in a fresh process     {compile_:8.3f} s   "
          f"(summary {middle['summary']:.3f} s, tables {middle['tables']:.3f} s, xlsx {middle['xlsx']:.3f} s; "
          f"{middle['sheets']} sheets, {middle['rows']:,} rows, {middle['xlsx_bytes']:,} bytes)")
    print(f"ratio:    {ratio:.2f}x   (bar <= {TIME_BAR:.1f}x)   {verdict(time_ok)}"
          + ("" if at_bar_scale else f"   (for information: the bar is set at {FULL:,} applications)"))
    print(f"peak memory: {peak_mb:.0f} MB, of which {before_mb:.0f} MB before compiling   "
          f"(bar < {MEMORY_BAR_MB} MB)   {verdict(memory_ok)}")
    if not at_bar_scale:
        print(f"the bar's scale: `make bench-full` (or --applications {FULL})")
    if args.keep:
        print(f"kept {args.url} (--reuse next time skips generating)")
    missed = not memory_ok or (at_bar_scale and not time_ok)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
