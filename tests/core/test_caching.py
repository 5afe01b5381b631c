"""What browsers and proxies may keep (issue 8, item 11): private pages never, public pages with validators,
static files for a year under a name that changes with their bytes."""

import re
from pathlib import Path

import pytest

from cade import create_app
from cade.core import caching
from config import TestConfig
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory

YEAR = "public, max-age=31536000, immutable"
STATIC = Path(__file__).resolve().parents[2] / "cade" / "static"


def directives(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def varies_on(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def assert_private(response):
    assert "no-store" in directives(response), response.headers.get("Cache-Control")
    assert "public" not in directives(response)
    assert "etag" not in {k.lower() for k in response.headers.keys()}
    assert "cookie" in varies_on(response)


def _csrf_token(html: str) -> str:
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture()
def applicant(db):
    user = UserFactory(name="Amina Applicant")
    membership = MembershipFactory(user=user)
    return user, membership.organisation


# ---------------------------------------------------------------- private pages


def test_a_signed_in_persons_dashboard_is_never_stored(client, login, applicant):
    user, _organisation = applicant
    login(user)
    response = client.get("/applications/")
    assert response.status_code == 200
    assert_private(response)


def test_an_application_page_is_never_stored(client, login, applicant):
    user, organisation = applicant
    draft = ApplicationFactory(organisation=organisation, created_by=user)
    submitted = ApplicationFactory(organisation=organisation, created_by=user, submitted=True)
    login(user)
    for url in (f"/applications/{draft.id}/edit", f"/applications/{submitted.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response)


def test_a_public_page_seen_by_a_signed_in_person_is_private_too(client, login, applicant):
    # The header names the person and carries their sign-out form (with its CSRF token).
    user, _organisation = applicant
    call = CallFactory()
    login(user)
    for url in ("/", f"/calls/{call.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert_private(response)


def test_the_sign_in_page_is_never_stored_because_it_carries_a_csrf_token(csrf_app, db):
    response = csrf_app.test_client().get("/auth/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert_private(response)


def test_signing_out_and_its_redirect_are_never_stored(client, login, applicant):
    user, _organisation = applicant
    login(user)
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert_private(response)
    # The next page shows the "signed out" message kept in the session: it is the person's too.
    assert_private(client.get("/"))


def test_json_for_a_signed_in_person_is_never_stored(client, login, applicant):
    user, organisation = applicant
    application = ApplicationFactory(organisation=organisation, created_by=user)
    login(user)
    response = client.post(f"/applications/{application.id}/autosave", data={"title": "A new title"})
    assert response.is_json
    assert_private(response)


def test_a_request_bearing_credentials_is_answered_privately(client):
    # An API client signs each request with a token instead of a cookie: what it gets back is its own.
    CallFactory()
    response = client.get("/", headers={"Authorization": "Bearer some-api-token"})
    assert response.status_code == 200
    assert "no-store" in directives(response)
    assert "authorization" in varies_on(response)


def test_error_pages_are_not_stored(client):
    response = client.get("/calls/987654")
    assert response.status_code == 404
    assert "no-store" in directives(response)


# ---------------------------------------------------------------- public pages


def test_the_open_calls_list_for_a_visitor_has_a_validator_and_answers_304(client):
    CallFactory(title="Community networks in the Sahel")
    first = client.get("/")
    assert first.status_code == 200
    assert directives(first) == {"public", "no-cache"}
    assert {"cookie", "accept-language"} <= varies_on(first)
    etag = first.headers["ETag"]
    assert "Set-Cookie" not in first.headers  # no session is started for a visitor who only reads

    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag

    stale = client.get("/", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and b"Community networks in the Sahel" in stale.data


def test_a_calls_public_page_for_a_visitor_has_a_validator(client):
    call = CallFactory(eligible_regions=["419"])
    first = client.get(f"/calls/{call.id}")
    assert first.status_code == 200
    assert "csrf_token" not in first.get_data(as_text=True)
    assert directives(first) == {"public", "no-cache"}
    assert client.get(f"/calls/{call.id}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_page_changes_its_validator_with_the_readers_language(client):
    CallFactory()
    english = client.get("/", headers={"Accept-Language": "en"})
    french = client.get("/", headers={"Accept-Language": "fr", "If-None-Match": english.headers["ETag"]})
    assert french.status_code == 200
    assert french.headers["ETag"] != english.headers["ETag"]


def test_a_visitor_can_still_change_language_without_a_session(csrf_app):
    # The language menu of a public page carries no CSRF token (it would make every page private);
    # for a visitor it needs none, since nothing of theirs can be changed.
    client = csrf_app.test_client()
    response = client.post("/language", data={"locale": "fr", "next": "/"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["locale"] == "fr"


def test_a_signed_in_persons_language_change_still_needs_the_token(csrf_app, db):
    client = csrf_app.test_client()
    user = UserFactory()
    page = client.get("/auth/login").get_data(as_text=True)
    token = _csrf_token(page)
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery staple",
                                      "csrf_token": token})
    refused = client.post("/language", data={"locale": "fr", "next": "/"})
    assert refused.status_code == 400
    page = client.get("/").get_data(as_text=True)
    token = _csrf_token(page)
    accepted = client.post("/language", data={"locale": "fr", "next": "/", "csrf_token": token})
    assert accepted.status_code == 302


# ---------------------------------------------------------------- static files


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_static_files_in_the_page_carry_their_version_in_their_name_and_are_kept_for_a_year(client):
    urls = _static_urls(client.get("/").get_data(as_text=True))
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", url) for url in urls} >= {"/static/site.css", "/static/site.js"}
    for url in urls:
        # In the name, not a query string: some proxies and CDNs do not cache a URL with a query.
        assert re.fullmatch(r"/static/[\w/-]+\.[0-9a-f]{12}\.(css|js)", url), url
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == YEAR


def test_an_unversioned_or_outdated_static_url_keeps_validators_only(client):
    for url in ("/static/site.css", "/static/site.000000000000.css", "/static/site.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data == (STATIC / "site.css").read_bytes()
        assert "immutable" not in directives(response) and "no-cache" in directives(response)
        assert response.headers.get("ETag")
        assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_links_of_the_earlier_query_string_form_are_still_kept_for_a_year(client):
    version = caching.static_version(str(STATIC), "site.css")
    response = client.get(f"/static/site.css?v={version}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == YEAR


def test_a_versioned_name_that_names_no_file_is_not_found(client):
    assert client.get("/static/nothing.0123456789ab.css").status_code == 404
    assert client.get("/static/site.0123456789ab.cs").status_code == 404


@pytest.mark.parametrize(("filename", "versioned"), [
    ("site.css", "site.0123456789ab.css"),
    ("css/print.min.css", "css/print.min.0123456789ab.css"),
    ("LICENSE", "LICENSE.0123456789ab"),
    (".nojekyll", ".nojekyll.0123456789ab"),
])
def test_a_versioned_name_leads_back_to_its_file(tmp_path, filename, versioned):
    (tmp_path / filename).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / filename).write_text("x")
    assert caching.versioned_name(filename, "0123456789ab") == versioned
    from flask import Flask

    with Flask(__name__).test_request_context():
        assert caching.requested_static(str(tmp_path), versioned) == (filename, "0123456789ab")
        # A file whose own name looks versioned is that file.
        (tmp_path / versioned).write_text("y")
        assert caching.requested_static(str(tmp_path), versioned) == (versioned, None)


def test_a_static_files_version_follows_its_bytes(tmp_path):
    path = tmp_path / "site.css"
    path.write_bytes(b"body { color: black; }")
    first = caching.file_version(path)
    path.write_bytes(b"body { color: navy; }")
    assert caching.file_version(path) != first
    path.write_bytes(b"body { color: black; }")
    assert caching.file_version(path) == first


def test_changing_a_static_file_changes_its_url(tmp_path, _test_dirs, app):
    built = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", STORAGE_PATH=str(tmp_path / "files"))
    app.extensions["celery"].set_default()  # create_app made the new app's Celery the default
    built.static_folder = str(tmp_path)
    style = tmp_path / "extra.css"
    style.write_bytes(b"p { margin: 0; }")
    with built.test_request_context():
        from flask import url_for

        before = url_for("static", filename="extra.css")
        style.write_bytes(b"p { margin: 1rem; }")
        after = url_for("static", filename="extra.css")
        missing = url_for("static", filename="no-such-file.css")
    assert before != after and re.fullmatch(r"/static/extra\.[0-9a-f]{12}\.css", before)
    assert after == f"/static/extra.{caching.file_version(style)}.css"
    assert missing == "/static/no-such-file.css"
    # The old name now leads to the new file, without the year-long promise.
    response = built.test_client().get(before)
    assert response.status_code == 200 and response.data == b"p { margin: 1rem; }"
    assert "immutable" not in directives(response)
