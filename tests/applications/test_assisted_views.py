"""Assisted applications through the pages: the admin's start and consent pages, the applicant's own edit page used
by the admin who entered the draft (and by nobody else), the marker on every page that reads it."""

import pytest
from sqlalchemy import func, select

from cade.applications import assisted
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.extensions import db as _db
from tests.factories import ApplicationFactory, MembershipFactory, OrganisationFactory, UserFactory


def reload(application_id: int) -> Application:
    _db.session.expire_all()
    return _db.session.get(Application, application_id)


def edit_data(action="save", **overrides):
    data = {"title": "Radio links for two clinics", "summary": "Connect the clinics.", "requested_amount": "20000",
            "budget_lines-0-category": "equipment", "budget_lines-0-description": "Radios",
            "budget_lines-0-amount": "20000", "action": action}
    data.update(overrides)
    return data


@pytest.fixture()
def started(admin, call, organisation):
    application = assisted.start_assisted_application(admin, call.id, organisation.id)
    _db.session.commit()
    return application


def test_only_admins_reach_the_assisted_pages(client, login, call, started, member):
    urls = [f"/admin/calls/{call.id}/assisted", f"/admin/applications/{started.id}/assisted"]
    assert all(client.get(url).status_code == 302 for url in urls)  # to the sign-in page
    for user in (member, UserFactory(roles=["reviewer"])):
        login(user)
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert client.post(urls[0], data={"organisation_id": started.organisation_id}).status_code == 404
    login(UserFactory(roles=["admin"]))
    assert [client.get(url).status_code for url in urls] == [200, 200]
    # Another application of the call, not entered by staff, has no consent page.
    assert client.get(f"/admin/applications/{ApplicationFactory(call=call).id}/assisted").status_code == 404


def test_an_admin_finds_an_organisation_starts_its_draft_and_lands_on_the_edit_page(client, login, admin, call,
                                                                                     organisation):
    OrganisationFactory(name="Elsewhere Radio", country="FR")
    login(admin)
    page = client.get(f"/admin/calls/{call.id}/assisted", query_string={"q": organisation.name[:9]})
    text = page.get_data(as_text=True)
    assert organisation.name in text and "Start its application" in text
    response = client.post(f"/admin/calls/{call.id}/assisted?q=x", data={"organisation_id": organisation.id})
    assert response.status_code == 303 and response.headers["Location"].endswith("/edit")
    edit = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Assisted" in edit and "consent is not on record yet" in edit and 'name="title"' in edit
    # Pressed twice: no second draft, the reason shown on the same page.
    again = client.post(f"/admin/calls/{call.id}/assisted", data={"organisation_id": organisation.id})
    assert again.status_code == 409 and "already has an application" in again.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_a_bad_or_missing_organisation_is_refused_on_the_page(client, login, admin, call):
    login(admin)
    assert client.post(f"/admin/calls/{call.id}/assisted", data={}).status_code == 400
    assert client.post(f"/admin/calls/{call.id}/assisted", data={"organisation_id": "10000"}).status_code == 404


def test_submitting_without_consent_keeps_what_was_typed_then_consent_then_submit(client, login, admin, started,
                                                                                  member, outbox):
    login(admin)
    url = f"/applications/{started.id}/edit"
    response = client.post(url, data=edit_data("submit"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Record the organisation&#39;s consent before submitting on its behalf" in page
    saved = reload(started.id)
    assert saved.status == ApplicationStatus.DRAFT and saved.title == "Radio links for two clinics"

    consent_url = f"/admin/applications/{started.id}/assisted"
    refused = client.post(consent_url, data={"given_by": "", "note": "x"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="method-error"' in text and 'id="given_by-error"' in text
    assert "\nx</textarea>" in text  # what was typed is shown again
    recorded = client.post(consent_url, data={"method": "phone", "given_by": "Amina, coordinator"})
    assert recorded.status_code == 303 and recorded.headers["Location"].endswith(url)

    done = client.post(url, data=edit_data("submit"))
    assert done.headers["Location"].endswith(f"/applications/{started.id}")
    assert reload(started.id).status == ApplicationStatus.SUBMITTED
    assert outbox("applications.submitted")[0].context["assisted"] is True
    shown = client.get(done.headers["Location"]).text
    assert "submitted on the organisation&#39;s behalf" in shown and "Your application was submitted" not in shown
    # A double click: already submitted, nothing more.
    assert client.post(f"/applications/{started.id}/submit").status_code == 302
    assert len(outbox("applications.submitted")) == 1
    # Consent is frozen with the submission.
    assert client.post(consent_url, data={"method": "email", "given_by": "Someone"}).status_code == 409
    history = client.get(consent_url).get_data(as_text=True)
    assert "Consent recorded" in history and "Submitted" in history and "Record the consent" not in history


def test_another_admin_reads_it_but_cannot_act_for_the_organisation(client, login, started):
    login(UserFactory(roles=["admin"]))
    assert client.get(f"/applications/{started.id}/edit").headers["Location"].endswith(f"/applications/{started.id}")
    assert "Assisted" in client.get(f"/applications/{started.id}").get_data(as_text=True)
    assert client.post(f"/applications/{started.id}/submit").status_code == 403
    assert client.post(f"/applications/{started.id}/autosave", data={"title": "x"}).status_code == 403
    assert reload(started.id).title == ""


def test_the_admin_who_entered_it_autosaves_like_an_applicant(client, login, admin, started):
    login(admin)
    response = client.post(f"/applications/{started.id}/autosave", data={"title": "Typed on the phone"})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert reload(started.id).title == "Typed on the phone"


def test_the_organisation_sees_the_assisted_application_and_others_do_not(client, login, started, member):
    login(member)
    page = client.get(f"/applications/{started.id}/edit").get_data(as_text=True)
    assert "Entered by Ada Admin of the programme" in page and "/admin/applications/" not in page
    login(MembershipFactory().user)
    assert client.get(f"/applications/{started.id}").status_code == 404


def test_staff_pages_mark_the_application_as_assisted(client, login, admin, call, started):
    assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(
        {"method": "in_person", "given_by": "Joel Tari"}))
    _db.session.commit()
    login(admin)
    client.post(f"/applications/{started.id}/edit", data=edit_data("submit"))
    decide = client.get(f"/admin/applications/{started.id}/decision").get_data(as_text=True)
    assert "Assisted" in decide and "In person, given by Joel Tari" in decide
    ranking = client.get(f"/admin/calls/{call.id}/ranking").get_data(as_text=True)
    assert '<span class="status">Assisted</span>' in ranking
    listing = client.get(f"/admin/calls/{call.id}/assisted").get_data(as_text=True)
    assert "Joel Tari" in listing and "CN-2026-0001" in listing
    assert "/assisted" in client.get(f"/admin/calls/{call.id}").get_data(as_text=True)
