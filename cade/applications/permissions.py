"""Who may see and change an application: its organisation's members, and administrators."""

from cade.applications.constants import ApplicationStatus
from cade.core.permissions import is_admin
from cade.organisations.services import is_member


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
