"""The per-category approval page, its link from the awards decision page, and what the release tells the traveller."""

from datetime import date

import pytest
from sqlalchemy import select

from cade.awards.models import Decision
from cade.extensions import db
from cade.notifications.rendering import render_notification
from cade.travel.models import Trip, TripCost
from tests.factories import MembershipFactory, UserFactory, reviewed_application
from tests.travel.approval_helpers import approve_and_release, travel_application, travel_call
from tests.travel.approval_helpers import release_hook_fixture  # noqa: F401  (the fixture `release_hook`)


@pytest.fixture()
def trip_case(db):
    call, event = travel_call()
    application, trip = travel_application(call, event)
    return call, application, trip


def _form(**amounts):
    data = {"airfare": "1000.00", "accommodation": "900.00", "per_diem": "400.00", "visa": "80.00",
            "feedback": "Approved.", "rationale": "Speaker."}
    data.update(amounts)
    return data


def test_the_page_is_prefilled_with_the_estimates(client, login, admin, trip_case):
    _call, application, _trip = trip_case
    login(admin)

    page = client.get(f"/admin/applications/{application.id}/travel-approval")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="1000.00"' in text and 'value="400.00"' in text and 'for="accommodation"' in text


def test_posting_within_caps_awards_the_sum_and_returns_to_the_decision(client, login, admin, trip_case):
    _call, application, _trip = trip_case
    login(admin)

    response = client.post(f"/admin/applications/{application.id}/travel-approval",
                           data=_form(per_diem="350"))

    assert response.status_code == 303 and response.location.endswith(f"/admin/applications/{application.id}/decision")
    decision = db.session.scalar(select(Decision))
    assert decision.amount_minor == 1_000_00 + 900_00 + 350_00 + 80_00


def test_a_refusal_is_shown_beside_its_field_and_keeps_what_was_typed(client, login, admin, trip_case):
    _call, application, _trip = trip_case
    login(admin)

    response = client.post(f"/admin/applications/{application.id}/travel-approval",
                           data=_form(accommodation="950", feedback="Keep this feedback"))

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="accommodation-error"' in text and "900.00" in text and 'href="#accommodation"' in text
    assert 'value="950"' in text and "Keep this feedback" in text
    assert db.session.scalar(select(Decision)) is None


def test_an_award_outside_the_envelope_is_shown_on_the_page(client, login, admin, db):
    call, event = travel_call(envelope=1_000_00)
    application, _trip = travel_application(call, event)
    login(admin)

    response = client.post(f"/admin/applications/{application.id}/travel-approval", data=_form())

    assert response.status_code == 422
    assert "envelope" in response.get_data(as_text=True)


def test_amounts_are_read_in_the_readers_language(client, login, db, trip_case):
    _call, application, _trip = trip_case
    admin = UserFactory(roles=["admin"], locale="fr")
    login(admin)

    response = client.post(f"/admin/applications/{application.id}/travel-approval",
                           data=_form(airfare="999,50", accommodation="900"))

    assert response.status_code == 303
    airfare = db.session.scalar(select(TripCost).where(TripCost.category == "airfare"))
    assert airfare.approved_minor == 999_50


def test_others_get_a_404_and_ordinary_applications_have_no_page(client, login, admin, trip_case):
    call, application, _trip = trip_case
    login(UserFactory())
    assert client.get(f"/admin/applications/{application.id}/travel-approval").status_code == 404
    login(admin)
    ordinary = reviewed_application(travel_call()[0])
    assert client.get(f"/admin/applications/{ordinary.id}/travel-approval").status_code == 404


def test_the_decision_page_links_to_the_approval_for_travel_calls_only(client, login, admin, trip_case):
    call, application, _trip = trip_case
    from tests.factories import ApplicationFactory

    login(admin)
    page = client.get(f"/admin/applications/{application.id}/decision").get_data(as_text=True)
    assert f"/admin/applications/{application.id}/travel-approval" in page
    other = ApplicationFactory(under_review=True)
    assert "travel-approval" not in client.get(f"/admin/applications/{other.id}/decision").get_data(as_text=True)


def test_release_sets_the_post_trip_day_and_tells_the_traveller_and_owners(admin, outbox, trip_case, release_hook):
    _call, application, trip = trip_case
    owner = UserFactory(name="Ngozi Owner", locale="fr")
    MembershipFactory(user=owner, organisation=application.organisation, role="owner")

    approve_and_release(admin, application)

    trip = db.session.get(Trip, trip.id)
    assert trip.post_trip_due_on == date(2026, 8, 10)  # 11 July + 30 days
    rows = outbox("travel.approved")
    assert {row.recipient_id for row in rows} == {owner.id, trip.traveller_user_id}
    assert {row.locale for row in rows} == {"fr", "en"}
    traveller_row = next(row for row in rows if row.recipient_id == trip.traveller_user_id)
    assert traveller_row.context["lines"][0] == {"category": "airfare", "amount": {"minor": 1_000_00,
                                                                                    "currency": "USD"}}
    subject, text, html = render_notification(traveller_row)
    assert "WSIS Forum 2026" in subject
    assert "$900.00" in text and "Accommodation" in text and f"/trips/{trip.id}/visa-letter" in text
    assert f"/trips/{trip.id}/visa-letter" in html
    owner_row = next(row for row in rows if row.recipient_id == owner.id)
    assert "900,00" in render_notification(owner_row)[1]  # in the owner's language


def test_the_news_goes_once_and_to_a_traveller_without_an_account(admin, outbox, trip_case, release_hook):
    from cade.travel.approval import on_decisions_released

    _call, application, trip = trip_case
    trip.traveller_user_id, trip.traveller_name, trip.traveller_email = None, "Amaka Guest", "amaka@example.net"
    db.session.commit()

    approve_and_release(admin, application)
    on_decisions_released([db.session.scalar(select(Decision))])  # a second call: the keys are taken
    db.session.commit()

    rows = outbox("travel.approved")
    assert [row.recipient_email for row in rows] == ["amaka@example.net"]  # no owner in this organisation
    assert "Amaka Guest" in render_notification(rows[0])[1]


def test_rejected_and_ordinary_decisions_are_left_alone(admin, outbox, db, release_hook):
    from cade.awards.services.release import release_decisions
    from tests.factories import DecisionFactory

    call, event = travel_call()
    application, trip = travel_application(call, event)
    DecisionFactory(application=application, outcome="reject", amount_minor=None)
    release_decisions(admin, call.id)
    db.session.commit()

    assert outbox("travel.approved") == []
    assert db.session.get(Trip, trip.id).post_trip_due_on is None


def test_the_page_shows_what_was_approved_and_closes_once_released(client, login, admin, trip_case, release_hook):
    _call, application, _trip = trip_case
    login(admin)
    client.post(f"/admin/applications/{application.id}/travel-approval", data=_form(per_diem="350"))

    text = client.get(f"/admin/applications/{application.id}/travel-approval").get_data(as_text=True)
    assert 'value="350.00"' in text and "$2,330.00" in text

    from cade.awards.services.release import release_decisions

    release_decisions(admin, application.call_id)
    db.session.commit()
    text = client.get(f"/admin/applications/{application.id}/travel-approval").get_data(as_text=True)
    assert "can no longer change" in text and 'name="airfare"' not in text
    refused = client.post(f"/admin/applications/{application.id}/travel-approval", data=_form())
    assert refused.status_code == 303
