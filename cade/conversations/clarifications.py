"""Clarification requests: staff (or, where the call allows, a reviewer) ask the applicant to clarify named fields.

Asking moves the application to "information requested" (APPLICATION_MACHINE, audited) and keeps what the
named fields held (`before`); the applicant answers (cade/conversations/answers.py) and review resumes where it
stood (`resume_status`). One request is open per application at a time: the move is a compare-and-set, so of
two staff asking at once one wins and the other is told. Asking also locks the call's row, as deciding does,
so an application never has a decision recorded while information is requested: deciding waits for the answer
(cade/awards/services/decisions.py) and a decided application is not asked.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.applications.services.drafts import NotReopened, lock_reopened
from cade.awards.services.decisions import decision_for
from cade.conversations.constants import (
    CLARIFIABLE_STATUSES,
    REQUEST_MESSAGE_MAX_CHARS,
    ClarificationStatus,
    MessageSide,
    ThreadTopic,
)
from cade.conversations.fields import clarifiable_fields, field_values, is_field_name
from cade.conversations.models import CLARIFICATION_MACHINE, ClarificationRequest
from cade.conversations.notices import tell_applicant
from cade.conversations.permissions import can_request_clarification, can_see_clarifications, reviewing_assignment
from cade.conversations.threads import add_message
from cade.core.audit import record_event
from cade.core.commands import Codes, Command, Day, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import is_admin
from cade.core.timeutil import format_in_zone, local_to_utc
from cade.extensions import db
from cade.programmes.models import Call


PAST_DUE_DAY = _l("Choose a day from today on: the answer cannot be due in the past.")


@dataclass(frozen=True)
class DueDay(Day):
    """A due day; with the call's time zone in the context (`timezone`), one already over is refused too."""

    def clean(self, raw, cleaning):
        day = super().clean(raw, cleaning)
        zone = cleaning.context.get("timezone")
        if day is not None and zone and due_at_end_of(day, zone) <= (cleaning.context.get("now") or utcnow()):
            cleaning.refuse(PAST_DUE_DAY)
        return day


@dataclass(frozen=True)
class ClarificationInput(Command):
    """A request as staff type it: the fields to clarify, a message, and the day the answer is due (context
    `timezone`: the call's, to refuse a day already over with the other errors)."""

    fields: list[str] = field(Codes(is_field_name, message=_l("Choose only from the listed parts.")))
    message: str | None = field(Text(max_len=REQUEST_MESSAGE_MAX_CHARS, required=True))
    due_on: date | None = field(DueDay(message=_l("Enter the day the answer is due.")))

    def check(self, errors: FieldErrors) -> None:
        if not self.fields and "fields" not in errors:
            errors.add("fields", _l("Choose at least one part of the application to clarify."))


@dataclass(frozen=True)
class DueDateInput(Command):
    due_on: date | None = field(Day(message=_l("Enter the day the answer is now due.")))


class ClarificationOpen(InvalidTransition):
    """A request is already open on the application (perhaps asked a moment ago by someone else)."""

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _l("A clarification request is already open on this application. Wait for "
                                       "the answer, or withdraw that request first."), **kwargs)


class ClarificationClosed(InvalidTransition):
    """The request was answered or withdrawn meanwhile."""


def due_at_end_of(day: date, zone: str) -> datetime:
    """The last second of `day` in the call's time zone, in UTC: when an answer due that day is late."""
    return local_to_utc(datetime.combine(day, time(23, 59, 59)), zone)


def load_clarification(actor, clarification_id: int) -> ClarificationRequest:
    """The request, for whoever may see its application's requests; NotFound for anyone else."""
    clarification = db.session.get(ClarificationRequest, clarification_id)
    if clarification is None or not can_see_clarifications(actor, clarification.application):
        raise NotFound()
    return clarification


def open_clarification(application_id: int) -> ClarificationRequest | None:
    """The application's open request, if there is one."""
    return db.session.scalar(select(ClarificationRequest).where(
        ClarificationRequest.application_id == application_id,
        ClarificationRequest.status == ClarificationStatus.OPEN))


def request_clarification(actor, application_id: int, command: ClarificationInput,
                          now: datetime | None = None) -> ClarificationRequest:
    """Ask the applicant to clarify the named fields by the end of `due_on` (the call's time zone).

    Moves the application to INFO_REQUESTED (audited with the fields), keeps the fields' values, writes the
    request into the application's thread and tells the organisation's members. Raises NotFound (may not see
    the application), PermissionDenied (a reviewer where the call does not let reviewers ask),
    ClarificationOpen (one is open, perhaps since a moment ago), InvalidTransition (not submitted or under
    review, or already decided) and ValidationFailed (fields, message, due_on).
    """
    now = now or utcnow()
    application = db.session.get(Application, application_id)
    if application is None or not can_see_clarifications(actor, application):
        raise NotFound()
    if not can_request_clarification(actor, application):
        if reviewing_assignment(actor, application) is not None:
            raise PermissionDenied(_l("This call does not let its reviewers ask applicants for clarifications."))
        raise PermissionDenied()
    lock_row(Call, application.call_id)  # deciding takes the same lock: no decision is recorded meanwhile
    db.session.refresh(application)
    _require_clarifiable(application)
    call = application.call
    errors = FieldErrors()
    known = {named.name for named in clarifiable_fields(call)}
    if any(name not in known for name in command.fields):
        errors.add("fields", _l("Choose only from the listed parts."))
    due_at = due_at_end_of(command.due_on, call.timezone) if command.due_on else None
    if due_at is not None and due_at <= now:
        errors.add("due_on", PAST_DUE_DAY)
    errors.raise_if_any()

    resume = application.status
    try:
        APPLICATION_MACHINE.move(actor, application, ApplicationStatus.INFO_REQUESTED,
                                 audit=(None, {"fields": command.fields}))
    except InvalidTransition:
        _require_clarifiable(application)  # refreshed by the move: says what the winner did
        raise
    clarification = ClarificationRequest(
        application_id=application.id, requested_by_id=actor.id,
        requested_as="admin" if is_admin(actor) else "reviewer", fields=command.fields, message=command.message,
        due_at=due_at, status=ClarificationStatus.OPEN, resume_status=resume,
        before=field_values(application, command.fields))
    db.session.add(clarification)
    db.session.flush()
    record_event(actor, "clarification.requested", clarification, after={
        "application_id": application.id, "fields": command.fields, "message": command.message,
        "due_at": due_at.isoformat(), "requested_as": clarification.requested_as})
    add_message(actor, application, ThreadTopic.APPLICATION, MessageSide.PROGRAMME, command.message,
                clarification_id=clarification.id)
    tell_applicant(clarification, "clarification_requested", f"clarification:{clarification.id}")
    return clarification


def _require_clarifiable(application: Application) -> None:
    if application.status == ApplicationStatus.INFO_REQUESTED:
        raise ClarificationOpen()
    if application.status not in CLARIFIABLE_STATUSES:
        raise InvalidTransition(_l("Only an application submitted or under review can be asked to clarify."))
    if decision_for(application.id) is not None:
        raise InvalidTransition(_l("This application has been decided: a clarification can only be asked "
                                   "before the decision."))


def locked_open(actor, clarification_id: int) -> ClarificationRequest:
    """The request, its application's row held for this transaction, confirmed open; for the changes below.

    Raises NotFound and ClarificationClosed (answered or withdrawn, also a moment ago).
    """
    clarification = load_clarification(actor, clarification_id)
    try:
        lock_reopened(clarification.application)
    except NotReopened:
        pass
    db.session.refresh(clarification)
    if clarification.status != ClarificationStatus.OPEN:
        raise ClarificationClosed(closed_message(clarification))
    return clarification


def closed_message(clarification: ClarificationRequest) -> str:
    if clarification.status == ClarificationStatus.ANSWERED:
        return _("This request has already been answered.")
    return _("This request was withdrawn: nothing more is needed for it.")


def withdraw_clarification(actor, clarification_id: int) -> ClarificationRequest:
    """Take back an open request: review resumes where it stood, without an answer; the applicant is told.

    What the applicant changed meanwhile stays, and the audit event `clarification.withdrawn` keeps it
    beside what the fields held before. Raises NotFound, PermissionDenied (not an admin) and
    ClarificationClosed.
    """
    clarification = load_clarification(actor, clarification_id)
    if not is_admin(actor):
        raise PermissionDenied()
    clarification = locked_open(actor, clarification_id)
    application = clarification.application
    APPLICATION_MACHINE.move(actor, application, resume_status(clarification),
                             audit=({"clarification_id": clarification.id}, None))
    CLARIFICATION_MACHINE.move(actor, clarification, ClarificationStatus.WITHDRAWN,
                               audit=(clarification.before, {"fields": field_values(application, clarification.fields)}))
    tell_applicant(clarification, "clarification_withdrawn", f"clarification-withdrawn:{clarification.id}")
    return clarification


def extend_clarification(actor, clarification_id: int, command: DueDateInput,
                         now: datetime | None = None) -> ClarificationRequest:
    """Give the applicant until the end of a later day; audited `clarification.extended`; the applicant told.

    Raises NotFound, PermissionDenied (not an admin), ClarificationClosed and ValidationFailed (due_on: in
    the past, or not after the current due date).
    """
    now = now or utcnow()
    clarification = load_clarification(actor, clarification_id)
    if not is_admin(actor):
        raise PermissionDenied()
    clarification = locked_open(actor, clarification_id)
    zone = clarification.application.call.timezone
    due_at = due_at_end_of(command.due_on, zone) if command.due_on else None
    if due_at is None:
        raise ValidationFailed({"due_on": [_("Enter the day the answer is now due.")]})
    if due_at <= max(now, clarification.due_at):
        raise ValidationFailed({"due_on": [_("Choose a day after the current due date, %(due)s.",
                                             due=format_in_zone(clarification.due_at, zone))]})
    before = clarification.due_at
    clarification.due_at = due_at
    db.session.flush()
    record_event(actor, "clarification.extended", clarification, before={"due_at": before.isoformat()},
                 after={"due_at": due_at.isoformat()})
    tell_applicant(clarification, "clarification_extended",
                   f"clarification-extended:{clarification.id}:{due_at.isoformat()}")
    return clarification


def resume_status(clarification: ClarificationRequest) -> str:
    """Where review resumes: where it stood, or under review if a reviewer was assigned meanwhile."""
    from cade.reviews.models import Assignment

    if clarification.resume_status == ApplicationStatus.SUBMITTED and db.session.scalar(
            select(Assignment.id).where(Assignment.application_id == clarification.application_id).limit(1)):
        return ApplicationStatus.UNDER_REVIEW
    return clarification.resume_status
