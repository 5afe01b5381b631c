"""Attachments: recognised by their bytes, limited in size, stored under random names."""

import hashlib
import io
import os
import tracemalloc
import zipfile

import pytest
from sqlalchemy import func, select

from cade.applications import services
from cade.applications.models import Attachment
from cade.applications.services.attachments import display_name
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected, ValidationFailed
from cade.core.storage import get_storage
from cade.extensions import db as _db
from cade.programmes.constants import QuestionKind
from tests.applications.files import (
    make_docx,
    make_odt,
    make_odt_with_mimetype,
    make_pdf,
    make_png,
    make_xlsx,
    make_zip,
    with_mimetype_entry_patched,
)
from tests.factories import ApplicationFactory, QuestionFactory, UserFactory

def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attach(member, draft, data: bytes, name: str, **kwargs):
    return services.add_attachment(member, draft.id, io.BytesIO(data), name, **kwargs)


@pytest.mark.parametrize("maker, name, mime", [
    (make_pdf, "proposal.pdf", "application/pdf"),
    (make_png, "map.png", "image/png"),
    (make_docx, "plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (make_xlsx, "budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (make_odt, "letter.odt", "application/vnd.oasis.opendocument.text"),
])
def test_accepted_types_are_recognised_by_content(draft, member, storage_path, maker, name, mime):
    data = maker()
    attachment = attach(member, draft, data, name)
    _db.session.commit()
    assert attachment.content_type == mime and attachment.original_name == name
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert name not in attachment.stored_name and len(attachment.stored_name) == 32
    with get_storage().open(attachment.stored_name) as stored:
        assert stored.read() == data


def test_a_png_named_pdf_is_recorded_as_what_it_is(draft, member):
    assert attach(member, draft, make_png(), "scan.pdf").content_type == "image/png"


@pytest.mark.parametrize("data, name", [
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "report.pdf"),
    (b"MZ\x90\x00\x03" + b"\x00" * 200, "report.pdf"),
    (b"Just some notes\n", "notes.txt"),
    (b"<html><script>alert(1)</script></html>", "page.pdf"),
    (make_zip([("a.txt", "hi")]), "plan.docx"),
    (make_zip([("mimetype", "application/vnd.oasis.opendocument.spreadsheet")]), "sheet.odt"),
    (b"", "empty.pdf"),
])
def test_other_content_is_refused_and_nothing_kept(draft, member, storage_path, data, name):
    before = stored_files(storage_path)
    with pytest.raises(UploadRejected):
        attach(member, draft, data, name)
    _db.session.rollback()
    assert stored_files(storage_path) == before
    assert _db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_each_file_is_limited_in_size(app, draft, member, storage_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1000)
    before = stored_files(storage_path)
    with pytest.raises(UploadRejected, match="at most"):
        attach(member, draft, make_pdf() + b"%" * 1000, "big.pdf")
    assert stored_files(storage_path) == before


def test_all_files_of_an_application_are_limited_together(app, draft, member, storage_path, monkeypatch):
    pdf = make_pdf()
    monkeypatch.setitem(app.config, "APPLICATION_ATTACHMENTS_MAX_BYTES", 2 * len(pdf) + 10)
    attach(member, draft, pdf, "one.pdf")
    attach(member, draft, pdf, "two.pdf")
    _db.session.commit()
    before = stored_files(storage_path)
    with pytest.raises(UploadRejected, match="together"):
        attach(member, draft, pdf, "three.pdf")
    _db.session.rollback()
    assert stored_files(storage_path) == before
    assert len(draft.attachments) == 2


def test_a_path_in_the_file_name_is_only_display_text(draft, member, storage_path, tmp_path):
    attachment = attach(member, draft, make_pdf(), "../../etc/passwd")
    _db.session.commit()
    assert attachment.original_name == "passwd"
    assert all(storage_path in path.parents for path in stored_files(storage_path))
    assert not (storage_path.parent / "etc").exists()
    named = attach(member, draft, make_pdf(), "C:\\Users\\x\\Plan\u202e fdp.exe")
    assert "\\" not in named.original_name and "\u202e" not in named.original_name


def test_file_question_attachments(draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.FILE, word_limit=None)
    text_question = QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT)
    assert attach(member, draft, make_pdf(), "a.pdf", question_id=question.id).question_id == question.id
    with pytest.raises(ValidationFailed):
        attach(member, draft, make_pdf(), "b.pdf", question_id=text_question.id)


def test_strangers_and_submitted_applications_get_no_uploads(draft, member, organisation, storage_path):
    with pytest.raises(PermissionDenied):
        attach(UserFactory(), draft, make_pdf(), "x.pdf")
    submitted = ApplicationFactory(submitted=True, organisation=organisation)
    with pytest.raises(InvalidTransition):
        services.add_attachment(member, submitted.id, io.BytesIO(make_pdf()), "x.pdf")


def test_rolled_back_upload_leaves_no_file(draft, member, storage_path):
    before = stored_files(storage_path)
    attach(member, draft, make_pdf(), "x.pdf")
    assert len(stored_files(storage_path)) == len(before) + 1
    _db.session.rollback()
    assert stored_files(storage_path) == before


def test_delete_removes_row_and_file_once_committed(draft, member):
    attachment = attach(member, draft, make_pdf(), "x.pdf")
    _db.session.commit()
    name = attachment.stored_name
    services.delete_attachment(member, draft.id, attachment.id)
    assert get_storage().exists(name)  # not yet: the deletion could still be rolled back
    _db.session.commit()
    assert not get_storage().exists(name)
    assert _db.session.get(Attachment, attachment.id) is None


def test_delete_rolled_back_keeps_the_file(draft, member):
    attachment = attach(member, draft, make_pdf(), "x.pdf")
    _db.session.commit()
    services.delete_attachment(member, draft.id, attachment.id)
    _db.session.rollback()
    assert get_storage().exists(attachment.stored_name)


def test_open_attachment_hides_other_organisations_files(draft, member, admin):
    attachment = attach(member, draft, make_pdf(), "x.pdf")
    _db.session.commit()
    found, stream = services.open_attachment(member, draft.id, attachment.id)
    stream.close()
    assert found.id == attachment.id
    with pytest.raises(NotFound):
        services.open_attachment(UserFactory(), draft.id, attachment.id)
    other = ApplicationFactory()
    with pytest.raises(NotFound):
        services.open_attachment(member, other.id, attachment.id)
    found, stream = services.open_attachment(admin, draft.id, attachment.id)
    stream.close()
    assert os.path.basename(found.original_name) == "x.pdf"


# --- hostile archives and names ----------------------------------------------------

ODT = "application/vnd.oasis.opendocument.text"


def test_an_odt_whose_mimetype_entry_is_a_zip_bomb_is_refused_without_inflating_it(draft, member):
    # 40 MB of padding after the right words compresses to a few kilobytes.
    data = make_odt_with_mimetype(ODT.encode() + b" " * 40_000_000)
    assert attach(member, draft, make_odt_with_mimetype(), "plain.odt").content_type == ODT
    assert len(data) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected, match="damaged"):
            attach(member, draft, data, "letter.odt")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_a_docx_that_would_inflate_to_gigabytes_is_checked_without_inflating_it(draft, member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 40_000_000)
    tracemalloc.start()
    try:
        attachment = attach(member, draft, buffer.getvalue(), "plan.docx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert attachment.size == len(buffer.getvalue()) and peak < 5_000_000


@pytest.mark.parametrize("patch", [{"method": 99}, {"flags": 1}], ids=["unknown-compression", "encrypted"])
def test_an_archive_that_cannot_be_read_is_refused_as_damaged(draft, member, storage_path, patch):
    before = stored_files(storage_path)
    data = with_mimetype_entry_patched(make_odt_with_mimetype(), **patch)
    with pytest.raises(UploadRejected, match="damaged"):
        attach(member, draft, data, "letter.odt")
    assert stored_files(storage_path) == before


@pytest.mark.parametrize("sent, shown", [
    ("plan\x00.exe.pdf", "plan.exe.pdf"),
    ("line\r\nX-Injected: 1.pdf", "lineX-Injected: 1.pdf"),
    ("\u200bzero\u2028width\u202e.pdf", "zerowidth.pdf"),
    ("Propuesta a\u0303o.pdf", "Propuesta \u00e3o.pdf"),  # decomposed (macOS) → composed
    ("x" * 400 + ".pdf", "x" * 251 + ".pdf"),
    ("\x00\x01", "attachment"),
])
def test_file_names_are_cleaned_for_display(sent, shown):
    assert display_name(sent) == shown
