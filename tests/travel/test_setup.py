"""A travel call's settings, events and caps: the services, their refusals and their audit trail."""

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.questionnaires import Questionnaire
from cade.extensions import db as _db
from cade.travel import setup
from cade.travel.models import TravelEvent, Trip
from tests.factories import ApplicationFactory, CallFactory, UserFactory
from tests.travel.setup_helpers import GENEVA, event_of, travel_call, travel_programme_call


def settings(margin="3", days="30"):
    return setup.TravelSettingsInput.from_input({"date_margin_days": margin, "post_trip_days": days})


def verbs():
    return [row.verb for row in _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_making_a_travel_call_creates_its_settings_and_post_trip_questionnaire(db, admin):
    call = travel_programme_call()
    assert setup.travel_settings(call.id) is None and not setup.is_travel_call(call.id)
    made = setup.make_travel_call(admin, call.id, settings("5", "45"))
    db.session.commit()
    assert (made.date_margin_days, made.post_trip_days) == (5, 45)
    questionnaire = db.session.get(Questionnaire, made.post_trip_questionnaire_id)
    assert questionnaire.purpose == "travel_post_trip"
    assert [q.label for q in questionnaire.questions] == [
        "What did you do at the event?", "What did you contribute (a talk, a session, a statement, comments)?",
        "What will you follow up on, and with whom?"]
    assert all(q.kind == "long_text" and q.required for q in questionnaire.questions)
    assert verbs() == ["call.travel_made"]


def test_saving_again_changes_the_settings_and_keeps_the_questionnaire(db, admin):
    call = travel_call(admin)
    first = setup.travel_settings(call.id).post_trip_questionnaire_id
    setup.make_travel_call(admin, call.id, settings("0", "365"))
    db.session.commit()
    found = setup.travel_settings(call.id)
    assert (found.date_margin_days, found.post_trip_days, found.post_trip_questionnaire_id) == (0, 365, first)
    assert _db.session.query(Questionnaire).filter_by(purpose="travel_post_trip").count() == 1
    assert verbs() == ["call.travel_made", "call.travel_settings_changed"]


@pytest.mark.parametrize(("margin", "days", "bad"), [("31", "30", {"date_margin_days"}),
                                                      ("-1", "0", {"date_margin_days", "post_trip_days"}),
                                                      ("x", "366", {"date_margin_days", "post_trip_days"}),
                                                      ("", "", {"date_margin_days", "post_trip_days"})])
def test_settings_out_of_range_are_named(db, margin, days, bad):
    with pytest.raises(ValidationFailed) as refused:
        settings(margin, days)
    assert set(refused.value.errors) == bad


def test_only_an_admin_and_only_a_travel_support_call(db, admin):
    call = travel_programme_call()
    with pytest.raises(PermissionDenied):
        setup.make_travel_call(UserFactory(), call.id, settings())
    with pytest.raises(InvalidTransition):
        setup.make_travel_call(admin, CallFactory().id, settings())  # a community network call
    with pytest.raises(NotFound):
        setup.make_travel_call(admin, 987654, settings())
    assert setup.travel_settings(call.id) is None


def test_events_are_added_edited_ordered_and_read_in_order(db, admin):
    call = travel_call(admin)
    wsis = event_of(admin, call)
    igf = event_of(admin, call, name="IGF 2026", city="Riyadh", country="sa", starts_on="2026-12-15",
                   ends_on="2026-12-19", website="", language="")
    assert [e.name for e in setup.events_of(call.id)] == ["WSIS Forum 2026", "IGF 2026"]
    assert (igf.country, igf.website, igf.language) == ("SA", None, None)
    setup.move_event(admin, igf.id, "up")
    db.session.commit()
    assert [e.name for e in setup.events_of(call.id)] == ["IGF 2026", "WSIS Forum 2026"]
    setup.edit_event(admin, wsis.id, setup.EventInput.from_input({**GENEVA, "name": "WSIS Forum 2026 (High-Level)"}))
    db.session.commit()
    assert db.session.get(TravelEvent, wsis.id).name == "WSIS Forum 2026 (High-Level)"
    assert verbs()[-4:] == ["travel_event.added", "travel_event.added", "travel_event.moved", "travel_event.edited"]


def test_bad_event_input_names_every_field(db):
    with pytest.raises(ValidationFailed) as refused:
        setup.EventInput.from_input({"name": " ", "city": "", "country": "XX", "starts_on": "2026-07-10",
                                     "ends_on": "2026-07-06", "website": "ftp://example.org", "language": "de"})
    assert set(refused.value.errors) == {"name", "city", "country", "ends_on", "website", "language"}
    assert "cannot end before it starts" in str(refused.value.errors["ends_on"][0])
    with pytest.raises(ValidationFailed) as refused:
        setup.EventInput.from_input({**GENEVA, "starts_on": "6 July", "website": "www.itu.int"})
    assert set(refused.value.errors) == {"starts_on", "website"}


def test_an_event_on_a_call_that_is_not_a_travel_call_is_refused(db, admin):
    call = travel_programme_call()
    with pytest.raises(InvalidTransition):
        setup.add_event(admin, call.id, setup.EventInput.from_input(GENEVA))
    with pytest.raises(PermissionDenied):
        setup.add_event(UserFactory(), call.id, setup.EventInput.from_input(GENEVA))


def test_an_event_is_deleted_until_a_trip_names_it(db, admin):
    call = travel_call(admin)
    kept, gone = event_of(admin, call), event_of(admin, call, name="Side event")
    db.session.add(Trip(application=ApplicationFactory(call=call), event_id=kept.id))
    db.session.commit()
    with pytest.raises(InvalidTransition) as refused:
        setup.delete_event(admin, kept.id)
    assert "WSIS Forum 2026" in str(refused.value)
    setup.delete_event(admin, gone.id)
    db.session.commit()
    assert [e.id for e in setup.events_of(call.id)] == [kept.id]
    assert setup.events_named_by_trips(call.id) == {kept.id}
    assert "travel_event.deleted" in verbs()


def test_caps_set_change_and_remove_in_the_readers_locale(db, admin, app):
    call = travel_call(admin)
    command = setup.CapsInput.from_input({"caps": {"airfare": "1 500,50", "visa": "0", "per_diem": ""}},
                                         currency="USD", locale="fr")
    assert setup.set_caps(admin, call.id, command) == {"airfare": 1500_50, "visa": 0}
    db.session.commit()
    assert setup.caps_of(call.id) == {"airfare": 1500_50, "visa": 0}
    setup.set_caps(admin, call.id, setup.CapsInput.from_input({"caps": {"airfare": "1200", "visa": ""}},
                                                              currency="USD", locale="en"))
    db.session.commit()
    assert setup.caps_of(call.id) == {"airfare": 1200_00}
    assert verbs().count("call.travel_caps_set") == 2
    setup.set_caps(admin, call.id, setup.CapsInput.from_input({"caps": {"airfare": "1200"}}, currency="USD"))
    assert verbs().count("call.travel_caps_set") == 2  # nothing changed, nothing recorded


def test_bad_caps_are_named_by_category(db, admin):
    with pytest.raises(ValidationFailed) as refused:
        setup.CapsInput.from_input({"caps": {"airfare": "-5", "visa": "abc", "other": "10.005", "per_diem": "70"}},
                                   currency="USD", locale="en")
    assert set(refused.value.errors) == {"cap-airfare", "cap-visa", "cap-other"}
    call = travel_programme_call()
    with pytest.raises(InvalidTransition):
        setup.set_caps(admin, call.id, setup.CapsInput.from_input({"caps": {"airfare": "10"}}, currency="USD"))
