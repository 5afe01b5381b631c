"""Fewer bytes on the wire (issue 16, part 6): pages and static files go out in Brotli or gzip, as the client
accepts, with no proxy in front; downloads, small bodies and conditional requests keep working as before."""

import gzip
import io
import os
import re
from pathlib import Path

import brotli
import pytest
from flask import Response, send_file

from cade import create_app
from cade.core import compression
from cade.core.caching import STATIC_MAX_AGE, static_version
from config import TestConfig
from tests.applications.files import make_pdf
from tests.applications.test_views import upload
from tests.core.compressing import compressing_app
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    EnrolmentFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
)

STATIC = Path(__file__).resolve().parents[2] / "cade" / "static"
BOTH = {"Accept-Encoding": "br, gzip"}
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture(scope="module")
def served(app):
    with compressing_app(app) as built:
        yield built


@pytest.fixture()
def client(served, db):
    return served.test_client()


def varies_on(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def decoded(response) -> bytes:
    coding = response.headers.get("Content-Encoding")
    return DECODE[coding](response.data) if coding else response.data


def static_url(name: str) -> str:
    stem, suffix = name.rsplit(".", 1)
    return f"/static/{stem}.{static_version(STATIC, name)}.{suffix}"


# ---------------------------------------------------------------- choosing the coding


@pytest.mark.parametrize(("accept_encoding", "expected"), [
    ("br, gzip", "br"),
    ("gzip, deflate, br, zstd", "br"),  # what current browsers send
    ("gzip, deflate", "gzip"),
    ("GZIP", "gzip"),
    ("", None),
    ("identity", None),
    ("deflate", None),
    ("br;q=0, gzip", "gzip"),  # q=0: "not this one"
    ("gzip;q=0", None),
    ("br;q=0, gzip;q=0", None),
    ("gzip; q=0.8, br; q=0.5", "gzip"),  # spaces around the q, as RFC 9110 allows
    ("gzip;q=0.8, br", "br"),
    ("*", "br"),
    ("*;q=0.5, br;q=0", "gzip"),
    ("*;q=0", None),
    ("identity, gzip;q=0.5", None),  # the client prefers the body as it is
    ("identity;q=0.5, gzip", "gzip"),
    ("gzip;q=nonsense", None),  # an entry that cannot be read offers nothing
])
def test_the_coding_follows_the_clients_preferences(accept_encoding, expected):
    assert compression.choose_coding(accept_encoding) == expected


# ---------------------------------------------------------------- pages


def test_a_page_goes_out_in_brotli_and_decodes_to_the_page(client):
    CallFactory(title="Community networks in the Sahel")
    plain = client.get("/")
    packed = client.get("/", headers=BOTH)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "br"
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2
    assert brotli.decompress(packed.data) == plain.data
    assert b"Community networks in the Sahel" in plain.data
    assert "accept-encoding" in varies_on(packed)


def test_a_client_without_brotli_gets_gzip(client):
    CallFactory()
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data


def test_a_client_that_accepts_neither_or_refuses_both_gets_the_page_as_it_is(client):
    CallFactory()
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "br;q=0, gzip;q=0"}):
        response = client.get("/", headers=headers)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert b"</html>" in response.data
        # Caches must still know that another client would get another coding.
        assert "accept-encoding" in varies_on(response)
        assert not response.headers["ETag"].startswith("W/")


def test_a_refused_brotli_falls_back_to_gzip(client):
    CallFactory()
    assert client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"}).headers["Content-Encoding"] == "gzip"


def test_a_persons_pages_json_and_error_pages_are_compressed_too(client, login):
    user = UserFactory()
    organisation = MembershipFactory(user=user).organisation
    application = ApplicationFactory(organisation=organisation, created_by=user)
    for _ in range(4):
        CallFactory()
    api = client.get("/api/v1/calls", headers=BOTH)
    assert api.is_json and api.headers["Content-Encoding"] == "br"
    missing = client.get("/calls/987654", headers=BOTH)
    assert missing.status_code == 404 and missing.headers["Content-Encoding"] == "br"
    login(user)
    for url in ("/applications/", f"/applications/{application.id}/edit"):
        response = client.get(url, headers=BOTH)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br", url
        assert "no-store" in response.headers["Cache-Control"]
        assert b"</html>" in brotli.decompress(response.data)


def test_a_head_request_announces_the_compressed_length_and_sends_no_body(client):
    for _ in range(4):
        CallFactory()
    # The JSON list: a page's language menu differs between GET and HEAD (its "next" field), JSON does not.
    full = client.get("/api/v1/calls", headers=BOTH)
    head = client.head("/api/v1/calls", headers=BOTH)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Encoding"] == full.headers["Content-Encoding"] == "br"
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    page = client.head("/", headers=BOTH)
    assert page.status_code == 200 and page.data == b"" and page.headers["Content-Encoding"] == "br"
    assert int(page.headers["Content-Length"]) > 0


def test_a_small_body_is_not_compressed(client):
    response = client.get("/healthz", headers=BOTH)
    assert response.status_code == 200 and len(response.data) < compression.MIN_SIZE
    assert "Content-Encoding" not in response.headers


# ---------------------------------------------------------------- validators and 304s


def test_a_compressed_public_page_has_a_weak_etag_and_still_answers_304(client):
    CallFactory(title="Community networks in the Sahel")
    plain = client.get("/")
    packed = client.get("/", headers=BOTH)
    assert packed.headers["ETag"] == f"W/{plain.headers['ETag']}"  # one page, two codings: a weak validator

    again = client.get("/", headers={**BOTH, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == packed.headers["ETag"]
    assert "accept-encoding" in varies_on(again)
    # A browser that kept the page in another coding revalidates it just as well.
    for headers in ({**BOTH, "If-None-Match": plain.headers["ETag"]},
                    {"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
                    {"If-None-Match": packed.headers["ETag"]}):
        assert client.get("/", headers=headers).status_code == 304, headers

    CallFactory(title="Digital security for newsrooms")
    changed = client.get("/", headers={**BOTH, "If-None-Match": packed.headers["ETag"]})
    assert changed.status_code == 200 and b"Digital security for newsrooms" in brotli.decompress(changed.data)


# ---------------------------------------------------------------- what is never compressed


def test_downloads_keep_their_bytes_and_answer_a_range(client, login):
    user = UserFactory()
    organisation = MembershipFactory(user=user).organisation
    draft = ApplicationFactory(organisation=organisation, created_by=user)
    login(user)
    upload(client, draft, make_pdf(), "plan.pdf")
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    url = re.search(rf'href="(/applications/{draft.id}/attachments/\d+)"', page).group(1)

    whole = client.get(url, headers=BOTH)
    assert whole.status_code == 200 and whole.data == make_pdf()
    assert "Content-Encoding" not in whole.headers

    call = CallFactory()
    form = client.get(f"/calls/{call.id}/form.pdf?lang=en", headers=BOTH)
    assert form.status_code == 200 and "Content-Encoding" not in form.headers
    part = client.get(f"/calls/{call.id}/form.pdf?lang=en", headers={**BOTH, "Range": "bytes=0-7"})
    assert part.status_code == 206 and part.data == form.data[:8] and part.data.startswith(b"%PDF-")
    assert "Content-Encoding" not in part.headers


def test_a_text_file_saved_as_an_attachment_is_not_compressed(client, login):
    # A calendar file is text, and long enough to compress: the person saves it as it is.
    session = SessionFactory(title="Digital security basics, day one", place="Nairobi Garage, Ngong Road " * 8)
    enrolment = EnrolmentFactory(session=session)
    login(enrolment.user)
    response = client.get(f"/training/sessions/{session.id}.ics", headers=BOTH)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert len(response.data) >= compression.MIN_SIZE
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize("kind", ["streamed", "passed through", "already encoded"])
def test_streamed_passed_through_and_encoded_bodies_are_left_alone(served, kind):
    text = b"<p>" + b"A line of an application. " * 200 + b"</p>"
    with served.test_request_context("/", headers=BOTH):
        if kind == "streamed":
            response = Response((chunk for chunk in (text[:100], text[100:])), mimetype="text/html")
        elif kind == "passed through":
            response = send_file(io.BytesIO(text), mimetype="text/html")
        else:
            response = Response(gzip.compress(text), mimetype="text/html", headers={"Content-Encoding": "gzip"})
        before = dict(response.headers)
        after = compression.compress_response(response)
        assert dict(after.headers) == before
        body = b"".join(after.response)
        assert (gzip.decompress(body) if kind == "already encoded" else body) == text


# ---------------------------------------------------------------- static files


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_a_static_file_goes_out_precompressed_and_decodes_to_the_file(client, coding):
    response = client.get(static_url("site.css"), headers={"Accept-Encoding": coding})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == coding
    assert DECODE[coding](response.data) == (STATIC / "site.css").read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == f"public, max-age={STATIC_MAX_AGE}, immutable"
    assert "accept-encoding" in varies_on(response)
    assert response.headers["ETag"].endswith(f'-{coding}"') and not response.headers["ETag"].startswith("W/")


def test_a_static_file_for_a_client_without_compression_is_the_file(client):
    response = client.get(static_url("site.js"))
    assert response.data == (STATIC / "site.js").read_bytes()
    assert "Content-Encoding" not in response.headers
    assert "accept-encoding" in varies_on(response)


def test_a_precompressed_static_file_answers_304_head_and_ranges(client):
    url = static_url("site.js")
    first = client.get(url, headers=BOTH)
    assert client.get(url, headers={**BOTH, "If-None-Match": first.headers["ETag"]}).status_code == 304
    # Another coding is another body: the Brotli ETag does not validate the gzip bytes.
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}).status_code == 200
    head = client.head(url, headers=BOTH)
    assert head.data == b"" and head.headers["Content-Length"] == first.headers["Content-Length"]
    part = client.get(url, headers={**BOTH, "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == first.data[:100]
    assert part.headers["Content-Encoding"] == "br"


def test_a_static_file_is_compressed_once_not_on_each_request(client):
    url = static_url("site.css")
    client.get(url, headers=BOTH)
    before = compression._precompressed.cache_info()
    for _ in range(5):
        client.get(url, headers=BOTH)
        client.get(url, headers={"Accept-Encoding": "gzip"})
    after = compression._precompressed.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 10


def test_an_edited_static_file_is_compressed_again(tmp_path, _test_dirs, app):
    built = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", STORAGE_PATH=str(tmp_path / "files"))
    app.extensions["celery"].set_default()
    built.static_folder = str(tmp_path)
    style = tmp_path / "extra.css"
    style.write_text("p { margin: 0; }\n" * 60)
    client = built.test_client()
    first = client.get("/static/extra.css", headers=BOTH)
    style.write_text("p { margin: 1rem; }\n" * 60)
    os.utime(style, ns=(1, 2))  # a different mtime even on a coarse clock
    second = client.get("/static/extra.css", headers=BOTH)
    assert brotli.decompress(first.data) == b"p { margin: 0; }\n" * 60
    assert brotli.decompress(second.data) == b"p { margin: 1rem; }\n" * 60
    assert first.headers["ETag"] != second.headers["ETag"]


def test_a_small_or_already_compressed_static_file_is_sent_as_it_is(tmp_path, app):
    built = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", STORAGE_PATH=str(tmp_path / "files"))
    app.extensions["celery"].set_default()
    built.static_folder = str(tmp_path)
    (tmp_path / "tiny.css").write_text("p{margin:0}")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    client = built.test_client()
    for name in ("tiny.css", "photo.png"):
        response = client.get(f"/static/{name}", headers=BOTH)
        assert response.status_code == 200 and response.data == (tmp_path / name).read_bytes()
        assert "Content-Encoding" not in response.headers and "accept-encoding" not in varies_on(response)
    assert client.get("/static/../config.py", headers=BOTH).status_code == 404
    assert client.get("/static/missing.css", headers=BOTH).status_code == 404
