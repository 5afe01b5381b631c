"""The full proposal checked against its concept note at submission: the requested amount within the margin.

Registered from cade/wiring.py into `submission.completeness_sources`, so a
refusal is one more completeness error: named on the requested amount, the
draft kept as it is.
"""

from flask_babel import gettext as _

from cade.applications.models import Application
from cade.core.money import format_money
from cade.stages.concept_notes import concept_note_of, margin_of


def concept_margin_completeness(application: Application) -> dict[str, list[str]]:
    """What stops a full proposal's requested amount being submitted: outside ±margin % of its concept note's.

    Nothing for applications to other calls, for a call without a margin,
    and while no amount is entered (completeness asks for one itself).
    """
    requested = application.requested_amount_minor
    if requested is None or application.call.concept_call_id is None:
        return {}
    concept_note = concept_note_of(application)
    margin = margin_of(application, concept_note)
    if margin is None or margin.allows(requested):
        return {}
    currency = application.call.currency
    return {"requested_amount": [_(
        "You request %(requested)s, but your concept note requested %(concept)s and the call allows the full "
        "proposal to differ from it by at most %(margin)d %%: request from %(low)s to %(high)s.",
        requested=format_money(requested, currency), concept=format_money(margin.concept_minor, currency),
        margin=margin.percent, low=format_money(margin.low_minor, currency),
        high=format_money(margin.high_minor, currency))]}
