"""What the people on each side of a clarification request are told, in their language, once each.

Contexts hold raw values: the request's field names (question labels as written in the call, the others
named by the e-mail in the reader's language), moments as `moment_json`. An applicant is never told which
reviewer asked, and a reviewer of a blind call is never told who answered.
"""

from cade.applications.models import Application
from cade.conversations.fields import named_fields
from cade.conversations.models import ClarificationRequest
from cade.conversations.permissions import reviewing_assignment
from cade.core.permissions import is_admin
from cade.core.timeutil import moment_json
from cade.notifications.services import notify, queued_keys
from cade.organisations.services.queries import members_of_organisations


def _context(clarification: ClarificationRequest) -> dict:
    application: Application = clarification.application
    call = application.call
    fields = named_fields(call, clarification.fields)
    return {"application_id": application.id, "clarification_id": clarification.id,
            "reference": application.reference or "", "title": application.title, "call_title": call.title,
            "field_names": [named.name for named in fields],
            "question_labels": {named.name: named.label for named in fields if named.name.startswith("q_")},
            "message": clarification.message, "due": moment_json(clarification.due_at, call.timezone)}


def _members(application: Application) -> list:
    return members_of_organisations([application.organisation_id]).get(application.organisation_id, [])


def tell_applicant(clarification: ClarificationRequest, kind: str, key: str) -> int:
    """Tell each member of the applicant organisation (`conversations.<kind>`) once; `key` names the occasion.

    Returns how many were told now (none when each was told of this occasion before)."""
    keyed = {f"{key}:{user.id}": user for user in _members(clarification.application)}
    known = queued_keys(keyed)
    new = [(row_key, user) for row_key, user in keyed.items() if row_key not in known]
    context = _context(clarification) if new else {}
    for row_key, user in new:
        notify(f"conversations.{kind}", recipient=user, locale=user.locale, context=context, key=row_key,
               known_new=True)
    return len(new)


def tell_programme(clarification: ClarificationRequest) -> None:
    """Tell the admins, and the reviewer who asked, that the applicant answered (`clarification_answered`)."""
    from cade.accounts.services.administration import active_admins

    application = clarification.application
    recipients = {user.id: user for user in active_admins()}
    if clarification.requested_by is not None and clarification.requested_by.active:
        recipients.setdefault(clarification.requested_by.id, clarification.requested_by)
    base = {**_context(clarification), "answered": moment_json(clarification.answered_at, application.call.timezone),
            "response": clarification.response or ""}
    for user in recipients.values():
        # A reviewer of a blind call learns the answer, never who gave it.
        admin = is_admin(user)
        named = admin or not application.call.blind_review
        assignment = None if admin else reviewing_assignment(user, application)
        context = {**base, "organisation_name": application.organisation.name if named else "",
                   "answered_by_name": clarification.answered_by.name if named and clarification.answered_by else "",
                   "assignment_id": assignment.id if assignment else None}
        notify("conversations.clarification_answered", recipient=user, locale=user.locale, context=context,
               key=f"clarification-answered:{clarification.id}:{user.id}")
