"""The demo's training track (issue 10, item 10), from `cade.demo.training_data`.

Three published courses and their sessions in the past, running now and to
come (each in its own time zone, at a local hour), trained by the demo
trainer; attendance marked on past sessions; certificates for those who
completed a course; a future session full with a numbered waiting list, on
which the demo applicant is first, so "waitlisted → promoted when someone
cancels" can be tried; an open call that requires the foundations
certificate (the applicant's organisation holds one, another organisation
does not); and capacity assessments whose follow-ups show gains.

Like the rest of the seed, rows are written directly (the services refuse to
enrol in the past or to date a certificate before today) keeping the
services' invariants: seats never exceed the session's, waiting-list
positions are gapless, completions follow the course's rule, each
certificate has the service's code alphabet and length (drawn from a seeded
generator, so every seed gives the same codes) and schedules its
organisation's follow-up as `schedule_follow_up` would. Rows are found by
natural keys first (course title; course and session title; session and
person; person and course; organisation, kind and course): seeding twice adds
nothing. Flushes, never commits.
"""

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from cade.demo import data
from cade.demo.training_data import (
    ASSESSMENTS,
    BASELINE_DAYS,
    BASELINE_NOTES,
    CERTIFICATE_CALL,
    COURSES,
    DIMENSIONS,
    ENROLMENTS,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_NOTES,
    FOUNDATIONS,
    FULL_SESSION,
    NOT_ELIGIBLE_ORG,
    SESSIONS,
    STUDY_VISIT,
    TRAINER_EMAIL,
    WINDOW_OPENS_DAYS,
    WORKSHOP,
)
from cade.extensions import db
from cade.programmes.models import Call
from cade.training.assessments.models import AssessmentKind, AssessmentScore, AssessmentStatus, CapacityAssessment
from cade.training.constants import SEATED_STATUSES, EnrolmentStatus
from cade.training.models import Certificate, Course, Enrolment, Session
from cade.training.services.certificates import CODE_ALPHABET, CODE_LENGTH

__all__ = ["FOUNDATIONS", "WORKSHOP", "STUDY_VISIT", "NOT_ELIGIBLE_ORG", "ASSESSED_ORGS", "seed_training",
           "certificate_code", "full_session_id", "certificate_call_id"]

ASSESSED_ORGS = tuple(ASSESSMENTS)
_DONE = (EnrolmentStatus.ATTENDED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NO_SHOW)


def certificate_code(email: str, course_title: str) -> str:
    """The demo certificate's code: the service's alphabet and length, the same draw on every seed."""
    draw = random.Random(f"demo-certificate:{email.lower()}:{course_title}")
    return "".join(draw.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def full_session_id() -> int | None:
    """The id of the demo's full session (the one with the waiting list)."""
    key, course, title, *_ = next(spec for spec in SESSIONS if spec[0] == FULL_SESSION)
    return db.session.scalar(select(Session.id).join(Course, Course.id == Session.course_id)
                             .where(Course.title == course, Session.title == title))


def certificate_call_id() -> int | None:
    """The id of the open demo call that requires the foundations certificate."""
    return db.session.scalar(select(Call.id).where(Call.title == CERTIFICATE_CALL["title"]))


def _at(now: datetime, zone: str, day: int, hour: int) -> datetime:
    """`hour` o'clock in `zone` on the local day `day` days from now, in UTC."""
    tz = ZoneInfo(zone)
    local = (now.astimezone(tz) + timedelta(days=day)).date()
    return datetime(local.year, local.month, local.day, hour, tzinfo=tz).astimezone(timezone.utc)


def seed_training(seeder, organisations: dict, programmes: dict) -> None:
    """Add whatever part of the training track is missing."""
    now = seeder.now
    created = seeder.report.created
    people = {member[0].lower(): (spec["key"], member[0].lower())
              for spec in data.ORGANISATIONS for member in spec["members"]}
    trainer = seeder.users[TRAINER_EMAIL]

    courses = {c.title: c for c in db.session.scalars(select(Course).where(
        Course.title.in_([spec["title"] for spec in COURSES])))}
    for spec in COURSES:
        if spec["title"] not in courses:
            course = Course(title=spec["title"], description=spec["description"], format=spec["format"],
                            language=spec["language"], dimensions=list(spec["dimensions"]),
                            required_sessions=spec["required_sessions"], published=True,
                            prerequisite=courses.get(spec["prerequisite"]),
                            created_at=now - timedelta(days=90), updated_at=now - timedelta(days=90))
            db.session.add(course)
            courses[spec["title"]] = course
            created["courses"] += 1
    db.session.flush()

    existing_sessions = {(s.course_id, s.title): s for s in db.session.scalars(select(Session).where(
        Session.course_id.in_([c.id for c in courses.values()])))}
    sessions = {}
    for key, course_title, title, zone, (start_day, start_hour), (end_day, end_hour), seats, place, url in SESSIONS:
        course = courses[course_title]
        session = existing_sessions.get((course.id, title))
        if session is None:
            starts = _at(now, zone, start_day, start_hour)
            opens = starts - timedelta(days=WINDOW_OPENS_DAYS)
            session = Session(course=course, title=title, timezone=zone, starts_at=starts,
                              ends_at=_at(now, zone, end_day, end_hour), seats=seats, place=place,
                              online_url=url, enrolment_opens_at=opens,
                              enrolment_closes_at=starts - timedelta(days=1),
                              created_at=min(opens, now), updated_at=min(opens, now))
            db.session.add(session)
            created["training sessions"] += 1
        if trainer not in session.trainers:
            session.trainers.append(trainer)
        sessions[key] = session
    db.session.flush()

    _enrolments(seeder, sessions, organisations, people)
    db.session.flush()
    _certificates(seeder, courses, sessions, organisations, people)
    db.session.flush()
    _certificate_call(seeder, programmes, courses[FOUNDATIONS])
    _assessments(seeder, organisations, courses[FOUNDATIONS])
    db.session.flush()


def _enrolments(seeder, sessions: dict, organisations: dict, people: dict) -> None:
    """The enrolments that are missing, in the order of ENROLMENTS. A seat is given only while seats remain
    and a place on the waiting list goes at its end, as `enrol` does, also when earlier rows have moved on
    (someone cancelled and the next was promoted) since the first seed."""
    now = seeder.now
    ids = [s.id for s in sessions.values()]
    existing = set(db.session.execute(select(Enrolment.session_id, Enrolment.user_id)
                                      .where(Enrolment.session_id.in_(ids))).tuples())
    seated = {session_id: count for session_id, count in db.session.execute(
        select(Enrolment.session_id, func.count(Enrolment.id))
        .where(Enrolment.session_id.in_(ids), Enrolment.status.in_(SEATED_STATUSES))
        .group_by(Enrolment.session_id)).tuples()}
    last = {session_id: position for session_id, position in db.session.execute(
        select(Enrolment.session_id, func.max(Enrolment.waitlist_position))
        .where(Enrolment.session_id.in_(ids), Enrolment.status == EnrolmentStatus.WAITLISTED)
        .group_by(Enrolment.session_id)).tuples()}
    order: dict[str, int] = {}
    for key, email, status in ENROLMENTS:
        session = sessions[key]
        order[key] = order.get(key, 0) + 1
        user = seeder.users[email.lower()]
        if (session.id, user.id) in existing:
            continue
        position = None
        if status == EnrolmentStatus.CONFIRMED and seated.get(session.id, 0) >= session.seats:
            status = EnrolmentStatus.WAITLISTED
        if status == EnrolmentStatus.WAITLISTED:
            last[session.id] = position = (last.get(session.id) or 0) + 1
        else:
            seated[session.id] = seated.get(session.id, 0) + 1
        organisation = organisations[people[email.lower()][0]]
        enrolled = min(max(session.enrolment_opens_at, session.starts_at - timedelta(days=30))
                       + timedelta(hours=5 * order[key]), now - timedelta(hours=1))
        changed = min(session.ends_at + timedelta(hours=1), now) if status in _DONE else enrolled
        db.session.add(Enrolment(session=session, user=user, organisation=organisation, status=status,
                                 waitlist_position=position, status_changed_at=changed,
                                 created_at=enrolled, updated_at=changed))
        existing.add((session.id, user.id))
        seeder.report.created["enrolments"] += 1


def _certificates(seeder, courses: dict, sessions: dict, organisations: dict, people: dict) -> None:
    """One certificate per person and course completed, issued when the trainer marked the last session,
    and the organisation's follow-up assessment scheduled as issuing one does."""
    existing = set(db.session.execute(select(Certificate.user_id, Certificate.course_id)).tuples())
    days = current_app.config["ASSESSMENT_FOLLOW_UP_DAYS"]
    last_end = {title: max(s.ends_at for s in sessions.values() if s.course_id == course.id)
                for title, course in courses.items()}
    follow_ups = set(db.session.execute(select(CapacityAssessment.organisation_id, CapacityAssessment.course_id)
                                        .where(CapacityAssessment.kind == AssessmentKind.FOLLOW_UP)).tuples())
    completed: dict[tuple[str, str], datetime] = {}
    for key, email, status in ENROLMENTS:
        if status == EnrolmentStatus.COMPLETED:
            course = sessions[key].course.title
            ended = sessions[key].ends_at
            completed[(email.lower(), course)] = max(completed.get((email.lower(), course), ended), ended)
    for (email, title), ended in completed.items():
        user, course = seeder.users[email], courses[title]
        organisation = organisations[people[email][0]]
        if (user.id, course.id) not in existing:
            issued = min(ended + timedelta(hours=2), seeder.now)
            db.session.add(Certificate(user=user, course=course, code=certificate_code(email, title),
                                       organisation_id=organisation.id, organisation_name=organisation.display_name,
                                       issued_at=issued, created_at=issued, updated_at=issued))
            existing.add((user.id, course.id))
            seeder.report.created["certificates"] += 1
        if (organisation.id, course.id) not in follow_ups:
            db.session.add(CapacityAssessment(organisation=organisation, kind=AssessmentKind.FOLLOW_UP,
                                              status=AssessmentStatus.DRAFT, course_id=course.id,
                                              due_at=last_end[title] + timedelta(days=days)))
            follow_ups.add((organisation.id, course.id))
            seeder.report.created["capacity assessments"] += 1


def _certificate_call(seeder, programmes: dict, foundations: Course) -> None:
    spec = dict(CERTIFICATE_CALL, questions=data.CADE_QUESTIONS, rubric=data.CADE_RUBRIC)
    existing = db.session.scalar(select(Call).where(Call.title == spec["title"]))
    if existing is not None:
        seeder.calls[spec["title"]] = existing
    call = seeder.call(spec, programmes[spec["programme"]])
    if existing is None:  # an administrator may have changed the rule since: only a new call gets it
        call.required_course_id = foundations.id


def _assessments(seeder, organisations: dict, foundations: Course) -> None:
    """A submitted baseline for each organisation, and a submitted follow-up of the foundations course where
    one is given (the draft the certificate scheduled, filled in)."""
    now = seeder.now
    for key, (before, after) in ASSESSMENTS.items():
        organisation = organisations[key]
        owner = next(m.user for m in organisation.memberships if m.role == "owner")
        rows = {(a.kind, a.course_id): a for a in db.session.scalars(select(CapacityAssessment).where(
            CapacityAssessment.organisation_id == organisation.id))}
        if (AssessmentKind.BASELINE, None) not in rows:
            submitted = now + timedelta(days=BASELINE_DAYS)
            _submitted(seeder, CapacityAssessment(organisation=organisation, kind=AssessmentKind.BASELINE),
                       owner, submitted, [(score, BASELINE_NOTES[d]) for d, score in zip(DIMENSIONS, before)])
        if after is None:
            continue
        follow_up = rows.get((AssessmentKind.FOLLOW_UP, foundations.id))
        if follow_up is None or follow_up.status == AssessmentStatus.DRAFT and not follow_up.scores:
            if follow_up is None:
                follow_up = CapacityAssessment(organisation=organisation, kind=AssessmentKind.FOLLOW_UP,
                                               course_id=foundations.id)
            notes = [FOLLOW_UP_NOTES[d]["up" if b < a else "same" if b == a else "down"]
                     for d, b, a in zip(DIMENSIONS, before, after)]
            _submitted(seeder, follow_up, owner, now + timedelta(days=FOLLOW_UP_DAYS), list(zip(after, notes)))


def _submitted(seeder, assessment: CapacityAssessment, owner, submitted: datetime, scores) -> None:
    new = assessment.id is None
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = owner
    assessment.submitted_at = submitted
    assessment.created_at = assessment.created_at if not new else submitted - timedelta(days=2)
    assessment.updated_at = submitted
    for dimension, (score, note) in zip(DIMENSIONS, scores):
        assessment.scores.append(AssessmentScore(dimension=dimension, score=score, justification=note))
    if new:
        db.session.add(assessment)
        seeder.report.created["capacity assessments"] += 1
