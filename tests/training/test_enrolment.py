"""Enrolment: seats, the waiting list, every refusal with its reason, cancellation and promotion."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, DeadlinePassed, InvalidTransition, NotEligible, NotFound, PermissionDenied
from cade.core.errors import ValidationFailed
from cade.training import services
from cade.training.constants import EnrolmentStatus
from cade.training.models import Enrolment
from cade.training.services import EnrolInput, ScheduleClash
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    MembershipFactory,
    OrganisationFactory,
    SessionFactory,
    UserFactory,
    member,
)


def _enrol(user, session, **data):
    enrolment = services.enrol(user, session.id, EnrolInput.from_input(data))
    return enrolment


def _state(session):
    rows = services.course_sessions(session.course)
    return [(e.user_id, e.status, e.waitlist_position) for e in
            _all(session)], next(r for r in rows if r.session.id == session.id)


def _all(session):
    from cade.extensions import db
    return list(db.session.scalars(select(Enrolment).where(Enrolment.session_id == session.id)
                                   .order_by(Enrolment.id)))


def test_confirmed_while_seats_remain_then_waitlisted_in_order(db, outbox):
    session = SessionFactory(seats=2)
    people = [member() for _ in range(4)]
    enrolments = [_enrol(person, session) for person in people]
    db.session.commit()

    assert [(e.status, e.waitlist_position) for e in enrolments] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert [n.recipient_id for n in outbox("training.confirmed")] == [people[0].id, people[1].id]
    waitlisted = outbox("training.waitlisted")
    assert [(n.recipient_id, n.context["position"]) for n in waitlisted] == [(people[2].id, 1), (people[3].id, 2)]
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.object_id == enrolments[0].id,
                                                           AuditEvent.object_type == "Enrolment")) \
        == "enrolment.created"


def test_the_only_organisation_is_taken_and_one_of_several_must_be_chosen(db):
    session = SessionFactory()
    person = member()
    assert _enrol(person, session).organisation_id == person_organisation(person)

    two = member()
    other = MembershipFactory(user=two).organisation
    with pytest.raises(ValidationFailed) as refused:
        _enrol(two, session)
    assert "organisation_id" in refused.value.errors
    assert _enrol(two, session, organisation_id=str(other.id)).organisation_id == other.id


def person_organisation(user):
    from cade.organisations.services.queries import organisations_for_user
    [organisation] = organisations_for_user(user)
    return organisation.id


def test_an_organisation_not_ones_own_is_refused(db):
    person = member()
    stranger = OrganisationFactory()
    with pytest.raises(ValidationFailed) as refused:
        _enrol(person, SessionFactory(), organisation_id=stranger.id)
    assert refused.value.errors["organisation_id"]


def test_someone_without_an_organisation_is_told_to_register_one(db):
    with pytest.raises(PermissionDenied, match="Register your organisation"):
        _enrol(UserFactory(), SessionFactory())


def test_a_window_not_yet_open_is_refused_with_its_opening(db):
    session = SessionFactory(enrolment_opens_at=utcnow() + timedelta(days=2))
    with pytest.raises(DeadlinePassed, match=r"Enrolment opens on .*\(Africa/Nairobi\)"):
        _enrol(member(), session)


def test_a_closed_window_is_refused(db):
    session = SessionFactory(enrolment_opens_at=utcnow() - timedelta(days=5),
                             enrolment_closes_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(DeadlinePassed, match="Enrolment closed on"):
        _enrol(member(), session)


def test_a_cancelled_session_is_refused(db, admin):
    session = SessionFactory()
    services.cancel_session(admin, session.id)
    with pytest.raises(InvalidTransition, match="cancelled"):
        _enrol(member(), session)


def test_a_session_that_is_over_is_refused(db):
    start = utcnow() - timedelta(hours=3)
    session = SessionFactory(starts_at=start, ends_at=start + timedelta(hours=2),
                             enrolment_opens_at=start - timedelta(days=9), enrolment_closes_at=start)
    with pytest.raises(InvalidTransition, match="over"):
        _enrol(member(), session)


def test_enrolling_twice_is_refused_and_a_double_submit_leaves_one_enrolment(db):
    session = SessionFactory()
    person = member()
    _enrol(person, session)
    db.session.commit()
    with pytest.raises(AlreadyExists, match="already enrolled"):
        _enrol(person, session)
    db.session.rollback()
    assert len(_all(session)) == 1


def test_after_cancelling_one_may_enrol_again(db):
    session = SessionFactory()
    person = member()
    first = _enrol(person, session)
    services.cancel_enrolment(person, first.id)
    again = _enrol(person, session)
    assert again.status == "confirmed" and again.id != first.id


def test_an_overlapping_session_with_a_confirmed_seat_is_refused(db):
    person = member()
    first = SessionFactory(title="Morning workshop")
    _enrol(person, first)
    overlapping = SessionFactory(starts_at=first.starts_at + timedelta(hours=1))
    with pytest.raises(ScheduleClash, match="overlaps “Morning workshop”"):
        _enrol(person, overlapping)
    after = SessionFactory(starts_at=first.ends_at)  # back to back is no clash
    assert _enrol(person, after).status == "confirmed"


def test_a_waitlisted_place_elsewhere_is_no_clash(db):
    person = member()
    full = SessionFactory(seats=1)
    _enrol(member(), full)
    assert _enrol(person, full).status == "waitlisted"
    assert _enrol(person, SessionFactory(starts_at=full.starts_at)).status == "confirmed"


def test_a_missing_prerequisite_is_refused_naming_the_course(db):
    basics = CourseFactory(title="Security basics")
    advanced = SessionFactory(course=CourseFactory(prerequisite=basics))
    person = member()
    with pytest.raises(NotEligible, match="complete “Security basics” first"):
        _enrol(person, advanced)
    past = utcnow() - timedelta(days=30)
    EnrolmentFactory(user=person, status=EnrolmentStatus.COMPLETED, session=SessionFactory(
        course=basics, starts_at=past, enrolment_opens_at=past - timedelta(days=9), enrolment_closes_at=past))
    assert not services.holds_prerequisite(person, advanced.course)  # a certificate, not an enrolment, proves it
    CertificateFactory(user=person, course=basics)
    assert services.holds_prerequisite(person, advanced.course)
    assert _enrol(person, advanced).status == "confirmed"


def test_an_unpublished_course_cannot_be_enrolled_in(db):
    with pytest.raises(NotFound):
        _enrol(member(), SessionFactory(course=CourseFactory(draft=True)))


def test_cancelling_a_seat_promotes_the_first_waitlisted_and_moves_the_others_up(db, outbox):
    session = SessionFactory(seats=1)
    seated, first, second, third = (member() for _ in range(4))
    held = _enrol(seated, session)
    waiting = [_enrol(person, session) for person in (first, second, third)]
    db.session.commit()

    services.cancel_enrolment(seated, held.id)
    db.session.commit()

    assert [(e.user_id, e.status, e.waitlist_position) for e in _all(session)] == [
        (seated.id, "cancelled", None), (first.id, "confirmed", None),
        (second.id, "waitlisted", 1), (third.id, "waitlisted", 2)]
    [promoted] = outbox("training.promoted")
    assert promoted.recipient_id == first.id and promoted.context["enrolment_id"] == waiting[0].id
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.object_id == waiting[0].id,
                                                           AuditEvent.object_type == "Enrolment")
                             .order_by(AuditEvent.id.desc())) == "enrolment.promoted"


def test_leaving_the_waiting_list_moves_those_behind_up_without_a_promotion(db, outbox):
    session = SessionFactory(seats=1)
    _enrol(member(), session)
    first, second, third = (member() for _ in range(3))
    waiting = [_enrol(person, session) for person in (first, second, third)]
    services.cancel_enrolment(second, waiting[1].id)
    db.session.commit()
    assert [(e.user_id, e.status, e.waitlist_position) for e in _all(session)][1:] == [
        (first.id, "waitlisted", 1), (second.id, "cancelled", None), (third.id, "waitlisted", 2)]
    assert outbox("training.promoted") == []


def test_cancelling_twice_or_someone_elses_is_refused(db, admin):
    session = SessionFactory()
    person, other = member(), member()
    enrolment = _enrol(person, session)
    with pytest.raises(NotFound):
        services.cancel_enrolment(other, enrolment.id)
    services.cancel_enrolment(person, enrolment.id)
    with pytest.raises(InvalidTransition, match="no longer be cancelled"):
        services.cancel_enrolment(person, enrolment.id)
    second = _enrol(person, session)
    assert services.cancel_enrolment(admin, second.id).status == "cancelled"  # an admin may cancel anyone's
