"""Resources: files checked by content and size, links with a stated size, removal that waits for the commit."""

import io

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import PermissionDenied, UploadRejected, ValidationFailed
from cade.core.storage import get_storage
from cade.training import resources as service
from cade.training.resources import Resource, ResourceInput
from tests.applications.files import make_docx, make_pdf, make_zip
from tests.factories import CourseFactory, ResourceFactory, UserFactory

HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def make_pptx() -> bytes:
    return make_zip([("[Content_Types].xml", "<Types/>"), ("ppt/presentation.xml", "<p/>")])


def make_epub() -> bytes:
    return make_zip([("mimetype", "application/epub+zip"), ("META-INF/container.xml", "<c/>")])


def command(**data):
    values = {"title": "Foundations of civic tech", "language": "en", "kind": "file", "in_library": "y",
              "public": "y"}
    values.update(data)
    return ResourceInput.from_input(values)


def add_file(admin, content: bytes, name="paper.pdf", **data):
    return service.add_resource(admin, command(**data), io.BytesIO(content), name)


def test_a_pdf_is_kept_with_its_checked_type_size_and_digest(db, admin):
    resource = add_file(admin, make_pdf())
    db.session.commit()
    assert resource.content_type == "application/pdf" and resource.size == len(make_pdf())
    assert len(resource.sha256) == 64 and resource.original_name == "paper.pdf"
    assert get_storage().exists(resource.stored_name)
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.object_type == "Resource")) == "resource.added"


@pytest.mark.parametrize("maker, mime", [
    (make_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (make_pptx, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (make_epub, "application/epub+zip"),
])
def test_office_files_and_books_are_recognised_by_their_content(db, admin, maker, mime):
    assert add_file(admin, maker(), name="material").content_type == mime


def test_a_pdf_that_is_really_html_is_refused_and_not_kept(db, admin, storage_path):
    before = set(storage_path.rglob("*")) if storage_path.exists() else set()
    with pytest.raises(UploadRejected) as refused:
        add_file(admin, HTML, name="paper.pdf")
    assert "PDF" in str(refused.value)
    after = set(storage_path.rglob("*")) if storage_path.exists() else set()
    assert {p for p in after - before if p.is_file()} == set()


def test_a_zip_dressed_as_a_word_file_is_refused(db, admin):
    fake = make_zip([("[Content_Types].xml", "<Types/>"), ("word/other.xml", "<x/>")])
    with pytest.raises(UploadRejected):
        add_file(admin, fake, name="paper.docx")


def test_an_empty_file_is_refused(db, admin):
    with pytest.raises(UploadRejected):
        add_file(admin, b"")


def test_a_file_over_the_limit_is_refused_naming_the_limit(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "RESOURCE_MAX_BYTES", 2 * 1024 * 1024)
    too_big = make_pdf() + b"0" * (2 * 1024 * 1024)
    with pytest.raises(UploadRejected) as refused:
        add_file(admin, too_big)
    assert "2 MB" in str(refused.value)


def test_a_file_resource_needs_a_file(db, admin):
    with pytest.raises(ValidationFailed) as refused:
        service.add_resource(admin, command(), None, None)
    assert "file" in refused.value.errors


def test_a_link_keeps_its_address_and_the_stated_size_in_bytes(db, admin):
    resource = service.add_resource(admin, command(kind="link", url="https://example.org/paper.pdf",
                                                   stated_size="about 2 MB"), None, None)
    assert resource.url == "https://example.org/paper.pdf" and resource.size == 2 * 1024 * 1024
    assert resource.stored_name is None


@pytest.mark.parametrize("text, size", [("2 MB", 2 * 1024 * 1024), ("1,5 Mo", 1536 * 1024),
                                        ("500 kB", 500 * 1024), ("", None), ("1 GB", 1024 ** 3)])
def test_stated_sizes_are_read_in_several_spellings(db, text, size):
    assert command(kind="link", url="https://example.org/", stated_size=text).stated_size == size


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "example.org", ""])
def test_a_link_must_be_a_web_address(db, url):
    with pytest.raises(ValidationFailed) as refused:
        command(kind="link", url=url)
    assert "url" in refused.value.errors


def test_a_size_that_is_not_one_is_refused(db):
    with pytest.raises(ValidationFailed) as refused:
        command(kind="link", url="https://example.org/", stated_size="quite big")
    assert "stated_size" in refused.value.errors


def test_a_language_must_be_one_of_the_list(db):
    with pytest.raises(ValidationFailed) as refused:
        command(language="xx")
    assert "language" in refused.value.errors


def test_a_resource_neither_in_the_library_nor_in_a_course_is_refused(db, admin):
    with pytest.raises(ValidationFailed) as refused:
        service.add_resource(admin, command(in_library=""), io.BytesIO(make_pdf()), "a.pdf")
    assert "in_library" in refused.value.errors


def test_an_unknown_course_is_refused(db, admin):
    with pytest.raises(ValidationFailed) as refused:
        add_file(admin, make_pdf(), course_id="999999")
    assert "course_id" in refused.value.errors


def test_only_admins_add_edit_and_remove(db):
    someone = UserFactory()
    resource = ResourceFactory()
    with pytest.raises(PermissionDenied):
        add_file(someone, make_pdf())
    with pytest.raises(PermissionDenied):
        service.update_resource(someone, resource.id, command())
    with pytest.raises(PermissionDenied):
        service.remove_resource(someone, resource.id)


def test_an_edit_changes_the_description_not_the_file_and_is_audited(db, admin):
    resource = add_file(admin, make_pdf())
    db.session.commit()
    stored = resource.stored_name
    course = CourseFactory()
    service.update_resource(admin, resource.id, command(title="Renamed", language="fr", public="",
                                                        course_id=str(course.id)))
    db.session.commit()
    assert (resource.title, resource.language, resource.public, resource.course_id) == (
        "Renamed", "fr", False, course.id)
    assert resource.stored_name == stored
    verbs = db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "Resource").order_by(AuditEvent.id)).all()
    assert verbs == ["resource.added", "resource.updated"]


def test_removal_deletes_the_file_only_after_the_commit(db, admin):
    resource = add_file(admin, make_pdf())
    db.session.commit()
    stored = resource.stored_name
    service.remove_resource(admin, resource.id)
    assert get_storage().exists(stored)  # not yet: the removal may still roll back
    db.session.commit()
    assert not get_storage().exists(stored)
    assert db.session.get(Resource, resource.id) is None


def test_a_rolled_back_removal_keeps_the_file(db, admin):
    resource = add_file(admin, make_pdf())
    db.session.commit()
    stored, resource_id = resource.stored_name, resource.id
    service.remove_resource(admin, resource_id)
    db.session.rollback()
    assert get_storage().exists(stored) and db.session.get(Resource, resource_id) is not None


def test_a_rolled_back_upload_leaves_no_file(db, admin):
    resource = add_file(admin, make_pdf())
    stored = resource.stored_name
    db.session.rollback()
    assert not get_storage().exists(stored)


def test_removing_twice_says_it_is_gone(db, admin):
    from cade.core.errors import NotFound

    resource = add_file(admin, make_pdf())
    db.session.commit()
    service.remove_resource(admin, resource.id)
    db.session.commit()
    with pytest.raises(NotFound):
        service.remove_resource(admin, resource.id)
