"""A grant's timeline: what happened to it, oldest first (tranches, reports and messages will join it)."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _


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
    return sorted(steps, key=lambda step: step.at)
