"""`make bench-weight`: what every page of the site weighs, with the CSS, JS, fonts and images it loads.

The bar (issue 18): every page under 60 KB, counted as a browser with an
empty cache loads it: the HTML plus each stylesheet, script, font and image
it references, once each.

1. A database of its own: by default a SQLite file in a temporary folder
   (the bytes of a page do not depend on the engine, and SQLite makes the
   run seconds shorter), or --url's PostgreSQL database (created and dropped).
   Schema by `db.create_all`, then the demo data (`flask seed-demo`'s
   `seed_demo`), the links of the token pages (a password reset, an address
   change, an e-mail verification, an organisation's and a reviewer's
   invitation) minted here, and a funding summary and an automatic
   assignment carried out here as a worker would, for their pages.
2. The app in this process (development settings), asked through the WSGI
   test client: compression happens in the app (cade/core/compression.py),
   so these are the bytes gunicorn would send. The demo's people are signed
   in by writing the session the sign-in page leaves.
3. Every GET route of the app's url_map, its arguments filled from the seeded
   rows (`ROWS`: a few candidates each, the kinds of row mixed), asked as a
   visitor, then as the row's own member (the owner of its organisation, its
   reviewer, its traveller), the applicant, a reviewer, the trainer and an
   administrator in turn, each over all the candidates before the next
   (an administrator first under /admin and /reports, a reviewer before the
   applicant under /review, the trainer under their pages), until one gets
   a 200 HTML page. A 200 that is not HTML (a PDF,
   CSV, JSON…) is a download: skipped and named, as are routes whose path
   names a file, the static files, the development mailbox and the routes no
   seeded row or person reaches.
4. Weighed with `Accept-Encoding: gzip`: the bytes as sent (gzip, which the
   app serves to such a client; a browser offering Brotli gets a little
   less) and decoded. The assets are found with an HTML parser (link, script,
   img, source, video poster, inline style) and in each stylesheet (url(),
   @import), each fetched once per page.

  .venv/bin/python bench/weight.py            # the demo data; writes bench/RESULTS.md ("Page weight")
  .venv/bin/python bench/weight.py --quick    # the same, writing nothing

Exit status 1 when something broke: a page answered 5xx, or an asset it
references is missing or on another site. Pages over the bar are a
measurement: 0.
"""

import argparse
import gzip
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import pages as page_bench  # noqa: E402
from bench.harness import leave  # noqa: E402
from bench.reports import drop_database, recreate_database  # noqa: E402
from bench.results import machine, write_section  # noqa: E402

BAR = 60 * 1024
CANDIDATES = 10  # rows tried a route, at most
WORST = 10
HEADERS = {"Accept-Encoding": "gzip", "Accept-Language": "en"}
DOWNLOAD_SUFFIXES = (".pdf", ".csv", ".xlsx", ".json", ".ics", ".xml", ".txt")
ADMIN_PATHS = ("/admin", "/auth/admin", "/reports")  # asked as an administrator first: no one else may
ROLE_PATHS = (("/review", "reviewer"), ("/training/teaching", "trainer"), ("/training/sessions", "trainer"))
NOT_WEIGHED = {"static": "the static files themselves (weighed with the pages that load them)",
               "notifications.mailbox": "development only (the mailbox of e-mails not sent)",
               "notifications.mailbox_message": "development only (the mailbox of e-mails not sent)",
               "core.healthz": "for the load balancer (JSON)", "core.readyz": "for the load balancer (JSON)",
               "core.metrics_page": "for Prometheus (text, behind a token)"}
JSON_API = "the JSON API and its open data (JSON, XML)"

# Candidate rows per set of route arguments (sorted names, or an endpoint where the names do not say enough):
# SQL giving those arguments (any other column goes in the query string), and `viewer`, the person the row
# belongs to, when it has one. The candidates
# mix the kinds of row (a draft, a submitted application, an awarded one…) before taking a second of a kind.
OWNER = "(SELECT m.user_id FROM memberships m WHERE m.organisation_id = {} ORDER BY m.id LIMIT 1)"
ROWS = {
    ("application_id",): f"""SELECT id AS application_id, {OWNER.format('a.organisation_id')} AS viewer
        FROM applications a ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("application_id", "attachment_id"): f"""SELECT t.application_id, t.id AS attachment_id,
        {OWNER.format('a.organisation_id')} AS viewer FROM attachments t JOIN applications a ON a.id = t.application_id
        ORDER BY t.id""",
    ("application_id", "topic"): f"""SELECT t.application_id, t.topic, {OWNER.format('a.organisation_id')} AS viewer
        FROM message_threads t JOIN applications a ON a.id = t.application_id WHERE t.topic IS NOT NULL
        ORDER BY t.id""",
    ("amendment_id", "grant_id"): """SELECT id AS amendment_id, grant_id FROM grant_amendments ORDER BY id""",
    ("assessment_id",): f"""SELECT id AS assessment_id, {OWNER.format('c.organisation_id')} AS viewer
        FROM capacity_assessments c ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("assignment_id",): """SELECT id AS assignment_id, reviewer_id AS viewer FROM assignments ORDER BY id""",
    ("assignment_id", "attachment_id"): """SELECT s.id AS assignment_id, t.id AS attachment_id,
        s.reviewer_id AS viewer FROM assignments s JOIN attachments t ON t.application_id = s.application_id
        ORDER BY s.id""",
    ("attachment_id",): """SELECT id AS attachment_id FROM message_attachments ORDER BY id""",
    ("attachment_id", "grant_id", "report_id"): f"""SELECT t.id AS attachment_id, r.grant_id, r.id AS report_id,
        {OWNER.format('g.organisation_id')} AS viewer FROM report_attachments t
        JOIN grant_reports r ON r.id = t.report_id JOIN grants g ON g.id = r.grant_id ORDER BY t.id""",
    ("call_id",): """SELECT id AS call_id FROM calls
        ORDER BY row_number() OVER (PARTITION BY status ORDER BY closes_at DESC), id""",
    ("call_id", "category_id"): """SELECT call_id, id AS category_id FROM budget_categories ORDER BY id""",
    ("call_id", "event_id"): """SELECT call_id, id AS event_id FROM travel_events ORDER BY id""",
    ("call_id", "heading_id"): """SELECT call_id, id AS heading_id FROM budget_headings ORDER BY id""",
    ("call_id", "question_id"): """SELECT call_id, id AS question_id FROM call_questions
        ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("certificate_id",): """SELECT id AS certificate_id, user_id AS viewer FROM certificates ORDER BY id""",
    ("clarification_id",): f"""SELECT c.id AS clarification_id, {OWNER.format('a.organisation_id')} AS viewer
        FROM clarification_requests c JOIN applications a ON a.id = c.application_id
        ORDER BY row_number() OVER (PARTITION BY c.status ORDER BY c.id), c.id""",
    ("course_id",): """SELECT id AS course_id FROM courses ORDER BY id""",
    ("criterion_id",): """SELECT id AS criterion_id FROM rubric_criteria ORDER BY id""",
    ("document_id",): f"""SELECT id AS document_id, {OWNER.format('d.organisation_id')} AS viewer FROM documents d
        ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("document_id", "organisation_id"): f"""SELECT id AS document_id, organisation_id,
        {OWNER.format('d.organisation_id')} AS viewer FROM documents d ORDER BY id""",
    ("fmt", "run_id"): """SELECT 'csv' AS fmt, id AS run_id FROM runs ORDER BY id""",
    ("grant_id",): f"""SELECT id AS grant_id, {OWNER.format('g.organisation_id')} AS viewer FROM grants g
        ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("grant_id", "report_id"): f"""SELECT r.grant_id, r.id AS report_id, {OWNER.format('g.organisation_id')} AS viewer
        FROM grant_reports r JOIN grants g ON g.id = r.grant_id
        ORDER BY row_number() OVER (PARTITION BY r.status ORDER BY r.id), r.id""",
    ("grant_id", "version"): f"""SELECT v.grant_id, v.version, {OWNER.format('g.organisation_id')} AS viewer
        FROM agreement_versions v JOIN grants g ON g.id = v.grant_id ORDER BY v.id""",
    ("indicator_id", "programme_id"): """SELECT id AS indicator_id, programme_id FROM indicators ORDER BY id""",
    ("letter_id",): """SELECT l.id AS letter_id, t.traveller_user_id AS viewer FROM visa_letters l
        JOIN trips t ON t.id = l.trip_id ORDER BY l.id""",
    ("organisation_id",): f"""SELECT id AS organisation_id, {OWNER.format('o.id')} AS viewer FROM organisations o
        ORDER BY id""",
    ("programme_id",): """SELECT id AS programme_id FROM programmes ORDER BY id""",
    ("question_id",): """SELECT id AS question_id FROM questions ORDER BY id""",
    ("rate_id",): """SELECT id AS rate_id FROM per_diem_rates ORDER BY id""",
    ("receipt_id", "trip_id"): f"""SELECT r.id AS receipt_id, c.trip_id, {OWNER.format('a.organisation_id')} AS viewer
        FROM claim_receipts r JOIN claim_lines l ON l.id = r.line_id JOIN travel_claims c ON c.id = l.claim_id
        JOIN trips t ON t.id = c.trip_id JOIN applications a ON a.id = t.application_id ORDER BY r.id""",
    ("resource_id",): """SELECT id AS resource_id FROM training_resources ORDER BY id""",
    ("run_id",): """SELECT id AS run_id, requested_by_id AS viewer FROM runs ORDER BY id""",
    ("session_id",): """SELECT id AS session_id FROM training_sessions
        ORDER BY row_number() OVER (PARTITION BY status ORDER BY id), id""",
    ("trip_id",): f"""SELECT t.id AS trip_id, coalesce(t.traveller_user_id, {OWNER.format('a.organisation_id')})
        AS viewer FROM trips t JOIN applications a ON a.id = t.application_id ORDER BY t.id""",
    ("user_id",): """SELECT u.id AS user_id FROM users u ORDER BY
        (SELECT count(*) FROM user_roles r WHERE r.user_id = u.id AND r.role = 'reviewer') DESC, u.id""",
    "applications.assisted_consent": f"""SELECT application_id, {OWNER.format('a.organisation_id')} AS viewer
        FROM assisted_entries e JOIN applications a ON a.id = e.application_id ORDER BY e.id""",
    "programmes.call_translation": """SELECT id AS call_id, CASE WHEN language = 'fr' THEN 'es' ELSE 'fr' END
        AS language FROM calls ORDER BY id""",
    "stages.concept_note_attachment": """SELECT s.id AS assignment_id, t.id AS attachment_id,
        s.reviewer_id AS viewer FROM assignments s JOIN applications a ON a.id = s.application_id
        JOIN attachments t ON t.application_id = a.concept_application_id ORDER BY s.id""",
    "travel.approve": """SELECT application_id FROM trips ORDER BY id""",
    "travel.trip": f"""SELECT t.application_id, {OWNER.format('a.organisation_id')} AS viewer FROM trips t
        JOIN applications a ON a.id = t.application_id ORDER BY t.id""",
    "training.verify": """SELECT code FROM certificates ORDER BY revoked_at IS NOT NULL, id""",
    "travel.verify_letter": """SELECT code FROM visa_letters ORDER BY revoked_at IS NOT NULL, id""",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the same run (the demo data is small), writing no results unless --results")
    parser.add_argument("--url", help="a PostgreSQL database to use, created and dropped (default: a SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=None,
                        help="write this benchmark's section of bench/RESULTS.md (default: unless --quick, so that "
                             "`make bench-quick` leaves the figures of a full run alone)")
    args = parser.parse_args()

    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="cade-bench-weight-"))
    url = args.url or f"sqlite:///{folder / 'weight.sqlite'}"
    if args.url:
        recreate_database(args.url)
    try:
        app = build(url, folder)
        built = time.perf_counter() - started
        weighed, skipped, broken = weigh_all(app, Site(app))
    finally:
        if args.url and not args.keep:
            drop_database(args.url)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    timings = f"data {built:.0f} s, pages {time.perf_counter() - started - built:.0f} s"
    return report(args, weighed, skipped, broken, timings)


# -- the app and its people ---------------------------------------------------------------------------


def build(url: str, folder: Path):
    """The app on a new database holding the demo data and the token pages' links (in `app.config`)."""
    from cade.demo.seed import seed_demo
    from cade.extensions import db
    from tests.conftest import IsolatedClient

    app = page_bench.make_app(page_bench.app_env(url, folder))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
        app.config["BENCH_TOKENS"] = mint_tokens()
        db.session.commit()
        carry_out_runs()
    return app


def mint_tokens() -> dict[str, str]:
    """A link for each page behind one: the tokens the e-mails would carry, for the demo's applicant."""
    from sqlalchemy import select

    from cade.accounts import tokens
    from cade.accounts.models import User
    from cade.core.tokens import new_link_token, token_digest
    from cade.demo.data import APPLICANT_EMAIL
    from cade.extensions import db
    from cade.organisations.models import Invitation, Membership
    from cade.reviews.models import ReviewerInvitation

    applicant = db.session.scalar(select(User).where(User.email == APPLICANT_EMAIL))
    unverified = User(email="unverified@weight-bench.test", password_hash="!", name="Not Yet Verified")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == applicant.id).limit(1))
    organisation_token, reviewer_token = new_link_token(), new_link_token()
    expires = datetime.now(timezone.utc) + timedelta(days=7)
    db.session.add_all([unverified, Invitation(organisation_id=membership.organisation_id,
                                               email="invitee@weight-bench.test", role="member",
                                               token_hash=token_digest(organisation_token),
                                               invited_by_id=applicant.id, expires_at=expires),
                        ReviewerInvitation(email="new.reviewer@weight-bench.test",
                                           token_hash=token_digest(reviewer_token), expires_at=expires)])
    db.session.flush()
    return {"accounts.reset": tokens.make_token(applicant, tokens.RESET_PASSWORD),
            "accounts.confirm_email": tokens.make_token(applicant, tokens.CHANGE_EMAIL,
                                                        email="amani.new@weight-bench.test"),
            "accounts.verify": tokens.make_token(unverified, tokens.VERIFY_EMAIL),
            "organisations.accept_invitation": organisation_token,
            "reviews.accept_invitation": reviewer_token}


def carry_out_runs() -> None:
    """The background runs the demo has none of, carried out here as a worker would, so that their pages
    exist: a funding summary of everything, and an automatic assignment of the call in review."""
    from sqlalchemy import select

    from cade.accounts.models import User
    from cade.demo.data import STAFF
    from cade.extensions import db
    from cade.reports.services.runs import compile_report, request_report
    from cade.reports.services.summary import FundingSummaryInput
    from cade.reviews.models import Assignment
    from cade.reviews.services.runs import run_auto_assignment, start_auto_assignment

    admin = db.session.scalar(select(User).where(User.email == STAFF[0][0]))
    report = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    in_review = db.session.scalar(select(Assignment.call_id).order_by(Assignment.id).limit(1))
    assignment = start_auto_assignment(admin, in_review, enqueue=False)
    db.session.commit()
    compile_report(report.id, commit_progress=db.session.commit)
    run_auto_assignment(assignment.id, commit_progress=db.session.commit)
    db.session.commit()


class Site:
    """The people who look at pages, each with a test client of their own, signed in on first use."""

    def __init__(self, app):
        from sqlalchemy import select

        from cade.accounts.models import User
        from cade.demo.data import APPLICANT_EMAIL, STAFF
        from cade.extensions import db

        self.app = app
        self.clients: dict[int | None, object] = {}
        by_role = {roles[0]: email for email, _, roles, _, _ in reversed(STAFF)}  # the first of each role
        with app.app_context():
            ids = dict(db.session.execute(select(User.email, User.id)).all())
        self.named = {"applicant": ids[APPLICANT_EMAIL], "reviewer": ids[by_role["reviewer"]],
                      "trainer": ids[by_role["trainer"]], "admin": ids[by_role["admin"]]}
        self.names = {user_id: name for name, user_id in self.named.items()}

    def client(self, user_id: int | None):
        """The person's client; a visitor's is new each time (a page may sign its client in: the verify link)."""
        if user_id is None:
            return self.app.test_client()
        if user_id not in self.clients:
            self.clients[user_id] = self.app.test_client()
            sign_in(self.app, self.clients[user_id], user_id)
        return self.clients[user_id]

    def attempts(self, paths: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
        """(path, person) in the order to try them: the least privileged person first, each over every
        candidate path (with its row's own person, its `viewer`), before the next person (see the docstring)."""
        kinds = ["visitor", "viewer", "applicant", "reviewer", "trainer", "admin"]
        if paths[0][0].startswith(ADMIN_PATHS):
            kinds.insert(0, kinds.pop())
        for prefix, role in ROLE_PATHS:
            if paths[0][0].startswith(prefix):
                kinds.remove(role)
                kinds.insert(2, role)
        tried = []
        for kind in kinds:
            for path, viewer in paths:
                person = None if kind == "visitor" else viewer if kind == "viewer" else self.named[kind]
                if (kind != "viewer" or viewer is not None) and (path, person) not in tried:
                    tried.append((path, person))
        return tried

    def who(self, user_id: int | None) -> str:
        if user_id is None:
            return "visitor"
        return self.names.get(user_id, "member")


def sign_in(app, client, user_id: int) -> None:
    """Write the session the sign-in page leaves (Flask-Login's user id and the "strong" protection's identifier)."""
    from flask_login.utils import _create_identifier

    from cade.accounts.models import User
    from cade.extensions import db

    with app.app_context():
        user_key = db.session.get(User, user_id).get_id()
        db.session.remove()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user_key
        session["_fresh"] = True
        session["_id"] = identifier
        session["auth_at"] = int(time.time())


# -- finding each page --------------------------------------------------------------------------------


@dataclass
class Weight:
    """One page, weighed: its HTML and each asset, as sent (gzip) and decoded."""

    path: str
    who: str
    html_sent: int
    html: int
    # url: (sent, decoded); (0, 0) for one missing, (-1, -1) for one on another site (not fetched)
    assets: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.html_sent + sum(max(sent, 0) for sent, _ in self.assets.values())

    @property
    def decoded(self) -> int:
        return self.html + sum(max(decoded, 0) for _, decoded in self.assets.values())


def routes(app) -> list:
    """The GET routes of the url_map, in path order."""
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())), key=lambda r: r.rule)


def required(rule) -> tuple[str, ...]:
    return tuple(sorted(set(rule.arguments) - set(rule.defaults or {})))


def candidates(app, rule) -> list[dict] | str:
    """Argument values for `rule` (each with its `viewer`, or None), or why it is not weighed."""
    from sqlalchemy import text

    from cade.extensions import db

    if rule.endpoint in NOT_WEIGHED:
        return NOT_WEIGHED[rule.endpoint]
    if rule.endpoint.startswith("api.") and rule.endpoint != "api.docs":
        return JSON_API
    if rule.rule.endswith(DOWNLOAD_SUFFIXES):
        return "a download (its path names a file)"
    names = required(rule)
    if not names:
        return [{"viewer": None}]
    tokens = app.config["BENCH_TOKENS"]
    if names == ("token",) and rule.endpoint in tokens:
        return [{"token": tokens[rule.endpoint], "viewer": None}]
    sql = ROWS.get(rule.endpoint) or ROWS.get(names)
    if sql is None:
        return f"no way to fill {', '.join(names)}"
    with app.app_context():
        rows = [dict(row) for row in db.session.execute(text(sql)).mappings().fetchmany(CANDIDATES)]
        db.session.remove()
    return [dict(row, viewer=row.get("viewer")) for row in rows] or "no seeded row"


def weigh_all(app, site: Site) -> tuple[list[Weight], dict[str, list[str]], list[str]]:
    """Every page weighed, the routes skipped (by reason), and what broke."""
    adapter = app.url_map.bind("localhost")
    weighed, skipped, broken, fetched = [], {}, [], {}
    for rule in routes(app):
        found = candidates(app, rule)
        if isinstance(found, str):
            skipped.setdefault(found, []).append(rule.rule)
            continue
        answers = []
        paths = [(adapter.build(rule.endpoint, {name: value for name, value in row.items() if name != "viewer"}),
                  row["viewer"]) for row in found]  # arguments beyond the rule's go in the query string
        for path, person in site.attempts(paths):
            response = site.client(person).get(path, headers=HEADERS)
            answers.append(response.status_code)
            if response.status_code >= 500:
                broken.append(f"{path} answered {response.status_code} to {site.who(person)}")
            if response.status_code != 200:
                continue
            kind = response.mimetype or "no type"
            if kind != "text/html":
                skipped.setdefault(f"a download ({kind})", []).append(rule.rule)
            else:
                weight = weigh(site.client(person), path, site.who(person), response, fetched)
                broken.extend(weight_problems(weight))
                weighed.append(weight)
            break
        else:
            statuses = ", ".join(f"{status} ×{answers.count(status)}" for status in sorted(set(answers)))
            skipped.setdefault(f"no page reached by anyone ({statuses})", []).append(rule.rule)
    return weighed, skipped, broken


# -- weighing -----------------------------------------------------------------------------------------


class AssetFinder(HTMLParser):
    """The URLs an HTML page makes a browser fetch: stylesheets, icons and preloads, scripts, images, media
    posters, and what inline CSS references."""

    LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "manifest"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "link" and self.LINK_RELS & set(attributes.get("rel", "").lower().split()):
            self.urls.append(attributes.get("href", ""))
        elif tag in ("script", "img", "source", "audio", "video", "input", "iframe") and attributes.get("src"):
            if tag != "input" or attributes.get("type", "").lower() == "image":
                self.urls.append(attributes["src"])
        if tag in ("img", "source") and attributes.get("srcset"):
            self.urls.extend(part.split()[0] for part in attributes["srcset"].split(",") if part.strip())
        if tag == "video" and attributes.get("poster"):
            self.urls.append(attributes["poster"])
        if attributes.get("style"):
            self.urls.extend(css_urls(attributes["style"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls.extend(css_urls(data))


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)


def css_urls(css: str) -> list[str]:
    """The URLs a stylesheet (or a style attribute) makes a browser fetch: url(...) and @import."""
    return [match.group(2) or match.group(4) for match in CSS_URL.finditer(css)]


def asset_urls(html: str) -> list[str]:
    """The URLs `html` references, in order, each once, without inline data: URIs and fragments."""
    finder = AssetFinder()
    finder.feed(html)
    finder.close()
    return list(dict.fromkeys(url.strip() for url in finder.urls
                              if url.strip() and not url.strip().startswith(("data:", "#", "about:"))))


def decoded(response) -> bytes:
    return gzip.decompress(response.data) if response.headers.get("Content-Encoding") == "gzip" else response.data


def weigh(client, path: str, who: str, response, fetched: dict) -> Weight:
    """The page's HTML and each asset it references (and theirs, for stylesheets), once each.

    `fetched` keeps each asset's answer for the run (url: sizes sent and decoded, and the URLs in it): the
    pages share their few static files, which need asking for once, though each page counts them.
    """
    html = decoded(response)
    weight = Weight(path=path, who=who, html_sent=len(response.data), html=len(html))
    waiting = [(path, url) for url in asset_urls(html.decode("utf-8", "replace"))]
    while waiting:
        base, url = waiting.pop(0)
        target = urljoin(base, url)
        parts = urlsplit(target)
        if parts.netloc and parts.netloc != "localhost":
            weight.assets[target] = (-1, -1)  # on another site: not fetched, and a problem (weight_problems)
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local in weight.assets:
            continue
        if local not in fetched:
            fetched[local] = fetch(client, local)
        sent, size, inside = fetched[local]
        weight.assets[local] = (sent, size)
        waiting.extend((local, found) for found in inside)
    return weight


def fetch(client, url: str) -> tuple[int, int, list[str]]:
    """An asset's size as sent and decoded (0, 0 when it is missing), and the URLs in it if it is a stylesheet."""
    asset = client.get(url, headers=HEADERS)
    if asset.status_code != 200:
        return 0, 0, []
    body = decoded(asset)
    inside = css_urls(body.decode("utf-8", "replace")) if asset.mimetype == "text/css" else []
    return len(asset.data), len(body), inside


def weight_problems(weight: Weight) -> list[str]:
    """Assets of the page that a browser could not load from this site."""
    problems = []
    for url, (sent, _) in weight.assets.items():
        if sent < 0:
            problems.append(f"{weight.path} loads {url} from another site")
        elif sent == 0:
            problems.append(f"{weight.path} references {url}, which is not there")
    return problems


# -- the figures --------------------------------------------------------------------------------------


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def shown(path: str) -> str:
    """The path with its long segments (the tokens of e-mailed links) cut short, for the table."""
    return "/".join(part if len(part) <= 24 else part[:8] + "…" for part in path.split("/"))


def report(args, weighed: list[Weight], skipped: dict[str, list[str]], broken: list[str], timings: str) -> int:
    over = [w for w in weighed if w.sent >= BAR]
    lines = [f"| page | asked as | HTML | assets | total sent (gzip) | total decoded | < {BAR // 1024} KB |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for w in weighed:
        lines.append(f"| `{shown(w.path)}` | {w.who} | {kb(w.html_sent)} ({kb(w.html)}) | {len(w.assets)}: "
                     f"{kb(w.sent - w.html_sent)} | {kb(w.sent)} | {kb(w.decoded)} | "
                     f"{'yes' if w.sent < BAR else 'NO'} |")
    table = "\n".join(lines)
    worst = sorted(weighed, key=lambda w: w.sent, reverse=True)[:WORST]
    worst_lines = [f"{number}. `{shown(w.path)}` ({w.who}): {kb(w.sent)} sent, {kb(w.decoded)} decoded, of which HTML "
                   f"{kb(w.html_sent)} ({kb(w.html)})" for number, w in enumerate(worst, start=1)]
    heavy_decoded = [w for w in weighed if w.decoded >= BAR]
    skipped_lines = [f"- {reason}: {', '.join(f'`{path}`' for path in paths)}" for reason, paths in
                     sorted(skipped.items())]
    summary = (f"{len(weighed)} pages weighed, {sum(len(paths) for paths in skipped.values())} routes skipped; "
               f"{len(over)} at or over {BAR // 1024} KB as sent (gzip), {len(heavy_decoded)} decoded; heaviest "
               f"{kb(worst[0].sent) if worst else '-'} sent; {timings}")
    print("CADE Grants: page weight, every GET route of the url_map (HTML + CSS, JS, fonts, images; "
          "Accept-Encoding: gzip; the demo data)")
    print(table)
    print("\nworst pages:\n" + "\n".join(worst_lines))
    print("\nskipped:\n" + "\n".join(skipped_lines))
    print("\n" + summary)
    for problem in broken:
        print(f"BROKEN: {problem}", file=sys.stderr)
    if args.results or (args.results is None and not args.quick):
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        body = [
            f"`bench/weight.py`, {when}, on {machine(args.url)}.",
            "",
            "Every GET route of the url_map on the demo data, each as the first person who gets a 200 HTML page "
            "(a visitor, the row's own member, the applicant, a reviewer, the trainer, an administrator), weighed "
            "as a browser with an empty cache loads it: the HTML and each stylesheet, script, font and image it "
            "references, once. Sizes as sent to a client asking for gzip (the app compresses pages and static "
            "files itself); decoded sizes in brackets and in the last column but one.",
            "",
            table,
            "",
            "Worst pages:",
            "",
            *worst_lines,
            "",
            "Skipped:",
            "",
            *skipped_lines,
            "",
            summary + ".",
        ]
        if broken:
            body += ["", "Broken:", "", *(f"- {problem}" for problem in broken)]
        write_section("weight", "## Page weight", "\n".join(body))
        print("wrote the \"Page weight\" section of bench/RESULTS.md")
    return 1 if broken else 0


if __name__ == "__main__":
    leave(main())
