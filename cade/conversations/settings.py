"""A call's setting for clarification requests: whether its reviewers may ask them, not only the admins."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from cade.core.commands import Command, Flag, Text, field
from cade.core.db import lock_row
from cade.core.errors import NotFound, ValidationFailed
from cade.core.permissions import require_admin
from cade.extensions import db
from cade.programmes.models import Call
from cade.programmes.services.common import change_audited


@dataclass(frozen=True)
class ClarificationSettingsInput(Command):
    reviewers_may_clarify: bool = field(Flag())
    reason: str | None = field(Text(max_len=1000))


def set_clarification_settings(actor, call_id: int, command: ClarificationSettingsInput) -> Call:
    """Let the call's reviewers ask applicants for clarifications, or stop them; audited `call.clarifications_set`.

    As for every change to a call in review (`update_call`), a change once the call is in review needs a
    reason, kept in the audit row. Raises PermissionDenied (not an admin), NotFound, ValidationFailed (reason).
    """
    require_admin(actor)
    lock_row(Call, call_id)
    call = db.session.get(Call, call_id, populate_existing=True)
    if call is None:
        raise NotFound()
    if call.reviewers_may_clarify == command.reviewers_may_clarify:
        return call
    if call.is_in_review() and not command.reason:
        raise ValidationFailed({"reason": [_l(
            "This call is in review: say why you are changing it. The reason is kept in the audit log.")]})
    change_audited(actor, call, {"reviewers_may_clarify": command.reviewers_may_clarify}, "call.clarifications_set",
                   ("reviewers_may_clarify",), note={"reason": command.reason})
    return call
