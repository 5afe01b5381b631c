"""Who may see and change an application: its organisation's members, and administrators."""

from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE
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


def is_withdrawable(application) -> bool:
    """Whether the application's state still allows withdrawal, as the table of moves says (not once review started).

    The one answer to "can this still be withdrawn?": the permission below, the
    withdrawal service and the pages all ask it.
    """
    return application is not None and APPLICATION_MACHINE.can(application, ApplicationStatus.WITHDRAWN)


def can_withdraw_application(user, application) -> bool:
    """Members may withdraw their application while the table of moves allows it (a draft or a submitted one)."""
    return is_withdrawable(application) and is_member(user, application.organisation_id)


def can_download_attachment(user, attachment) -> bool:
    """Whoever may view the application may download its files."""
    return attachment is not None and can_view_application(user, attachment.application)
