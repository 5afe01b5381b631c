"""Loading and locking helpers the application services share."""

from flask_babel import gettext as _
from sqlalchemy import update

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.permissions import is_member
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied
from cade.core.timeutil import utcnow
from cade.extensions import db


class NotADraft(InvalidTransition):
    """The application has left the draft state (submitted or withdrawn meanwhile)."""


def load_application(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound()
    return application


def require_member(actor, application: Application) -> None:
    if not is_member(actor, application.organisation_id):
        raise PermissionDenied()


def lock_draft(application: Application) -> None:
    """Hold the application's row for this transaction, and confirm it is still a draft.

    The guarded UPDATE waits for any concurrent writer (a submission in another
    request) and then re-reads the status, so a late "save" can never change an
    application that was submitted a moment before.
    """
    db.session.flush()
    result = db.session.execute(
        update(Application.__table__)
        .where(Application.__table__.c.id == application.id,
               Application.__table__.c.status == ApplicationStatus.DRAFT.value)
        .values(updated_at=utcnow())
    )
    if result.rowcount != 1:
        db.session.refresh(application)
        raise NotADraft(_("This application has been submitted or withdrawn and can no longer be changed."))
