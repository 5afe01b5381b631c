"""A grant's timeline: what happened to it, oldest first: offer, acceptance, payments, reports, closure."""

from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.money import format_money
from cade.extensions import db


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str


def grant_timeline(grant) -> list[Step]:
    """The offer's release, its acceptance (by whom, as what) and the agreement, from what the rows hold."""
    decision = grant.decision
    steps = []
    if decision.released_at:
        steps.append(Step(decision.released_at, _("Offer released")))
    accepted_at = getattr(decision, "accepted_at", None)
    if accepted_at:
        name, position = getattr(decision, "signatory_name", None), getattr(decision, "signatory_position", None)
        if name and position:
            text = _("Accepted by %(name)s (%(position)s)", name=name, position=position)
        elif name:
            text = _("Accepted by %(name)s", name=name)
        else:
            text = _("Offer accepted")
        steps.append(Step(accepted_at, text))
    steps.append(Step(grant.created_at, _("Agreement created")))
    from cade.grants.tranches import tranches_of

    for tranche in tranches_of(grant):
        if tranche.paid_at is not None:
            steps.append(Step(tranche.paid_at, _("Tranche %(position)s paid (reference %(reference)s)",
                                                 position=tranche.position, reference=tranche.payment_reference)))
    steps += _report_steps(grant)
    if grant.returned_on is not None and grant.returned_minor:
        # A day, not a moment: shown at the start of that day, before whatever else happened on it.
        steps.append(Step(datetime.combine(grant.returned_on, time.min, tzinfo=UTC),
                          _("%(amount)s of unspent money returned (reference %(reference)s)",
                            amount=format_money(grant.returned_minor, grant.currency),
                            reference=grant.returned_reference or "—")))
    if grant.closed_at is not None:
        steps.append(Step(grant.closed_at, _("Grant closed")))
    return sorted(steps, key=lambda step: step.at)


def _report_steps(grant) -> list[Step]:
    """Each submission, request for changes and approval of the grant's reports, from their audit trail (one query:
    a report sent back and submitted again shows both times, which its row alone no longer holds)."""
    from cade.grants.constants import REPORT_KIND_LABELS
    from cade.grants.models import GrantReport

    words = {"report.submitted": _("%(report)s submitted"),
             "report.changes_requested": _("%(report)s sent back: changes requested"),
             "report.approved": _("%(report)s approved")}
    rows = db.session.execute(
        select(AuditEvent.at, AuditEvent.verb, GrantReport.kind)
        .join(GrantReport, (AuditEvent.object_type == "GrantReport") & (AuditEvent.object_id == GrantReport.id))
        .where(GrantReport.grant_id == grant.id, AuditEvent.verb.in_(list(words)))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [Step(at, words[verb] % {"report": REPORT_KIND_LABELS[kind]}) for at, verb, kind in rows]
