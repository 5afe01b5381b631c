"""The trainer's pages: teaching, the attendance sheet (no JavaScript needed) and the participant list CSV."""

import csv
import io
from datetime import timedelta

from cade.core.db import utcnow
from cade.training.constants import EnrolmentStatus
from tests.factories import CourseFactory, EnrolmentFactory, SessionFactory, UserFactory


def _past_session(trainer, **kwargs):
    start = utcnow() - timedelta(hours=3)
    return SessionFactory(trainers=[trainer], starts_at=start, enrolment_opens_at=start - timedelta(days=9),
                          enrolment_closes_at=start - timedelta(hours=1), **kwargs)


def test_a_trainer_sees_their_sessions_and_marks_attendance_with_plain_radios(client, login, db):
    trainer = login(UserFactory(roles=["trainer"]))
    session = _past_session(trainer, course=CourseFactory(required_sessions=2))
    came = EnrolmentFactory(session=session, user=UserFactory(name="Amani Njeri"))
    missed = EnrolmentFactory(session=session, user=UserFactory(name="Bruno Costa"))
    teaching = client.get("/training/teaching").get_data(as_text=True)
    assert session.display_title in teaching and f"/training/sessions/{session.id}/attendance" in teaching
    assert f"/training/sessions/{session.id}/participants.csv" in teaching and "2 of 10 seats taken" in teaching
    page = client.get(f"/training/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "Amani Njeri" in page and f'name="e{came.id}" value="attended"' in page and "<form method=\"post\"" in page
    response = client.post(f"/training/sessions/{session.id}/attendance",
                           data={f"e{came.id}": "attended", f"e{missed.id}": "no_show"})
    assert response.status_code == 302
    db.session.refresh(came)
    db.session.refresh(missed)
    assert (came.status, missed.status) == (EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW)
    page = client.get(f"/training/sessions/{session.id}/attendance").get_data(as_text=True)
    assert f'name="e{came.id}" value="attended" checked' in page


def test_another_trainers_session_is_not_found(client, login, db):
    session = _past_session(UserFactory(roles=["trainer"]))
    EnrolmentFactory(session=session)
    login(UserFactory(roles=["trainer"]))
    assert client.get(f"/training/sessions/{session.id}/attendance").status_code == 404
    assert client.post(f"/training/sessions/{session.id}/attendance", data={}).status_code == 404
    assert client.get(f"/training/sessions/{session.id}/participants.csv").status_code == 404
    assert client.get("/training/sessions/999999/attendance").status_code == 404


def test_an_early_save_is_refused_with_the_reason_and_keeps_the_marks(client, login, db):
    trainer = login(UserFactory(roles=["trainer"]))
    session = SessionFactory(trainers=[trainer])
    enrolment = EnrolmentFactory(session=session)
    page = client.post(f"/training/sessions/{session.id}/attendance", data={f"e{enrolment.id}": "no_show"})
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and "once the session has started" in html
    assert f'name="e{enrolment.id}" value="no_show" checked' in html


def test_the_participant_list_csv_is_safe_against_formulas(client, login, db):
    trainer = login(UserFactory(roles=["trainer"]))
    session = _past_session(trainer)
    EnrolmentFactory(session=session, user=UserFactory(name="=HYPERLINK(\"http://evil\")"))
    EnrolmentFactory(session=session, status=EnrolmentStatus.WAITLISTED, waitlist_position=1,
                     user=UserFactory(name="Waiting Person"))
    response = client.get(f"/training/sessions/{session.id}/participants.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "E-mail", "Organisation", "Status"]
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")" and rows[1][3] == "Confirmed"
    assert len(rows) == 2  # the waiting list holds no seat
