"""Storage through the app: the backend chosen by configuration, an attachment kept in S3 and downloaded in
chunks, and every page a CSO uploads on keeping what was typed when the storage is gone (503, never a 500).

"Gone" is a real S3 server process that was started and then stopped (every request is refused), or, for the
folder, a disk that the kernel says is full (/dev/full, see test_failures.on_a_full_disk).
"""

import hashlib
import html
import io
import os
import tracemalloc

import pytest
from botocore.response import StreamingBody
from sqlalchemy import select

from cade.applications.models import Application, Attachment
from cade.conversations.models import Message
from cade.core.errors import StorageUnavailable
from cade.core.runs import Run, RunStatus
from cade.core.storage import LocalStorage, get_storage
from cade.core.storage_s3 import S3Storage
from cade.diligence.models import Document
from cade.extensions import db as _db
from cade.grants.models import GrantReport
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput
from cade.travel.models import Claim
from tests.applications.files import make_pdf
from tests.diligence.documents_helpers import days, organisation_with_people
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, MembershipFactory
from tests.grants.report_helpers import opened_grant
from tests.s3server import client_for, s3_config, start_s3_server
from tests.storage.test_failures import on_a_full_disk
from tests.travel.claim_helpers import approved_trip, line

UNAVAILABLE = "Your file could not be stored just now. Nothing you saved was lost: please try again in a few minutes."
BIG_BYTES = 6 * 1024 * 1024
MAX_BODY_READ = 1024 * 1024


@pytest.fixture(scope="module")
def stopped_endpoint():
    """The address of an S3 server that was running and has been stopped: every request is refused."""
    endpoint_url, stop = start_s3_server()
    stop()
    return endpoint_url


@pytest.fixture()
def storage_down(app, stopped_endpoint, monkeypatch):
    """Call it to make the app's storage the stopped server (what the test set up before stays in the folder)."""

    def go_down() -> None:
        # One attempt: the retry's jittered backoff (up to 1 s, see test_failures) would only slow these tests.
        for key, value in {**s3_config(stopped_endpoint), "S3_MAX_ATTEMPTS": 1}.items():
            monkeypatch.setitem(app.config, key, value)

    return go_down


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def draft_of_member():
    """A draft application of a member's organisation, complete enough to save: (application, member)."""
    membership = MembershipFactory()
    call = CallFactory(min_award_minor=1_000_00, max_award_minor=40_000_00)
    application = ApplicationFactory(call=call, organisation=membership.organisation, created_by=membership.user,
                                     requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    _db.session.commit()
    return application, membership.user


def edit_form(application, title: str, file: tuple | None = None) -> dict:
    data = {"title": title, "summary": application.summary, "requested_amount": "20000.00",
            "budget_lines-0-category": "equipment", "budget_lines-0-description": "Routers",
            "budget_lines-0-amount": "20000.00", "action": "save"}
    if file is not None:
        data["file"] = file
    return data


# ---------------------------------------------------------------- the backend is a setting


def test_the_storage_backend_is_chosen_by_configuration(app, db, s3_settings, monkeypatch):
    assert isinstance(get_storage(), LocalStorage)
    for key, value in s3_settings.items():
        monkeypatch.setitem(app.config, key, value)
    storage = get_storage()
    assert isinstance(storage, S3Storage) and storage.bucket == s3_settings["S3_BUCKET"]
    assert storage.prefix == s3_settings["S3_PREFIX"] + "/"
    assert storage.ping() is None  # what /readyz asks
    assert S3Storage.from_config(s3_settings).client is storage.client  # one client per process
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "ftp")
    with pytest.raises(RuntimeError, match="STORAGE_BACKEND"):
        get_storage()


def test_readyz_says_whether_the_bucket_answers(s3_app, db, client, storage_down):
    assert client.get("/readyz").get_json()["storage"] is True
    storage_down()
    with pytest.raises(StorageUnavailable) as refused:
        get_storage().ping()
    assert "ping failed" in refused.value.reason
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["storage"] is False


# ---------------------------------------------------------------- a whole upload and download through S3


def test_an_attachment_is_kept_in_the_bucket_and_downloaded_in_chunks(s3_app, s3_settings, db, client, login,
                                                                    monkeypatch):
    application, member = draft_of_member()
    login(member)
    data = b"%PDF-1.4\n" + os.urandom(BIG_BYTES) + b"\n%%EOF\n"
    response = client.post(f"/applications/{application.id}/edit", content_type="multipart/form-data",
                           data=edit_form(application, "Radio links", (io.BytesIO(data), "plan.pdf")))
    assert response.status_code == 302
    attachment = _db.session.scalars(select(Attachment)).one()
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    bucket = client_for(s3_settings["S3_ENDPOINT_URL"])
    head = bucket.head_object(Bucket=s3_settings["S3_BUCKET"], Key=f"{s3_settings['S3_PREFIX']}/{attachment.stored_name}")
    assert head["ContentLength"] == len(data)

    # Every read of the S3 HTTP body is recorded: how much was asked for at once.
    asked: list[int | None] = []
    read = StreamingBody.read
    monkeypatch.setattr(StreamingBody, "read", lambda body, amt=None: asked.append(amt) or read(body, amt))
    tracemalloc.start()
    try:
        download = client.get(f"/applications/{application.id}/attachments/{attachment.id}", buffered=False)
        assert download.status_code == 200 and download.is_streamed
        digest, received = hashlib.sha256(), 0
        for chunk in download.response:
            digest.update(chunk)
            received += len(chunk)
        download.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\n{len(data) / 2**20:.1f} MB download: {len(asked)} reads of the S3 body, at most "
          f"{max(a for a in asked if a) / 1024:.0f} KB each; peak Python memory {peak / 2**20:.2f} MB")
    assert (received, digest.hexdigest()) == (len(data), attachment.sha256)
    assert None not in asked and max(asked) <= MAX_BODY_READ and len(asked) > len(data) // MAX_BODY_READ
    assert peak < len(data) / 3  # the file never sat whole in the process


# ---------------------------------------------------------------- the storage gone: nothing typed is lost


@pytest.mark.parametrize("failure", ["s3 server stopped", "disk full"])
def test_the_draft_is_saved_and_the_person_told_when_the_file_cannot_be_stored(failure, db, client, login,
                                                                               storage_down, monkeypatch):
    application, member = draft_of_member()
    if failure == "disk full":
        monkeypatch.setattr(LocalStorage, "_create", lambda self, path: on_a_full_disk(self)._create(path))
    else:
        storage_down()
    login(member)
    response = client.post(f"/applications/{application.id}/edit", content_type="multipart/form-data",
                           data=edit_form(application, "Typed during the outage", (io.BytesIO(make_pdf()), "plan.pdf")))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert f"Your draft was saved, but the file was not attached: {UNAVAILABLE}" in page_text(page)
    _db.session.expire_all()
    assert _db.session.get(Application, application.id).title == "Typed during the outage"
    assert _db.session.scalars(select(Attachment)).all() == []


def test_the_grantee_report_keeps_what_was_typed_and_asks_for_the_file_again(db, client, login, storage_down):
    opened = opened_grant()  # its agreement was stored before the storage went down
    report = opened.interim
    storage_down()
    login(opened.owner)
    response = client.post(f"/grants/{report.grant_id}/reports/{report.id}", content_type="multipart/form-data",
                           data={"action": "submit", "narrative": "Written during the outage",
                                 "file": (io.BytesIO(make_pdf()), "sites.pdf")})
    assert response.status_code == 503
    text = page_text(response)
    assert UNAVAILABLE in text and 'href="#file"' in text and "Written during the outage" in text
    _db.session.expire_all()
    saved = _db.session.get(GrantReport, report.id)
    assert saved.narrative == "Written during the outage" and saved.status == "draft" and not saved.attachments


def test_a_document_upload_keeps_its_fields_on_the_page(db, client, login, storage_down):
    organisation, owner, _member = organisation_with_people()
    storage_down()
    login(owner)
    response = client.post(f"/organisations/{organisation.id}/documents", content_type="multipart/form-data",
                           data={"kind": "registration_certificate", "title": "Registry extract 2026", "year": "",
                                 "issued_on": days(-30).isoformat(), "expires_on": days(335).isoformat(),
                                 "file": (io.BytesIO(make_pdf()), "certificate.pdf")})
    assert response.status_code == 503
    text = page_text(response)
    assert UNAVAILABLE in text and 'value="Registry extract 2026"' in text
    assert _db.session.scalars(select(Document)).all() == []


def test_a_message_with_a_file_stays_typed_and_is_not_sent(db, client, login, storage_down):
    membership = MembershipFactory(role="owner")
    owner = membership.user
    application = ApplicationFactory(organisation=membership.organisation, created_by=owner, submitted=True)
    _db.session.commit()
    storage_down()
    login(owner)
    response = client.post(f"/applications/{application.id}/messages", content_type="multipart/form-data",
                           data={"body": "The quote you asked for", "files": (io.BytesIO(make_pdf()), "quote.pdf")})
    assert response.status_code == 503
    text = page_text(response)
    assert UNAVAILABLE in text and "The quote you asked for" in text and "Choose the files again" in text
    assert _db.session.scalars(select(Message)).all() == []


def test_a_travel_cost_and_its_receipt_stay_on_the_page(db, client, login, storage_down):
    trip, owner, _traveller = approved_trip()
    storage_down()
    login(owner)
    response = client.post(f"/trips/{trip.id}/claim", content_type="multipart/form-data",
                           data={**line(paid="123.45", description="Taxi to the venue"), "action": "add",
                                 "receipt": (io.BytesIO(make_pdf()), "receipt.pdf")})
    assert response.status_code == 503
    text = page_text(response)
    assert UNAVAILABLE in text and 'href="#receipt"' in text and 'value="123.45"' in text
    claim = _db.session.scalar(select(Claim))
    assert claim is None or not claim.lines


# ---------------------------------------------------------------- a background job that writes files


def test_a_report_run_fails_with_a_clear_reason_and_runs_again_once_the_storage_is_back(
        app, db, admin, storage_down, s3_settings, monkeypatch):
    storage_down()
    command = FundingSummaryInput.from_input({"currency": "USD"})
    run = request_report(admin, command)
    _db.session.commit()
    failed = compile_report(run.id, commit_progress=_db.session.commit)
    _db.session.commit()
    assert failed.status == RunStatus.FAILED
    assert failed.error == "The report's files could not be stored just now. Ask for the report again in a few minutes."
    assert failed.files == []

    for key, value in s3_settings.items():  # the storage is back
        monkeypatch.setitem(app.config, key, value)
    again = request_report(admin, command)
    _db.session.commit()
    done = compile_report(again.id, commit_progress=_db.session.commit)
    _db.session.commit()
    assert done.status == RunStatus.SUCCEEDED, done.error
    assert all(get_storage().exists(file["stored_name"]) for file in done.files)
    assert _db.session.get(Run, run.id).status == RunStatus.FAILED
