"""Attendance by the session's trainers, the course's completion rule and the one certificate it issues."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.training.constants import EnrolmentStatus, SessionStatus
from cade.training.models import Certificate
from cade.training.services.attendance import mark_attendance
from tests.concurrency import run_side_by_side
from tests.factories import CourseFactory, EnrolmentFactory, SessionFactory, UserFactory, member


def past_session(course, days_ago=2, **kwargs):
    start = utcnow() - timedelta(days=days_ago)
    return SessionFactory(course=course, starts_at=start, enrolment_opens_at=start - timedelta(days=9),
                          enrolment_closes_at=start - timedelta(hours=1), **kwargs)


@pytest.fixture()
def trainer(db):
    return UserFactory(roles=["trainer"], name="Tess Trainer")


def _certificates(db, user=None):
    query = select(func.count(Certificate.id))
    if user is not None:
        query = query.where(Certificate.user_id == user.id)
    return db.session.scalar(query)


def test_a_trainer_marks_their_session_and_it_is_audited(db, trainer):
    course = CourseFactory(required_sessions=2)
    session = past_session(course, trainers=[trainer])
    came, missed = EnrolmentFactory(session=session), EnrolmentFactory(session=session)
    mark_attendance(trainer, session.id, {came.id: True, missed.id: False})
    db.session.commit()
    assert (came.status, missed.status) == (EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW)
    verbs = set(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "Enrolment")))
    assert {"enrolment.attended", "enrolment.no_show"} <= verbs
    # A mark can be corrected until the course is completed.
    mark_attendance(trainer, session.id, {came.id: False, missed.id: True})
    assert (came.status, missed.status) == (EnrolmentStatus.NO_SHOW, EnrolmentStatus.ATTENDED)


def test_another_trainer_gets_not_found_and_an_admin_may_mark(db, trainer, admin):
    session = past_session(CourseFactory(), trainers=[trainer])
    enrolment = EnrolmentFactory(session=session)
    with pytest.raises(NotFound):
        mark_attendance(UserFactory(roles=["trainer"]), session.id, {enrolment.id: True})
    with pytest.raises(NotFound):
        mark_attendance(enrolment.user, session.id, {enrolment.id: True})
    mark_attendance(admin, session.id, {enrolment.id: True})
    assert enrolment.status == EnrolmentStatus.COMPLETED  # one session of one: complete


def test_attendance_waits_for_the_session_to_start(db, trainer):
    session = SessionFactory(trainers=[trainer])
    enrolment = EnrolmentFactory(session=session)
    with pytest.raises(InvalidTransition):
        mark_attendance(trainer, session.id, {enrolment.id: True})


def test_n_of_m_sessions_complete_the_course(db, trainer):
    course = CourseFactory(required_sessions=2)
    first, second, third = (past_session(course, days, trainers=[trainer]) for days in (9, 6, 3))
    person = member()
    enrolments = [EnrolmentFactory(session=s, user=person) for s in (first, second, third)]
    mark_attendance(trainer, first.id, {enrolments[0].id: True})
    assert _certificates(db) == 0 and enrolments[0].status == EnrolmentStatus.ATTENDED
    mark_attendance(trainer, second.id, {enrolments[1].id: False})
    assert _certificates(db) == 0
    mark_attendance(trainer, third.id, {enrolments[2].id: True})
    db.session.commit()
    assert [e.status for e in enrolments] == [EnrolmentStatus.COMPLETED, EnrolmentStatus.NO_SHOW,
                                              EnrolmentStatus.COMPLETED]
    certificate = db.session.scalar(select(Certificate))
    assert (certificate.user_id, certificate.course_id) == (person.id, course.id)
    assert certificate.organisation_id == enrolments[2].organisation_id
    # Completed marks are final: the certificate stands on them.
    with pytest.raises(InvalidTransition):
        mark_attendance(trainer, third.id, {enrolments[2].id: False})


def test_all_sessions_needed_when_no_number_is_set_and_cancelled_ones_do_not_count(db, trainer):
    course = CourseFactory(required_sessions=None)
    first, second = past_session(course, 5, trainers=[trainer]), past_session(course, 3, trainers=[trainer])
    past_session(course, 4, status=SessionStatus.CANCELLED)
    person = member()
    one, two = EnrolmentFactory(session=first, user=person), EnrolmentFactory(session=second, user=person)
    mark_attendance(trainer, first.id, {one.id: True})
    assert _certificates(db) == 0
    mark_attendance(trainer, second.id, {two.id: True})
    assert _certificates(db) == 1 and one.status == two.status == EnrolmentStatus.COMPLETED


def test_a_double_save_issues_one_certificate(db, trainer, outbox):
    session = past_session(CourseFactory(), trainers=[trainer])
    enrolment = EnrolmentFactory(session=session)
    mark_attendance(trainer, session.id, {enrolment.id: True})
    mark_attendance(trainer, session.id, {enrolment.id: True})
    db.session.commit()
    assert _certificates(db) == 1
    assert len(outbox("training.certificate_issued")) == 1


def test_two_concurrent_saves_issue_one_certificate(app, db, trainer):
    course = CourseFactory(required_sessions=1)
    first, second = past_session(course, 4, trainers=[trainer]), past_session(course, 3, trainers=[trainer])
    person = member()
    one, two = EnrolmentFactory(session=first, user=person), EnrolmentFactory(session=second, user=person)
    db.session.commit()
    ids = (trainer.id, first.id, one.id, second.id, two.id)
    db.session.remove()

    def save(session_id, enrolment_id):
        from cade.accounts.models import User
        from cade.extensions import db as _db
        return lambda: mark_attendance(_db.session.get(User, ids[0]), session_id, {enrolment_id: True})

    outcomes = run_side_by_side(app, [save(ids[1], ids[2]), save(ids[3], ids[4])], pause_after="from enrolments")
    assert all(o == "done" or isinstance(o, Exception) for o in outcomes)
    assert _certificates(db) == 1


def test_only_confirmed_participants_of_that_session_can_be_marked(db, trainer):
    session = past_session(CourseFactory(), trainers=[trainer])
    waiting = EnrolmentFactory(session=session, status=EnrolmentStatus.WAITLISTED, waitlist_position=1)
    elsewhere = EnrolmentFactory()
    mark_attendance(trainer, session.id, {waiting.id: True, elsewhere.id: True})
    assert waiting.status == EnrolmentStatus.WAITLISTED and elsewhere.status == EnrolmentStatus.CONFIRMED
