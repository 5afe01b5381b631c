"""The trip of a travel application: saving it within the rules, and what submission asks of it."""

from datetime import date

import pytest
from flask import render_template
from sqlalchemy import select

from cade.applications.services import submission
from cade.applications.services.submission import submit_application
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db
from cade.travel.models import Trip
from cade.travel.trips import save_trip, trip_completeness, trip_for_review, trip_input, trip_of
from tests.factories import ApplicationFactory, AssignmentFactory, UserFactory, member
from tests.travel.trip_helpers import travel_draft, trip_data


def _save(draft, actor=None, locale="en", **values):
    command = trip_input(trip_data(draft, **values), currency="USD", locale=locale)
    trip = save_trip(actor or draft.owner, draft.application.id, command)
    db.session.commit()
    return trip


def _refused(draft, actor=None, **values) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        command = trip_input(trip_data(draft, **values), currency="USD", locale="en")
        save_trip(actor or draft.owner, draft.application.id, command)
    db.session.rollback()
    return {name: " ".join(str(m) for m in messages) for name, messages in caught.value.errors.items()}


def test_a_trip_within_the_caps_sets_the_request_and_the_budget(db):
    draft = travel_draft()
    trip = _save(draft)
    costs = {cost.category: cost.estimate_minor for cost in trip.costs}
    # 7 days × US$100 = US$700, held at the per diem cap of US$600.
    assert costs == {"airfare": 1_200_00, "accommodation": 900_50, "per_diem": 600_00}
    assert trip.per_diem_rate_id is not None
    application = db.session.get(type(draft.application), draft.application.id)
    assert application.requested_amount_minor == 2_700_50
    lines = [(line.category, line.amount_minor) for line in application.budget_lines]
    assert lines == [("travel", 1_200_00), ("other", 900_50), ("other", 600_00)]
    assert all("WSIS Forum 2026" in line.description for line in application.budget_lines)
    assert submission.completeness_errors(application) == {}
    assert trip.traveller_user_id == draft.member.id and trip.role == "speaker"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "trip.saved"))
    assert event.after["costs"]["airfare"] == 1_200_00


def test_saving_again_keeps_one_trip_and_follows_the_new_costs(db):
    draft = travel_draft()
    _save(draft)
    trip = _save(draft, estimate_accommodation="", estimate_visa="80")
    assert trip_of(draft.application).id == trip.id
    assert {cost.category for cost in trip.costs} == {"airfare", "visa", "per_diem"}
    application = db.session.get(type(draft.application), draft.application.id)
    assert application.requested_amount_minor == 1_200_00 + 80_00 + 600_00
    assert sum(line.amount_minor for line in application.budget_lines) == application.requested_amount_minor


def test_amounts_are_read_in_the_readers_language(db):
    draft = travel_draft()
    trip = _save(draft, locale="fr", estimate_airfare="1 200,50", estimate_accommodation=None)
    assert {c.category: c.estimate_minor for c in trip.costs}["airfare"] == 1_200_50


def test_an_estimate_above_its_cap_is_refused_naming_the_cap(db):
    draft = travel_draft()
    errors = _refused(draft, estimate_airfare="1600")
    assert "1,500.00" in errors["estimate_airfare"] and "airfare" in errors["estimate_airfare"]
    assert trip_of(draft.application) is None
    assert db.session.get(type(draft.application), draft.application.id).requested_amount_minor is None


def test_a_category_the_call_does_not_cover_is_not_asked(db):
    draft = travel_draft()
    trip = _save(draft, estimate_other="50")
    assert "other" not in {cost.category for cost in trip.costs}


@pytest.mark.parametrize(("values", "field"), [
    ({"departs_on": "2026-07-02"}, "departs_on"),  # the margin is 3 days: 3 July at the earliest
    ({"returns_on": "2026-07-14"}, "returns_on"),  # 13 July at the latest
    ({"departs_on": "2026-07-11", "returns_on": "2026-07-12"}, "departs_on"),  # after the event: no overlap
    ({"departs_on": "2026-07-08", "returns_on": "2026-07-07"}, "returns_on"),
])
def test_dates_outside_the_event_and_its_margin_are_refused(db, values, field):
    draft = travel_draft()
    errors = _refused(draft, **values)
    assert field in errors
    assert trip_of(draft.application) is None


def test_dates_at_the_edge_of_the_margin_are_accepted(db):
    draft = travel_draft()
    trip = _save(draft, departs_on="2026-07-03", returns_on="2026-07-13")
    assert (trip.departs_on.day, trip.returns_on.day) == (3, 13)


def test_an_owner_names_a_non_member_only_with_their_consent(db):
    draft = travel_draft()
    other = {"traveller_user_id": "", "traveller_name": "Fatou Sow", "traveller_email": "Fatou@Example.org"}
    errors = _refused(draft, **other)
    assert set(errors) == {"consent"}
    trip = _save(draft, consent="y", **other)
    assert trip.traveller_user_id is None and trip.consent_at is not None
    assert (trip.traveller_name, trip.traveller_email) == ("Fatou Sow", "fatou@example.org")


def test_a_plain_member_cannot_name_a_non_member(db):
    draft = travel_draft()
    errors = _refused(draft, actor=draft.member, traveller_user_id="", traveller_name="Fatou Sow",
                      traveller_email="fatou@example.org", consent="y")
    assert "owner" in errors["traveller_user_id"]
    assert trip_of(draft.application) is None


def test_the_traveller_must_be_a_member_of_the_organisation(db):
    draft = travel_draft()
    stranger = UserFactory()
    errors = _refused(draft, traveller_user_id=str(stranger.id))
    assert "traveller_user_id" in errors


def test_the_passport_country_is_asked_and_kept_only_with_a_visa_letter(db):
    draft = travel_draft()
    assert "passport_country" in _refused(draft, wants_visa_letter="y")
    assert _save(draft, passport_country="SN").passport_country is None
    trip = _save(draft, wants_visa_letter="y", passport_country="SN")
    assert trip.passport_country == "SN"


def test_gender_is_optional_and_short(db):
    draft = travel_draft()
    assert "gender" in _refused(draft, gender="x" * 61)
    assert _save(draft, gender="").gender is None
    assert _save(draft, gender="non-binary", first_time="yes").first_time is True


def test_only_members_change_a_trip_and_only_of_a_travel_draft(db):
    draft = travel_draft()
    command = trip_input(trip_data(draft), currency="USD", locale="en")
    with pytest.raises(PermissionDenied):
        save_trip(member(), draft.application.id, command)
    ordinary = ApplicationFactory(organisation=draft.application.organisation)
    with pytest.raises(NotFound):
        save_trip(draft.owner, ordinary.id, command)
    draft.application.status = "submitted"
    db.session.commit()
    with pytest.raises(InvalidTransition):
        save_trip(draft.owner, draft.application.id, command)


@pytest.fixture()
def trips_checked(monkeypatch):
    # cade/wiring.py registers it in the app; here it is added for the test alone.
    monkeypatch.setattr(submission, "completeness_sources", [trip_completeness])


def test_submission_is_blocked_until_the_trip_is_complete(db, trips_checked):
    draft = travel_draft()
    with pytest.raises(ValidationFailed) as caught:
        submit_application(draft.owner, draft.application.id)
    db.session.rollback()
    assert "trip" in caught.value.errors
    _save(draft, role="", origin_city="")
    with pytest.raises(ValidationFailed) as caught:
        submit_application(draft.owner, draft.application.id)
    db.session.rollback()
    messages = " ".join(str(m) for m in caught.value.errors["trip"])
    assert "role" in messages and "city" in messages
    _save(draft)
    submitted = submit_application(draft.owner, draft.application.id)
    db.session.commit()
    assert submitted.status == "submitted" and submitted.reference


def test_other_calls_ask_nothing_of_a_trip(db, trips_checked):
    assert trip_completeness(ApplicationFactory()) == {}


def test_an_overdue_post_trip_report_of_the_traveller_blocks_submission(db, trips_checked):
    earlier = travel_draft()
    db.session.add(Trip(application_id=earlier.application.id, event_id=earlier.event.id,
                        traveller_email="fatou@example.org", traveller_name="Fatou Sow",
                        post_trip_due_on=date(2026, 1, 10)))
    db.session.commit()
    draft = travel_draft()
    _save(draft, traveller_user_id="", traveller_name="Fatou Sow", traveller_email="fatou@example.org", consent="y")
    with pytest.raises(ValidationFailed) as caught:
        submit_application(draft.owner, draft.application.id)
    db.session.rollback()
    assert "Fatou Sow" in " ".join(str(m) for m in caught.value.errors["trip"])


def test_a_budget_changed_on_the_application_page_must_match_the_trip_again(db, trips_checked):
    draft = travel_draft()
    _save(draft)
    draft.application.requested_amount_minor = 1_000_00
    db.session.commit()
    assert "save the trip again" in " ".join(trip_completeness(draft.application)["trip"])


def test_reviewers_read_the_trip_without_private_details(db, app):
    draft = travel_draft()
    _save(draft, wants_visa_letter="y", passport_country="SN", gender="woman", first_time="yes")
    assignment = AssignmentFactory(application=draft.application, call=draft.call)
    reading = trip_for_review(assignment.id)
    assert reading.role == "speaker" and reading.event_name == "WSIS Forum 2026"
    assert not {"passport_country", "gender", "traveller_name", "traveller_email"} & set(vars(reading))
    with app.test_request_context():
        html = render_template("travel/trip_reading.html", review_trip=reading)
    assert "WSIS Forum 2026" in html and "Speaker" in html and "$1,200.00" in html
    assert "Senegal" not in html and "woman" not in html
