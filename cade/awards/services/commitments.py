"""The amount committed in a call: what its award decisions hold against the budget envelope.

One definition, asked wherever the question comes up: the envelope check
when deciding, the ranking's awarded total and shares, and (later) the
funding reports. A decision commits its amount while it is an award in one
of COMMITTING_STATUSES, released or not; when an offer can be declined, the
declined status stays out of that tuple and its money is free again in every
one of those places at once.
"""

from sqlalchemy import ColumnElement, and_, case, func, select

from cade.awards.constants import COMMITTING_STATUSES, DecisionOutcome
from cade.awards.models import Decision
from cade.extensions import db


def commits_funds() -> ColumnElement[bool]:
    """Whether a decision's amount counts against its call's envelope, as a WHERE clause."""
    return and_(Decision.outcome == DecisionOutcome.AWARD, Decision.status.in_(COMMITTING_STATUSES))


def committed_amount() -> ColumnElement[int]:
    """The committed amount, in minor units, of the decisions a query reads (0 when none); group it as you need."""
    return func.coalesce(func.sum(case((commits_funds(), Decision.amount_minor), else_=0)), 0)


def committed_total(call_id: int, *, except_application_id: int | None = None) -> int:
    """The amount committed in the call, in minor units; without one application's decision when it is given."""
    query = select(committed_amount()).where(Decision.call_id == call_id)
    if except_application_id is not None:
        query = query.where(Decision.application_id != except_application_id)
    return int(db.session.scalar(query))
