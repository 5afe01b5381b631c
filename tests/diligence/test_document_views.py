"""The documents pages: the organisation's owners and the admins only, uploads that lose nothing, private files."""

import html
import io

import pytest
from sqlalchemy import select

from cade.diligence.constants import DocumentStatus
from cade.diligence.models import Document
from cade.extensions import db as _db
from tests.applications.files import make_pdf
from tests.diligence.documents_helpers import days, document, organisation_with_people
from tests.factories import UserFactory


def form(**overrides):
    data = {"kind": "registration_certificate", "title": "Certificate from the registry", "year": "",
            "issued_on": days(-30).isoformat(), "expires_on": days(335).isoformat(),
            "file": (io.BytesIO(make_pdf()), "certificate.pdf")}
    data.update(overrides)
    return data


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ---------------------------------------------------------------- who sees the page


def test_owners_and_admins_see_the_page_members_and_strangers_get_404(client, login, db, admin):
    organisation, owner, member = organisation_with_people()
    document(organisation, expires_on=days(-2))
    url = f"/organisations/{organisation.id}/documents"
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    for outsider in (member, UserFactory()):
        login(outsider)
        assert client.get(url).status_code == 404
    login(owner)
    page = text(client.get(url))
    assert "Registration certificate" in page and "Expired" in page and 'enctype="multipart/form-data"' in page
    assert "/admin/documents/" not in page  # the admin's link is for admins
    login(admin)
    page = text(client.get(url))
    assert client.get(url).status_code == 200 and "/admin/documents/" in page
    assert client.get("/organisations/999999/documents").status_code == 404


# ---------------------------------------------------------------- uploading


def test_an_owner_uploads_and_the_document_waits_for_verification(client, login, db):
    organisation, owner, _member = organisation_with_people()
    login(owner)
    response = client.post(f"/organisations/{organisation.id}/documents", data=form(),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    [doc] = _db.session.scalars(select(Document)).all()
    assert (doc.organisation_id, doc.status, doc.title) == (organisation.id, DocumentStatus.PENDING,
                                                            "Certificate from the registry")
    assert "Registration certificate uploaded." in text(client.get(response.headers["Location"]))


def test_an_expiry_before_the_issue_is_refused_beside_its_field_and_nothing_typed_is_lost(client, login, db):
    organisation, owner, _member = organisation_with_people()
    login(owner)
    response = client.post(f"/organisations/{organisation.id}/documents",
                           data=form(expires_on=days(-60).isoformat(), title="Kept title"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert '<a href="#expires_on">Expires on: The expiry date must be after the issue date.</a>' in page
    assert 'id="expires_on-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Kept title"' in page and f'value="{days(-60).isoformat()}"' in page
    assert "Choose the file again" in page
    assert _db.session.scalar(select(Document)) is None


def test_a_file_not_what_it_claims_is_refused_on_the_file_field(client, login, db):
    organisation, owner, _member = organisation_with_people()
    login(owner)
    response = client.post(f"/organisations/{organisation.id}/documents",
                           data=form(file=(io.BytesIO(b"<html>a web page</html>"), "certificate.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert 'href="#file"' in page and "Only PDF, PNG and JPEG files can be uploaded as documents." in page
    assert 'value="Certificate from the registry"' in page
    assert _db.session.scalar(select(Document)) is None


def test_no_file_is_named_with_the_other_errors(client, login, db):
    organisation, owner, _member = organisation_with_people()
    login(owner)
    data = form(kind="")
    del data["file"]
    page = text(client.post(f"/organisations/{organisation.id}/documents", data=data,
                            content_type="multipart/form-data"))
    assert "Choose the kind of document." in page and "Choose the file of the document." in page


def test_a_plain_member_cannot_upload(client, login, db):
    organisation, _owner, member = organisation_with_people()
    login(member)
    response = client.post(f"/organisations/{organisation.id}/documents", data=form(),
                           content_type="multipart/form-data")
    assert response.status_code == 404 and _db.session.scalar(select(Document)) is None


# ---------------------------------------------------------------- downloading


def test_the_file_goes_to_owners_and_admins_only_and_is_never_cached(client, login, db, admin):
    organisation, owner, member = organisation_with_people()
    doc = document(organisation)
    url = f"/organisations/{organisation.id}/documents/{doc.id}/file"
    login(owner)
    response = client.get(url)
    assert response.status_code == 200 and response.data == make_pdf()
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment")
    login(admin)
    assert client.get(url).status_code == 200
    login(member)
    assert client.get(url).status_code == 404


def test_another_organisations_document_is_404_whatever_the_address(client, login, db):
    organisation, owner, _member = organisation_with_people()
    other, _o, _m = organisation_with_people(name="Another network")
    theirs = document(other)
    login(owner)
    assert client.get(f"/organisations/{organisation.id}/documents/{theirs.id}/file").status_code == 404
    assert client.get(f"/organisations/{other.id}/documents/{theirs.id}/file").status_code == 404
    assert client.get(f"/organisations/{other.id}/documents").status_code == 404


# ---------------------------------------------------------------- the admin's page


def test_an_admin_verifies_from_the_documents_page(client, login, db, admin, outbox):
    organisation, owner, _member = organisation_with_people()
    doc = document(organisation, status=DocumentStatus.PENDING)
    login(admin)
    page = text(client.get(f"/admin/documents/{doc.id}"))
    assert "Verify" in page and "Why it is refused" in page
    response = client.post(f"/admin/documents/{doc.id}", data={"action": "verify"})
    assert response.status_code == 302
    assert _db.session.get(Document, doc.id).status == DocumentStatus.VERIFIED
    assert [n.recipient_id for n in outbox("diligence.document_verified")] == [owner.id]
    again = client.post(f"/admin/documents/{doc.id}", data={"action": "verify"})
    assert again.status_code == 409 and "already verified by Ada Admin" in text(again)


def test_refusing_without_a_reason_says_so_beside_the_field(client, login, db, admin):
    organisation, _owner, _member = organisation_with_people()
    doc = document(organisation, status=DocumentStatus.PENDING)
    login(admin)
    response = client.post(f"/admin/documents/{doc.id}", data={"action": "refuse", "reason": " "})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert _db.session.get(Document, doc.id).status == DocumentStatus.PENDING
    client.post(f"/admin/documents/{doc.id}", data={"action": "refuse", "reason": "The stamp is missing."})
    refused = _db.session.get(Document, doc.id)
    assert (refused.status, refused.refusal_reason) == (DocumentStatus.REFUSED, "The stamp is missing.")


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_admin_page_does_not_exist_for_anyone_else(client, login, db, who):
    organisation, owner, member = organisation_with_people()
    doc = document(organisation, status=DocumentStatus.PENDING)
    login(owner if who == "owner" else member)
    assert client.get(f"/admin/documents/{doc.id}").status_code == 404
    assert client.post(f"/admin/documents/{doc.id}", data={"action": "verify"}).status_code == 404
    assert _db.session.get(Document, doc.id).status == DocumentStatus.PENDING
