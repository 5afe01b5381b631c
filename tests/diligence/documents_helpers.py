"""Organisations with owners and members, and their due-diligence documents, for the documents tests."""

import io
from datetime import date, timedelta

from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.diligence.constants import DocumentKind, DocumentStatus
from cade.diligence.documents import DocumentInput, upload_document
from cade.diligence.models import Document
from cade.extensions import db
from tests.applications.files import make_pdf
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


def today() -> date:
    return utcnow().date()


def days(n: int) -> date:
    """`n` days from today (negative: ago)."""
    return today() + timedelta(days=n)


def organisation_with_people(*, owner_locale="en", name="Réseau Communautaire du Sahel"):
    """An organisation with an owner and a plain member; (organisation, owner, member)."""
    organisation = OrganisationFactory(name=name)
    owner = UserFactory(name="Amina Diallo", locale=owner_locale)
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    member = UserFactory(name="Moussa Ndiaye")
    MembershipFactory(user=member, organisation=organisation, role="member")
    return organisation, owner, member


def document_input(**overrides) -> DocumentInput:
    data = {"kind": "registration_certificate", "title": "", "year": "", "issued_on": days(-100).isoformat(),
            "expires_on": days(265).isoformat()}
    data.update(overrides)
    return DocumentInput.from_input(data, today=today())


def upload(actor, organisation, content: bytes | None = None, filename: str = "certificate.pdf", **fields):
    """Upload through the service (PDF bytes unless given) and commit; returns the document."""
    document = upload_document(actor, organisation.id, io.BytesIO(make_pdf() if content is None else content),
                               filename, document_input(**fields))
    db.session.commit()
    return document


def document(organisation, kind=DocumentKind.REGISTRATION_CERTIFICATE, *, status=DocumentStatus.VERIFIED,
             issued_on=None, expires_on=None, year=None, title=None, reviewer=None) -> Document:
    """A document row as it stands after upload and review (a real small PDF stored behind it)."""
    stored = get_storage().put(io.BytesIO(make_pdf()))
    row = Document(organisation_id=organisation.id, kind=str(kind), title=title, year=year,
                   issued_on=issued_on or days(-100), expires_on=expires_on, stored_name=stored.name,
                   original_name="document.pdf", content_type="application/pdf", size=stored.size,
                   sha256=stored.sha256, status=str(status),
                   refusal_reason="Illegible." if status == DocumentStatus.REFUSED else None,
                   reviewed_by_id=getattr(reviewer, "id", None))
    db.session.add(row)
    db.session.commit()
    return row
