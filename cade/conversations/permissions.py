"""Who may ask an applicant to clarify, answer, follow the history, and talk in an application's thread.

The thread is between the organisation's members and the programme's admins: reviewers never read it,
only the messages an admin shares with them (and the history of clarification requests, which is part of
what they review). For anyone who may not see an application, its requests and thread do not exist (404).
"""

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.conversations.constants import ClarificationStatus, ThreadTopic
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.services import is_member
from cade.reviews.models import Assignment
from cade.reviews.permissions import can_read_application_for_review
from cade.reviews.services.conflicts import declaration_for


def reviewing_assignment(user, application) -> Assignment | None:
    """The user's assignment to `application`, once they declared no conflict with it; else None."""
    if application is None or getattr(user, "id", None) is None:
        return None
    assignment = db.session.scalar(select(Assignment).where(Assignment.application_id == application.id,
                                                            Assignment.reviewer_id == user.id))
    if assignment is None:
        return None
    declaration = declaration_for(user.id, application.id)
    return assignment if can_read_application_for_review(user, assignment, declaration) else None


def can_see_clarifications(user, application) -> bool:
    """Admins, the organisation's members, and its reviewers who declared no conflict."""
    if application is None:
        return False
    return (is_admin(user) or is_member(user, application.organisation_id)
            or reviewing_assignment(user, application) is not None)


def can_request_clarification(user, application) -> bool:
    """Admins; and the application's reviewers who declared no conflict, where its call lets reviewers ask.

    Who may ask, whatever the application's state: the service says why a request cannot be made now.
    """
    if application is None:
        return False
    if is_admin(user):
        return True
    return application.call.reviewers_may_clarify and reviewing_assignment(user, application) is not None


def can_answer_clarification(user, clarification) -> bool:
    """The organisation's members, while the request is open."""
    return (clarification is not None and clarification.status == ClarificationStatus.OPEN
            and is_member(user, clarification.application.organisation_id))


def can_manage_clarification(user, clarification) -> bool:
    """Admins withdraw an open request or move its due date."""
    return clarification is not None and clarification.status == ClarificationStatus.OPEN and is_admin(user)


def can_view_thread(user, application, topic: str = ThreadTopic.APPLICATION) -> bool:
    """The organisation's members and the admins, once the application is sent in (the grant's once awarded)."""
    if application is None or application.submitted_at is None:
        return False
    if topic == ThreadTopic.GRANT and application.status != ApplicationStatus.AWARDED:
        return False
    return is_admin(user) or is_member(user, application.organisation_id)


def can_post_message(user, application, topic: str = ThreadTopic.APPLICATION) -> bool:
    """Whoever may read the thread, while the application is not withdrawn."""
    return can_view_thread(user, application, topic) and application.status != ApplicationStatus.WITHDRAWN


def can_share_message(user, message) -> bool:
    """Admins share a message of an application's thread with its reviewers (once)."""
    return (message is not None and is_admin(user) and message.shared_at is None
            and message.thread.topic == ThreadTopic.APPLICATION)


def can_change_clarification_settings(user) -> bool:
    """Admins say whether a call's reviewers may ask for clarifications."""
    return is_admin(user)
