"""Demo: what a payment needs, through the diligence services, for each grant the demo pays.

Before the demo pays a tranche (cade/demo/grants.py), `ready_for_payment` makes sure the organisation has a
verified payee account (its owner uploads a bank letter and enters the details; the demo admin verifies the
letter and checks the details; a second admin, the finance officer, confirms them) and a clear screening for
the grant's programme on the payment day. Each step runs only when its result is missing, so a second seed adds
nothing.
"""

import io
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from cade.accounts.models import User, UserRole
from cade.core.db import utcnow
from cade.core.permissions import ADMIN
from cade.demo import data
from cade.diligence.constants import DocumentKind, DocumentStatus, ScreeningResult
from cade.diligence.documents import DocumentInput, upload_document, verify_document
from cade.diligence.payees import PayeeInput, bank_letters, check_payee, confirm_payee, enter_payee, verified_payee
from cade.diligence.screenings import ScreeningInput, names_to_screen, recent_clear_screening, record_screening
from cade.extensions import db
from cade.organisations.models import Membership

# The second pair of eyes on bank details: the demo admin checks, the finance officer confirms.
FINANCE_OFFICER = ("finance@cade.example", "Jonas Berg", "en", "Europe/Oslo")
DEFAULT_LISTS = ["UN Security Council Consolidated List"]
EVIDENCE = "Searched each list's official search page for every name; no entry matched. Search log kept in the file."


def _finance_officer() -> User:
    email, name, locale, tz = FINANCE_OFFICER
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, locale=locale, timezone=tz, verified_at=utcnow() - timedelta(days=60),
                    password_hash=generate_password_hash(data.DEMO_PASSWORD))
        user.roles.append(UserRole(role=ADMIN))
        db.session.add(user)
        db.session.flush()
    return user


def _owner(organisation_id: int) -> User:
    return db.session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                             .where(Membership.organisation_id == organisation_id, Membership.role == "owner")
                             .order_by(Membership.id).limit(1))


def _bank_letter(admin, owner, organisation, today: date) -> int:
    from cade.demo.seed import _tiny_pdf

    letters = bank_letters(organisation.id)
    if letters:
        letter = letters[0]
    else:
        command = DocumentInput.from_input({"kind": DocumentKind.BANK_LETTER, "title": "Account confirmation",
                                            "issued_on": (today - timedelta(days=30)).isoformat()}, today=today)
        pdf = _tiny_pdf(f"{organisation.name}: confirmation of the bank account")
        letter = upload_document(owner, organisation.id, io.BytesIO(pdf), "bank-letter.pdf", command)
    if letter.status == DocumentStatus.PENDING:
        verify_document(admin, letter.id)
    return letter.id


def _verified_account(admin, grant, today: date) -> None:
    organisation = grant.organisation
    if verified_payee(organisation.id) is not None:
        return
    owner = _owner(organisation.id)
    letter_id = _bank_letter(admin, owner, organisation, today)
    account = enter_payee(owner, organisation.id, PayeeInput.from_input({
        "account_holder": organisation.name, "bank_name": f"{organisation.city or organisation.country} Community Bank",
        "bank_country": organisation.country, "account_number": f"{4_000_000_000 + organisation.id * 7919}",
        "bic": f"CCBK{organisation.country}2X", "currency": grant.currency, "bank_letter_id": str(letter_id)}))
    check_payee(admin, account.id)
    confirm_payee(_finance_officer(), account.id)


def _screening(admin, grant, paid_on: date, today: date) -> None:
    programme = grant.call.programme
    if recent_clear_screening(grant.organisation_id, programme, paid_on) is not None:
        return
    record_screening(admin, grant.organisation_id, ScreeningInput.from_input({
        "screened_on": (paid_on - timedelta(days=1)).isoformat(), "lists": programme.screening_lists or DEFAULT_LISTS,
        "names": names_to_screen(grant.organisation), "result": ScreeningResult.CLEAR, "evidence": EVIDENCE,
        "programme_id": programme.id}, today=today))


def ready_for_payment(admin, grant, paid_on: date) -> None:
    """Give `grant`'s organisation a verified payee account and a clear screening for a payment on `paid_on`."""
    today = utcnow().date()
    _verified_account(admin, grant, today)
    _screening(admin, grant, paid_on, today)
