"""Who may see and change an application: its organisation's members, and administrators."""

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.models import Membership


def is_member(user, organisation_id: int | None) -> bool:
    if user is None or organisation_id is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id,
                                    Membership.organisation_id == organisation_id)
    ) is not None


def can_view_application(user, application) -> bool:
    """Members of the applying organisation and administrators; for anyone else it does not exist."""
    return application is not None and (is_admin(user) or is_member(user, application.organisation_id))


def can_edit_application(user, application) -> bool:
    """Members may change their organisation's application while it is a draft."""
    return (application is not None and application.status == ApplicationStatus.DRAFT
            and is_member(user, application.organisation_id))


def can_submit_application(user, application) -> bool:
    """The same people who may edit it: members, while it is a draft."""
    return can_edit_application(user, application)


def can_withdraw_application(user, application) -> bool:
    """Members may withdraw a draft or a submitted application (not once review has started)."""
    return (application is not None
            and application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
            and is_member(user, application.organisation_id))


def can_download_attachment(user, attachment) -> bool:
    """Whoever may view the application may download its files."""
    return attachment is not None and can_view_application(user, attachment.application)
