"""cade.core.uploads: one check of an uploaded file by its bytes, and one way to name it, for every domain."""

import io

import pytest

from cade.core.errors import UploadRejected
from cade.core.uploads import display_name, download_name, sniff_content_type, zip_holds
from tests.applications.files import (
    make_docx,
    make_odt,
    make_odt_with_mimetype,
    make_pdf,
    make_png,
    make_zip,
    with_mimetype_entry_patched,
)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ALLOWED = (PDF, DOCX, ODT)
MARKERS = {DOCX: "word/document.xml", ODT: "mimetype"}
REFUSAL = "Only PDF, Word and OpenDocument files, please."


@pytest.fixture()
def sniff(app):
    def _sniff(data: bytes, allowed=ALLOWED, markers=MARKERS) -> str:
        return sniff_content_type(io.BytesIO(data), allowed, markers, REFUSAL)
    return _sniff


def refusal_of(sniff, data: bytes, **kwargs) -> str:
    with pytest.raises(UploadRejected) as caught:
        sniff(data, **kwargs)
    return str(caught.value.message)


# --- sniff_content_type -------------------------------------------------------------


def test_a_pdf_is_recognised_by_its_bytes(sniff):
    assert sniff(make_pdf()) == PDF


def test_a_docx_is_a_zip_holding_its_marker_and_its_content_types(sniff):
    assert sniff(make_docx()) == DOCX


def test_an_odt_is_a_zip_whose_mimetype_entry_names_it(sniff):
    assert sniff(make_odt()) == ODT


def test_a_zip_without_an_office_marker_is_refused_with_the_domains_words(sniff):
    assert refusal_of(sniff, make_zip([("a.txt", "hi")])) == REFUSAL


@pytest.mark.parametrize("entries", [
    [("[Content_Types].xml", "<Types/>"), ("word/other.xml", "<x/>")],
    [("word/document.xml", "<w:document/>")],
], ids=["no-marker", "no-content-types"])
def test_a_zip_dressed_as_a_docx_without_what_a_docx_holds_is_refused_as_damaged(sniff, entries):
    data = make_zip(entries)
    assert sniff(data, markers={}) == DOCX  # by its first bytes alone it passes as a DOCX
    assert "damaged" in refusal_of(sniff, data)


def test_an_odt_whose_archive_directory_names_another_type_is_refused_as_damaged(sniff):
    # The first bytes say ODT; the "mimetype" entry the archive's directory points to says a spreadsheet.
    data = make_odt_with_mimetype(b"application/vnd.oasis.opendocument.spreadsheet")
    assert sniff(data, markers={}) == ODT
    assert "damaged" in refusal_of(sniff, data)


@pytest.mark.parametrize("patch", [{"method": 99}, {"flags": 1}], ids=["unknown-compression", "encrypted"])
def test_an_archive_that_cannot_be_read_is_refused_as_damaged(sniff, patch):
    assert "damaged" in refusal_of(sniff, with_mimetype_entry_patched(make_odt_with_mimetype(), **patch))


def test_a_mimetype_entry_too_big_to_be_one_is_refused_as_damaged(sniff):
    assert "damaged" in refusal_of(sniff, make_odt_with_mimetype(ODT.encode() + b" " * 1000))


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 200,  # a Windows program
    b"\x7fELF\x02\x01\x01" + b"\0" * 200,  # a Linux program
], ids=["exe", "elf"])
def test_a_renamed_executable_is_refused_with_the_domains_words(sniff, data):
    assert refusal_of(sniff, data) == REFUSAL


def test_an_empty_file_is_refused_with_the_domains_words(sniff):
    assert refusal_of(sniff, b"") == REFUSAL


def test_a_type_the_domain_does_not_take_is_refused_even_when_it_is_a_real_file(sniff):
    assert refusal_of(sniff, make_png()) == REFUSAL
    assert sniff(make_png(), allowed=(*ALLOWED, "image/png")) == "image/png"


def test_zip_holds_reads_the_directory_and_the_mimetype_entry():
    assert zip_holds(io.BytesIO(make_docx()), "word/document.xml", DOCX)
    assert not zip_holds(io.BytesIO(make_docx()), "xl/workbook.xml", DOCX)
    assert zip_holds(io.BytesIO(make_odt()), "mimetype", ODT)
    assert not zip_holds(io.BytesIO(make_odt()), "mimetype", "application/epub+zip")


# --- names ---------------------------------------------------------------------------


@pytest.mark.parametrize("sent, shown", [
    ("C:\\Users\\amina\\plan.pdf", "plan.pdf"),
    ("../../etc/passwd", "passwd"),
    ("plan\x00.exe.pdf", "plan.exe.pdf"),
    ("\u200bzero\u2028width\u202e.pdf", "zerowidth.pdf"),
    ("Propuesta a\u0303o.pdf", "Propuesta \u00e3o.pdf"),
    ("x" * 400 + ".pdf", "x" * 251 + ".pdf"),
    ("x" * 400, "x" * 255),
    (None, "attachment"),
    ("", "attachment"),
])
def test_display_name_keeps_harmless_text_only(app, sent, shown):
    assert display_name(sent) == shown


@pytest.mark.parametrize("original, extensions, saved", [
    ("page.html", (".pdf",), "page.html.pdf"),
    ("Plan.PDF", (".pdf",), "Plan.PDF"),
    ("photo.jpeg", (".jpg", ".jpeg", ".jpe"), "photo.jpeg"),
    ("photo", (".jpg", ".jpeg", ".jpe"), "photo.jpg"),
    ('a<b>c:d"e|f?g*h.pdf', (".pdf",), "a_b_c_d_e_f_g_h.pdf"),
    ("notes.txt", (), "notes.txt"),
    (None, (".pdf",), "attachment.pdf"),
])
def test_download_name_ends_in_the_extension_of_the_type_found(app, original, extensions, saved):
    assert download_name(original, extensions) == saved
