"""Due-diligence documents: uploaded by an organisation's owners (checked by their bytes), verified or refused by an
admin, and asked which are valid on a given day — the one answer the call rule, the award check, the reminders and
the warnings on the award and grant pages all read.

A document is valid on a day when an admin verified it, it was issued by then and it has not expired: it is valid up
to and including its expiry date (`expires_on`), and a document without one stays valid until replaced. Of several
valid documents of one kind the latest issued counts. Files are never public: only the organisation's owners and the
admins may open them (a plain member, like a stranger, is told nothing exists).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import BinaryIO, NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from cade.accounts.models import User
from cade.core.after_commit import on_rollback
from cade.core.audit import record_event
from cade.core.commands import Choice, Command, Day, FieldErrors, Integer, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected
from cade.core.permissions import is_admin
from cade.core.storage import get_storage
from cade.core.templating import file_size
from cade.core.uploads import display_name, download_name, sniff_content_type
from cade.diligence.constants import DocumentKind, DocumentStatus
from cade.diligence.models import DOCUMENT_MACHINE, Document
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership, Organisation

# What a document may be, by its bytes, and the extensions a download of each ends in.
DOCUMENT_TYPES = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
REASON_MAX_CHARS = 2000
WARNING_DAYS = 30  # a document expiring within this many days is flagged on the award and grant pages
EARLIEST_YEAR = 1900


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


# ---------------------------------------------------------------- who may see them


def can_manage_documents(user, organisation) -> bool:
    """The organisation's owners and the admins see, upload and download its documents; nobody else."""
    if is_admin(user):
        return True
    if user is None or organisation is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.organisation_id == organisation.id,
        Membership.role == MembershipRole.OWNER)) is not None


def organisation_for(actor, organisation_id: int) -> Organisation:
    """The organisation whose documents `actor` may manage; NotFound for everyone else (its existence is private)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not can_manage_documents(actor, organisation):
        raise NotFound()
    return organisation


def document_for(actor, organisation_id: int, document_id: int) -> Document:
    """One of the organisation's documents, for its owners and the admins; NotFound otherwise (or elsewhere)."""
    organisation = organisation_for(actor, organisation_id)
    document = db.session.get(Document, document_id)
    if document is None or document.organisation_id != organisation.id:
        raise NotFound()
    return document


# ---------------------------------------------------------------- uploading


@dataclass(frozen=True)
class DocumentInput(Command):
    """A document's details as the owner types them; `today` (context) is what "not in the future" means."""

    kind: str | None = field(Choice(DocumentKind, required=True, message=_l("Choose the kind of document.")))
    title: str | None = field(Text(max_len=200))
    year: int | None = field(Integer(EARLIEST_YEAR, 9999, required=False,
                                     message=_l("Enter the financial year as four digits, e.g. 2025.")))
    issued_on: date | None = field(Day(message=_l("Enter the date the document was issued, e.g. 2026-03-31.")))
    expires_on: date | None = field(Day(required=False,
                                        message=_l("Enter the date the document expires, e.g. 2027-03-31.")))
    today: date | None = None

    def check(self, errors: FieldErrors) -> None:
        today = self.today or utcnow().date()
        if self.kind == DocumentKind.OTHER and not self.title and "title" not in errors:
            errors.add("title", _l("Give the document's name: it says what this document is."))
        if self.kind == DocumentKind.AUDITED_ACCOUNTS and self.year is None and "year" not in errors:
            errors.add("year", _l("Enter the financial year the audited accounts cover."))
        if self.year is not None and self.year > today.year:
            errors.add("year", _l("The financial year cannot be in the future."))
        if self.issued_on is not None and self.issued_on > today:
            errors.add("issued_on", _l("The issue date cannot be in the future."))
        if self.issued_on is not None and self.expires_on is not None and self.expires_on <= self.issued_on:
            errors.add("expires_on", _l("The expiry date must be after the issue date."))


def upload_document(actor, organisation_id: int, stream: BinaryIO, filename: str | None,
                    command: DocumentInput) -> Document:
    """Store an uploaded document for the organisation, waiting for an admin; audited `document.uploaded`.

    Raises NotFound (not an owner of the organisation nor an admin) and
    UploadRejected on `file` (empty, over DOCUMENT_MAX_BYTES, or not a PDF,
    PNG or JPEG by its content, whatever its name says). A refused file is not
    kept, nor one whose transaction rolls back. Flushes, never commits.
    """
    organisation = organisation_for(actor, organisation_id)
    limit = max_bytes()
    storage = get_storage()
    try:
        stored = storage.put(stream, limit)
    except OverflowError:
        raise UploadRejected(_("A document can be at most %(size)s.", size=file_size(limit)), field="file") from None
    try:
        if stored.size == 0:
            raise UploadRejected(_("The file is empty."), field="file")
        with storage.open(stored.name) as kept:
            content_type = sniff_content_type(kept, DOCUMENT_TYPES, {}, _(
                "Only PDF, PNG and JPEG files can be uploaded as documents. This file is none of them by its "
                "content, whatever its name says: scan or save the document as a PDF and upload that."))
    except UploadRejected as error:
        storage.delete(stored.name)
        error.field = error.field or "file"
        raise
    except BaseException:
        storage.delete(stored.name)
        raise
    on_rollback(lambda: storage.delete(stored.name))
    document = Document(
        organisation_id=organisation.id, kind=command.kind, title=command.title,
        year=command.year if command.kind == DocumentKind.AUDITED_ACCOUNTS else None,
        issued_on=command.issued_on, expires_on=command.expires_on, stored_name=stored.name,
        original_name=display_name(filename), content_type=content_type, size=stored.size, sha256=stored.sha256,
        uploaded_by_id=getattr(actor, "id", None), uploaded_at=utcnow())
    db.session.add(document)
    db.session.flush()
    record_event(actor, "document.uploaded", document, after={
        "organisation_id": organisation.id, "kind": document.kind, "title": document.title, "year": document.year,
        "issued_on": document.issued_on.isoformat(),
        "expires_on": document.expires_on.isoformat() if document.expires_on else None,
        "size": document.size, "sha256": document.sha256})
    return document


def open_document(actor, organisation_id: int, document_id: int) -> tuple[Document, BinaryIO]:
    """The document and a stream of its bytes, for the organisation's owners and the admins; else NotFound."""
    document = document_for(actor, organisation_id, document_id)
    try:
        return document, get_storage().open(document.stored_name)
    except FileNotFoundError:
        raise NotFound() from None


def document_download_name(document: Document) -> str:
    """The name a download is saved under, ending in the extension of the type its bytes were found to be."""
    return download_name(document.original_name, DOCUMENT_TYPES.get(document.content_type, ()))


# ---------------------------------------------------------------- verifying


@dataclass(frozen=True)
class RefusalInput(Command):
    reason: str | None = field(Text(max_len=REASON_MAX_CHARS, required=True))


def _reviewed_message(document: Document):
    who = document.reviewed_by.name if document.reviewed_by is not None else _l("an administrator")
    if document.status == DocumentStatus.VERIFIED:
        return _l("This document was already verified by %(name)s.", name=who)
    if document.status == DocumentStatus.REFUSED:
        return _l("This document was already refused by %(name)s.", name=who)
    return InvalidTransition.default_message


def _review(actor, document_id: int, new: str, audit_after: dict, **values) -> Document:
    if not is_admin(actor):
        raise PermissionDenied()
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound()
    if not DOCUMENT_MACHINE.can(document, new):
        raise InvalidTransition(_reviewed_message(document))
    try:
        DOCUMENT_MACHINE.move(actor, document, new, audit=(None, audit_after),
                              reviewed_by_id=getattr(actor, "id", None), reviewed_at=utcnow(), **values)
    except InvalidTransition:
        raise InvalidTransition(_reviewed_message(document)) from None  # another admin was first: `move` refreshed it
    db.session.refresh(document)
    return document


def verify_document(actor, document_id: int) -> Document:
    """Mark a waiting document verified (DOCUMENT_MACHINE; audited `document.verified`); its owners are told.

    Raises PermissionDenied (not an admin), NotFound, InvalidTransition
    (already verified or refused: also to the second of two admins at once,
    naming who was first). Flushes, never commits.
    """
    document = _review(actor, document_id, DocumentStatus.VERIFIED, {})
    _tell_owners("diligence.document_verified", document, f"document-verified:{document.id}")
    return document


def refuse_document(actor, document_id: int, reason: str | None) -> Document:
    """Refuse a waiting document with a reason the owners read (audited `document.refused`); they are told.

    Raises PermissionDenied, NotFound, ValidationFailed on `reason` (missing or
    too long) and InvalidTransition as verify_document. Flushes, never commits.
    """
    command = RefusalInput.from_input({"reason": reason})
    document = _review(actor, document_id, DocumentStatus.REFUSED, {"reason": command.reason},
                       refusal_reason=command.reason)
    _tell_owners("diligence.document_refused", document, f"document-refused:{document.id}",
                 reason=command.reason)
    return document


def owners_of(organisation_id: int) -> list[User]:
    """The organisation's active owners, in id order: whom documents' notices go to."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role == MembershipRole.OWNER,
               User.active.is_(True)).order_by(User.id)))


def document_context(document: Document, **extra) -> dict:
    """What a document's notices say, as raw values (rendered in each recipient's language)."""
    return {"document_id": document.id, "organisation_id": document.organisation_id,
            "organisation": document.organisation.name, "kind": document.kind, "title": document.title or "",
            "year": document.year, "issued_on": document.issued_on.isoformat(),
            "expires_on": document.expires_on.isoformat() if document.expires_on else None, **extra}


def _tell_owners(kind: str, document: Document, key: str, **extra) -> None:
    context = document_context(document, **extra)
    for owner in owners_of(document.organisation_id):
        notify(kind, recipient=owner, key=f"{key}:{owner.id}", context=context)


# ---------------------------------------------------------------- which documents hold


def documents_of(organisation_id: int) -> list[Document]:
    """Every document of the organisation, newest upload first."""
    return list(db.session.scalars(select(Document).where(Document.organisation_id == organisation_id)
                                   .order_by(Document.uploaded_at.desc(), Document.id.desc())))


def valid_clause(on: date):
    """The SQL condition "verified, issued by `on` and not expired on `on`" (the module docstring's "valid")."""
    return (Document.status == DocumentStatus.VERIFIED, Document.issued_on <= on,
            or_(Document.expires_on.is_(None), Document.expires_on >= on))


def is_valid(document: Document, on: date) -> bool:
    return (document.status == DocumentStatus.VERIFIED and document.issued_on <= on
            and (document.expires_on is None or document.expires_on >= on))


def valid_documents(organisation_id: int, on: date) -> dict[str, Document]:
    """The organisation's valid documents on `on`, one per kind (the latest issued): {kind: document}."""
    rows = db.session.scalars(select(Document).where(Document.organisation_id == organisation_id, *valid_clause(on))
                              .order_by(Document.issued_on.desc(), Document.id.desc()))
    valid: dict[str, Document] = {}
    for document in rows:
        valid.setdefault(document.kind, document)
    return valid


def missing_documents(organisation, kinds, on: date) -> list[str]:
    """Of `kinds` (in their order), those the organisation (an Organisation or its id) has no valid document of."""
    organisation_id = getattr(organisation, "id", organisation)
    kinds = list(dict.fromkeys(str(kind) for kind in kinds or ()))
    if not kinds:
        return []
    valid = valid_documents(organisation_id, on)
    return [kind for kind in kinds if kind not in valid]


def latest_by_kind(organisation_id: int, kinds) -> dict[str, Document]:
    """The latest uploaded document of each of `kinds`, whatever its status: what a refusal can say about it."""
    rows = db.session.scalars(select(Document).where(Document.organisation_id == organisation_id,
                                                     Document.kind.in_(list(kinds)))
                              .order_by(Document.uploaded_at.desc(), Document.id.desc()))
    latest: dict[str, Document] = {}
    for document in rows:
        latest.setdefault(document.kind, document)
    return latest


class DocumentWarning(NamedTuple):
    kind: str
    expires_on: date  # in the past: expired; else the day it expires (within WARNING_DAYS)


def document_warnings(organisation_id: int, on: date) -> list[DocumentWarning]:
    """The kinds whose verified documents have all expired on `on`, or expire within WARNING_DAYS, with the date.

    Per kind the verified document that lasts longest counts (one without an
    expiry date lasts for ever), so a replacement already verified silences
    the warning about the old one. Kinds with no verified document at all are
    not warnings but missing (`missing_documents`). Soonest first.
    """
    rows = db.session.scalars(select(Document).where(Document.organisation_id == organisation_id,
                                                     Document.status == DocumentStatus.VERIFIED))
    longest: dict[str, date | None] = {}
    for document in rows:
        current = longest.get(document.kind, date.min)
        if current is not None and (document.expires_on is None or document.expires_on > current):
            longest[document.kind] = document.expires_on
    horizon = on + timedelta(days=WARNING_DAYS)
    return sorted((DocumentWarning(kind, expires_on) for kind, expires_on in longest.items()
                   if expires_on is not None and expires_on <= horizon), key=lambda w: (w.expires_on, w.kind))
