"""A call's award figures, kept (issue 18): where its committed money goes, and how many decisions wait for release.

The ranking shows both for the whole call on every view. Adding them up
there grows with the call's awards and decisions; instead they are kept in
one row per call (CallAwardFigures) and brought up to date by
`keep_award_figures` in the transaction that changes a decision: deciding,
releasing, an offer declined, lapsed or made from the waiting list. Each
caller holds the call's row lock, so two changes in one call never keep
figures computed without each other. Keeping recomputes the call's row from
its decisions (two statements over the call's decisions, then one write), so
the figures are right whatever happened before, and the page reads one row.

The shares group awards by the region and stakeholder group the application
recorded of its organisation at submission (cade/applications/snapshots.py),
as the funding reports do: a profile edited later moves no award between
groups, and no edit outside awards can leave the kept figures behind. An
application without that record (none is made before submission) falls back
to its organisation as it is now.
"""

from collections import defaultdict

from sqlalchemy import func, select

from cade.applications.constants import IN_REVIEW_STATUSES
from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.awards.models import DECISION_MACHINE, CallAwardFigures, Decision
from cade.awards.services.commitments import commits_funds, committed_amount
from cade.core.db import upsert_row
from cade.extensions import db
from cade.organisations.models import Organisation


def waiting_for_release(call_id: int) -> tuple:
    """The call's decisions a release would send now, as WHERE clauses.

    Still movable to released, and their application still waits for one (a
    withdrawn application does not).
    """
    waiting = select(Application.id).where(Application.call_id == call_id,
                                           Application.status.in_([str(s) for s in IN_REVIEW_STATUSES]))
    return (Decision.call_id == call_id, Decision.application_id.in_(waiting),
            Decision.status.in_(DECISION_MACHINE.sources(DecisionStatus.RELEASED)))


def award_figures(call_id: int) -> CallAwardFigures:
    """The call's figures computed afresh from its decisions, not saved: what the kept row must equal."""
    region = func.coalesce(Application.org_region_code, Organisation.region_code)
    group = func.coalesce(Application.org_stakeholder_group, Organisation.stakeholder_group)
    by_region: dict[str, int] = defaultdict(int)
    by_group: dict[str, int] = defaultdict(int)
    # Grouped by both at once (at most regions × groups rows), then added up each way here.
    for region_code, group_code, amount in db.session.execute(
        select(region, group, committed_amount())
        .join(Application, Application.id == Decision.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Decision.call_id == call_id, commits_funds())  # a region with no award gets no entry
        .group_by(region, group)
    ):
        by_region[region_code] += int(amount or 0)
        by_group[group_code] += int(amount or 0)
    waiting = db.session.scalar(select(func.count(Decision.id)).where(*waiting_for_release(call_id))) or 0
    return CallAwardFigures(call_id=call_id, waiting_count=waiting, by_region=dict(by_region),
                            by_stakeholder_group=dict(by_group))


def keep_award_figures(call_id: int) -> None:
    """Bring the call's kept award figures up to date after one of its decisions changed.

    The caller holds the call's row lock (`lock_row(Call, call_id)`) and has
    flushed the change; a call without a row yet gets one (an upsert, so that
    even two writers without the lock never clash on the new row).
    """
    figures = award_figures(call_id)
    upsert_row(CallAwardFigures.__table__, {
        "call_id": call_id, "waiting_count": figures.waiting_count, "by_region": figures.by_region,
        "by_stakeholder_group": figures.by_stakeholder_group}, key=("call_id",))


def kept_award_figures(call_id: int) -> CallAwardFigures:
    """The call's kept figures, read by key; a call without a decision yet has none (all zero)."""
    kept = db.session.get(CallAwardFigures, call_id, populate_existing=True)  # kept by a statement, not the ORM
    return kept if kept is not None else CallAwardFigures(call_id=call_id, waiting_count=0, by_region={},
                                                          by_stakeholder_group={})
