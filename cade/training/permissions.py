"""Who may manage training, see a course, cancel an enrolment and see where a session takes place."""

from cade.core.permissions import is_admin
from cade.training.constants import EnrolmentStatus, SEATED_STATUSES


def can_manage_training(user) -> bool:
    """Admins create and change courses and sessions, and cancel sessions."""
    return is_admin(user)


def can_view_course(user, course) -> bool:
    """Everyone sees a published course; an unpublished one is visible to admins only."""
    return course is not None and (course.published or is_admin(user))


def can_cancel_enrolment(user, enrolment) -> bool:
    """The participant, or an admin, while the enrolment holds a seat or a place on the waiting list."""
    if enrolment is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    if enrolment.user_id != user.id and not is_admin(user):
        return False
    return enrolment.status in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)


def can_see_session_venue(user, session, enrolment=None) -> bool:
    """The place and the online link: for those holding a seat (`enrolment` is the reader's own), the
    session's trainers and admins. Someone on the waiting list does not see them yet."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_admin(user) or any(trainer.id == user.id for trainer in session.trainers):
        return True
    return (enrolment is not None and enrolment.user_id == user.id and enrolment.session_id == session.id
            and enrolment.status in SEATED_STATUSES)
