"""The demo's due diligence and amendments (issue 12): valid, expiring, expired, waiting and refused documents;
bank details checked by one admin and waiting for the second (who can confirm them); a screening on record for an
organisation with a payable tranche; a reallocation in force on notice and an approved extension with its second
agreement version; each made through the services, and seeded once."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.demo import data
from cade.demo import diligence as demo
from cade.demo.grants import ACCEPTED_PAID, TRAVEL_UNPAID
from cade.demo.seed import demo_logins
from cade.diligence.constants import DocumentKind, DocumentStatus, PayeeStatus, ScreeningResult
from cade.diligence.documents import document_warnings, documents_of, valid_documents
from cade.diligence.payees import confirm_payee, verified_payee, waiting_payee
from cade.diligence.readiness import payment_readiness
from cade.diligence.screenings import recent_clear_screening, screenings_of
from cade.grants.agreement_versions import versions_of
from cade.grants.amendments import amendments_of
from cade.grants.constants import AmendmentKind, AmendmentStatus, TrancheStatus
from cade.grants.models import Grant
from cade.grants.tranches import tranches_of
from cade.organisations.models import Organisation
from cade.programmes.models import Call


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _organisation(db, key: str) -> Organisation:
    name = next(spec["name"] for spec in data.ORGANISATIONS if spec["key"] == key)
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def _grant(db, stage) -> Grant:
    call_key, org_key = stage
    title = next(spec["title"] for spec in data.CALLS if spec["key"] == call_key)
    return db.session.scalar(select(Grant).join(Call, Call.id == Grant.call_id)
                             .where(Call.title == title, Grant.organisation_id == _organisation(db, org_key).id))


def _user(db, email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _by_name(db, key: str) -> dict:
    return {d.original_name: d for d in documents_of(_organisation(db, key).id)}


def test_documents_valid_expiring_expired_waiting_and_refused(db, seeded):
    today = utcnow().date()
    kijiji = _by_name(db, "kijiji")
    assert set(valid_documents(_organisation(db, "kijiji").id, today)) == {
        DocumentKind.REGISTRATION_CERTIFICATE, DocumentKind.STATUTES}
    waiting = kijiji["audited-accounts.pdf"]
    assert waiting.status == DocumentStatus.PENDING and waiting.year == today.year - 1

    mtaani = _by_name(db, "mtaani")
    expiring = mtaani["certificate-of-registration.pdf"]
    assert expiring.status == DocumentStatus.VERIFIED
    assert today < expiring.expires_on <= today + timedelta(days=30)
    assert [w.kind for w in document_warnings(_organisation(db, "mtaani").id, today)] == [
        DocumentKind.REGISTRATION_CERTIFICATE]
    refused = mtaani["statutes-scan.pdf"]
    assert refused.status == DocumentStatus.REFUSED and refused.refusal_reason == demo.REFUSAL

    expired = _by_name(db, "teranga")["recepisse.pdf"]
    assert expired.status == DocumentStatus.VERIFIED and expired.expires_on < today
    assert DocumentKind.REGISTRATION_CERTIFICATE not in valid_documents(_organisation(db, "teranga").id, today)

    for document in (*kijiji.values(), *mtaani.values(), expired):
        with get_storage().open(document.stored_name) as stream:
            assert stream.read(5) == b"%PDF-"
        owners = [m.user_id for m in document.organisation.memberships if m.role == "owner"]
        assert document.uploaded_by_id in owners
    verbs = set(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "Document")))
    assert {"document.uploaded", "document.verified", "document.refused"} <= verbs


def test_a_payee_change_checked_by_the_admin_waits_for_the_finance_officer(db, seeded):
    pacific = _organisation(db, TRAVEL_UNPAID[1])
    assert verified_payee(pacific.id) is None
    account = waiting_payee(pacific.id)
    assert account.status == PayeeStatus.CHECKED
    assert account.entered_by.email == pacific.memberships[0].user.email
    assert account.checked_by.email == "admin@cade.example"
    assert account.bank_letter.status == DocumentStatus.VERIFIED

    finance = _user(db, "finance@cade.example")
    assert finance is not None and finance.has_role("admin")
    assert "finance@cade.example" in [email for email, *_ in demo_logins()]
    confirm_payee(finance, account.id)
    db.session.commit()
    assert verified_payee(pacific.id).id == account.id


def test_the_organisation_with_a_payable_tranche_has_a_screening_on_record(db, seeded):
    grant = _grant(db, TRAVEL_UNPAID)
    assert [t.status for t in tranches_of(grant)] == [TrancheStatus.PAYABLE]
    [screening] = screenings_of(grant.organisation_id)
    assert screening.result == ScreeningResult.CLEAR and screening.checked_by.email == "admin@cade.example"
    assert recent_clear_screening(grant.organisation_id, grant.call.programme, utcnow().date()) == screening
    readiness = payment_readiness(grant)
    assert readiness.screening == screening and len(readiness.problems) == 1  # only the second admin missing
    assert "no verified bank details" in str(readiness.problems[0])


def test_atln_has_a_reallocation_on_notice_and_an_approved_extension_with_its_second_version(db, seeded):
    grant = _grant(db, ACCEPTED_PAID)
    amendments = {a.kind: a for a in amendments_of(grant)}
    assert set(amendments) == {AmendmentKind.REALLOCATION, AmendmentKind.EXTENSION}
    reallocation = amendments[AmendmentKind.REALLOCATION]
    assert reallocation.status == AmendmentStatus.NOTED and reallocation.decided_by_id is None
    extension = amendments[AmendmentKind.EXTENSION]
    assert extension.status == AmendmentStatus.APPROVED and extension.details == {"days": demo.EXTENSION_DAYS}
    assert extension.decided_by.email == "admin@cade.example"
    versions = versions_of(grant)
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].amendment_id == extension.id and grant.agreement_sha256 == versions[0].sha256
    for version in versions:
        with get_storage().open(version.stored_name) as stream:
            assert stream.read(5) == b"%PDF-"


def test_seeding_again_adds_nothing(app, db, seeded):
    assert "documents" in seeded.output and "amendments approved" in seeded.output
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}

    again = app.test_cli_runner().invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    assert "nothing to add" in again.output
    db.session.expire_all()
    assert {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables} == counts
