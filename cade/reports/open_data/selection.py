"""Which awards the open-data files publish, read from the release snapshots in a fixed number of statements.

An award is published once released, and stays published once accepted; an
offer that was declined or lapsed was never a grant (its money went back to
the envelope) and is left out. That is the funding summary's "awarded"
measure (`cade/reports/services/summary.py`), over the same applications
(submitted and not withdrawn), so the totals per currency of both files are
the summary's awarded totals without filters.

Four statements, whatever the number of awards: the awards (with, per award,
how many awards of the file share its country: a window function), the paid
tranches, the indicator targets and the indicator values of approved reports.
What is told about each recipient is decided in `publication.py`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.extensions import db
from cade.grants.constants import ReportKind, ReportStatus, TrancheStatus
from cade.grants.models import Grant, GrantReport, Indicator, IndicatorTarget, IndicatorValue, Tranche
from cade.organisations.models import Organisation
from cade.programmes.models import Call, Programme
from cade.reports.services.summary import RELEASED_AWARD

# The summary's awarded measure (released, or accepted since; not declined or lapsed), on submitted applications.
_PUBLISHED = and_(RELEASED_AWARD, Application.submitted_at.is_not(None),
                  Application.status != ApplicationStatus.WITHDRAWN)


@dataclass(frozen=True)
class Disbursement:
    position: int
    paid_on: date
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class IndicatorResult:
    """One outcome indicator of a grant: its target, and the sum of what approved reports say was achieved."""

    code: str
    label: str
    unit: str
    target: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True)
class AwardRecord:
    """One published award as the database holds it (before anything is withheld)."""

    reference: str
    title: str
    amount_minor: int
    currency: str
    released_at: datetime
    accepted: bool
    country: str | None
    region_code: str | None
    subregion_code: str | None
    country_awards: int  # awards in the file to organisations of the same country
    organisation_id: int
    organisation_name: str
    may_be_named: bool  # Organisation.may_be_named: it consented and is not at risk
    call_reference: str
    call_title: str
    programme_name: str
    programme_kind: str
    funder_name: str
    funder_identifier: str | None
    grant_started_at: datetime | None = None
    grant_closed_at: datetime | None = None
    final_report_due: date | None = None
    disbursements: list[Disbursement] = field(default_factory=list)
    results: list[IndicatorResult] = field(default_factory=list)


def _published_grants():
    """The ids of the grants of published awards (a subquery, so no list of ids travels to the database)."""
    return (select(Grant.id).join(Decision, Decision.id == Grant.decision_id)
            .join(Application, Application.id == Decision.application_id).where(_PUBLISHED))


def published_awards() -> list[AwardRecord]:
    """Every published award, by reference, with its paid tranches and indicator results (four statements)."""
    final_due = (select(func.max(GrantReport.due_on))
                 .where(GrantReport.grant_id == Grant.id, GrantReport.kind == ReportKind.FINAL)
                 .correlate(Grant).scalar_subquery())
    country = func.coalesce(Application.org_country, Organisation.country)
    statement = (
        select(Application.reference, Application.title, Decision.amount_minor, Decision.status,
               func.coalesce(Decision.currency, Programme.currency).label("currency"), Decision.released_at,
               country.label("country"),
               func.coalesce(Application.org_region_code, Organisation.region_code).label("region_code"),
               func.coalesce(Application.org_subregion_code, Organisation.subregion_code).label("subregion_code"),
               func.count(Decision.id).over(partition_by=country).label("country_awards"),
               Organisation.id.label("organisation_id"), Organisation.name.label("organisation_name"),
               Organisation.may_be_named.label("may_be_named"), Call.reference_prefix,
               Call.title.label("call_title"),
               Programme.name.label("programme_name"), Programme.kind, Programme.funder_name,
               Programme.funder_identifier, Grant.id.label("grant_id"), Grant.created_at.label("grant_started_at"),
               Grant.closed_at, final_due.label("final_due"))
        .select_from(Decision).join(Application, Application.id == Decision.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(Call, Call.id == Application.call_id).join(Programme, Programme.id == Call.programme_id)
        .outerjoin(Grant, Grant.decision_id == Decision.id)
        .where(_PUBLISHED).order_by(Application.reference, Application.id)
    )
    rows = db.session.execute(statement).all()
    if not rows:
        return []
    disbursements = _disbursements()
    results = _results()
    return [AwardRecord(
        reference=row.reference, title=row.title, amount_minor=row.amount_minor or 0, currency=row.currency,
        released_at=row.released_at, accepted=row.status == DecisionStatus.ACCEPTED, country=row.country,
        region_code=row.region_code, subregion_code=row.subregion_code, country_awards=row.country_awards,
        organisation_id=row.organisation_id, organisation_name=row.organisation_name,
        may_be_named=bool(row.may_be_named), call_reference=row.reference_prefix, call_title=row.call_title,
        programme_name=row.programme_name, programme_kind=row.kind, funder_name=row.funder_name,
        funder_identifier=row.funder_identifier, grant_started_at=row.grant_started_at,
        grant_closed_at=row.closed_at, final_report_due=row.final_due,
        disbursements=disbursements.get(row.grant_id, []), results=results.get(row.grant_id, []),
    ) for row in rows]


def _disbursements() -> dict[int, list[Disbursement]]:
    rows = db.session.execute(
        select(Tranche.grant_id, Tranche.position, Tranche.paid_on, Tranche.paid_at, Tranche.amount_minor,
               Tranche.currency)
        .where(Tranche.status == TrancheStatus.PAID, Tranche.grant_id.in_(_published_grants()))
        .order_by(Tranche.grant_id, Tranche.position)
    )
    found: dict[int, list[Disbursement]] = defaultdict(list)
    for row in rows:
        paid_on = row.paid_on or (row.paid_at.date() if row.paid_at else None)
        if paid_on is not None:
            found[row.grant_id].append(Disbursement(row.position, paid_on, row.amount_minor, row.currency))
    return found


def _results() -> dict[int, list[IndicatorResult]]:
    """Per grant, each indicator it has a target for or reported on in an approved report."""
    targets = db.session.execute(
        select(IndicatorTarget.grant_id, IndicatorTarget.indicator_id, IndicatorTarget.target, Indicator.code,
               Indicator.label, Indicator.unit, Indicator.position)
        .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
        .where(IndicatorTarget.grant_id.in_(_published_grants()))
    ).all()
    actuals = db.session.execute(
        select(GrantReport.grant_id, IndicatorValue.indicator_id, func.sum(IndicatorValue.value).label("actual"),
               Indicator.code, Indicator.label, Indicator.unit, Indicator.position)
        .join(GrantReport, GrantReport.id == IndicatorValue.report_id)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(GrantReport.status == ReportStatus.APPROVED, GrantReport.grant_id.in_(_published_grants()))
        .group_by(GrantReport.grant_id, IndicatorValue.indicator_id, Indicator.code, Indicator.label,
                  Indicator.unit, Indicator.position)
    ).all()
    return _merge(targets, actuals)


def _merge(targets, actuals) -> dict[int, list[IndicatorResult]]:
    described = {row.indicator_id: row for row in (*targets, *actuals)}
    pairs: dict[tuple[int, int], list] = defaultdict(lambda: [None, None])
    for row in targets:
        pairs[(row.grant_id, row.indicator_id)][0] = Decimal(str(row.target))
    for row in actuals:
        pairs[(row.grant_id, row.indicator_id)][1] = Decimal(str(row.actual)).quantize(Decimal("0.01"))
    found: dict[int, list[IndicatorResult]] = defaultdict(list)
    for (grant_id, indicator_id), (target, actual) in sorted(
            pairs.items(), key=lambda item: (item[0][0], described[item[0][1]].position, item[0][1])):
        info = described[indicator_id]
        found[grant_id].append(IndicatorResult(info.code, info.label, info.unit, target, actual))
    return found
