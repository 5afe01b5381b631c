"""Courses, sessions and enrolment: every rule and change, with audit rows and notifications.

Services take the acting user first, then the ids they act on, then one command
(`CourseInput`, `SessionInput`, `EnrolInput`: cade/core/commands.py). They
flush but never commit, and raise `cade.core.errors` domain errors.
`holds_prerequisite` is the one answer to "may this person take this course"
as far as its prerequisite goes.
"""

from cade.training.services.courses import COURSE_FIELDS, CourseInput, create_course, holds_prerequisite, update_course
from cade.training.services.enrolment import (
    EnrolInput,
    ScheduleClash,
    cancel_enrolment,
    check_session_open,
    enrol,
    fill_free_seats,
)
from cade.training.services.queries import (
    Reader,
    SessionRow,
    admin_courses,
    catalogue,
    course_sessions,
    my_enrolments,
    reader_standing,
    trainer_choices,
)
from cade.training.services.sessions import SessionInput, cancel_session, create_session, update_session

__all__ = [
    "COURSE_FIELDS", "CourseInput", "EnrolInput", "Reader", "ScheduleClash", "SessionInput", "SessionRow",
    "admin_courses", "cancel_enrolment", "cancel_session", "catalogue", "check_session_open", "course_sessions",
    "create_course", "create_session", "enrol", "fill_free_seats", "holds_prerequisite", "my_enrolments",
    "reader_standing", "trainer_choices", "update_course", "update_session",
]
