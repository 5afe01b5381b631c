"""The travel call page (settings, events, caps) and the per diem table page: admins only, errors kept in place."""

from datetime import date

from cade.extensions import db as _db
from cade.travel import per_diem, setup
from cade.travel.models import PerDiemRate, TravelEvent, Trip
from tests.factories import ApplicationFactory, CallFactory, UserFactory
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements
from tests.travel.setup_helpers import GENEVA, event_of, rate, travel_call, travel_programme_call


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_strangers_and_other_users_get_404_on_every_page(db, client, login, admin):
    call = travel_call(admin)
    event = event_of(admin, call)
    row = rate()
    urls = [f"/admin/calls/{call.id}/travel", "/admin/per-diem", f"/admin/per-diem/{row.id}/edit",
            f"/admin/calls/{call.id}/travel/events/{event.id}/edit"]
    login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/calls/{call.id}/travel/events/{event.id}/delete").status_code == 404
    assert client.post(f"/admin/per-diem/{row.id}/retire", data={"last_day": "2026-12-31"}).status_code == 404
    assert _db.session.get(TravelEvent, event.id) is not None
    assert _db.session.get(PerDiemRate, row.id).valid_to is None


def test_the_call_page_link_shows_for_travel_support_calls_only(db, client, login, admin):
    login(admin)
    call = travel_programme_call()
    assert "Travel: events and caps" in text(client.get(f"/admin/calls/{call.id}"))
    other = CallFactory()
    assert "Travel: events and caps" not in text(client.get(f"/admin/calls/{other.id}"))
    assert client.get(f"/admin/calls/{other.id}/travel").status_code == 404
    assert client.get("/admin/calls/987654/travel").status_code == 404


def test_an_admin_makes_a_travel_call_then_adds_an_event_and_caps(db, client, login, admin):
    login(admin)
    call = travel_programme_call()
    page = text(client.get(f"/admin/calls/{call.id}/travel"))
    assert "This call is not a travel call yet" in page and "Add an event" not in page
    response = client.post(f"/admin/calls/{call.id}/travel/settings",
                           data={"date_margin_days": "2", "post_trip_days": "21"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "What did you do at the event?" in page and "Add an event" in page
    response = client.post(f"/admin/calls/{call.id}/travel/events", data=GENEVA)
    assert response.status_code == 302
    assert [e.name for e in setup.events_of(call.id)] == ["WSIS Forum 2026"]
    response = client.post(f"/admin/calls/{call.id}/travel/caps",
                           data={"cap-airfare": "1,500.00", "cap-per_diem": "600", "cap-visa": "0"})
    assert response.status_code == 302
    assert setup.caps_of(call.id) == {"airfare": 1500_00, "per_diem": 600_00, "visa": 0}
    page = text(client.get(response.headers["Location"]))
    assert "WSIS Forum 2026" in page and "Geneva, Switzerland" in page and 'value="1500.00"' in page
    assert setup.travel_settings(call.id).date_margin_days == 2


def test_bad_settings_event_and_caps_are_named_and_what_was_typed_is_kept(db, client, login, admin):
    login(admin)
    call = travel_call(admin)
    response = client.post(f"/admin/calls/{call.id}/travel/settings",
                           data={"date_margin_days": "45", "post_trip_days": "0"})
    page = text(response)
    assert response.status_code == 422
    assert "Enter a whole number of days from 0 to 30." in page and 'value="45"' in page
    assert 'href="#date_margin_days"' in page and 'href="#post_trip_days"' in page
    response = client.post(f"/admin/calls/{call.id}/travel/events",
                           data={**GENEVA, "name": "Forum typed", "ends_on": "2026-07-01", "website": "itu.int"})
    page = text(response)
    assert response.status_code == 422
    assert "The event cannot end before it starts." in page and 'value="Forum typed"' in page
    assert 'href="#website"' in page and not setup.events_of(call.id)
    response = client.post(f"/admin/calls/{call.id}/travel/caps", data={"cap-airfare": "-3", "cap-visa": "12"})
    page = text(response)
    assert response.status_code == 422
    assert 'href="#cap-airfare"' in page and 'value="-3"' in page and 'value="12"' in page
    assert setup.caps_of(call.id) == {}


def test_an_event_is_edited_moved_and_deleted_until_a_trip_names_it(db, client, login, admin):
    login(admin)
    call = travel_call(admin)
    first, second = event_of(admin, call), event_of(admin, call, name="IGF 2026")
    edit = f"/admin/calls/{call.id}/travel/events/{first.id}/edit"
    assert 'value="WSIS Forum 2026"' in text(client.get(edit))
    response = client.post(edit, data={**GENEVA, "starts_on": "soon"})
    assert response.status_code == 422 and 'value="soon"' in text(response)
    assert client.post(edit, data={**GENEVA, "city": "Genève"}).status_code == 302
    client.post(f"/admin/calls/{call.id}/travel/events/{second.id}/move", data={"direction": "up"})
    assert [e.name for e in setup.events_of(call.id)] == ["IGF 2026", "WSIS Forum 2026"]
    _db.session.add(Trip(application=ApplicationFactory(call=call), event_id=first.id))
    _db.session.commit()
    response = client.post(f"/admin/calls/{call.id}/travel/events/{first.id}/delete")
    assert "cannot be deleted" in text(client.get(response.headers["Location"]))
    client.post(f"/admin/calls/{call.id}/travel/events/{second.id}/delete")
    assert [e.city for e in setup.events_of(call.id)] == ["Genève"]
    other = travel_call(admin)  # another call's event is not reached through this one
    assert client.get(f"/admin/calls/{other.id}/travel/events/{first.id}/edit").status_code == 404


def test_the_per_diem_table_adds_filters_edits_and_retires(db, client, login, admin):
    login(admin)
    rate(country="KE", city="Nairobi", minor=70_00)
    data = {"country": "CH", "city": "Geneva", "daily_amount": "120", "currency": "usd", "valid_from": "2026-01-01",
            "valid_to": "", "source": "UN ICSC", "is_example": "y"}
    response = client.post("/admin/per-diem", data=data)
    assert response.status_code == 302
    added = _db.session.query(PerDiemRate).filter_by(country="CH").one()
    assert (added.daily_minor, added.currency, added.is_example) == (120_00, "USD", True)
    page = text(client.get("/admin/per-diem?country=CH"))
    assert "Geneva, Switzerland" in page and "Nairobi" not in page and "Example" in page
    assert "Nairobi, Kenya" in text(client.get("/admin/per-diem"))
    response = client.post(f"/admin/per-diem/{added.id}/edit", data={**data, "daily_amount": "125.50"})
    assert response.status_code == 302 and _db.session.get(PerDiemRate, added.id).daily_minor == 125_50
    response = client.post(f"/admin/per-diem/{added.id}/retire", data={"last_day": "2026-06-30"})
    assert response.status_code == 302 and _db.session.get(PerDiemRate, added.id).valid_to == date(2026, 6, 30)


def test_an_overlapping_rate_is_refused_on_the_page_naming_the_other(db, client, login, admin):
    login(admin)
    rate()
    response = client.post("/admin/per-diem", data={
        "country": "CH", "city": "Geneva", "daily_amount": "abc", "currency": "USD", "valid_from": "2026-03-01",
        "source": "typed source"})
    page = text(response)
    assert response.status_code == 422 and 'href="#daily_amount"' in page and 'value="typed source"' in page
    response = client.post("/admin/per-diem", data={
        "country": "CH", "city": "Geneva", "daily_amount": "130", "currency": "USD", "valid_from": "2026-03-01",
        "source": "typed source"})
    page = text(response)
    assert response.status_code == 422
    assert "These dates overlap the rate for Geneva, Switzerland of $120.00" in page and 'value="130"' in page
    assert _db.session.query(PerDiemRate).count() == 1


def test_retiring_before_the_rate_starts_keeps_the_day_typed(db, client, login, admin):
    login(admin)
    row = rate()
    response = client.post(f"/admin/per-diem/{row.id}/retire", data={"last_day": "2025-01-01"})
    page = text(response)
    assert response.status_code == 422 and 'value="2025-01-01"' in page
    assert "The last day cannot come before the rate starts" in page
    assert _db.session.get(PerDiemRate, row.id).valid_to is None
    assert per_diem.rate_for("CH", "Geneva", date(2030, 1, 1)).id == row.id


def test_the_pages_run_a_fixed_number_of_queries_and_stay_light(db, client, login, admin):
    call = travel_call(admin)
    login(admin)

    def load(path):
        return count_statements(lambda: client.get(path))[1]

    small = (load(f"/admin/calls/{call.id}/travel"), load("/admin/per-diem"))
    for number in range(6):
        # No website: a link out to it is not something the page loads, but the checker reads any href as one.
        event_of(admin, call, name=f"Event {number}", website="")
        rate(country="KE", city=f"City {number}")
    large = (load(f"/admin/calls/{call.id}/travel"), load("/admin/per-diem"))
    assert large == small
    assert_pages_are_light(client, login, [(admin, [f"/admin/calls/{call.id}/travel", "/admin/per-diem"])], "fr")
