"""What an offer commits the grantee to, before it is accepted: the tranche schedule and the reports owed.

The offer page belongs to awards, which may not import grants; grants offers
`offer_terms` to the templates (registered in cade/grants/views_tranches.py),
and the awards page asks it. Dates are counted from acceptance, so before
acceptance they read "N days after acceptance"; the grant page shows the real
dates once the grant is open.
"""

from dataclasses import dataclass

from cade.grants.constants import REPORT_KIND_LABELS, TRANCHE_CONDITION_LABELS
from cade.grants.report_templates import report_plans
from cade.grants.tranches import call_schedule, split_amount


@dataclass(frozen=True)
class TermTranche:
    position: int
    amount_minor: int
    currency: str
    condition: str
    due_after_days: int

    @property
    def condition_label(self):
        return TRANCHE_CONDITION_LABELS[self.condition]


@dataclass(frozen=True)
class TermReport:
    kind: str
    due_after_days: int

    @property
    def label(self):
        return REPORT_KIND_LABELS[self.kind]


@dataclass(frozen=True)
class OfferTerms:
    tranches: list[TermTranche]
    reports: list[TermReport]


def offer_terms(decision) -> OfferTerms | None:
    """The terms of an award's offer from its call's schedule and report templates today; None for no award."""
    if decision is None or not decision.amount_minor:
        return None
    schedule = call_schedule(decision.call_id)
    amounts = split_amount(decision.amount_minor, [row.share for row in schedule])
    tranches = [TermTranche(position, amount, decision.currency, str(row.condition), row.due_after_days)
                for position, (row, amount) in enumerate(zip(schedule, amounts, strict=True), start=1)]
    reports = [TermReport(str(plan.kind), plan.due_after_days) for plan in report_plans(decision.call_id)]
    return OfferTerms(tranches, reports)
