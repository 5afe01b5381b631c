"""State changes of an application: submission with its reference, and withdrawal."""

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import text

from cade.applications.budget_checks import application_budget_checks, failing
from cade.applications.constants import ApplicationStatus
from cade.applications.eligibility import check_eligibility
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.applications.permissions import is_member, is_withdrawable
from cade.applications.services._common import (NotADraft, load_application, lock_draft, require_consent,
                                                 require_member)
from cade.applications.snapshots import snapshot_applicant
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, NotEligible, ValidationFailed
from cade.core.money import format_money
from cade.core.questionnaires import answer_errors
from cade.core.timeutil import format_in_zone, moment_json
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.constants import CallPhase


# What a domain above applications also needs before submission (travel: the trip), registered from
# cade/wiring.py: functions application -> {field: [message]}, merged into completeness_errors.
completeness_sources: list[Callable[[Application], dict[str, list[str]]]] = []


class AlreadySubmitted(InvalidTransition):
    """A second submission of the same application (a double click): nothing happened."""

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("This application has already been submitted."), **kwargs)


def completeness_errors(application: Application) -> dict[str, list[str]]:
    """What is missing or wrong before `application` can be submitted, by field name."""
    errors: dict[str, list[str]] = {}
    call = application.call
    currency = call.currency

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (application.title or "").strip():
        add("title", _("Give your application a title."))
    if not (application.summary or "").strip():
        add("summary", _("Write a short summary."))
    requested = application.requested_amount_minor
    if requested is None:
        add("requested_amount", _("Enter the amount you request."))
    elif not call.min_award_minor <= requested <= call.max_award_minor:
        add("requested_amount", _("Request between %(min)s and %(max)s.",
                                  min=format_money(call.min_award_minor, currency),
                                  max=format_money(call.max_award_minor, currency)))
    answers = {answer.question_id: answer for answer in application.answers}
    files: dict[int, list] = {}
    for attachment in application.attachments:
        files.setdefault(attachment.question_id, []).append(attachment)
    for question in call.questions:
        for message in answer_errors(question, answers.get(question.id), files.get(question.id, ())):
            add(question.field_name, message)
    if not application.budget_lines:
        add("budget_lines", _("Add at least one budget line."))
    else:
        # The call's budget rules, each failing one named (cade/applications/budget_checks.py).
        for check in failing(application_budget_checks(application)):
            add(check.field, check.message)
    for source in completeness_sources:
        for name, messages in source(application).items():
            for message in messages:
                add(name, message)
    return errors


def submit_application(actor, application_id: int, now=None) -> Application:
    """Submit a complete draft before the deadline; give it the call's next reference.

    Checks, in order: membership, state (a second submission raises
    AlreadySubmitted), the deadline to the second (DeadlinePassed names it in
    the call's time zone), eligibility (NotEligible) and completeness
    (ValidationFailed); staff submitting an assisted application need the
    organisation's consent on record (ConsentMissing). The row is locked before anything is checked, so a
    colleague's save waits and what was checked is what is submitted; the
    moment checked (`now`) is the one recorded as submitted_at. The draft is
    untouched when any check fails. Queues a receipt for every member.
    """
    application = load_application(application_id)
    require_member(actor, application)
    # The moment that counts is when the request reached this check, not when a
    # concurrent save lets go of the row: waiting for a lock never makes an applicant late.
    now = now or utcnow()
    try:
        # Hold the row before reading what is checked: a member saving at the same
        # moment waits, so what is checked below is exactly what gets submitted.
        lock_draft(application)
    except NotADraft:
        if application.status == ApplicationStatus.WITHDRAWN:
            raise InvalidTransition(_("This application was withdrawn.")) from None
        raise AlreadySubmitted() from None
    # Answers and budget lines read before the lock may be stale: read them again.
    db.session.expire_all()
    require_consent(actor, application)  # staff submitting an assisted application: the consent on record
    call = application.call
    phase = call.phase(now)
    if phase == CallPhase.CLOSED:
        raise DeadlinePassed(_(
            "The deadline was %(deadline)s. Your draft is kept, but it can no longer be submitted.",
            deadline=format_in_zone(call.closes_at, call.timezone)))
    if phase != CallPhase.OPEN:
        raise InvalidTransition(_("This call is not open for applications."))
    reasons = check_eligibility(call, application.organisation)
    if reasons:
        raise NotEligible(" ".join(reasons), reasons=reasons)
    errors = completeness_errors(application)
    if errors:
        raise ValidationFailed(errors, _("Your application is not complete yet."))

    try:
        APPLICATION_MACHINE.move(actor, application, ApplicationStatus.SUBMITTED, submitted_at=now)
    except InvalidTransition:
        raise AlreadySubmitted() from None
    # The counter is bumped in this transaction: a rollback gives the number back,
    # and the row lock makes concurrent submissions to one call take turns.
    number = db.session.execute(
        text("UPDATE calls SET last_reference_number = last_reference_number + 1 "
             "WHERE id = :id RETURNING last_reference_number"),
        {"id": call.id},
    ).scalar_one()
    db.session.expire(call, ["last_reference_number"])
    application.reference = f"{call.reference_prefix}-{number:04d}"
    snapshot_applicant(application)  # flushes
    # Submitted by staff for the organisation (an assisted application): the receipt says so.
    _queue_receipts(application, by_staff=not is_member(actor, application.organisation_id))
    return application


def _queue_receipts(application: Application, by_staff: bool = False) -> None:
    organisation_id = application.organisation_id
    for user in members_of_organisations([organisation_id]).get(organisation_id, []):
        notify("applications.submitted", recipient=user, locale=user.locale,
               key=f"submitted:{application.id}:{user.id}",
               context={
                   "application_id": application.id,
                   "reference": application.reference,
                   "title": application.title,
                   "call_title": application.call.title,
                   "organisation_name": application.organisation.name,
                   "submitted_at": application.submitted_at.isoformat(),
                   "submitted": moment_json(application.submitted_at, application.call.timezone),
                   "assisted": by_staff,  # cade/applications/assisted.py
               })


def withdraw_application(actor, application_id: int, now=None) -> Application:
    """Withdraw a draft or submitted application; the organisation may then start a new one.

    Raises PermissionDenied for non-members and InvalidTransition once review has started
    (also when a decision or an assignment put it under review a moment before).
    """
    application = load_application(application_id)
    require_member(actor, application)
    if is_withdrawable(application):
        try:
            return APPLICATION_MACHINE.move(actor, application, ApplicationStatus.WITHDRAWN,
                                            withdrawn_at=now or utcnow())
        except InvalidTransition:
            pass  # moved on by another request a moment ago: refused as if that request had come first
    raise InvalidTransition(_("This application can no longer be withdrawn."))
