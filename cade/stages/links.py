"""Making a call the full-proposal stage of another call of its programme, and undoing it while nothing hangs on it.

The link is kept on the full-proposal call (`concept_call_id`, unique) with
the margin its requested amounts keep around the concept note's
(`concept_margin_percent`; None: any amount within the call's bounds). The
concept-note call must close first, belong to the same programme (so the
amounts are in one currency), and be free: neither stage of another pair.
Admins only; every change is audited, and a call in review changes only with
a reason, as the call form's changes do (cade/programmes/services/calls.py).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.constants import DecisionOutcome
from cade.awards.models import Decision
from cade.core.audit import record_event
from cade.core.commands import Command, FieldErrors, Id, Integer, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.permissions import require_admin
from cade.core.timeutil import format_in_zone
from cade.extensions import db
from cade.programmes.models import Call

REASON_MAX_CHARS = 2000
SNAPSHOT = ("concept_call_id", "concept_margin_percent")


@dataclass(frozen=True)
class StageLinkInput(Command):
    """The concept-note call chosen for a full-proposal call, the margin in whole percent, and (for a call in
    review) why it changes. Whether that call may be chosen is link_stages' to say."""

    concept_call_id: int | None = field(Id(required=False))
    concept_margin_percent: int | None = field(Integer(0, 100, required=False, message=_l(
        "Enter a whole percentage from 0 to 100, or leave it empty for no margin.")), source="margin_percent")
    reason: str | None = field(Text(max_len=REASON_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        if self.concept_call_id is None and "concept_call_id" not in errors:
            errors.add("concept_call_id", _l("Choose the concept-note call."))


def _load_locked(call_id: int) -> Call:
    lock_row(Call, call_id)
    call = db.session.get(Call, call_id, populate_existing=True)
    if call is None:
        raise NotFound()
    return call


def application_count(call_id: int) -> int:
    """Every application to the call, drafts and withdrawn ones included: each was started under its stages."""
    return db.session.scalar(select(func.count(Application.id)).where(Application.call_id == call_id)) or 0


def submitted_count(call_id: int) -> int:
    """Applications to the call that were submitted (whatever happened to them since)."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call_id, Application.submitted_at.is_not(None))) or 0


def _decided(call_id: int, outcomes) -> bool:
    return db.session.scalar(select(exists().where(
        Decision.call_id == call_id, Decision.outcome.in_([str(o) for o in outcomes])))) or False


def concept_call_candidates(full: Call) -> list[Call]:
    """The calls `full` may name as its concept-note stage: of its programme, closing before it, neither stage of
    another pair; the one it names now first (one query)."""
    other = aliased(Call)
    taken = exists().where(other.concept_call_id == Call.id, other.id != full.id)
    return list(db.session.scalars(
        select(Call).where(Call.programme_id == full.programme_id, Call.id != full.id,
                           or_(Call.id == full.concept_call_id,
                               and_(Call.closes_at < full.closes_at, Call.concept_call_id.is_(None), ~taken)))
        .order_by((Call.id == full.concept_call_id).desc(), Call.closes_at.desc(), Call.id)))


def _concept_errors(full: Call, concept: Call | None, errors: FieldErrors) -> None:
    name = "concept_call_id"
    if concept is None or concept.programme_id != full.programme_id:
        errors.add(name, _l("Choose a call of the programme “%(programme)s”.", programme=full.programme.name))
        return
    if concept.id == full.id:
        errors.add(name, _l("A call cannot be its own concept-note stage: choose another call."))
        return
    if concept.closes_at >= full.closes_at:
        errors.add(name, _l("The concept-note call must close before this one: “%(call)s” closes on %(concept)s, "
                            "this call on %(full)s.", call=concept.title,
                            concept=format_in_zone(concept.closes_at, concept.timezone),
                            full=format_in_zone(full.closes_at, full.timezone)))
    if concept.concept_call_id is not None:
        errors.add(name, _l("“%(call)s” is itself the full-proposal stage of another call.", call=concept.title))
    other = concept.full_call
    if other is not None and other.id != full.id:
        errors.add(name, _l("“%(call)s” is already the concept-note stage of “%(other)s”.", call=concept.title,
                            other=other.title))
    if _decided(concept.id, (DecisionOutcome.AWARD, DecisionOutcome.WAITLIST)):
        errors.add(name, _l("“%(call)s” already has award or waitlist decisions; a concept-note stage only "
                            "shortlists or rejects.", call=concept.title))


def link_stages(actor, full_call_id: int, command: StageLinkInput) -> Call:
    """Make `full_call_id` the full-proposal stage of `command.concept_call_id`, with the margin given.

    Refused (ValidationFailed, by field) when the concept-note call is not a
    call of the same programme closing earlier, or is a stage of another pair
    or has awarded or waitlisted; when this call is itself a concept-note
    stage; when the concept-note call would change once this call has
    applications; when the margin would change once full proposals have been
    submitted under it; and, for a call in review, without a reason. Both
    calls' rows are locked first. Audited as `call.stages_linked` (before and
    after, the reason with them); nothing changed writes nothing. Raises
    PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    full = _load_locked(full_call_id)
    concept = None
    if command.concept_call_id is not None and db.session.get(Call, command.concept_call_id) is not None:
        concept = _load_locked(command.concept_call_id)
    errors = FieldErrors()
    if full.full_call is not None:
        errors.add("concept_call_id", _l("This call is the concept-note stage of “%(call)s”; it cannot have a "
                                         "concept-note stage of its own.", call=full.full_call.title))
    else:
        _concept_errors(full, concept, errors)
    changed = {name: value for name, value in (("concept_call_id", command.concept_call_id),
                                               ("concept_margin_percent", command.concept_margin_percent))
               if getattr(full, name) != value}
    if "concept_call_id" in changed and application_count(full.id):
        errors.add("concept_call_id", _l("This call already has applications: its concept-note stage can no "
                                         "longer change."))
    if "concept_margin_percent" in changed and submitted_count(full.id):
        errors.add("margin_percent", _l("Full proposals have been submitted under the current margin: it can no "
                                        "longer change."))
    if changed and full.is_in_review(utcnow()) and not command.reason:
        errors.add("reason", _l("This call is in review: say why you are changing it. The reason is kept in the "
                                "audit log."))
    errors.raise_if_any()
    if not changed:
        return full
    before = {name: getattr(full, name) for name in SNAPSHOT}
    full.concept_call = concept
    full.concept_margin_percent = command.concept_margin_percent
    db.session.flush()
    record_event(actor, "call.stages_linked", full, before,
                 {**{name: getattr(full, name) for name in SNAPSHOT}, "reason": command.reason})
    return full


def unlink_stages(actor, full_call_id: int, reason: str | None = None) -> Call:
    """Make `full_call_id` a call of one stage again, while nothing hangs on the link.

    Refused (InvalidTransition) when the call names no concept-note call,
    when it has any application, or when concept notes have been decided
    "shortlist" (released or not); a call in review needs a reason
    (ValidationFailed on `reason`). Audited as `call.stages_unlinked`.
    Raises PermissionDenied, NotFound, InvalidTransition, ValidationFailed.
    """
    require_admin(actor)
    full = _load_locked(full_call_id)
    if full.concept_call_id is None:
        raise InvalidTransition(_l("This call has no concept-note stage."))
    if application_count(full.id):
        raise InvalidTransition(_l("This call has applications: its concept-note stage can no longer be removed."))
    concept = full.concept_call
    if _decided(concept.id, (DecisionOutcome.SHORTLIST,)):
        raise InvalidTransition(_l("Concept notes of “%(call)s” have been shortlisted for this call: the two stages "
                                   "can no longer be separated.", call=concept.title))
    reason = (reason or "").strip() or None
    if full.is_in_review(utcnow()) and not reason:
        raise ValidationFailed({"reason": [_l("This call is in review: say why you are changing it. The reason is "
                                              "kept in the audit log.")]})
    before = {name: getattr(full, name) for name in SNAPSHOT}
    full.concept_call = None
    full.concept_margin_percent = None
    db.session.flush()
    record_event(actor, "call.stages_unlinked", full, before,
                 {**{name: getattr(full, name) for name in SNAPSHOT}, "reason": reason})
    return full


def shortlisted_count(concept_call_id: int) -> int:
    """Concept notes of the call shortlisted so far (released)."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == concept_call_id, Application.status == ApplicationStatus.SHORTLISTED)) or 0
