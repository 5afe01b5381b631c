"""The demo's due diligence and amendments (issue 12), all through the real services.

- Documents (each a small one-page PDF, uploaded by the organisation's owner
  and verified by the demo admin): Kijiji Connect (the demo applicant's
  organisation) holds a valid registration certificate and statutes, and its
  audited accounts wait for verification; Mtaani's registration certificate
  expires within 30 days (the award and grant pages warn), and its statutes
  were refused with a reason; Teranga's registration certificate expired.
- Bank details: the owner of the Pacific Islands Digital Rights Collective
  (whose travel grant's payment is still to record) uploaded a bank letter and
  entered the account; admin@cade.example checked it, so it waits for a
  second admin in the verification queue: sign in as finance@cade.example to
  confirm it. The collective's screening for the travel programme is on
  record, so once the details are confirmed the tranche can be paid.
- ATLN's grant (CADE 2025): its owner moved a little money between two
  budget lines, within the programme's notice threshold, so it is in force on
  notice; and asked for a 90-day no-cost extension, which the admin approved:
  the grant has its second agreement version.

Each step runs only when its result is missing, so a second seed adds nothing;
services flush, the command commits.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.core.money import minor_units
from cade.demo import data
from cade.demo.grants import ACCEPTED_PAID, ADMIN_EMAIL, TRAVEL_UNPAID
from cade.demo.payees import DEFAULT_LISTS, EVIDENCE
from cade.diligence.constants import DocumentKind, DocumentStatus, ScreeningResult
from cade.diligence.documents import DocumentInput, documents_of, refuse_document, upload_document, verify_document
from cade.diligence.models import Document
from cade.diligence.payees import (PayeeInput, bank_letters, check_payee, enter_payee, verified_payee,
                                   waiting_payee)
from cade.diligence.screenings import ScreeningInput, names_to_screen, record_screening, screenings_of
from cade.extensions import db
from cade.grants.amendment_effects import budget_lines
from cade.grants.amendments import ExtensionInput, ReallocationInput, amendments_of, approve_amendment, request_amendment
from cade.grants.constants import AmendmentKind, AmendmentStatus, GrantStatus
from cade.grants.models import Grant
from cade.organisations.models import Membership, Organisation
from cade.programmes.models import Call


@dataclass(frozen=True)
class DemoDocument:
    org: str  # organisation key in cade.demo.data
    filename: str  # also how the seed finds it again
    kind: DocumentKind
    issued_days_ago: int
    expires_in_days: int | None  # from today; negative: expired
    outcome: str  # DocumentStatus: what the admin did (PENDING: nothing yet)
    year: int | None = None
    refusal: str | None = None


REFUSAL = ("The scan stops after page 2: the statutes have 14 pages. Please upload the whole document, signed and "
           "stamped on its last page.")
DOCUMENTS = [
    DemoDocument("kijiji", "registration-certificate.pdf", DocumentKind.REGISTRATION_CERTIFICATE, 400, 700,
                 DocumentStatus.VERIFIED),
    DemoDocument("kijiji", "statutes.pdf", DocumentKind.STATUTES, 900, None, DocumentStatus.VERIFIED),
    DemoDocument("kijiji", "audited-accounts.pdf", DocumentKind.AUDITED_ACCOUNTS, 60, None, DocumentStatus.PENDING,
                 year=-1),
    DemoDocument("mtaani", "certificate-of-registration.pdf", DocumentKind.REGISTRATION_CERTIFICATE, 340, 21,
                 DocumentStatus.VERIFIED),
    DemoDocument("mtaani", "statutes-scan.pdf", DocumentKind.STATUTES, 20, None, DocumentStatus.REFUSED,
                 refusal=REFUSAL),
    DemoDocument("teranga", "recepisse.pdf", DocumentKind.REGISTRATION_CERTIFICATE, 1100, -12,
                 DocumentStatus.VERIFIED),
]
EXTENSION_DAYS = 90
EXTENSION_REASON = ("The national consultation on the data-protection bill was postponed by three months; the "
                    "workshops that feed our submission must follow it.")
REALLOCATION_REASON = "Venue hire cost less than budgeted; the difference pays for the workshop materials."


def seed_diligence(seeder, organisations: dict) -> None:
    """Add the documents, bank details, screening and amendments that are missing (see the module's docstring)."""
    admin = seeder.users[ADMIN_EMAIL]
    created = seeder.report.created
    today = utcnow().date()
    for spec in DOCUMENTS:
        _document(admin, organisations[spec.org], spec, today, created)
    pacific = organisations[TRAVEL_UNPAID[1]]
    grant = _grant(pacific, TRAVEL_UNPAID[0])
    if grant is not None:
        _payee_awaiting_second_admin(admin, pacific, grant.currency, today, created)
        _screening(admin, grant, today, created)
    tunisia = _grant(organisations[ACCEPTED_PAID[1]], ACCEPTED_PAID[0])
    if tunisia is not None and tunisia.status == GrantStatus.ACTIVE:
        _reallocation_on_notice(tunisia, created)
        _approved_extension(admin, tunisia, created)
    db.session.flush()


def _owner(organisation: Organisation) -> User:
    return db.session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                             .where(Membership.organisation_id == organisation.id, Membership.role == "owner")
                             .order_by(Membership.id).limit(1))


def _grant(organisation: Organisation, call_key: str) -> Grant | None:
    title = next(spec["title"] for spec in data.CALLS if spec["key"] == call_key)
    return db.session.scalar(select(Grant).join(Call, Call.id == Grant.call_id)
                             .where(Grant.organisation_id == organisation.id, Call.title == title)
                             .order_by(Grant.id).limit(1))


def _pdf(text: str) -> io.BytesIO:
    from cade.demo.seed import _tiny_pdf

    return io.BytesIO(_tiny_pdf(text))


# ---------------------------------------------------------------- documents


def _document(admin, organisation: Organisation, spec: DemoDocument, today: date, created) -> None:
    document = next((d for d in documents_of(organisation.id) if d.original_name == spec.filename), None)
    if document is None:
        issued = today - timedelta(days=spec.issued_days_ago)
        command = DocumentInput.from_input({
            "kind": spec.kind, "issued_on": issued.isoformat(),
            "year": str(today.year + spec.year) if spec.year is not None else "",
            "expires_on": (today + timedelta(days=spec.expires_in_days)).isoformat()
            if spec.expires_in_days is not None else ""}, today=today)
        document = upload_document(_owner(organisation), organisation.id,
                                   _pdf(f"{organisation.name}: {spec.filename}"), spec.filename, command)
        created["documents"] += 1
    if document.status != DocumentStatus.PENDING or spec.outcome == DocumentStatus.PENDING:
        return
    if spec.outcome == DocumentStatus.VERIFIED:
        verify_document(admin, document.id)
        created["documents verified"] += 1
    else:
        refuse_document(admin, document.id, spec.refusal)
        created["documents refused"] += 1


# ---------------------------------------------------------------- bank details and screening


def _bank_letter(admin, owner, organisation: Organisation, today: date, created) -> Document:
    letters = bank_letters(organisation.id)
    if letters:
        letter = letters[0]
    else:
        command = DocumentInput.from_input({"kind": DocumentKind.BANK_LETTER,
                                            "issued_on": (today - timedelta(days=10)).isoformat()}, today=today)
        letter = upload_document(owner, organisation.id, _pdf(f"{organisation.name}: confirmation of the account"),
                                 "bank-letter.pdf", command)
        created["documents"] += 1
    if letter.status == DocumentStatus.PENDING:
        verify_document(admin, letter.id)
        created["documents verified"] += 1
    return letter


def _payee_awaiting_second_admin(admin, organisation: Organisation, currency: str, today: date, created) -> None:
    """The owner's new bank details, checked by the demo admin: finance@cade.example confirms them."""
    if verified_payee(organisation.id) is not None or waiting_payee(organisation.id) is not None:
        return
    owner = _owner(organisation)
    letter = _bank_letter(admin, owner, organisation, today, created)
    account = enter_payee(owner, organisation.id, PayeeInput.from_input({
        "account_holder": organisation.name, "bank_name": f"{organisation.city or organisation.country} Community Bank",
        "bank_country": organisation.country, "account_number": f"{7_000_000_000 + organisation.id * 7919}",
        "bic": f"CCBK{organisation.country}2X", "currency": currency, "bank_letter_id": str(letter.id)}))
    created["payee accounts"] += 1
    check_payee(admin, account.id)
    created["payee accounts checked"] += 1


def _screening(admin, grant: Grant, today: date, created) -> None:
    if screenings_of(grant.organisation_id):
        return
    programme = grant.call.programme
    record_screening(admin, grant.organisation_id, ScreeningInput.from_input({
        "screened_on": (today - timedelta(days=2)).isoformat(), "lists": programme.screening_lists or DEFAULT_LISTS,
        "names": names_to_screen(grant.organisation), "result": ScreeningResult.CLEAR, "evidence": EVIDENCE,
        "programme_id": programme.id}, today=today))
    created["screenings"] += 1


# ---------------------------------------------------------------- amendments


def _reallocation_on_notice(grant: Grant, created) -> None:
    """Half of what the programme allows on notice, in whole units, from the first budget line to the second."""
    if any(a.kind == AmendmentKind.REALLOCATION for a in amendments_of(grant)):
        return
    lines = list(budget_lines(grant.id).values())
    if len(lines) < 2:
        return
    unit = 10 ** minor_units(grant.currency)
    percent = grant.call.programme.reallocation_notice_percent
    amount = lines[0].amount_minor * percent // 200 // unit * unit
    if amount <= 0:
        return
    command = ReallocationInput.from_input({
        "moves": [{"from": str(lines[0].id), "to": str(lines[1].id), "amount": str(amount // unit)}],
        "reason": REALLOCATION_REASON}, currency=grant.currency, locale="en")
    amendment = request_amendment(_owner(grant.organisation), grant.id, command)
    created["reallocations on notice" if amendment.status == AmendmentStatus.NOTED else "amendments requested"] += 1


def _approved_extension(admin, grant: Grant, created) -> None:
    extension = next((a for a in amendments_of(grant) if a.kind == AmendmentKind.EXTENSION), None)
    if extension is None:
        extension = request_amendment(_owner(grant.organisation), grant.id, ExtensionInput.from_input(
            {"days": str(EXTENSION_DAYS), "reason": EXTENSION_REASON}))
        created["amendments requested"] += 1
    if extension.status == AmendmentStatus.REQUESTED:
        approve_amendment(admin, extension.id)
        created["amendments approved"] += 1
