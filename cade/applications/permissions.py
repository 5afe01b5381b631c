"""Who may see and change an application: its organisation's members, and administrators."""

from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE
from cade.core.permissions import is_admin
from cade.organisations.services import is_member


def can_view_application(user, application) -> bool:
    """Members of the applying organisation and administrators; for anyone else it does not exist."""
    return application is not None and (is_admin(user) or is_member(user, application.organisation_id))


def is_assisting(user, application) -> bool:
    """Whether `user` is the administrator who entered this assisted application for its organisation
    (cade/applications/assisted.py): the one person besides its members who acts for the organisation on it."""
    if application is None or getattr(user, "id", None) is None:
        return False
    entry = application.assisted_entry
    return entry is not None and entry.entered_by_id == user.id and is_admin(user)


def can_act_for_organisation(user, application) -> bool:
    """Members of the applying organisation, and the administrator who entered an assisted application for it:
    who may change, submit or withdraw it (the services check its state)."""
    return application is not None and (is_member(user, application.organisation_id)
                                        or is_assisting(user, application))


def can_read_assisted_entry(user, application) -> bool:
    """Administrators read who entered an assisted application and the consent on record."""
    return application is not None and is_admin(user) and application.assisted_entry is not None


def can_record_consent(user, application) -> bool:
    """Administrators record an organisation's consent to an assisted draft, until it is submitted."""
    return can_read_assisted_entry(user, application) and application.status == ApplicationStatus.DRAFT


def can_edit_application(user, application) -> bool:
    """Members (or the administrator entering it for them) may change their organisation's application while it
    is a draft."""
    return (application is not None and application.status == ApplicationStatus.DRAFT
            and can_act_for_organisation(user, application))


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
    """Members (or the administrator who entered it for them) may withdraw their application while the table of
    moves allows it (a draft or a submitted one)."""
    return is_withdrawable(application) and can_act_for_organisation(user, application)


def can_download_attachment(user, attachment) -> bool:
    """Whoever may view the application may download its files."""
    return attachment is not None and can_view_application(user, attachment.application)
