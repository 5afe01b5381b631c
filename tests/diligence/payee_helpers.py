"""Diligence rows for tests: a bank letter, a verified payee account, a clear screening; `ready_to_pay` for both."""

import uuid
from datetime import date

from cade.core.db import utcnow
from cade.diligence.constants import DocumentKind, DocumentStatus, PayeeStatus, ScreeningResult
from cade.diligence.models import Document, PayeeAccount, Screening
from cade.extensions import db

IBAN_SN = "SN08SN0100152000048500003035"  # a valid Senegalese IBAN (checksum and format)
IBAN_DE = "DE89370400440532013000"
SCREENED_ON = date(2026, 11, 20)  # the tests' acceptance day: before every payment date the tests use


def bank_letter(organisation, *, status=DocumentStatus.VERIFIED, issued_on=date(2026, 10, 1)) -> Document:
    """A bank letter row of `organisation`, as the documents upload would leave it (no file needed here)."""
    document = Document(organisation_id=organisation.id, kind=DocumentKind.BANK_LETTER, issued_on=issued_on,
                        stored_name=uuid.uuid4().hex, original_name="bank-letter.pdf",
                        content_type="application/pdf", size=1234, sha256="0" * 64, status=status,
                        refusal_reason="Unreadable." if status == DocumentStatus.REFUSED else None)
    db.session.add(document)
    db.session.commit()
    return document


def verified_account(organisation, *, iban=IBAN_SN, currency="XOF") -> PayeeAccount:
    """A payee account already confirmed by two admins (set directly: no notices, no audit rows)."""
    account = PayeeAccount(organisation_id=organisation.id, account_holder=organisation.name, bank_name="CBAO",
                           bank_country=iban[:2], iban=iban, bic=None, currency=currency,
                           bank_letter_id=bank_letter(organisation).id, status=PayeeStatus.VERIFIED,
                           confirmed_at=utcnow())
    db.session.add(account)
    db.session.commit()
    return account


def screening(organisation, programme, *, screened_on=SCREENED_ON, result=ScreeningResult.CLEAR) -> Screening:
    row = Screening(organisation_id=organisation.id, screened_on=screened_on, lists=list(programme.screening_lists),
                    names=[organisation.name], result=result, evidence="Checked on the lists' search pages.")
    db.session.add(row)
    db.session.commit()
    return row


def ready_to_pay(organisation, programme, *, screened_on=SCREENED_ON) -> tuple[PayeeAccount, Screening]:
    """Give `organisation` what a payment needs: a verified payee account and a clear screening for `programme`."""
    return verified_account(organisation), screening(organisation, programme, screened_on=screened_on)
