"""The demo's training track (issue 10, item 10): courses, sessions, a waiting list, certificates, a call that
requires one, and capacity assessments that show gains, all seeded idempotently."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.eligibility import assess_eligibility, check_eligibility
from cade.core.db import utcnow
from cade.demo import data
from cade.demo import training as demo_training
from cade.demo.seed import demo_logins, seed_demo
from cade.organisations.models import Organisation
from cade.programmes.models import Call
from cade.training.assessments.gains import compare, gains_by_dimension, organisation_assessments
from cade.training.assessments.models import AssessmentKind, AssessmentStatus, CapacityAssessment
from cade.training.constants import SEATED_STATUSES, CourseFormat, EnrolmentStatus
from cade.training.models import Certificate, Course, Enrolment, Session
from cade.training.services.attendance import mark_attendance, required_count
from cade.training.services.certificates import CODE_ALPHABET, CODE_LENGTH, normalise_code
from cade.training.services.courses import holds_prerequisite
from cade.training.services.enrolment import cancel_enrolment, fill_free_seats


def _row_counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture()
def seeded(app, db):
    report = seed_demo(utcnow())
    db.session.commit()
    db.session.expire_all()
    return report


def _course(db, title) -> Course:
    return db.session.scalar(select(Course).where(Course.title == title))


def _user(db, email) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _organisation(db, key) -> Organisation:
    name = next(spec["name"] for spec in data.ORGANISATIONS if spec["key"] == key)
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def test_the_track_has_three_published_courses_with_sessions_past_running_and_future(db, seeded):
    foundations = _course(db, demo_training.FOUNDATIONS)
    workshop = _course(db, demo_training.WORKSHOP)
    visit = _course(db, demo_training.STUDY_VISIT)

    assert foundations.title == "Organisational foundations"
    assert (foundations.format, workshop.format, visit.format) == (
        CourseFormat.SELF_PACED, CourseFormat.WORKSHOP, CourseFormat.STUDY_VISIT)
    assert all(course.published and course.dimensions for course in (foundations, workshop, visit))
    assert "fr" in {course.language for course in (foundations, workshop, visit)}
    # Completion = every session of the self-paced course (two); the workshop asks for its certificate.
    assert foundations.required_sessions is None and required_count(foundations) == 2
    assert workshop.prerequisite_id == foundations.id and visit.prerequisite_id is None

    now = utcnow()
    sessions = db.session.scalars(select(Session).where(
        Session.course_id.in_([foundations.id, workshop.id, visit.id]))).all()
    assert any(s.ends_at <= now for s in sessions)
    assert any(s.starts_at <= now < s.ends_at for s in sessions)
    assert any(s.starts_at > now for s in sessions)
    assert len({s.timezone for s in sessions}) >= 3
    trainer_emails = {data_row[0] for data_row in data.STAFF if "trainer" in data_row[2]}
    for session in sessions:
        assert session.trainers and all(t.has_role("trainer") for t in session.trainers)
        assert {t.email for t in session.trainers} <= trainer_emails
        assert session.enrolment_opens_at < session.enrolment_closes_at <= session.starts_at
    assert trainer_emails <= {email for email, *_ in demo_logins()}
    # Nobody holds two seats at once: the seed keeps the clash rule enrolment keeps.
    seats = db.session.execute(select(Enrolment.user_id, Session.starts_at, Session.ends_at)
                               .join(Session, Session.id == Enrolment.session_id)
                               .where(Enrolment.status == EnrolmentStatus.CONFIRMED)).all()
    for index, (user_id, starts, ends) in enumerate(seats):
        assert not any(other == user_id and s < ends and e > starts for other, s, e in seats[index + 1:])


def test_a_future_session_is_full_with_a_numbered_waiting_list_and_a_cancellation_promotes_the_applicant(
        db, seeded):
    now = utcnow()
    full = db.session.get(Session, demo_training.full_session_id())
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.session_id == full.id)).all()
    seated = [e for e in enrolments if e.status in SEATED_STATUSES]
    waiting = sorted((e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED),
                     key=lambda e: e.waitlist_position)

    assert full.starts_at > now and full.window_is_open(now)
    assert len(seated) == full.seats and all(e.status == EnrolmentStatus.CONFIRMED for e in seated)
    assert 2 <= len(waiting) <= 3
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    assert all(e.waitlist_position is None for e in seated)

    applicant = _user(db, data.APPLICANT_EMAIL)
    assert waiting[0].user_id == applicant.id
    confirmed_elsewhere = db.session.scalars(select(Enrolment).join(Session).where(
        Enrolment.user_id == applicant.id, Enrolment.status == EnrolmentStatus.CONFIRMED,
        Session.starts_at > now)).all()
    assert confirmed_elsewhere and all(e.session_id != full.id for e in confirmed_elsewhere)
    assert all(holds_prerequisite(applicant, e.session.course) for e in confirmed_elsewhere)

    # The journey to try: someone with a seat cancels, the first on the list (the applicant) is promoted.
    leaving = seated[0]
    cancel_enrolment(leaving.user, leaving.id)
    db.session.commit()
    db.session.expire_all()
    promoted = db.session.get(Enrolment, waiting[0].id)
    assert promoted.status == EnrolmentStatus.CONFIRMED and promoted.waitlist_position is None
    assert db.session.get(Enrolment, waiting[1].id).waitlist_position == 1


def test_past_sessions_are_marked_and_completions_hold_verifiable_certificates(db, client, seeded):
    now = utcnow()
    past = db.session.scalars(select(Session).where(Session.ends_at <= now)).all()
    assert past
    for session in past:
        statuses = set(db.session.scalars(select(Enrolment.status).where(Enrolment.session_id == session.id)))
        assert statuses and not statuses & {EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED}
    assert db.session.scalar(select(func.count()).select_from(Enrolment)
                             .where(Enrolment.status == EnrolmentStatus.NO_SHOW)) >= 1

    certificates = db.session.scalars(select(Certificate)).all()
    assert {c.course.title for c in certificates} >= {demo_training.FOUNDATIONS, demo_training.WORKSHOP}
    for certificate in certificates:
        assert len(certificate.code) == CODE_LENGTH and set(certificate.code) <= set(CODE_ALPHABET)
        assert normalise_code(certificate.code) == certificate.code
        assert certificate.issued_at <= now and certificate.organisation_name
        completed = db.session.scalars(select(Enrolment).join(Session).where(
            Enrolment.user_id == certificate.user_id, Session.course_id == certificate.course_id)).all()
        assert completed and all(e.status == EnrolmentStatus.COMPLETED for e in completed)
        assert certificate.issued_at >= max(e.session.ends_at for e in completed)
    # Whoever completed a course holds its certificate.
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.status == EnrolmentStatus.COMPLETED)):
        assert any(c.user_id == enrolment.user_id and c.course_id == enrolment.session.course_id
                   for c in certificates)

    kijiji = _organisation(db, "kijiji")
    held = [c for c in certificates if c.organisation_id == kijiji.id and c.course.title == demo_training.FOUNDATIONS]
    assert held

    response = client.get(f"/certificates/{held[0].code}")
    assert response.status_code == 200
    assert held[0].user.name in response.get_data(as_text=True)


def test_the_trainer_can_mark_attendance_on_the_running_session(db, seeded):
    now = utcnow()
    running = db.session.scalar(select(Session).where(Session.starts_at <= now, Session.ends_at > now))
    trainer = running.trainers[0]
    seats = db.session.scalars(select(Enrolment).where(Enrolment.session_id == running.id,
                                                       Enrolment.status == EnrolmentStatus.CONFIRMED)).all()
    assert seats

    changed = mark_attendance(trainer, running.id, {seats[0].id: True})
    db.session.commit()

    assert [e.id for e in changed] == [seats[0].id]


def test_the_certificate_makes_the_applicants_organisation_eligible_and_not_another(db, seeded):
    call = db.session.get(Call, demo_training.certificate_call_id())
    foundations = _course(db, demo_training.FOUNDATIONS)
    kijiji, other = _organisation(db, "kijiji"), _organisation(db, demo_training.NOT_ELIGIBLE_ORG)

    assert call.required_course_id == foundations.id and call.is_open(utcnow())
    assert check_eligibility(call, kijiji) == []
    reasons = assess_eligibility(call, other)
    assert len(reasons.blocking) == 1
    assert foundations.title in reasons.blocking[0].text
    assert any(remedy.endpoint == "training.course" for remedy in reasons.blocking[0].remedies)

    # Thanks to the certificate: without it, the applicant's organisation is refused too.
    for certificate in db.session.scalars(select(Certificate).where(Certificate.organisation_id == kijiji.id,
                                                                    Certificate.course_id == foundations.id)):
        certificate.revoked_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert check_eligibility(call, kijiji)


def test_assessments_show_gains_with_one_dimension_unchanged_and_one_lower(db, seeded):
    with_follow_up = 0
    baseline_only = 0
    for key in demo_training.ASSESSED_ORGS:
        comparison = compare(organisation_assessments(_organisation(db, key).id))
        assert comparison.baseline is not None and comparison.baseline.status == AssessmentStatus.SUBMITTED
        if comparison.follow_up is None:
            baseline_only += 1
            continue
        with_follow_up += 1
        gains = [row.gain for row in comparison.rows]
        assert None not in gains
        assert any(g > 0 for g in gains) and any(g == 0 for g in gains) and any(g < 0 for g in gains)
        assert sum(gains) > 0
        assert comparison.follow_up.submitted_at > comparison.baseline.submitted_at
    assert 2 <= with_follow_up <= 3 and baseline_only == 1
    assert any(row.gain and row.gain > 0 for row in gains_by_dimension())
    # Each submitted assessment scores every dimension with a justification.
    for assessment in db.session.scalars(select(CapacityAssessment).where(
            CapacityAssessment.status == AssessmentStatus.SUBMITTED)):
        assert len(assessment.scores) == 7
        assert all(1 <= s.score <= 5 and s.justification for s in assessment.scores)
    assert db.session.scalar(select(func.count()).select_from(CapacityAssessment).where(
        CapacityAssessment.kind == AssessmentKind.BASELINE)) >= 3


def test_a_second_seed_adds_nothing_and_a_partial_one_only_what_is_missing(db, seeded):
    assert seeded.created["courses"] == 3 and seeded.created["certificates"] >= 2
    before = _row_counts(db)

    again = seed_demo(utcnow() + timedelta(hours=3))
    db.session.commit()

    assert not again.anything_created
    assert _row_counts(db) == before

    waiting = db.session.scalar(select(Enrolment).where(Enrolment.status == EnrolmentStatus.WAITLISTED)
                                .order_by(Enrolment.id.desc()))
    db.session.delete(waiting)
    db.session.commit()
    third = seed_demo(utcnow())
    db.session.commit()
    assert dict(+third.created) == {"enrolments": 1}
    assert _row_counts(db) == before


def test_certificate_codes_are_the_same_run_after_run():
    first = demo_training.certificate_code("someone@example.org", "A course")
    assert first == demo_training.certificate_code("someone@example.org", "A course")
    assert first != demo_training.certificate_code("someone@example.org", "Another course")
    assert len(first) == CODE_LENGTH and set(first) <= set(CODE_ALPHABET)


def test_the_demo_people_see_the_track_on_their_pages(db, client, login, seeded):
    full = db.session.get(Session, demo_training.full_session_id())
    foundations = _course(db, demo_training.FOUNDATIONS)
    call = db.session.get(Call, demo_training.certificate_call_id())
    kijiji = _organisation(db, "kijiji")

    catalogue = client.get("/training/").get_data(as_text=True)
    assert all(title in catalogue for title in ("Organisational foundations", "Financial management workshop"))

    login(_user(db, data.APPLICANT_EMAIL))
    mine = client.get("/training/mine")
    assert mine.status_code == 200
    page = mine.get_data(as_text=True)
    assert full.display_title in page and "Kampala" in page
    call_page = client.get(f"/calls/{call.id}")
    assert call_page.status_code == 200 and foundations.title in call_page.get_data(as_text=True)
    assessments = client.get("/training/assessments")
    assert assessments.status_code == 200
    follow_up = compare(organisation_assessments(kijiji.id)).follow_up
    assert client.get(f"/training/assessments/{follow_up.id}").status_code == 200

    login(_user(db, demo_training.TRAINER_EMAIL))
    teaching = client.get("/training/teaching")
    assert teaching.status_code == 200 and "Pokhara" in teaching.get_data(as_text=True)
    assert client.get(f"/training/sessions/{full.id}/attendance").status_code == 200

    login(_user(db, "wanjiru.kamau@mtaani-hub.example"))
    refused = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "nobody in your organisation holds one yet" in refused
    assert f"/training/courses/{foundations.id}" in refused


def test_a_reseed_after_a_promotion_keeps_seats_and_positions_right(db, seeded):
    full = db.session.get(Session, demo_training.full_session_id())
    seated = db.session.scalars(select(Enrolment).where(Enrolment.session_id == full.id,
                                                        Enrolment.status == EnrolmentStatus.CONFIRMED)
                                .order_by(Enrolment.id)).all()
    cancel_enrolment(seated[0].user, seated[0].id)  # the applicant is promoted; two still wait, as 1 and 2
    db.session.commit()
    # Rows gone from the database (by hand), and the seat one of them held given to the next in line...
    last_waiting = db.session.scalar(select(Enrolment).where(Enrolment.session_id == full.id,
                                                             Enrolment.waitlist_position == 2))
    gone_seat = seated[1].user_id
    db.session.delete(last_waiting)
    db.session.delete(seated[1])
    db.session.commit()
    fill_free_seats(_user(db, "admin@cade.example"), full)
    db.session.commit()

    report = seed_demo(utcnow())
    db.session.commit()

    # ...come back without breaking the session's invariants: no seat beyond `seats`, no gap in the list.
    assert dict(+report.created) == {"enrolments": 2}
    rows = db.session.scalars(select(Enrolment).where(Enrolment.session_id == full.id)).all()
    assert sum(e.status == EnrolmentStatus.CONFIRMED for e in rows) == full.seats
    waiting = sorted((e for e in rows if e.status == EnrolmentStatus.WAITLISTED), key=lambda e: e.waitlist_position)
    assert [e.waitlist_position for e in waiting] == [1, 2]
    assert waiting[0].user_id == gone_seat
