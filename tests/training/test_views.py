"""The training pages as each kind of visitor sees them: catalogue, course, enrol, my trainings, admin."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.training.models import Course, Enrolment, Session
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
    member,
)
from tests.querycount import count_statements

PLACE = "Nairobi Garage, Ngong Road"
LINK = "https://meet.example.org/cade-training"


@pytest.fixture()
def session(db):
    return SessionFactory(seats=1, course=CourseFactory(title="Digital security for CSOs"))


def test_the_catalogue_shows_published_courses_with_dates_and_seats(client, db, session):
    CourseFactory(title="Hidden draft", draft=True)
    SessionFactory(course=session.course, seats=4, title="Second run", starts_at=session.starts_at + timedelta(days=7))
    html = client.get("/training/").get_data(as_text=True)
    assert "Digital security for CSOs" in html and "Hidden draft" not in html
    assert "(Africa/Nairobi)" in html and "1 seat left" in html and "4 seats left" in html
    assert "Workshop" in html and "Digital security" in html and "English" in html
    assert PLACE not in html and LINK not in html


def test_a_signed_in_reader_sees_dates_in_their_own_zone_too(client, login, db, session):
    login(UserFactory(timezone="America/Lima"))
    html = client.get("/training/").get_data(as_text=True)
    assert "In your time zone:" in html and "(America/Lima)" in html


def test_a_visitor_is_told_how_to_enrol_rather_than_shown_a_dead_button(client, db, session):
    html = client.get(f"/training/courses/{session.course_id}").get_data(as_text=True)
    assert "To enrol, sign in" in html and "/auth/login" in html and "/auth/register" in html
    assert ">Enrol<" not in html


def test_someone_without_an_organisation_is_sent_to_register_one(client, login, db, session):
    login(UserFactory())
    html = client.get(f"/training/courses/{session.course_id}").get_data(as_text=True)
    assert "Register an organisation" in html and "/organisations/new" in html
    assert "Enrol</button>" not in html


def test_a_member_enrols_and_sees_the_place_once_confirmed(client, login, db, session):
    person = login(member())
    page = client.get(f"/training/courses/{session.course_id}").get_data(as_text=True)
    assert "Enrol</button>" in page and PLACE not in page
    response = client.post(f"/training/sessions/{session.id}/enrol")
    assert response.status_code == 302 and response.location.endswith("/training/mine")
    mine = client.get("/training/mine").get_data(as_text=True)
    assert "You have a seat" in mine and "Confirmed" in mine and PLACE in mine and LINK in mine
    assert db.session.scalar(select(Enrolment.user_id)) == person.id
    assert PLACE in client.get(f"/training/courses/{session.course_id}").get_data(as_text=True)


def test_the_waitlisted_see_their_position_but_not_the_place(client, login, db, session):
    EnrolmentFactory(session=session)
    login(member())
    page = client.get(f"/training/courses/{session.course_id}").get_data(as_text=True)
    assert "Join the waiting list</button>" in page
    client.post(f"/training/sessions/{session.id}/enrol")
    mine = client.get("/training/mine").get_data(as_text=True)
    assert "number 1 on the waiting list" in mine and PLACE not in mine and LINK not in mine
    assert "Leave the waiting list" in mine


def test_a_refusal_is_shown_with_its_reason_and_the_choice_kept(client, login, db, session):
    person = login(member())
    second = MembershipFactory(user=person).organisation
    response = client.post(f"/training/sessions/{session.id}/enrol", data={f"s{session.id}-organisation_id": "999"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose one of your organisations." in html
    response = client.post(f"/training/sessions/{session.id}/enrol",
                           data={f"s{session.id}-organisation_id": str(second.id)})
    assert response.status_code == 302
    again = client.post(f"/training/sessions/{session.id}/enrol",
                        data={f"s{session.id}-organisation_id": str(second.id)})
    assert again.status_code == 409 and "already enrolled" in again.get_data(as_text=True)
    assert db.session.scalar(select(Enrolment.organisation_id)) == second.id


def test_a_closed_window_is_refused_on_the_page_too(client, login, db):
    closed = SessionFactory(enrolment_closes_at=utcnow() - timedelta(hours=1))
    login(member())
    assert "Enrolment is closed." in client.get(f"/training/courses/{closed.course_id}").get_data(as_text=True)
    response = client.post(f"/training/sessions/{closed.id}/enrol")
    assert response.status_code == 409 and "Enrolment closed on" in response.get_data(as_text=True)


def test_cancelling_promotes_the_next_person(client, login, db, session):
    first, second = member(), member()
    seat = EnrolmentFactory(session=session, user=first)
    EnrolmentFactory(session=session, user=second, status="waitlisted", waitlist_position=1)
    login(first)
    response = client.post(f"/training/enrolments/{seat.id}/cancel")
    assert response.status_code == 302
    assert "Your enrolment is cancelled." in client.get("/training/mine").get_data(as_text=True)
    statuses = dict(db.session.execute(select(Enrolment.user_id, Enrolment.status)).all())
    assert statuses == {first.id: "cancelled", second.id: "confirmed"}


def test_nobody_cancels_someone_elses_enrolment(client, login, db, session):
    seat = EnrolmentFactory(session=session)
    login(member())
    assert client.post(f"/training/enrolments/{seat.id}/cancel").status_code == 404
    assert db.session.get(Enrolment, seat.id).status == "confirmed"


def test_an_unpublished_course_is_hidden_from_all_but_admins(client, login, db, admin):
    draft = SessionFactory(course=CourseFactory(draft=True))
    assert client.get(f"/training/courses/{draft.course_id}").status_code == 404
    login(member())
    assert client.post(f"/training/sessions/{draft.id}/enrol").status_code == 404
    login(admin)
    assert "Preview" in client.get(f"/training/courses/{draft.course_id}").get_data(as_text=True)


def test_my_trainings_needs_signing_in(client, db):
    assert client.get("/training/mine").status_code == 302


def _admin_pages(session):
    return [("get", "/admin/training/"), ("get", "/admin/training/courses/new"),
            ("post", "/admin/training/courses/new"), ("get", f"/admin/training/courses/{session.course_id}/edit"),
            ("post", f"/admin/training/courses/{session.course_id}/edit"),
            ("get", f"/admin/training/courses/{session.course_id}/sessions/new"),
            ("post", f"/admin/training/courses/{session.course_id}/sessions/new"),
            ("get", f"/admin/training/sessions/{session.id}/edit"),
            ("post", f"/admin/training/sessions/{session.id}/edit"),
            ("post", f"/admin/training/sessions/{session.id}/cancel")]


@pytest.mark.parametrize("who", ["member", "trainer", "reviewer"])
def test_admin_pages_are_404_to_everyone_else(client, login, db, session, who):
    login(member() if who == "member" else UserFactory(roles=[who]))
    for method, url in _admin_pages(session):
        assert getattr(client, method)(url).status_code == 404, url
    assert db.session.get(Session, session.id).status == "scheduled"


def test_an_admin_creates_a_course_and_a_session(client, login, db, admin):
    login(admin)
    trainer = UserFactory(roles=["trainer"], name="Tess Trainer")
    assert "Training" in client.get("/admin/").get_data(as_text=True)
    response = client.post("/admin/training/courses/new", data={
        "title": "Study visit to Kigali", "format": "study_visit", "language": "en",
        "dimensions": ["network_operations"], "required_sessions": "", "prerequisite_id": "", "published": "y"})
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    form = client.get(f"/admin/training/courses/{course.id}/sessions/new").get_data(as_text=True)
    assert "Tess Trainer" in form
    response = client.post(f"/admin/training/courses/{course.id}/sessions/new", data={
        "timezone": "Africa/Kigali", "starts_at": "2030-05-04T09:00", "ends_at": "2030-05-08T17:00",
        "place": "Kigali", "seats": "8", "enrolment_opens_at": "2026-01-01T00:00",
        "enrolment_closes_at": "2030-05-01T00:00", "trainer_ids": [str(trainer.id)]})
    assert response.status_code == 302
    created = db.session.scalar(select(Session))
    assert created.starts_at.hour == 7 and [t.name for t in created.trainers] == ["Tess Trainer"]
    assert "Study visit to Kigali" in client.get("/admin/training/").get_data(as_text=True)


def test_the_session_form_keeps_what_was_typed_and_names_the_seats_taken(client, login, db, admin, session):
    EnrolmentFactory(session=session)
    login(admin)
    page = client.get(f"/admin/training/sessions/{session.id}/edit").get_data(as_text=True)
    assert "Nairobi Garage" in page and 'value="1"' in page
    response = client.post(f"/admin/training/sessions/{session.id}/edit", data={
        "title": "My typed title", "timezone": "Africa/Nairobi", "starts_at": "2030-03-02T10:00",
        "ends_at": "2030-03-02T12:00", "place": "Typed place", "seats": "0",
        "enrolment_opens_at": "2026-01-01T00:00", "enrolment_closes_at": "2030-03-01T00:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="My typed title"' in html and "Typed place" in html
    response = client.post(f"/admin/training/sessions/{session.id}/edit", data={
        "title": "My typed title", "timezone": "Africa/Nairobi", "starts_at": "2030-03-02T10:00",
        "ends_at": "2030-03-02T12:00", "place": "Typed place", "seats": "1",
        "enrolment_opens_at": "2026-01-01T00:00", "enrolment_closes_at": "2030-03-04T00:00"})
    html = response.get_data(as_text=True)
    assert "Enrolment must close by the end of the session." in html and 'value="My typed title"' in html


def test_the_course_form_keeps_what_was_typed(client, login, db, admin):
    login(admin)
    response = client.post("/admin/training/courses/new", data={
        "title": "", "description": "Typed description", "format": "webinar", "language": "fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Typed description" in html and "This field is required." in html
    assert db.session.scalar(select(Course)) is None


def test_an_admin_cancels_a_session_and_everyone_is_told(client, login, db, admin, session, outbox):
    EnrolmentFactory(session=session, user=member())
    login(admin)
    assert client.post(f"/admin/training/sessions/{session.id}/cancel").status_code == 302
    assert db.session.get(Session, session.id).status == "cancelled"
    assert len(outbox("training.session_cancelled")) == 1


def test_the_catalogue_runs_the_same_queries_however_many_courses(client, db):
    def grow(n):
        for _ in range(n):
            course = CourseFactory()
            for _ in range(2):
                EnrolmentFactory(session=SessionFactory(course=course), user=member())

    grow(2)
    _, few = count_statements(lambda: client.get("/training/"))
    grow(8)
    _, many = count_statements(lambda: client.get("/training/"))
    assert few == many


def test_the_course_page_runs_the_same_queries_however_many_sessions(client, login, db):
    course = CourseFactory()
    login(member())
    SessionFactory(course=course, trainers=[UserFactory(roles=["trainer"])])
    _, few = count_statements(lambda: client.get(f"/training/courses/{course.id}"))
    for _ in range(6):
        EnrolmentFactory(session=SessionFactory(course=course, trainers=[UserFactory(roles=["trainer"])]))
    _, many = count_statements(lambda: client.get(f"/training/courses/{course.id}"))
    assert few == many
