"""Rows for the verification-queue tests, written directly (the documents, payees, screenings and amendments
services are built alongside the queue; the queue reads only the models)."""

from datetime import UTC, date, datetime
from itertools import count

from cade.awards.constants import DecisionStatus
from cade.diligence.constants import DocumentStatus, PayeeStatus, ScreeningResult
from cade.diligence.models import Document, PayeeAccount, Screening
from cade.extensions import db
from cade.grants.constants import AmendmentStatus, GrantStatus, TrancheStatus
from cade.grants.models import Grant, GrantAmendment, Tranche
from tests.factories import DecisionFactory, OrganisationFactory

TODAY = date(2027, 3, 1)
_names = count(1)

IBAN = "DE89370400440532013000"  # a valid test IBAN: the page must never show it whole


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def document(organisation, *, kind="registration_certificate", status=DocumentStatus.PENDING,
             issued_on=date(2026, 1, 10), expires_on=None, uploaded_at=None, reviewer=None, **kwargs):
    """A document of `organisation` in `status` (committed); a refused one gets a reason."""
    if status == DocumentStatus.REFUSED:
        kwargs.setdefault("refusal_reason", "Unreadable scan.")
    row = Document(organisation_id=organisation.id, kind=kind, issued_on=issued_on, expires_on=expires_on,
                   stored_name=f"doc-{next(_names):06d}.pdf", original_name="certificate.pdf",
                   content_type="application/pdf", size=2048, sha256="0" * 64, status=status,
                   uploaded_at=uploaded_at or at(TODAY), reviewed_by_id=reviewer.id if reviewer else None,
                   **kwargs)
    db.session.add(row)
    db.session.commit()
    return row


def payee(organisation, *, status=PayeeStatus.PENDING, entered_by=None, checked_by=None, iban=IBAN,
          account_number=None, entered_at=None, **kwargs):
    """Bank details of `organisation` in `status` (committed)."""
    row = PayeeAccount(organisation_id=organisation.id, account_holder=organisation.name, bank_name="Banque Atlantique",
                       bank_country="DE", iban=iban, account_number=account_number, bic="COBADEFFXXX",
                       currency="EUR", status=status, entered_by_id=entered_by.id if entered_by else None,
                       entered_at=entered_at or at(TODAY),
                       checked_by_id=checked_by.id if checked_by else None,
                       checked_at=at(TODAY, 11) if checked_by else None, **kwargs)
    db.session.add(row)
    db.session.commit()
    return row


def screening(organisation, *, screened_on, result=ScreeningResult.CLEAR, checked_by=None, lists=("UN", "EU")):
    row = Screening(organisation_id=organisation.id, screened_on=screened_on, result=result,
                    checked_by_id=checked_by.id if checked_by else None, lists=list(lists),
                    names=[organisation.name], evidence="Search record 42")
    db.session.add(row)
    db.session.commit()
    return row


def grant(organisation=None, *, tranches=(TrancheStatus.PAYABLE,), status=GrantStatus.ACTIVE,
          screening_valid_days=180, screening_lists=("UN", "EU")):
    """An open grant of `organisation` with one tranche per status in `tranches` (committed).

    Written directly, without the opening service: the queue reads only the rows.
    """
    organisation = organisation or OrganisationFactory()
    decision = DecisionFactory(application__organisation=organisation, released_at=at(date(2026, 11, 20)),
                               status=DecisionStatus.ACCEPTED, accepted_at=at(date(2026, 11, 21)))
    programme = decision.application.call.programme
    programme.screening_valid_days, programme.screening_lists = screening_valid_days, list(screening_lists)
    row = Grant(decision_id=decision.id, organisation_id=organisation.id, call_id=decision.call_id,
                amount_minor=10_000_00, currency="USD", status=status,
                agreement_stored_name=f"agreement-{next(_names):06d}.pdf", agreement_size=1000,
                agreement_sha256="0" * 64, agreement_language="en")
    db.session.add(row)
    db.session.flush()
    for position, tranche_status in enumerate(tranches, start=1):
        paid = tranche_status == TrancheStatus.PAID
        db.session.add(Tranche(grant_id=row.id, position=position, amount_minor=5_000_00, currency="USD",
                               condition="on_signature", due_on=date(2026, 12, 1), status=tranche_status,
                               paid_on=date(2026, 12, 2) if paid else None,
                               payment_reference="WIRE-1" if paid else None))
    db.session.commit()
    return row


def offer(organisation):
    """A released award to `organisation`, not answered yet (committed)."""
    return DecisionFactory(application__organisation=organisation, released_at=at(date(2027, 2, 1)))


def amendment(grant_row, *, status=AmendmentStatus.REQUESTED, requested_by=None, kind="extension",
              requested_at=None):
    row = GrantAmendment(grant_id=grant_row.id, kind=kind, status=status, reason="Floods delayed the works.",
                         details={"days": 90}, requested_by_id=requested_by.id if requested_by else None,
                         requested_at=requested_at or at(TODAY),
                         decision_reason="Not needed." if status == AmendmentStatus.REFUSED else None)
    db.session.add(row)
    db.session.commit()
    return row
