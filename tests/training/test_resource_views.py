"""The resource pages: the public library, downloads (public or for signed-in readers), links, admin pages."""

import io

import pytest
from sqlalchemy import select

from cade.core.storage import get_storage
from cade.training.resources import Resource
from tests.applications.files import make_pdf
from tests.factories import CourseFactory, ResourceFactory, UserFactory, member
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements

HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def form(**data):
    values = {"title": "Foundations of civic tech", "description": "Read this first.", "language": "fr",
              "kind": "file", "in_library": "y", "public": "y", "course_id": ""}
    values.update(data)
    return values


def test_the_library_shows_title_language_size_kind_and_course(client, db):
    course = CourseFactory(title="Digital security for CSOs")
    ResourceFactory(title="Threat modelling primer", language="fr", size=3 * 1024 * 1024, course=course)
    ResourceFactory(title="A small paper", file=True)
    ResourceFactory(title="Course only", in_library=False, course=course)
    html = client.get("/training/library").get_data(as_text=True)
    assert "Threat modelling primer" in html and "French" in html and "3 MB" in html
    assert "Digital security for CSOs" in html and "Link" in html
    assert "A small paper" in html and "1 kB" in html and "PDF" in html
    assert "Course only" not in html


def test_sizes_are_shown_in_the_readers_language(client, db):
    ResourceFactory(title="Primer", size=3 * 1024 * 1024 + 300 * 1024)
    html = client.get("/training/library", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "3,3\u00a0Mo" in html.replace("\u202f", "\u00a0") or "3,3 Mo" in html
    assert "Français" in html or "français" in html


def test_the_catalogue_links_to_the_library(client, db):
    assert 'href="/training/library"' in client.get("/training/").get_data(as_text=True)


def test_a_public_file_downloads_without_an_account_as_an_attachment(client, db):
    resource = ResourceFactory(file=True)
    response = client.get(f"/training/resources/{resource.id}/download")
    assert response.status_code == 200 and response.data == make_pdf()
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"


def test_a_file_for_signed_in_readers_sends_a_visitor_to_sign_in(client, login, db):
    resource = ResourceFactory(file=True, public=False)
    response = client.get(f"/training/resources/{resource.id}/download")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(UserFactory())
    response = client.get(f"/training/resources/{resource.id}/download")
    assert response.status_code == 200 and response.data == make_pdf()


def test_a_link_shows_where_it_goes_and_its_size_before_leaving(client, db):
    resource = ResourceFactory(url="https://papers.example.org/big.pdf", size=40 * 1024 * 1024)
    response = client.get(f"/training/resources/{resource.id}/download")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="https://papers.example.org/big.pdf"' in html and "papers.example.org" in html and "40 MB" in html


def test_an_unknown_resource_is_404(client, db):
    assert client.get("/training/resources/999999/download").status_code == 404


def test_a_resource_only_in_an_unpublished_course_is_hidden(client, db):
    resource = ResourceFactory(in_library=False, course=CourseFactory(draft=True))
    assert client.get(f"/training/resources/{resource.id}/download").status_code == 404


def test_the_course_page_lists_its_resources(client, db):
    course = CourseFactory()
    ResourceFactory(title="Slides of day one", course=course, in_library=False, file=True)
    ResourceFactory(title="Another course's", course=CourseFactory())
    html = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "Slides of day one" in html and "Another course" not in html and "1 kB" in html


def test_the_library_runs_the_same_queries_however_many_resources(client, db):
    def grow(n):
        for _ in range(n):
            ResourceFactory(course=CourseFactory())
            ResourceFactory(file=True)

    grow(1)
    _, few = count_statements(lambda: client.get("/training/library"))
    grow(6)
    _, many = count_statements(lambda: client.get("/training/library"))
    assert few == many


def test_non_admins_get_404_on_the_admin_pages_and_visitors_are_sent_to_sign_in(client, login, db):
    resource = ResourceFactory()
    paths = ["/admin/training/resources", "/admin/training/resources/new",
             f"/admin/training/resources/{resource.id}/edit"]
    for path in paths:
        assert "/login" in client.get(path).headers["Location"], path
    login(member())
    for path in paths:
        assert client.get(path).status_code == 404, path
    assert client.post(f"/admin/training/resources/{resource.id}/remove").status_code == 404
    assert client.post("/admin/training/resources/new", data=form(kind="link", url="https://x.org/")).status_code == 404
    assert db.session.get(Resource, resource.id) is not None


def test_an_admin_uploads_a_paper(client, login, db, admin):
    login(admin)
    response = client.post("/admin/training/resources/new",
                           data=form(file=(io.BytesIO(make_pdf()), "paper.pdf")))
    assert response.status_code == 302
    resource = db.session.scalar(select(Resource))
    assert resource.title == "Foundations of civic tech" and resource.language == "fr"
    assert get_storage().exists(resource.stored_name)
    assert "Foundations of civic tech" in client.get("/admin/training/resources").get_data(as_text=True)


def test_html_dressed_as_pdf_is_refused_and_what_was_typed_stays(client, login, db, admin):
    login(admin)
    response = client.post("/admin/training/resources/new", data=form(file=(io.BytesIO(HTML), "paper.pdf")))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "PDF" in html and 'value="Foundations of civic tech"' in html and "Read this first." in html
    assert db.session.scalar(select(Resource)) is None


def test_a_file_over_the_limit_is_refused_naming_it(app, client, login, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "RESOURCE_MAX_BYTES", 1024 * 1024)
    login(admin)
    response = client.post("/admin/training/resources/new",
                           data=form(file=(io.BytesIO(make_pdf() + b"0" * 1024 * 1024), "paper.pdf")))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "1 MB" in html and 'value="Foundations of civic tech"' in html


def test_a_request_far_over_the_limit_is_refused_naming_it(app, client, login, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "RESOURCE_MAX_BYTES", 1024)
    login(admin)
    response = client.post("/admin/training/resources/new",
                           data=form(file=(io.BytesIO(b"%PDF" + b"0" * 3 * 1024 * 1024), "paper.pdf")))
    assert response.status_code == 413 and "1 kB" in response.get_data(as_text=True)


def test_an_admin_adds_a_link_with_a_bad_address_and_keeps_what_was_typed(client, login, db, admin):
    login(admin)
    response = client.post("/admin/training/resources/new",
                           data=form(kind="link", url="javascript:alert(1)", stated_size="about 2 MB"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "http" in html and 'value="about 2 MB"' in html


def test_an_admin_edits_and_removes_a_resource(client, login, db, admin):
    resource = ResourceFactory(file=True)
    stored, resource_id = resource.stored_name, resource.id
    login(admin)
    response = client.post(f"/admin/training/resources/{resource.id}/edit",
                           data=form(title="Renamed paper", public=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert resource.title == "Renamed paper" and resource.public is False
    assert client.post(f"/admin/training/resources/{resource_id}/remove").status_code == 302
    db.session.expunge_all()
    assert db.session.get(Resource, resource_id) is None and not get_storage().exists(stored)
    # The second click of a double click finds it gone, and says so.
    assert client.post(f"/admin/training/resources/{resource_id}/remove").status_code == 404


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_resource_pages_are_light(client, login, db, admin, language):
    course = CourseFactory()
    for n in range(30):
        ResourceFactory(course=course if n % 2 else None, file=bool(n % 3))
    resource = ResourceFactory(file=True)
    assert_pages_are_light(client, login, [
        (None, ["/training/library", f"/training/courses/{course.id}"]),
        (admin, ["/admin/training/resources", "/admin/training/resources/new",
                 f"/admin/training/resources/{resource.id}/edit"]),
    ], language)
