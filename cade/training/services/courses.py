"""Courses: create and change them; the prerequisite a course asks of those who enrol."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from cade.core.commands import Choice, Codes, Command, Flag, Id, Integer, Text, field
from cade.core.errors import ValidationFailed
from cade.extensions import db
from cade.programmes.services.common import add_audited, change_audited, get_or_raise
from cade.training.constants import COURSE_LANGUAGES, CapacityDimension, CourseFormat
from cade.training.models import Course
from cade.training.services.common import require_admin

COURSE_FIELDS = ("title", "description", "format", "language", "dimensions", "required_sessions",
                 "prerequisite_id", "published")
MAX_REQUIRED_SESSIONS = 100


@dataclass(frozen=True)
class CourseInput(Command):
    title: str | None = field(Text(max_len=200, required=True))
    description: str | None = field(Text(max_len=20_000))
    format: str | None = field(Choice(CourseFormat, required=True, message=_l("Choose a format.")))
    language: str | None = field(Choice(COURSE_LANGUAGES, required=True, message=_l("Choose a language.")))
    dimensions: list[str] = field(Codes(CapacityDimension), default_factory=list)
    # None: every session of the course must be attended.
    required_sessions: int | None = field(Integer(1, MAX_REQUIRED_SESSIONS, required=False))
    prerequisite_id: int | None = field(Id(required=False))
    published: bool = field(Flag(), default=False)


def _check_prerequisite(course_id: int | None, prerequisite_id: int | None) -> None:
    if prerequisite_id is None:
        return
    chain, current = set(), db.session.get(Course, prerequisite_id)
    if current is None:
        raise ValidationFailed({"prerequisite_id": [_l("Choose a course from the list.")]})
    # A course cannot require itself, directly or through the courses it requires.
    while current is not None and current.id not in chain:
        if current.id == course_id:
            raise ValidationFailed({"prerequisite_id": [_l("A course cannot require itself, even through "
                                                           "another course.")]})
        chain.add(current.id)
        current = current.prerequisite


def create_course(actor, command: CourseInput) -> Course:
    """Create a course (unpublished unless the command publishes it). Raises PermissionDenied, ValidationFailed."""
    require_admin(actor)
    _check_prerequisite(None, command.prerequisite_id)
    course = Course(**command.changes(*COURSE_FIELDS))
    add_audited(actor, course, "course.created", COURSE_FIELDS)
    return course


def update_course(actor, course_id: int, command: CourseInput) -> Course:
    """Change every field of a course. Raises PermissionDenied, NotFound, ValidationFailed."""
    require_admin(actor)
    course = get_or_raise(Course, course_id)
    _check_prerequisite(course.id, command.prerequisite_id)
    change_audited(actor, course, command.changes(*COURSE_FIELDS), "course.updated", COURSE_FIELDS)
    return course


def holds_prerequisite(user, course: Course) -> bool:
    """Whether `user` meets `course`'s prerequisite: none, or they hold a valid (not revoked) certificate
    of the prerequisite course. The one place that answers it: enrolment and the course page follow.
    """
    from cade.training.services.certificates import holds_certificate

    if course.prerequisite_id is None:
        return True
    if user is None or getattr(user, "id", None) is None:
        return False
    return holds_certificate(user.id, course.prerequisite_id)
