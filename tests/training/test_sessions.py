"""Courses and sessions: admin changes, the seats a session cannot lose, cancelling and telling people."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.training import services
from cade.training.models import Enrolment
from cade.training.services import CourseInput, EnrolInput, SessionInput
from tests.factories import CourseFactory, SessionFactory, UserFactory, member


def _session_data(**changes):
    start = datetime.now() + timedelta(days=20)
    data = {"title": "", "timezone": "Africa/Nairobi", "starts_at": start.replace(microsecond=0, second=0),
            "ends_at": start.replace(microsecond=0, second=0) + timedelta(hours=3), "place": "Kigali",
            "online_url": "", "seats": 12, "enrolment_opens_at": start - timedelta(days=15),
            "enrolment_closes_at": start - timedelta(days=1), "trainer_ids": []}
    data.update(changes)
    return data


def test_an_admin_creates_a_course_and_a_session_read_in_its_time_zone(db, admin):
    trainer = UserFactory(roles=["trainer"])
    course = services.create_course(admin, CourseInput.from_input(
        {"title": "Fundraising 101", "format": "webinar", "language": "fr",
         "dimensions": ["fundraising", "governance"], "required_sessions": "2", "published": "y"}))
    data = _session_data(trainer_ids=[str(trainer.id)])
    session = services.create_session(admin, course.id, SessionInput.from_input(data))
    db.session.commit()
    assert course.dimensions == ["governance", "fundraising"] and course.required_sessions == 2
    assert session.starts_at.hour == (data["starts_at"] - timedelta(hours=3)).hour  # Nairobi is UTC+3
    assert [t.id for t in session.trainers] == [trainer.id]
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.object_type == "Session")) \
        == "training_session.created"


def test_bad_session_input_names_every_field(db, admin):
    not_a_trainer = UserFactory()
    course = CourseFactory()
    with pytest.raises(ValidationFailed) as refused:
        data = _session_data(seats="0", online_url="javascript:alert(1)", place="")
        data["ends_at"] = data["starts_at"] - timedelta(hours=1)
        services.create_session(admin, course.id, SessionInput.from_input(data))
    assert {"seats", "online_url", "ends_at"} <= set(refused.value.errors)
    with pytest.raises(ValidationFailed) as refused:
        services.create_session(admin, course.id, SessionInput.from_input(
            _session_data(trainer_ids=[str(not_a_trainer.id)])))
    assert refused.value.errors["trainer_ids"]


def test_only_admins_manage_courses_and_sessions(db):
    someone = member()
    with pytest.raises(PermissionDenied):
        services.create_course(someone, CourseInput.from_input({"title": "x", "format": "webinar",
                                                                "language": "en"}))
    with pytest.raises(PermissionDenied):
        services.cancel_session(someone, SessionFactory().id)


def test_a_course_cannot_require_itself_even_through_another(db, admin):
    first = CourseFactory()
    second = CourseFactory(prerequisite=first)
    with pytest.raises(ValidationFailed) as refused:
        services.update_course(admin, first.id, CourseInput.from_input(
            {"title": first.title, "format": "workshop", "language": "en", "prerequisite_id": second.id}))
    assert refused.value.errors["prerequisite_id"]


def _as_input(session, **changes):
    from cade.training.forms import session_form_data
    data = session_form_data(session)
    data.update(changes)
    return SessionInput.from_input(data)


def test_seats_lowered_below_those_taken_are_refused_naming_the_number(db, admin):
    session = SessionFactory(seats=5)
    for _ in range(3):
        services.enrol(member(), session.id, EnrolInput.from_input({}))
    with pytest.raises(ValidationFailed) as refused:
        services.update_session(admin, session.id, _as_input(session, seats=2))
    assert "3 people already hold a seat" in str(refused.value.errors["seats"][0])
    db.session.rollback()
    assert services.update_session(admin, session.id, _as_input(session, seats=3)).seats == 3


def test_more_seats_promote_from_the_waiting_list(db, admin, outbox):
    session = SessionFactory(seats=1)
    people = [member() for _ in range(3)]
    for person in people:
        services.enrol(person, session.id, EnrolInput.from_input({}))
    services.update_session(admin, session.id, _as_input(session, seats=2))
    db.session.commit()
    statuses = [(e.user_id, e.status, e.waitlist_position)
                for e in db.session.scalars(select(Enrolment).order_by(Enrolment.id))]
    assert statuses == [(people[0].id, "confirmed", None), (people[1].id, "confirmed", None),
                        (people[2].id, "waitlisted", 1)]
    assert [n.recipient_id for n in outbox("training.promoted")] == [people[1].id]


def test_a_new_time_or_place_tells_everyone_enrolled_but_a_new_title_does_not(db, admin, outbox):
    session = SessionFactory(seats=1)
    seated, waiting = member(), member()
    for person in (seated, waiting):
        services.enrol(person, session.id, EnrolInput.from_input({}))
    services.update_session(admin, session.id, _as_input(session, title="Renamed"))
    assert outbox("training.session_changed") == []
    services.update_session(admin, session.id, _as_input(session, place="Another room"))
    services.update_session(admin, session.id, _as_input(session, place="A third room"))
    db.session.commit()
    told = outbox("training.session_changed")
    assert sorted(n.recipient_id for n in told) == sorted([seated.id, waiting.id] * 2)


def test_cancelling_a_session_cancels_its_enrolments_and_tells_each_person(db, admin, outbox):
    session = SessionFactory(seats=1)
    seated, waiting = member(), member()
    for person in (seated, waiting):
        services.enrol(person, session.id, EnrolInput.from_input({}))
    services.cancel_session(admin, session.id)
    db.session.commit()
    assert session.status == "cancelled"
    assert {(e.status, e.waitlist_position) for e in db.session.scalars(select(Enrolment))} == {("cancelled", None)}
    assert sorted(n.recipient_id for n in outbox("training.session_cancelled")) == sorted([seated.id, waiting.id])
    assert outbox("training.promoted") == []
    with pytest.raises(InvalidTransition):
        services.cancel_session(admin, session.id)
    with pytest.raises(InvalidTransition):
        services.update_session(admin, session.id, _as_input(session))


def test_the_notifications_render_in_every_language(db, app, outbox):
    from cade.notifications.rendering import render_notification

    session = SessionFactory(seats=1, starts_at=utcnow() + timedelta(days=3))
    services.enrol(member(), session.id, EnrolInput.from_input({}))
    services.enrol(member(locale="fr"), session.id, EnrolInput.from_input({}))
    for row in outbox():
        subject, text, html = render_notification(row)
        assert session.course.title in text and "(Africa/Nairobi)" in text and html
    assert "number 1 on the waiting list" in render_notification(outbox("training.waitlisted")[0], "en")[1]
