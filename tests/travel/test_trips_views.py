"""The trip page: members fill it in without JavaScript; everyone else gets 404; refusals keep what was typed."""

from cade.applications.services import submission
from cade.travel.trips import trip_completeness, trip_of
from tests.factories import ApplicationFactory, MembershipFactory, member
from tests.travel.trip_helpers import travel_draft, trip_data


def _url(draft):
    return f"/applications/{draft.application.id}/trip"


def test_a_member_sees_the_caps_and_saves_the_trip(db, client, login):
    draft = travel_draft()
    login(draft.member)
    page = client.get(_url(draft))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "WSIS Forum 2026" in html and "1,500.00" in html and "Kofi Mensah" in html
    assert "Why we ask" in html
    response = client.post(_url(draft), data=trip_data(draft))
    assert response.status_code == 302
    db.session.expire_all()
    assert trip_of(draft.application).role == "speaker"
    html = client.get(_url(draft)).get_data(as_text=True)
    assert "$600.00" in html and "7 days" in html  # the per diem and how it was computed
    assert 'value="1200.00"' in html


def test_an_estimate_above_its_cap_comes_back_with_what_was_typed(db, client, login):
    draft = travel_draft()
    login(draft.owner)
    response = client.post(_url(draft), data=trip_data(draft, estimate_airfare="1600", origin_city="Thiès"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="1600"' in html and 'value="Thiès"' in html
    assert "At most $1,500.00" in html and 'href="#estimate_airfare"' in html
    db.session.expire_all()
    assert trip_of(draft.application) is None


def test_another_organisation_gets_404(db, client, login):
    draft = travel_draft()
    login(member())
    assert client.get(_url(draft)).status_code == 404
    assert client.post(_url(draft), data=trip_data(draft)).status_code == 404
    db.session.expire_all()
    assert trip_of(draft.application) is None


def test_an_application_to_an_ordinary_call_has_no_trip_page(db, client, login):
    draft = travel_draft()
    ordinary = ApplicationFactory(organisation=draft.application.organisation)
    login(draft.owner)
    assert client.get(f"/applications/{ordinary.id}/trip").status_code == 404


def test_the_edit_page_links_to_the_trip_and_says_what_it_lacks(db, client, login, monkeypatch):
    monkeypatch.setattr(submission, "completeness_sources", [trip_completeness])
    draft = travel_draft()
    login(draft.owner)
    response = client.post(f"/applications/{draft.application.id}/submit")
    assert response.status_code in (302, 303)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _url(draft) in html and "Fill in the trip" in html
    assert "The trip: Fill in the trip: the event" in html  # in the error summary, labelled
    assert db.session.get(type(draft.application), draft.application.id).status == "draft"


def test_an_ordinary_application_page_shows_no_trip(db, client, login):
    application = ApplicationFactory()
    user = member()
    MembershipFactory(user=user, organisation=application.organisation)
    login(user)
    html = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert "/trip" not in html


def test_the_submitted_application_shows_the_trip_privately_to_its_members(db, client, login, admin):
    draft = travel_draft()
    login(draft.owner)
    client.post(_url(draft), data=trip_data(draft, wants_visa_letter="y", passport_country="SN", gender="woman"))
    draft.application.status = "submitted"
    db.session.commit()
    html = client.get(f"/applications/{draft.application.id}").get_data(as_text=True)
    assert "WSIS Forum 2026" in html and "Senegal" in html and "woman" in html
    login(admin)
    assert "Senegal" in client.get(f"/applications/{draft.application.id}").get_data(as_text=True)


def test_a_submitted_applications_trip_is_read_only(db, client, login):
    draft = travel_draft()
    login(draft.owner)
    client.post(_url(draft), data=trip_data(draft))
    draft.application.status = "submitted"
    db.session.commit()
    html = client.get(_url(draft)).get_data(as_text=True)
    assert "can no longer be changed" in html and 'name="event_id"' not in html
    response = client.post(_url(draft), data=trip_data(draft, role="participant"))
    assert response.status_code == 302
    db.session.expire_all()
    assert trip_of(draft.application).role == "speaker"
