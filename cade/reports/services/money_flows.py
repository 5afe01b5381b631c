"""The money that moved in a funding summary's period: disbursed (tranches paid) and returned (unspent money).

Disbursed is the sum of the tranches paid in the period (by their payment
day); returned is the sum of what grants with a return recorded in the period
(by its day) paid back. Both are in the grant's currency, grouped by the same
breakdowns as the awards (the application's snapshots: a grant counts under
the region its application was submitted from), in one statement over a
UNION ALL of the two kinds of movement; the focus-area breakdown, which joins
a row per area, is a statement of its own. The summary converts the sums to
the reporting currency as it converts the amounts awarded.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from sqlalchemy import BigInteger, cast, func, literal, select, union_all

from cade.applications.models import Application, ApplicationFocusArea
from cade.awards.models import Decision
from cade.extensions import db
from cade.grants.constants import TrancheStatus
from cade.grants.models import Grant, Tranche
from cade.programmes.models import Call
from cade.reports.constants import Dimension
from cade.reports.services.grouping import Grouping, grouped_rows

FLOW_MEASURES = ("disbursed", "returned")


def _within(column, date_from: date | None, date_to: date | None) -> list:
    found = []
    if date_from:
        found.append(column >= date_from)
    if date_to:
        found.append(column <= date_to)
    return found


def _flows(date_from: date | None, date_to: date | None):
    zero = cast(literal(0), BigInteger)
    paid = select(Tranche.grant_id.label("grant_id"), Tranche.currency.label("currency"),
                  Tranche.amount_minor.label("disbursed"), zero.label("returned")).where(
        Tranche.status == TrancheStatus.PAID, *_within(Tranche.paid_on, date_from, date_to))
    returned = select(Grant.id.label("grant_id"), Grant.currency.label("currency"), zero.label("disbursed"),
                      Grant.returned_minor.label("returned")).where(
        Grant.returned_on.is_not(None), Grant.returned_minor > 0, *_within(Grant.returned_on, date_from, date_to))
    return union_all(paid, returned).subquery("flows")


def _base(flows, programme_ids: Sequence[int], call_ids: Sequence[int]) -> Callable:
    filters = []
    if programme_ids:
        filters.append(Call.programme_id.in_(programme_ids))
    if call_ids:
        filters.append(Application.call_id.in_(call_ids))

    def base(statement):
        return (statement.select_from(flows).join(Grant, Grant.id == flows.c.grant_id)
                .join(Decision, Decision.id == Grant.decision_id)
                .join(Application, Application.id == Decision.application_id)
                .join(Call, Call.id == Application.call_id).where(*filters))

    return base


def money_flows(keys: Mapping, groupings: Sequence[Grouping], *, programme_ids: Sequence[int],
                call_ids: Sequence[int], date_from: date | None, date_to: date | None,
                focus_area: bool = False) -> list[tuple[Grouping, tuple, dict]]:
    """(grouping, keys, {"currency", "disbursed", "returned"}) for every group with money moved in the period.

    `keys` are the summary's breakdown expressions over Application and Call;
    `focus_area` adds the focus-area breakdown (one more statement: an application counts under each area).
    """
    flows = _flows(date_from, date_to)
    base = _base(flows, programme_ids, call_ids)
    measures = [func.coalesce(func.sum(flows.c[name]), 0).label(name) for name in FLOW_MEASURES]
    found = [(grouping, key_values, {"currency": currency, **_read(mapping)})
             for grouping, (currency,), key_values, mapping in grouped_rows(
                 keys, groupings, base, measures, [flows.c.currency])]
    if focus_area:
        statement = base(select(ApplicationFocusArea.focus_area, flows.c.currency.label("currency"), *measures)
                         ).join(ApplicationFocusArea, ApplicationFocusArea.application_id == Application.id)
        statement = statement.group_by(ApplicationFocusArea.focus_area, flows.c.currency)
        found += [((Dimension.FOCUS_AREA,), (row.focus_area,), {"currency": row.currency, **_read(row._mapping)})
                  for row in db.session.execute(statement)]
    return found


def _read(mapping) -> dict:
    return {name: int(mapping[name] or 0) for name in FLOW_MEASURES}
