"""Turns `cade.demo.data` into rows, creating only what is missing.

Every row is found by its natural key first (user e-mail, organisation name,
programme name, call title, question label, criterion label, and an
application's call + organisation), so running the seed twice changes
nothing. Rows that exist are left as they are, including their dates: delete
the development database for a fresh set of deadlines relative to today.

The domain services enforce rules a demo must bend (submission deadlines,
state transitions one by one), so the seed writes models directly, keeping
the invariants the services keep: region codes derived from the country,
gapless references per call, budget lines that add up to the requested
amount, submission before the call closes. Flushes, never commits.
"""

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from cade.accounts.models import User, UserRole
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Answer, Application, Attachment, BudgetLine
from cade.applications.snapshots import snapshot_applicant
from cade.awards.services.figures import keep_award_figures
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.core.money import minor_units, to_minor
from cade.core.storage import get_storage
from cade.demo import data, review_data
from cade.demo.diligence import seed_diligence
from cade.demo.api_tokens import seed_api_tokens
from cade.demo.assisted import seed_assisted
from cade.demo.budgets import seed_budgets
from cade.demo.conversations import seed_conversations
from cade.demo.enquiries import seed_enquiries
from cade.demo.languages import seed_languages
from cade.demo.open_data import seed_open_data
from cade.demo.stages import seed_stages
from cade.demo.grants import seed_grants
from cade.demo.history import seed_history
from cade.demo.reviews import seed_reviews
from cade.demo.training import seed_training
from cade.demo.travel import seed_travel
from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call, Programme, Question, RubricCriterion
from cade.reviews.services.aggregation import keep_scores


@dataclass
class SeedReport:
    created: Counter = field(default_factory=Counter)

    @property
    def anything_created(self) -> bool:
        return any(self.created.values())


class _Seeder:
    """Creates what is missing. Existing rows are read once per kind, up front, so a
    run costs a fixed handful of queries however much of the data already exists."""

    def __init__(self, now: datetime):
        self.now = now
        self.report = SeedReport()
        self._password_hash: str | None = None
        self.users = _existing(User, User.email, _all_emails())
        self.organisations = _existing(Organisation, Organisation.name,
                                       [spec["name"] for spec in data.ORGANISATIONS])
        self.programmes = _existing(Programme, Programme.name, [spec["name"] for spec in data.PROGRAMMES])
        self.calls = _existing(Call, Call.title, [spec["title"] for spec in data.CALLS])
        self.memberships = set(db.session.execute(select(Membership.user_id, Membership.organisation_id)))
        self.applications = set(db.session.execute(select(Application.call_id, Application.organisation_id)))

    # --- people ---------------------------------------------------------

    def password_hash(self) -> str:
        # One hash for the whole run: every demo account shares the published demo
        # password, and hashing forty times at full strength would take seconds.
        if self._password_hash is None:
            self._password_hash = generate_password_hash(data.DEMO_PASSWORD)
        return self._password_hash

    def user(self, email: str, name: str, locale: str, tz: str, roles=()) -> User:
        email = email.lower()
        user = self.users.get(email)
        if user is None:
            user = User(email=email, name=name, locale=locale, timezone=tz,
                        password_hash=self.password_hash(), verified_at=self.now - timedelta(days=60))
            db.session.add(user)
            self.users[email] = user
            self.report.created["users"] += 1
        for role in roles:
            if not user.has_role(role):
                user.roles.append(UserRole(role=role))
        return user

    def organisation(self, spec: dict) -> Organisation:
        org = self.organisations.get(spec["name"])
        if org is None:
            country = get_country(spec["country"])
            currency, amount = spec["budget"] or (None, None)
            org = Organisation(
                name=spec["name"], acronym=spec["acronym"], country=country.code,
                region_code=country.region_code, subregion_code=country.subregion_code,
                city=spec["city"], website=spec["website"], description=spec["description"],
                organisation_type=spec["organisation_type"], stakeholder_group=spec["stakeholder_group"],
                year_founded=spec["year_founded"], staff_band=spec["staff_band"],
                annual_budget_minor=to_minor(amount, currency) if currency else None,
                annual_budget_currency=currency, focus_areas=list(spec["focus_areas"]),
                languages=list(spec["languages"]), registration_number=spec["registration_number"],
                verified=spec["verified"], publish_consent=spec["publish_consent"],
            )
            db.session.add(org)
            self.organisations[spec["name"]] = org
            self.report.created["organisations"] += 1
        for position, (email, name, locale, tz) in enumerate(spec["members"]):
            user = self.user(email, name, locale, tz)
            if user.id is not None and (user.id, org.id) in self.memberships:
                continue
            db.session.add(Membership(user=user, organisation=org,
                                      role="owner" if position == 0 else "member"))
            self.report.created["memberships"] += 1
        return org

    # --- programmes and calls -------------------------------------------

    def programme(self, spec: dict) -> Programme:
        programme = self.programmes.get(spec["name"])
        if programme is None:
            programme = Programme(**{k: v for k, v in spec.items() if k != "key"})
            db.session.add(programme)
            self.programmes[spec["name"]] = programme
            self.report.created["programmes"] += 1
        return programme

    def call(self, spec: dict, programme: Programme) -> Call:
        call = self.calls.get(spec["title"])
        if call is None:
            currency = programme.currency
            call = Call(
                programme=programme, title=spec["title"], reference_prefix=spec["reference_prefix"],
                description=spec["description"], status=spec.get("status", CallStatus.PUBLISHED),
                opens_at=_on_the_hour(self.now + timedelta(hours=spec["opens_in_hours"])),
                closes_at=_on_the_hour(self.now + timedelta(hours=spec["closes_in_hours"])),
                timezone=spec["timezone"],
                budget_envelope_minor=to_minor(spec["budget_envelope"], currency),
                min_award_minor=to_minor(spec["min_award"], currency),
                max_award_minor=to_minor(spec["max_award"], currency),
                reviews_required=spec["reviews_required"], blind_review=spec["blind_review"],
                eligible_countries=list(spec.get("eligible_countries", [])),
                eligible_country_lists=list(spec.get("eligible_country_lists", [])),
                eligible_regions=list(spec.get("eligible_regions", [])),
                eligible_organisation_types=list(spec.get("eligible_organisation_types", [])),
                eligible_stakeholder_groups=list(spec.get("eligible_stakeholder_groups", [])),
                last_reference_number=0,
            )
            db.session.add(call)
            self.calls[spec["title"]] = call
            self.report.created["calls"] += 1
        self._questions(call, spec["questions"])
        self._rubric(call, spec["rubric"])
        return call

    def _questions(self, call: Call, specs: list[dict]) -> None:
        existing = {q.label for q in call.questions}
        for position, spec in enumerate(specs):
            if spec["label"] in existing:
                continue
            call.questions.append(Question(
                position=position, kind=spec["kind"], label=spec["label"],
                help_text=spec.get("help_text"), required=spec.get("required", True),
                word_limit=spec.get("word_limit"), choices=list(spec.get("choices", [])),
            ))
            self.report.created["questions"] += 1

    def _rubric(self, call: Call, criteria: list[tuple[str, str, int]]) -> None:
        existing = {c.label for c in call.criteria}
        for position, (label, guidance, weight) in enumerate(criteria):
            if label in existing:
                continue
            call.criteria.append(RubricCriterion(position=position, label=label, guidance=guidance,
                                                 weight=weight, max_score=5))
            self.report.created["rubric_criteria"] += 1

    # --- applications ---------------------------------------------------

    def application(self, spec: dict, call: Call, org: Organisation) -> None:
        if (call.id, org.id) in self.applications:
            return
        owner = next(m.user for m in org.memberships if m.role == "owner")
        currency = call.programme.currency
        amount = to_minor(spec["amount"], currency) if spec["amount"] is not None else None
        app = Application(call=call, organisation=org, created_by=owner,
                          status=ApplicationStatus(spec["status"]),
                          title=spec["title"], summary=spec["summary"], requested_amount_minor=amount)
        if "submitted_hours" in spec:
            app.submitted_at = min(self.now, call.closes_at) - timedelta(hours=spec["submitted_hours"])
            app.created_at = max(call.opens_at, app.submitted_at - timedelta(days=7))
            call.last_reference_number += 1
            app.reference = f"{call.reference_prefix}-{call.last_reference_number:04d}"
        else:
            app.created_at = max(call.opens_at, self.now - timedelta(days=5))
        if "withdrawn_hours" in spec:
            start = app.submitted_at or app.created_at
            app.withdrawn_at = min(self.now, start + timedelta(hours=spec["withdrawn_hours"]))
        app.updated_at = app.withdrawn_at or app.submitted_at or app.created_at
        db.session.add(app)
        if amount is not None:
            self._budget(app, spec["budget"], amount)
        self._answers(app, call, spec)
        self.report.created["applications"] += 1

    def _budget(self, app: Application, lines: list[tuple[str, str, int]], total: int) -> None:
        unit = 10 ** minor_units(app.call.programme.currency)
        weights = sum(weight for _, _, weight in lines)
        remaining = total
        for position, (category, description, weight) in enumerate(lines):
            is_last = position == len(lines) - 1
            # Whole currency units per line; the last line takes the rest, so the sum is exact.
            share = remaining if is_last else total * weight // weights // unit * unit
            remaining -= share
            app.budget_lines.append(BudgetLine(position=position, category=category,
                                               description=description, amount_minor=share))

    def _answers(self, app: Application, call: Call, spec: dict) -> None:
        submitted = app.submitted_at is not None
        for question in call.questions:
            key = _question_key(question)
            values: dict = {}
            if key in ("problem", "plan", "impact", "location") and spec.get(key):
                values["text"] = spec[key]
            elif key == "reach" and "reach" in spec:
                values["number"] = Decimal(spec["reach"])
            elif key == "focus" and "focus" in spec and question.choices:
                values["text"] = question.choices[spec["focus"]]
            elif key == "start" and submitted:
                values["date_value"] = (call.closes_at + timedelta(days=45)).date()
            elif key == "file" and submitted:
                self._attachment(app, question)
            if values:
                db.session.add(Answer(application=app, question=question, **values))

    def _attachment(self, app: Application, question: Question) -> None:
        body = _tiny_pdf(f"{app.organisation.name}: {question.label}")
        stored_name, size, sha256 = get_storage().put(
            io.BytesIO(body), current_app.config["ATTACHMENT_MAX_BYTES"])
        db.session.add(Attachment(
            application=app, question_id=question.id, stored_name=stored_name,
            original_name=_slug(question.label) + ".pdf", content_type="application/pdf",
            size=size, sha256=sha256, uploaded_by_id=app.created_by.id, uploaded_at=app.submitted_at,
        ))
        self.report.created["attachments"] += 1


def _question_key(question: Question) -> str | None:
    """The key in `data` of a stored question, matched by its label."""
    for specs in (data.CADE_QUESTIONS, data.CN_QUESTIONS, data.TRAVEL_QUESTIONS):
        for spec in specs:
            if spec["label"] == question.label:
                return spec["key"]
    return None


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words[:6]) or "document"


def _tiny_pdf(line: str) -> bytes:
    """A valid one-page PDF showing one line of text (upload checks look at magic bytes)."""
    text = line.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 12 Tf 56 780 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def seed_demo(now: datetime | None = None) -> SeedReport:
    """Create whatever demo rows are missing; flush, never commit. Returns what was created."""
    with db.session.no_autoflush:
        seeder = _Seeder(now or utcnow())
        for email, name, roles, locale, tz in data.STAFF:
            seeder.user(email, name, locale, tz, roles)
        organisations = {spec["key"]: seeder.organisation(spec) for spec in data.ORGANISATIONS}
        programmes = {spec["key"]: seeder.programme(spec) for spec in data.PROGRAMMES}
        calls = {spec["key"]: seeder.call(spec, programmes[spec["programme"]]) for spec in data.CALLS}
    # Ids for the new rows: applications are matched on them and attachments point at questions.
    db.session.flush()
    with db.session.no_autoflush:
        # Oldest submission first, so that references follow the order of submission.
        for spec in sorted(data.APPLICATIONS, key=lambda s: -s.get("submitted_hours", -1)):
            seeder.application(spec, calls[spec["call"]], organisations[spec["org"]])
    db.session.flush()
    with db.session.no_autoflush:
        for email, name, locale, tz in review_data.EXTRA_REVIEWERS:
            seeder.user(email, name, locale, tz, ["reviewer"])
    db.session.flush()
    _snapshot_submitted(seeder)
    seed_reviews(seeder.now, seeder.users, calls, organisations, seeder.report)
    seed_history(seeder, programmes)
    seed_training(seeder, organisations, programmes)
    seed_grants(seeder, calls, organisations)
    seed_diligence(seeder, organisations)
    seed_travel(seeder, calls, organisations)
    seed_budgets(seeder, calls, organisations)
    seed_enquiries(seeder, calls, organisations)
    seed_stages(seeder, calls, organisations)
    seed_languages(seeder, calls, organisations)
    seed_assisted(seeder, calls, organisations)
    seed_conversations(seeder, calls, organisations)
    seed_api_tokens(seeder, calls, organisations)
    seed_open_data(seeder, calls, organisations)
    # Applications the later stages wrote as submitted (a two-stage call's concept notes) get theirs too.
    _snapshot_submitted(seeder)
    _keep_figures()
    return seeder.report


def _keep_figures() -> None:
    """The kept review and award figures of every call, as saving each review and decision would have kept them
    (the demo writes reviews and decisions as rows, not through the services)."""
    db.session.flush()
    for call_id in db.session.scalars(select(Call.id).order_by(Call.id)):
        keep_scores(call_id)
        keep_award_figures(call_id)


def _snapshot_submitted(seeder: "_Seeder") -> None:
    """What submission keeps of the organisation (cade/applications/snapshots.py), for submitted demo rows without it."""
    for application in db.session.scalars(select(Application).where(Application.submitted_at.is_not(None),
                                                                    Application.org_country.is_(None))
                                          .order_by(Application.submitted_at)):
        snapshot_applicant(application)


def _all_emails() -> list[str]:
    emails = [email for email, *_ in data.STAFF]
    emails += [email for email, *_ in review_data.EXTRA_REVIEWERS]
    emails += [member[0] for spec in data.ORGANISATIONS for member in spec["members"]]
    return [email.lower() for email in emails]


def _existing(model, key_column, keys: list[str]) -> dict:
    """The rows of `model` whose natural key is among `keys`, by key."""
    rows = db.session.scalars(select(model).where(key_column.in_(keys)))
    return {getattr(row, key_column.key): row for row in rows}


def demo_logins() -> list[tuple[str, str, str]]:
    """(e-mail, what the account shows, password) for the accounts worth signing in as."""
    rows = [(email, f"{name} — {', '.join(roles)}", data.DEMO_PASSWORD)
            for email, name, roles, _, _ in data.STAFF]
    owner = data.ORGANISATIONS[0]
    rows.append((data.APPLICANT_EMAIL, f"{owner['members'][0][1]} — applicant, owner of {owner['name']}",
                 data.DEMO_PASSWORD))
    return rows


def _on_the_hour(moment):
    # Real calls open and close on the hour, not at the second the demo was loaded.
    return moment.replace(minute=0, second=0, microsecond=0)
