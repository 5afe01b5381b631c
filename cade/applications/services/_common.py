"""Loading and locking helpers the application services share."""

from flask_babel import gettext as _
from sqlalchemy import update

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.permissions import is_assisting, is_member
from cade.core.audit import record_event
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


class ConsentMissing(InvalidTransition):
    """An assisted application submitted by staff before the organisation's consent was recorded."""

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("Record the organisation's consent before submitting on its behalf."),
                         field="consent", **kwargs)


def require_member(actor, application: Application) -> None:
    """Let the organisation's members act on its application, and the administrator who entered an assisted
    application for it; PermissionDenied for anyone else.

    What that administrator does for the organisation is audited step by step
    ("application.assisted_step"), in the transaction of the step itself: a
    refused step rolls back and leaves no trace, a saved one is on record.
    Members' own saves are not audited one by one (autosave runs every few seconds).
    """
    if is_member(actor, application.organisation_id):
        return
    if not is_assisting(actor, application):
        raise PermissionDenied()
    record_event(actor, "application.assisted_step", application,
                 after={"organisation_id": application.organisation_id, "status": str(application.status)})


def require_consent(actor, application: Application) -> None:
    """Refuse (ConsentMissing) staff submitting an assisted application whose organisation's consent is not on
    record. A member submitting it needs none: the organisation acts itself."""
    entry = application.assisted_entry
    if entry is None or entry.consent_recorded_at is not None or is_member(actor, application.organisation_id):
        return
    raise ConsentMissing()


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
