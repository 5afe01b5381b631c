"""The applicant's answer to a clarification request: saved as a draft as often as they like, then sent.

Saving writes the named fields into the application itself (`save_draft` with the request's fields reopened:
any other field stays locked) and the response into the request. Sending checks the whole application as
submission does, moves it back where review stood, and tells the admins and whoever asked. An answer sent
after the due date is refused with what to do, and everything typed stays saved.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cade.applications.models import APPLICATION_MACHINE
from cade.applications.services import DraftInput, completeness_errors
from cade.applications.services.drafts import NotReopened, lock_reopened, save_draft
from cade.conversations.clarifications import ClarificationClosed, closed_message, load_clarification, resume_status
from cade.conversations.constants import RESPONSE_MAX_CHARS, ClarificationStatus, MessageSide, ThreadTopic
from cade.conversations.fields import field_values
from cade.conversations.models import CLARIFICATION_MACHINE, ClarificationRequest
from cade.conversations.notices import tell_programme
from cade.conversations.threads import add_message
from cade.core.commands import Command, Text, field
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.timeutil import format_in_zone
from cade.extensions import db
from cade.organisations.services import is_member


@dataclass(frozen=True)
class ResponseInput(Command):
    """The applicant's reply to the request's message (may be empty in a draft)."""

    response: str | None = field(Text(max_len=RESPONSE_MAX_CHARS))


class AlreadyAnswered(InvalidTransition):
    """A second sending of the same answer (a double click): nothing more happened."""


def _for_member(actor, clarification_id: int) -> ClarificationRequest:
    clarification = load_clarification(actor, clarification_id)
    if not is_member(actor, clarification.application.organisation_id):
        raise PermissionDenied()  # staff read the request; only the organisation answers it
    return clarification


def _closed(clarification: ClarificationRequest) -> InvalidTransition:
    db.session.refresh(clarification)
    if clarification.status == ClarificationStatus.ANSWERED:
        return AlreadyAnswered(closed_message(clarification))
    return ClarificationClosed(closed_message(clarification))


def save_answer(actor, clarification_id: int, data: DraftInput, reply: ResponseInput) -> ClarificationRequest:
    """Keep the applicant's draft answer: the named fields' new values and the response; incomplete is fine.

    Raises NotFound, PermissionDenied (not a member), ValidationFailed (a field refused, or one the request
    did not name) and AlreadyAnswered / ClarificationClosed (answered or withdrawn meanwhile: nothing saved).
    """
    clarification = _for_member(actor, clarification_id)
    if clarification.status != ClarificationStatus.OPEN:
        raise _closed(clarification)
    try:
        save_draft(actor, clarification.application_id, data, reopened=clarification.fields)
    except NotReopened:
        raise _closed(clarification) from None
    db.session.refresh(clarification)
    if clarification.status != ClarificationStatus.OPEN:  # another request is open now: this one is not
        raise _closed(clarification)
    clarification.response = reply.response
    db.session.flush()
    return clarification


def answer_clarification(actor, clarification_id: int, now: datetime | None = None) -> ClarificationRequest:
    """Send the saved answer: the application goes back where review stood; audited; the admins and asker told.

    Checks, once the application's row is held: the request is open (AlreadyAnswered for a second click),
    the due date to the second (DeadlinePassed, saying what to do: the draft stays), then a response and
    the whole application as submission does (one ValidationFailed naming every field: "response", ...).
    The answer's audit event keeps the named fields before and after.
    """
    now = now or utcnow()
    clarification = _for_member(actor, clarification_id)
    try:
        lock_reopened(clarification.application)
    except NotReopened:
        raise _closed(clarification) from None
    db.session.expire_all()  # what was read before the lock may be stale
    clarification = db.session.get(ClarificationRequest, clarification_id)
    if clarification.status != ClarificationStatus.OPEN:
        raise _closed(clarification)
    application = clarification.application
    if now > clarification.due_at:
        raise DeadlinePassed(_(
            "The answer was due by %(due)s. What you wrote is kept as a draft. Ask for more time in a message "
            "to the programme below: the programme's staff can move the due date.",
            due=format_in_zone(clarification.due_at, application.call.timezone)))
    errors = completeness_errors(application)
    if not (clarification.response or "").strip():
        errors["response"] = [_("Write your answer to the request.")]
    if errors:
        raise ValidationFailed(errors, _l("Your answer is not complete yet."))

    APPLICATION_MACHINE.move(actor, application, resume_status(clarification),
                             audit=({"clarification_id": clarification.id}, None))
    CLARIFICATION_MACHINE.move(actor, clarification, ClarificationStatus.ANSWERED,
                               answered_at=now, answered_by_id=actor.id,
                               audit=(clarification.before,
                                      {"fields": field_values(application, clarification.fields),
                                       "response": clarification.response}))
    add_message(actor, application, ThreadTopic.APPLICATION, MessageSide.ORGANISATION, clarification.response,
                clarification_id=clarification.id)
    tell_programme(clarification)
    return clarification
