"""Resources: foundational papers and course materials, as stored files or links, per course and in a library.

A file is checked by its bytes (not its name or the browser's word) and
kept through the storage interface under a random name, with its size and
sha256; a link keeps its http(s) address and the size the admin states, so
a reader on a slow connection knows what a download costs before starting.
`public` resources download without an account; the others need a sign-in.
Languages are the course languages (`COURSE_LANGUAGES`), so a course and its
materials are described the same way.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from cade.accounts.models import User
from cade.core import uploads
from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Command, Flag, Id, Text as TextField, field
from cade.core.db import UTCDateTime, utcnow
from cade.core.errors import NotFound, UploadRejected, ValidationFailed
from cade.core.permissions import is_admin
from cade.core.storage import get_storage
from cade.core.templating import file_size
from cade.core.uploads import display_name
from cade.extensions import db
from cade.organisations.services.profiles import WebAddress
from cade.programmes.services.common import add_audited, change_audited, get_or_raise, snapshot
from cade.training.constants import COURSE_LANGUAGES
from cade.training.models import Course
from cade.training.permissions import can_view_course
from cade.training.services.common import require_admin

FILE, LINK = "file", "link"
KIND_LABELS = {FILE: _l("File"), LINK: _l("Link")}

# What a resource may be, recognised from its bytes, with the short name the library shows.
CONTENT_TYPES = {
    "application/pdf": ("PDF", ".pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("Word", ".docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("Excel", ".xlsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("PowerPoint", ".pptx"),
    "application/vnd.oasis.opendocument.text": ("OpenDocument", ".odt"),
    "application/vnd.oasis.opendocument.spreadsheet": ("OpenDocument", ".ods"),
    "application/vnd.oasis.opendocument.presentation": ("OpenDocument", ".odp"),
    "application/epub+zip": ("EPUB", ".epub"),
}
# The entry each zip-based format must hold; "mimetype" must also name the type itself.
ZIP_MARKERS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "ppt/presentation.xml",
    "application/vnd.oasis.opendocument.text": "mimetype",
    "application/vnd.oasis.opendocument.spreadsheet": "mimetype",
    "application/vnd.oasis.opendocument.presentation": "mimetype",
    "application/epub+zip": "mimetype",
}
UNITS = {"b": 1, "kb": 1024, "ko": 1024, "k": 1024, "mb": 1024**2, "mo": 1024**2, "m": 1024**2,
         "gb": 1024**3, "go": 1024**3, "g": 1024**3}
_SIZE = re.compile(r"^\D*?(\d+(?:[.,]\d+)?)\s*([a-z]+)?\.?$")
MAX_STATED_BYTES = 100 * 1024**3


class Resource(db.Model):
    __tablename__ = "training_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    # A file: where storage keeps it, the name it came with, its checked type, size and digest.
    stored_name: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    # A link: its address. `size` is a file's bytes, or the bytes the admin states for a link (or None).
    url: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(BigInteger)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    in_library: Mapped[bool] = mapped_column(default=True)
    public: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('file', 'link')", name="kind_known"),
        CheckConstraint("kind <> 'file' OR stored_name IS NOT NULL", name="file_is_stored"),
        CheckConstraint("kind <> 'link' OR url IS NOT NULL", name="link_has_url"),
        CheckConstraint("size IS NULL OR size >= 0", name="size_not_negative"),
    )

    @property
    def format_label(self) -> str:
        """"PDF", "Word"… for a file; None for a link."""
        return CONTENT_TYPES.get(self.content_type, ("", ""))[0] if self.kind == FILE else None


# ---------------------------------------------------------------- input


class StatedSize(Cleaner):
    """A size as people write it ("about 2 MB", "1,5 Mo", "500 kB") → bytes (1 MB = 1024 kB, as shown)."""

    def clean(self, raw, cleaning):
        text = str(raw or "").strip().lower()
        if not text:
            return None
        match = _SIZE.match(text.replace("about", "").replace("environ", "").strip())
        unit = UNITS.get((match.group(2) or "mb") if match else "")
        try:
            number = Decimal(match.group(1).replace(",", ".")) if match and unit else None
        except InvalidOperation:
            number = None
        if number is None or not 0 < number * unit <= MAX_STATED_BYTES:
            cleaning.refuse(_l("Write a size such as “2 MB” or “500 kB”."))
            return None
        return int(number * unit)


@dataclass(frozen=True)
class ResourceInput(Command):
    title: str | None = field(TextField(max_len=200, required=True))
    description: str | None = field(TextField(max_len=5000))
    language: str | None = field(Choice(COURSE_LANGUAGES, required=True, message=_l("Choose a language.")))
    kind: str | None = field(Choice((FILE, LINK), required=True, message=_l("Choose a file or a link.")))
    url: str | None = field(WebAddress(max_len=500))
    stated_size: int | None = field(StatedSize())
    course_id: int | None = field(Id(required=False))
    in_library: bool = field(Flag(), default=False)
    public: bool = field(Flag(), default=False)

    def check(self, errors):
        if self.kind == LINK and not self.url and "url" not in errors:
            errors.add("url", _l("Enter the address of the link."))
        if not self.in_library and self.course_id is None and "course_id" not in errors:
            errors.add("in_library", _l("Show it in the library, or choose its course (or both)."))


FIELDS = ("title", "description", "language", "kind", "url", "size", "course_id", "in_library", "public",
          "original_name", "content_type", "sha256")
EDITABLE = ("title", "description", "language", "course_id", "in_library", "public")


def _check_course(course_id: int | None) -> None:
    if course_id is not None and db.session.get(Course, course_id) is None:
        raise ValidationFailed({"course_id": [_l("Choose a course from the list.")]})


# ---------------------------------------------------------------- files


def max_bytes() -> int:
    return current_app.config["RESOURCE_MAX_BYTES"]


def too_large_message() -> str:
    return _("Files can be at most %(size)s each. Choose a smaller file, or add it as a link.",
             size=file_size(max_bytes()))


def _sniff(stream: BinaryIO) -> str:
    """The type recognised from the bytes, or UploadRejected. Not `applications`' types: those
    allow images and no slides or books, and its message names what an application takes."""
    return uploads.sniff_content_type(stream, CONTENT_TYPES, ZIP_MARKERS, _(
        "Only PDF, Word, Excel, PowerPoint, OpenDocument and EPUB files can be added."))


def _store(stream: BinaryIO, filename: str | None) -> dict:
    storage = get_storage()
    try:
        stored = storage.put(stream, max_bytes())
    except OverflowError:
        raise UploadRejected(too_large_message(), field="file") from None
    try:
        if stored.size == 0:
            raise UploadRejected(_("The file is empty."), field="file")
        with storage.open(stored.name) as kept:
            content_type = _sniff(kept)
    except BaseException:
        storage.delete(stored.name)
        raise
    on_rollback(lambda: storage.delete(stored.name))  # a row rolled back leaves no file behind
    return {"stored_name": stored.name, "size": stored.size, "sha256": stored.sha256,
            "content_type": content_type, "original_name": display_name(filename)}


# ---------------------------------------------------------------- services


def add_resource(actor, command: ResourceInput, stream: BinaryIO | None, filename: str | None) -> Resource:
    """Add a file (checked by content, at most RESOURCE_MAX_BYTES) or a link. Raises PermissionDenied,
    ValidationFailed (no file for a file, unknown course), UploadRejected (type, empty, too large)."""
    require_admin(actor)
    _check_course(command.course_id)
    values = command.changes(*EDITABLE, "kind")
    if command.kind == FILE:
        if stream is None:
            raise ValidationFailed({"file": [_l("Choose a file to upload.")]})
        values.update(_store(stream, filename))
    else:
        values.update(url=command.url, size=command.stated_size)
    resource = Resource(**values, created_by_id=actor.id, created_at=utcnow())
    add_audited(actor, resource, "resource.added", FIELDS)
    return resource


def update_resource(actor, resource_id: int, command: ResourceInput) -> Resource:
    """Change a resource's description, course and who may download it (and a link's address and size);
    its kind and file stay. Raises PermissionDenied, NotFound, ValidationFailed."""
    require_admin(actor)
    resource = get_or_raise(Resource, resource_id)
    _check_course(command.course_id)
    changes = command.changes(*EDITABLE)
    if resource.kind == LINK:
        if not command.url:
            raise ValidationFailed({"url": [_l("Enter the address of the link.")]})
        changes.update(url=command.url, size=command.stated_size)
    change_audited(actor, resource, changes, "resource.updated", FIELDS)
    return resource


def remove_resource(actor, resource_id: int) -> None:
    """Remove a resource; its stored file is deleted once the removal commits (kept if it rolls back).
    Raises PermissionDenied, NotFound (also for the second click of a double click)."""
    require_admin(actor)
    resource = get_or_raise(Resource, resource_id)
    record_event(actor, "resource.removed", resource, snapshot(resource, FIELDS), None)
    if resource.stored_name:
        storage, stored_name = get_storage(), resource.stored_name
        after_commit(lambda: storage.delete(stored_name))
    db.session.delete(resource)
    db.session.flush()


def _listed():
    return select(Resource).options(joinedload(Resource.course)).order_by(Resource.title, Resource.id)


def library_resources() -> list[Resource]:
    """The library, with each resource's course, in one query; a course not yet published is not named."""
    return list(db.session.scalars(_listed().where(Resource.in_library.is_(True))))


def course_resources(course_id: int) -> list[Resource]:
    return list(db.session.scalars(_listed().where(Resource.course_id == course_id)))


def all_resources() -> list[Resource]:
    return list(db.session.scalars(_listed()))


def can_see_resource(user, resource: Resource) -> bool:
    """In the library, or on a course the reader may see (admins see all)."""
    return resource.in_library or is_admin(user) or (resource.course is not None
                                                    and can_view_course(user, resource.course))


def can_download_resource(user, resource: Resource) -> bool:
    """Public ones for everyone; the others for signed-in readers."""
    return resource.public or bool(getattr(user, "is_authenticated", False))


def find_resource(user, resource_id: int) -> Resource:
    """The resource, or NotFound for one that does not exist or the reader may not see."""
    resource = db.session.get(Resource, resource_id)
    if resource is None or not can_see_resource(user, resource):
        raise NotFound()
    return resource


def download_name(resource: Resource) -> str:
    """The display name, ending in the extension of the type found in its bytes."""
    extension = CONTENT_TYPES.get(resource.content_type, ("", ""))[1]
    return uploads.download_name(resource.original_name, (extension,) if extension else ())
