"""The session's calendar file (.ics): what it says, who may fetch it, and that changes reach calendars."""

from datetime import timedelta

from icalendar import Calendar

from cade.core.db import utcnow
from cade.notifications.rendering import render_notification
from cade.training import services
from cade.training.constants import EnrolmentStatus
from cade.training.forms import session_form_data
from cade.training.services import EnrolInput, SessionInput
from tests.factories import EnrolmentFactory, SessionFactory, UserFactory, member


def _event(response):
    calendar = Calendar.from_ical(response.get_data())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return events[0]


def _as_input(session, **changes):
    data = session_form_data(session)
    data.update(changes)
    return SessionInput.from_input(data)


def test_a_confirmed_participant_downloads_a_calendar_file_that_parses_back(app, client, login, db):
    app.config["BASE_URL"] = "https://grants.example.org"
    session = SessionFactory(title="Day one", place="Nairobi Garage, Ngong Road")
    enrolment = EnrolmentFactory(session=session)
    login(enrolment.user)

    response = client.get(f"/training/sessions/{session.id}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"session-{session.id}.ics" in disposition
    assert "no-store" in response.headers["Cache-Control"]  # it carries the place or the link
    event = _event(response)
    assert str(event["UID"]) == f"session-{session.id}@grants.example.org"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == session.starts_at.replace(microsecond=0) and end == session.ends_at.replace(microsecond=0)
    assert start.utcoffset() == timedelta(0) and b"DTSTART:" in response.get_data()  # written in UTC, with a Z
    assert str(event["SUMMARY"]) == f"{session.course.title}: Day one"
    assert str(event["LOCATION"]) == "Nairobi Garage, Ngong Road"
    assert str(event["URL"]) == f"https://grants.example.org/training/courses/{session.course_id}"
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 0
    assert "https://meet.example.org/cade-training" in str(event["DESCRIPTION"])  # the link beside the place


def test_an_online_session_has_its_link_as_location(client, login, db):
    session = SessionFactory(place=None, online_url="https://meet.example.org/abc")
    enrolment = EnrolmentFactory(session=session)
    login(enrolment.user)
    event = _event(client.get(f"/training/sessions/{session.id}.ics"))
    assert str(event["LOCATION"]) == "https://meet.example.org/abc"
    assert str(event["SUMMARY"]) == session.course.title


def test_only_seat_holders_trainers_and_admins_may_fetch_it(client, login, db):
    trainer = UserFactory(roles=["trainer"])
    session = SessionFactory(trainers=[trainer])
    url = f"/training/sessions/{session.id}.ics"
    waiting = EnrolmentFactory(session=session, status=EnrolmentStatus.WAITLISTED, waitlist_position=1)
    left = EnrolmentFactory(session=session, status=EnrolmentStatus.CANCELLED)

    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    for user in (waiting.user, left.user, UserFactory(), UserFactory(roles=["trainer"])):
        login(user)
        assert client.get(url).status_code == 404, user
    for user in (trainer, UserFactory(roles=["admin"])):
        login(user)
        assert client.get(url).status_code == 200
    assert client.get("/training/sessions/999999.ics").status_code == 404


def test_a_change_bumps_the_sequence_and_keeps_the_uid(client, login, db, admin, outbox):
    session = SessionFactory()
    enrolment = EnrolmentFactory(session=session)
    login(enrolment.user)
    before = _event(client.get(f"/training/sessions/{session.id}.ics"))

    later = session_form_data(session)["starts_at"] + timedelta(hours=2)
    services.update_session(admin, session.id, _as_input(session, starts_at=later,
                                                          ends_at=later + timedelta(hours=2)))
    db.session.commit()
    after = _event(client.get(f"/training/sessions/{session.id}.ics"))

    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == before.decoded("DTSTART") + timedelta(hours=2)
    _subject, text, _html = render_notification(outbox("training.session_changed")[0])
    assert f"/training/sessions/{session.id}.ics" in text  # the e-mail that says so links the new file


def test_a_cancelled_session_says_cancelled_to_those_who_held_a_seat(client, login, db, admin):
    session = SessionFactory()
    participant = member()
    services.enrol(participant, session.id, EnrolInput.from_input({}))
    db.session.commit()
    login(participant)
    before = _event(client.get(f"/training/sessions/{session.id}.ics"))

    services.cancel_session(admin, session.id)
    db.session.commit()
    response = client.get(f"/training/sessions/{session.id}.ics")

    assert response.status_code == 200
    after = _event(response)
    assert str(after["STATUS"]) == "CANCELLED" and after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert "LOCATION" not in after  # nowhere to go any more: the place is not handed out again
    login(UserFactory())
    assert client.get(f"/training/sessions/{session.id}.ics").status_code == 404


def test_the_trainings_page_and_the_seat_e_mails_link_the_calendar_file(client, login, db, admin, outbox):
    session = SessionFactory(seats=1, starts_at=utcnow() + timedelta(days=4))
    first, second = member(), member(locale="fr")
    seat = services.enrol(first, session.id, EnrolInput.from_input({}))
    waiting = services.enrol(second, session.id, EnrolInput.from_input({}))
    db.session.commit()
    ics = f"/training/sessions/{session.id}.ics"

    login(first)
    assert ics in client.get("/training/mine").get_data(as_text=True)
    login(second)
    assert ics not in client.get("/training/mine").get_data(as_text=True)  # waiting: no seat, no file

    services.cancel_enrolment(first, seat.id)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == EnrolmentStatus.CONFIRMED
    for kind in ("training.confirmed", "training.promoted"):
        _subject, text, html = render_notification(outbox(kind)[0])
        assert ics in text and 'href="http' in html and ics in html, kind
