"""The applications API: start, save, attach, submit, withdraw, remind.

Every function takes the acting user explicitly, flushes but never commits,
and raises `cade.core.errors` DomainErrors with messages safe to show.
"""

from sqlalchemy import exists, select

from cade.applications.models import Application
from cade.applications.services._common import NotADraft
from cade.applications.services.attachments import (
    add_attachment,
    delete_attachment,
    download_name,
    open_attachment,
)
from cade.applications.services.drafts import (
    KEEP,
    BudgetLineInput,
    DraftInput,
    find_live_application,
    list_applications_for_user,
    live_applications_by_organisation,
    save_draft,
    start_application,
)
from cade.applications.services.reminders import queue_call_closing_reminders
from cade.applications.services.standing import Standing, StartOption, applicant_standing
from cade.applications.services.submission import (
    AlreadySubmitted,
    completeness_errors,
    submit_application,
    withdraw_application,
)

from cade.extensions import db
from cade.programmes import services as programme_services


def _call_has_applications(call) -> bool:
    """The programmes hook: a call with applications keeps its prefix and its questions."""
    return bool(db.session.scalar(select(exists().where(Application.call_id == call.id))))


programme_services.call_lock_checks.append(_call_has_applications)

__all__ = [
    "KEEP", "AlreadySubmitted", "NotADraft", "BudgetLineInput", "DraftInput", "Standing", "StartOption",
    "add_attachment", "applicant_standing", "find_live_application",
    "completeness_errors", "delete_attachment", "download_name", "list_applications_for_user", "open_attachment",
    "live_applications_by_organisation", "queue_call_closing_reminders", "save_draft", "start_application",
    "submit_application", "withdraw_application",
]
