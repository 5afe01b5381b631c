"""Due-diligence documents: upload checked by content and dates, verified or refused by one admin, valid on a day."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected, ValidationFailed
from cade.diligence import documents as service
from cade.diligence.constants import DocumentKind, DocumentStatus
from cade.diligence.models import Document
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from tests.applications.files import make_docx, make_png
from tests.diligence.documents_helpers import days, document, document_input, organisation_with_people, today, upload
from tests.factories import UserFactory


def stored_files(app) -> set[str]:
    root = Path(app.config["STORAGE_PATH"])
    return {path.name for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def errors_of(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


def audit_count(verb: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == verb))


# ---------------------------------------------------------------- uploading


def test_an_owner_uploads_a_pdf_which_waits_for_verification_and_is_audited(db, app):
    organisation, owner, _member = organisation_with_people()
    doc = upload(owner, organisation, filename="Certificat d'enregistrement.pdf")
    assert (doc.status, doc.kind, doc.content_type) == (DocumentStatus.PENDING, "registration_certificate",
                                                         "application/pdf")
    assert doc.original_name == "Certificat d'enregistrement.pdf" and doc.stored_name in stored_files(app)
    assert doc.uploaded_by_id == owner.id and audit_count("document.uploaded") == 1


def test_an_image_is_accepted_by_its_bytes(db):
    organisation, owner, _member = organisation_with_people()
    assert upload(owner, organisation, make_png(), "scan.png").content_type == "image/png"


@pytest.mark.parametrize("content, filename", [
    (b"<html><body>not a certificate</body></html>", "certificate.pdf"),  # a web page dressed as a PDF
    (b"MZ\x90\x00\x03\x00\x00\x00", "statutes.pdf"),  # a program
    (make_docx(), "statutes.docx"),  # accepted for applications, not as a document
])
def test_a_file_not_what_it_claims_is_refused_and_not_kept(db, app, content, filename):
    organisation, owner, _member = organisation_with_people()
    before = stored_files(app)
    with pytest.raises(UploadRejected) as excinfo:
        upload(owner, organisation, content, filename)
    assert excinfo.value.field == "file" and "Only PDF, PNG and JPEG" in str(excinfo.value)
    _db.session.rollback()
    assert stored_files(app) == before
    assert _db.session.scalar(select(func.count(Document.id))) == 0


def test_an_empty_or_too_large_file_is_refused(db, app, monkeypatch):
    organisation, owner, _member = organisation_with_people()
    with pytest.raises(UploadRejected, match="empty"):
        upload(owner, organisation, b"")
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 100)
    with pytest.raises(UploadRejected, match="A document can be at most"):
        upload(owner, organisation)
    assert _db.session.scalar(select(func.count(Document.id))) == 0


@pytest.mark.parametrize("overrides, field, message", [
    ({"expires_on": days(-200).isoformat()}, "expires_on", "The expiry date must be after the issue date."),
    ({"expires_on": days(-100).isoformat()}, "expires_on", "The expiry date must be after the issue date."),
    ({"issued_on": days(1).isoformat(), "expires_on": ""}, "issued_on", "The issue date cannot be in the future."),
    ({"issued_on": "31/02/2026"}, "issued_on", "Enter the date the document was issued, e.g. 2026-03-31."),
    ({"issued_on": ""}, "issued_on", "Enter the date the document was issued, e.g. 2026-03-31."),
    ({"kind": "audited_accounts", "year": str(today().year + 1)}, "year",
     "The financial year cannot be in the future."),
    ({"kind": "audited_accounts"}, "year", "Enter the financial year the audited accounts cover."),
    ({"kind": "audited_accounts", "year": "twenty"}, "year", "Enter the financial year as four digits, e.g. 2025."),
    ({"kind": "other"}, "title", "Give the document's name: it says what this document is."),
    ({"kind": "passport"}, "kind", "Choose the kind of document."),
])
def test_bad_details_are_refused_by_field(db, overrides, field, message):
    with pytest.raises(ValidationFailed) as excinfo:
        document_input(**overrides)
    assert errors_of(excinfo)[field] == [message]


def test_audited_accounts_keep_their_year_and_other_documents_their_name(db):
    organisation, owner, _member = organisation_with_people()
    accounts = upload(owner, organisation, kind="audited_accounts", year=str(today().year - 1), expires_on="")
    other = upload(owner, organisation, kind="other", title="Tax clearance", year="2020")
    assert (accounts.year, accounts.expires_on) == (today().year - 1, None)
    assert (other.title, other.year) == ("Tax clearance", None)  # a year means something only for accounts


def test_only_owners_and_admins_upload(db, admin):
    organisation, owner, member = organisation_with_people()
    for outsider in (member, UserFactory()):
        with pytest.raises(NotFound):
            upload(outsider, organisation)
    _db.session.rollback()
    assert upload(admin, organisation).uploaded_by_id == admin.id


# ---------------------------------------------------------------- verifying and refusing


def test_an_admin_verifies_and_each_owner_is_told_in_their_language(db, admin):
    organisation, owner, member = organisation_with_people(owner_locale="fr")
    doc = upload(owner, organisation)
    service.verify_document(admin, doc.id)
    _db.session.commit()
    assert (doc.status, doc.reviewed_by_id) == (DocumentStatus.VERIFIED, admin.id) and doc.reviewed_at
    assert audit_count("document.verified") == 1
    [notice] = _db.session.scalars(select(Notification)).all()  # the owner only, not the plain member
    assert (notice.kind, notice.recipient_id, notice.locale) == ("diligence.document_verified", owner.id, "fr")
    subject, text, html = render_notification(notice, "en")
    assert subject == f"Document verified: Registration certificate, {organisation.name}"
    assert f"/organisations/{organisation.id}/documents" in text and html


def test_refusing_needs_a_reason_which_the_owners_read(db, admin):
    organisation, owner, _member = organisation_with_people()
    doc = upload(owner, organisation)
    with pytest.raises(ValidationFailed) as excinfo:
        service.refuse_document(admin, doc.id, "   ")
    assert errors_of(excinfo) == {"reason": ["This field is required."]}
    _db.session.rollback()
    assert _db.session.get(Document, doc.id).status == DocumentStatus.PENDING
    service.refuse_document(admin, doc.id, "The certificate is cut off at the bottom; scan the whole page.")
    _db.session.commit()
    assert doc.status == DocumentStatus.REFUSED and doc.refusal_reason.startswith("The certificate is cut off")
    [notice] = _db.session.scalars(select(Notification)).all()
    assert notice.kind == "diligence.document_refused"
    _subject, text, _html = render_notification(notice)
    assert "scan the whole page" in text


def test_only_admins_review_and_a_reviewed_document_stays_as_it_is(db, admin):
    organisation, owner, _member = organisation_with_people()
    doc = upload(owner, organisation)
    with pytest.raises(PermissionDenied):
        service.verify_document(owner, doc.id)
    with pytest.raises(NotFound):
        service.verify_document(admin, doc.id + 1000)
    service.verify_document(admin, doc.id)
    _db.session.commit()
    with pytest.raises(InvalidTransition, match="already verified by Ada Admin"):
        service.refuse_document(UserFactory(roles=["admin"]), doc.id, "Too late.")


def test_two_admins_verifying_at_once_one_wins(app, db, admin):
    from tests.concurrency import run_side_by_side

    organisation, owner, _member = organisation_with_people()
    doc_id = upload(owner, organisation).id
    admin_ids = [admin.id, UserFactory(roles=["admin"], name="Bea Admin").id]
    _db.session.commit()

    def verify_as(user_id):
        def action():
            from cade.accounts.models import User
            service.verify_document(_db.session.get(User, user_id), doc_id)
        return action

    outcomes = run_side_by_side(app, [verify_as(i) for i in admin_ids], pause_after="from documents")
    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already verified" in str(loser)
    _db.session.expire_all()
    assert audit_count("document.verified") == 1
    assert _db.session.scalar(select(func.count(Notification.id))) == 1


# ---------------------------------------------------------------- which documents hold on a day


def test_valid_documents_are_verified_issued_and_not_expired_the_latest_per_kind(db):
    organisation, _owner, _member = organisation_with_people()
    old = document(organisation, issued_on=days(-400), expires_on=days(200))
    new = document(organisation, issued_on=days(-10), expires_on=days(300))
    document(organisation, DocumentKind.STATUTES, status=DocumentStatus.PENDING)
    document(organisation, DocumentKind.BANK_LETTER, status=DocumentStatus.REFUSED)
    last_day = document(organisation, DocumentKind.AUDITED_ACCOUNTS, year=2025, expires_on=today())
    valid = service.valid_documents(organisation.id, today())
    assert valid == {"registration_certificate": new, "audited_accounts": last_day}
    assert service.valid_documents(organisation.id, days(-200)) == {"registration_certificate": old}  # before new
    assert "audited_accounts" not in service.valid_documents(organisation.id, days(1))  # expired the day after


def test_missing_documents_are_the_required_kinds_without_a_valid_one(db):
    organisation, _owner, _member = organisation_with_people()
    document(organisation, expires_on=days(-1))  # expired yesterday
    document(organisation, DocumentKind.STATUTES)  # never expires
    kinds = ["registration_certificate", "statutes", "bank_letter"]
    assert service.missing_documents(organisation, kinds, today()) == ["registration_certificate", "bank_letter"]
    assert service.missing_documents(organisation.id, kinds, days(-2)) == ["bank_letter"]
    assert service.missing_documents(organisation, [], today()) == []
    other, _o, _m = organisation_with_people(name="Another network")
    assert service.missing_documents(other, ["statutes"], today()) == ["statutes"]  # not mine


def test_warnings_flag_expired_and_soon_expiring_kinds_unless_replaced(db):
    organisation, _owner, _member = organisation_with_people()
    document(organisation, expires_on=days(-5))
    document(organisation, DocumentKind.BANK_LETTER, expires_on=days(20))
    document(organisation, DocumentKind.STATUTES, expires_on=days(-50))
    document(organisation, DocumentKind.STATUTES, expires_on=None)  # the new statutes never expire
    document(organisation, DocumentKind.AUDITED_ACCOUNTS, year=2025, expires_on=days(31))
    document(organisation, DocumentKind.OTHER, title="Tax clearance", status=DocumentStatus.PENDING,
             expires_on=days(2))
    assert service.document_warnings(organisation.id, today()) == [
        ("registration_certificate", days(-5)), ("bank_letter", days(20))]


def test_documents_of_lists_only_the_organisations_own(db):
    organisation, _owner, _member = organisation_with_people()
    mine = document(organisation)
    other, _o, _m = organisation_with_people(name="Another network")
    document(other)
    assert service.documents_of(organisation.id) == [mine]


def test_another_organisations_document_is_not_found_for_its_owner(db):
    organisation, owner, _member = organisation_with_people()
    other, _o, _m = organisation_with_people(name="Another network")
    theirs = document(other)
    with pytest.raises(NotFound):
        service.open_document(owner, organisation.id, theirs.id)  # my organisation's address, their document
    with pytest.raises(NotFound):
        service.open_document(owner, other.id, theirs.id)  # their address: not an owner there
